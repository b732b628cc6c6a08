"""Command arguments and settings: strict parsing, clear messages; lazy heavy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcInvalidParams

from exbert_ls.errors import CorpusNotFoundError, IndexMismatchError, InvalidInputError, UnknownModelError
from exbert_ls.server.config import Settings, settings_from
from exbert_ls.server.protocol import ExplainArgs, HeadSummaryArgs, SearchArgs, parse
from exbert_ls.server.rpc import Cancelled, rpc_error


def test_camel_case_keys_map_to_fields():
    args = parse(
        "x",
        ExplainArgs,
        (
            {
                "uri": "file:///a.txt",
                "range": {"start": {"line": 1, "character": 2}, "end": {"line": 1, "character": 5}},
                "topK": 3,
                "format": "msgpack",
            },
        ),
    )
    assert args.top_k == 3 and args.format == "msgpack" and args.range.end.character == 5


@pytest.mark.parametrize(
    "data,message",
    [
        ({"text": "a", "topK": "3"}, "topK: expected an integer, got str '3'"),
        ({"text": "a", "topK": True}, "topK: expected an integer, got a boolean"),
        ({"text": "a", "top_k": 3}, "unknown keys ['top_k']"),
        (
            {"text": "a", "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}},
            "'range' needs 'uri'",
        ),
        (
            {"uri": "file:///a", "range": {"start": {"line": 0}, "end": {"line": 0, "character": 1}}},
            "range.start.character: required",
        ),
    ],
)
def test_bad_explain_arguments(data, message):
    with pytest.raises(JsonRpcInvalidParams) as caught:
        parse("exbert.explain", ExplainArgs, (data,))
    assert message in caught.value.message


def test_search_and_summary_validators():
    with pytest.raises(JsonRpcInvalidParams, match="k must be >= 1"):
        parse("exbert.search", SearchArgs, ({"text": "a", "token": 1, "k": 0},))
    with pytest.raises(JsonRpcInvalidParams, match="heads must all be >= 0"):
        parse("exbert.search", SearchArgs, ({"text": "a", "token": 1, "heads": [1, -2]},))
    assert parse("exbert.headSummary", HeadSummaryArgs, ()) == HeadSummaryArgs()
    assert parse("exbert.headSummary", HeadSummaryArgs, (None,)) == HeadSummaryArgs()


def test_settings_merge_and_validate(tmp_path: Path):
    base = settings_from({"exbert": {"model": "m", "k": 7, "trace": {"server": "verbose"}}})
    assert (base.model, base.k) == ("m", 7)  # the editor's own keys are ignored
    changed = settings_from({"defaultLayer": 2}, base)
    assert (changed.model, changed.k, changed.default_layer) == ("m", 7, 2)
    assert settings_from({"defaultLayer": None}, changed).default_layer is None
    with pytest.raises(InvalidInputError, match="k must be >= 1"):
        settings_from({"k": 0})
    with pytest.raises(InvalidInputError, match="hover: expected true or false"):
        settings_from({"hover": "yes"})
    assert Settings().database_uri(tmp_path) == str(tmp_path / ".exbert" / "index")
    assert Settings(database_path="rel/db").database_uri(tmp_path) == str(tmp_path / "rel" / "db")
    assert Settings(database_path="s3://bucket/db").database_uri(tmp_path) == "s3://bucket/db"
    assert Settings().database_uri(None) is None
    assert Settings().layer_for(6) == 3 and Settings(default_layer=9).layer_for(6) == 6


def test_library_errors_become_json_rpc_errors():
    assert rpc_error(InvalidInputError("bad"), "exbert.x").code == -32602
    assert rpc_error(CorpusNotFoundError("none"), "exbert.x").code == -32010
    assert rpc_error(IndexMismatchError("other"), "exbert.x").code == -32011
    err = rpc_error(UnknownModelError("nope"), "exbert.explain")
    assert (err.code, err.message, err.data) == (-32012, "exbert.explain: nope", {"error": "UnknownModelError"})
    assert rpc_error(Cancelled("stop"), "exbert.x").code == -32800


def test_server_imports_no_torch_transformers_or_lancedb():
    code = (
        "import sys; from exbert_ls.server.app import create_server; create_server();"
        "heavy = [m for m in ('torch', 'transformers', 'lancedb', 'spacy') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr

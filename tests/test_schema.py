"""``exbert schema``: one JSON Schema for every argument and result, and the committed copies
(``vscode-extension/src/generated/``) that the extension's TypeScript is generated from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import jsonschema
import pytest
from payload_schema import validate

from exbert_ls.cli_schema import schema_document, schema_text
from exbert_ls.payloads.codec import from_wire, to_wire
from exbert_ls.payloads.common import EncodedArray
from exbert_ls.payloads.heads import HeadSummaries
from exbert_ls.payloads.outputs import OUTPUTS
from exbert_ls.server.protocol import ARGUMENTS
from exbert_ls.summarize.heads import HeadStats
from exbert_ls.summarize.summaries import summarize_heads

EXTENSION = Path(__file__).resolve().parents[1] / "vscode-extension"
COMMITTED = EXTENSION / "src" / "generated" / "schema.json"


def test_schema_is_a_valid_2020_12_document_naming_every_output_and_argument():
    doc = schema_document()
    jsonschema.Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(doc["properties"]) == set(OUTPUTS) >= {"explain", "search", "heads", "status", "index"}
    for name, cls in OUTPUTS.items():
        assert doc["properties"][name] == {"$ref": f"#/$defs/{cls.__name__}"}
    for cls in ARGUMENTS:
        assert cls.__name__ in doc["$defs"]
    for spec in doc["$defs"].values():
        assert spec["additionalProperties"] is False


def test_argument_keys_are_camel_case_and_optional_where_they_have_defaults():
    explain = schema_document()["$defs"]["ExplainArgs"]
    assert "topK" in explain["properties"] and "top_k" not in explain["properties"]
    assert explain["required"] == []
    assert explain["properties"]["attention"] == {
        "type": "string",
        "enum": ["uint8", "float16"],
        "description": "How attention weights travel: uint8 (x/255, error <= 0.002) or float16.",
        "default": "uint8",
    }


def test_results_require_every_key_they_always_send():
    defs = schema_document()["$defs"]
    query = defs["SearchQuery"]
    assert set(query["required"]) == set(query["properties"]) and "token_text" in query["required"]
    assert query["properties"]["range"]["anyOf"] == [{"$ref": "#/$defs/Range"}, {"type": "null"}]
    attended = defs["MaxAttended"]["properties"]
    assert {"special", "head"} <= set(attended)
    assert set(defs["NextToken"]["properties"]) == {"position", "text"}  # no start/end: never sent


def test_a_wrong_payload_fails_validation():
    summary = to_wire(summarize_heads(HeadStats.zeros(1, 2), min_support=1))
    validate("heads", summary)
    with pytest.raises(jsonschema.ValidationError):
        validate("heads", {**summary, "current": True})  # an unknown key
    with pytest.raises(jsonschema.ValidationError):
        validate("heads", {k: v for k, v in summary.items() if k != "complete"})  # a key always sent
    bad_head = {**summary["heads"][0], "layer": "1"}
    with pytest.raises(jsonschema.ValidationError):
        validate("heads", {**summary, "heads": [bad_head]})


def test_payloads_round_trip_through_the_codec():
    summary = summarize_heads(HeadStats.zeros(2, 2), min_support=1)
    assert from_wire(to_wire(summary), HeadSummaries) == summary
    array = EncodedArray(dtype="uint8", shape=[1], encoding="base64", data="AA==", scale=1 / 255)
    assert from_wire(json.loads(json.dumps(to_wire(array))), EncodedArray) == array
    assert attrs.has(OUTPUTS["explain"])


def test_cli_prints_the_schema():
    proc = subprocess.run(
        [sys.executable, "-m", "exbert_ls", "schema"], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == schema_document()


def test_committed_schema_is_current():
    """The extension's TypeScript is generated from this copy: regenerate it with
    ``exbert schema -o vscode-extension/src/generated/schema.json`` (then ``npm run gen``)."""
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "vscode-extension/src/generated/schema.json is stale: run "
        "`python -m exbert_ls schema -o vscode-extension/src/generated/schema.json && (cd vscode-extension && npm run gen)`"
    )


@pytest.mark.skipif(
    shutil.which("node") is None or not (EXTENSION / "node_modules" / "json-schema-to-typescript").exists(),
    reason="needs node and the extension's node_modules (npm ci in vscode-extension)",
)
def test_generated_typescript_is_current():
    proc = subprocess.run(
        ["node", "scripts/gen-payloads.mjs", "--check"],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout


@pytest.mark.parametrize("name", ["explain-tiny-mlm.json", "explain-minilm-lists.json", "search-minilm.json"])
def test_fixtures_round_trip_through_their_types(name):
    data = json.loads((EXTENSION / "test" / "fixtures" / name).read_text(encoding="utf-8"))
    cls = OUTPUTS[name.split("-")[0]]
    assert to_wire(from_wire(data, cls)) == validate(name.split("-")[0], data)

"""`exbert index/search/heads/verify --db s3://...` against a real S3 server, with MiniLM.

Credentials reach the subprocesses two ways, both documented (docs/storage.md): the standard
AWS variables plus ``EXBERT_S3_ENDPOINT``, and ``--storage-option key=value`` with no AWS
variable set at all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import lancedb
import pytest
import weed_server
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, index_paths
from exbert_ls.store.lock import writer_lock
from exbert_ls.store.storage import storage_options
from exbert_ls.store.verify import verify

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
QUERY = "The cat sat on the warm mat."


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without any S3 setting, plus ``extra``."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EXBERT_S3_"))}
    return {**keep, "PYTHONPATH": str(ROOT), "EXBERT_LEASE_TTL_S": "2", **(extra or {})}


def _option_args(weed: weed_server.WeedServer) -> list[str]:
    return [arg for key, value in weed.storage_options().items() for arg in ("--storage-option", f"{key}={value}")]


def _exbert(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exbert_ls", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "cat.txt").write_text(f"{QUERY} The dog slept by the door.\n", encoding="utf-8")
    (folder / "oz.txt").write_text("Dorothy lived in Kansas with Uncle Henry. The house was small.\n", encoding="utf-8")
    (folder / "road.md").write_text("# Road\n\nThey walked along the road of yellow brick.\n", encoding="utf-8")
    return folder


def test_index_search_heads_verify_reindex_on_s3(weed: weed_server.WeedServer, s3_uri: str, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    by_env = _env(weed.env())  # AWS_* credentials + EXBERT_S3_ENDPOINT
    by_options = _env()  # nothing in the environment: --storage-option carries it all
    options = _option_args(weed)

    first = _exbert("index", str(corpus), "--db", s3_uri, "--quiet", "--json", env=by_env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["database"] == s3_uri and len(report["indexed"]) == 3 and report["tokens"] > 20

    found = _exbert("search", QUERY, "--db", s3_uri, "--token", "2", "--layer", "3", "--json", *options, env=by_options)
    assert found.returncode == 0, found.stderr
    top = json.loads(found.stdout)["matches"][0]
    assert top["text"] == QUERY and top["token"]["position"] == 2  # "cat" finds itself

    heads = _exbert("heads", "--db", s3_uri, "--json", *options, env=by_options)
    assert heads.returncode == 0, heads.stderr
    assert json.loads(heads.stdout)["documents"] == 3

    checked = _exbert("verify", "--db", s3_uri, *options, env=by_options)
    assert checked.returncode == 0 and "consistent" in checked.stdout, checked.stdout + checked.stderr

    unreachable = _exbert("heads", "--db", s3_uri, env=by_options, timeout=120)  # no endpoint, no keys
    assert unreachable.returncode == 2 and unreachable.stderr.startswith("exbert: error: cannot reach the database")
    assert len(unreachable.stderr.strip().splitlines()) == 1, unreachable.stderr

    # incremental: one changed, one added, two untouched
    (corpus / "oz.txt").write_text("Aunt Em was the farmer's wife.\n", encoding="utf-8")
    (corpus / "new.txt").write_text("The Scarecrow wanted a brain.\n", encoding="utf-8")
    again = _exbert("index", str(corpus), "--db", s3_uri, "--quiet", "--json", *options, env=by_options)
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert sorted(Path(d).name for d in second["indexed"]) == ["new.txt", "oz.txt"]
    assert len(second["unchanged"]) == 2


def test_second_writer_is_refused_with_exit_2(
    weed: weed_server.WeedServer, s3_uri: str, s3_options, tmp_path: Path
) -> None:
    corpus = _corpus(tmp_path / "corpus")
    with writer_lock(s3_uri):  # this process is the writer
        refused = _exbert("index", str(corpus), "--db", s3_uri, "--quiet", *_option_args(weed), env=_env())
    assert refused.returncode == 2
    assert f"is being written by pid {os.getpid()}" in refused.stderr and "--wait" in refused.stderr


def test_malformed_storage_option_is_a_one_line_error(tmp_path: Path) -> None:
    bad = _exbert("heads", "--db", "s3://b/p", "--storage-option", "allow_http", env=_env())
    assert bad.returncode == 2 and bad.stderr.strip() == "exbert: error: storage option 'allow_http' is not key=value"


def _count(uri: str, table: str, where: str | None = None) -> int:
    try:
        conn = lancedb.connect(uri, storage_options=storage_options(uri))
        return int(conn.open_table(table).count_rows(where))
    except (ValueError, FileNotFoundError, RuntimeError, OSError):
        return 0  # not created yet


def test_kill_9_mid_index_then_rerun_equals_clean_run(
    weed: weed_server.WeedServer, s3_uri: str, s3_options, tmp_path: Path, annotator
) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=16, per_doc=8)
    command = ["index", str(corpus), "--db", s3_uri, "--quiet", "--batch-size", "4", "--pool-sentences", "8"]
    command += ["--flush-tokens", "100", *_option_args(weed)]
    process = subprocess.Popen(
        [sys.executable, "-m", "exbert_ls", *command],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None and _count(s3_uri, "tokens") == 0:
            time.sleep(0.1)
        assert process.poll() is None, f"the run ended before it could be killed: {process.stderr.read()!r}"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert _count(s3_uri, "documents", "status = 'pending'") > 0

    # its lease is still live for up to 2 s: a plain re-run is refused, --wait takes it over
    refused = _exbert(*command, env=_env())
    assert refused.returncode == 2 and "is being written by" in refused.stderr
    rerun = _exbert(*command, "--wait", "--json", env=_env())
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["recovered"]
    assert verify(CorpusDB.open(s3_uri)) == []

    clean = s3_uri + "-clean"
    index_paths([corpus], clean, ModelRunner.load("minilm"), annotator=annotator)
    assert_same_rows(snapshot(s3_uri), snapshot(clean))

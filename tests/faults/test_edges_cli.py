"""Fault tests (issue 10, items 4 and 3): every ordinary CLI mistake exits 2 with one line
``exbert: error: ...`` and no traceback, and loses nothing. The real ``exbert`` runs in a
subprocess on the tiny BERT of tests/conftest.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # edges_support, with or without tests/faults/__init__.py
from edges_support import assert_clear_error, exbert, remount, tmpfs

from exbert_ls.store.db import CorpusDB

TEXT = "The cat sat on the mat. The dog ran far away from home. " * 3


@pytest.fixture(scope="module")
def bert(tiny_model_dirs: dict[str, Path]) -> str:
    return str(tiny_model_dirs["bert"])


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def rows(db: Path) -> tuple[int, int]:
    opened = CorpusDB.open(str(db))
    return opened.num_tokens(), int(opened.documents.count_rows())


def test_lone_surrogate_is_replaced_not_a_traceback(bert: str):
    # an undecodable byte in argv arrives as a lone surrogate (surrogateescape)
    result = exbert("explain", "The cat \udcff sat.", "--model", bert, "--no-annotate", "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "replaced 1 unencodable character(s) with U+FFFD" in result.stderr
    payload = json.loads(result.stdout)
    assert payload["text"] == "The cat \ufffd sat."  # one character for one: offsets unchanged


def test_db_that_is_a_file(tmp_path: Path, doc: Path, bert: str):
    target = tmp_path / "notes.txt"
    target.write_text("my notes\n", encoding="utf-8")
    for args in (
        ("heads",),
        ("search", "The cat", "--token", "1", "--layer", "1"),
        ("index", str(doc), "--model", bert),
    ):
        assert_clear_error(exbert(*args, "--db", str(target)), "is a file")
    assert target.read_text(encoding="utf-8") == "my notes\n"  # nothing lost


@pytest.mark.parametrize("command", [("heads",), ("search", "The cat", "--token", "1", "--layer", "1")])
def test_readers_never_create_a_database_folder(tmp_path: Path, command: tuple[str, ...]):
    missing = tmp_path / "mistyped" / "index"
    assert_clear_error(exbert(*command, "--db", str(missing)), "no corpus index")
    assert not (tmp_path / "mistyped").exists()


def test_html_in_a_missing_folder_is_refused_before_the_model_runs(tmp_path: Path):
    out = tmp_path / "no" / "such" / "page.html"
    # --model nowhere: the path check comes first, so the unknown model is never reached
    assert_clear_error(exbert("explain", "The cat", "--model", "/nowhere", "--html", str(out)), "does not exist")
    assert not out.parent.exists()


def test_db_under_a_missing_or_unwritable_parent(tmp_path: Path, doc: Path, bert: str):
    assert_clear_error(exbert("index", str(doc), "--db", "/proc/exbert/index", "--model", bert), "/proc")
    with tmpfs(tmp_path / "ro", "1m") as ro:
        remount(ro, "ro")
        assert_clear_error(exbert("index", str(doc), "--db", str(ro / "index"), "--model", bert), "read-only")
        assert_clear_error(exbert("explain", "The cat", "--html", str(ro / "p.html")), "read-only")


def test_read_only_database_loses_nothing(tmp_path: Path, doc: Path, bert: str):
    other = tmp_path / "other.txt"
    other.write_text("A second document about rain.\n", encoding="utf-8")
    with tmpfs(tmp_path / "mnt", "64m") as mnt:
        db = mnt / "index"
        assert exbert("index", str(doc), "--db", str(db), "--model", bert, "--quiet").returncode == 0
        before = rows(db)
        remount(mnt, "ro")
        assert_clear_error(exbert("index", str(other), "--db", str(db), "--quiet"), "read-only")
        assert rows(db) == before
        heads = exbert("heads", "--db", str(db), "--json", "--min-support", "1")  # readers still work
        assert heads.returncode == 0, heads.stderr


def test_disk_full_is_one_line_and_a_retry_completes(tmp_path: Path, doc: Path, bert: str):
    clean = tmp_path / "clean"
    assert exbert("index", str(doc), "--db", str(clean), "--model", bert, "--quiet").returncode == 0
    with tmpfs(tmp_path / "small", "96k") as small:
        db = small / "index"
        assert_clear_error(exbert("index", str(doc), "--db", str(db), "--model", bert, "--quiet"), "no space left")
        remount(small, "size=64m")  # space freed: the same command finishes the job
        again = exbert("index", str(doc), "--db", str(db), "--model", bert, "--quiet")
        assert again.returncode == 0, again.stderr
        assert rows(db) == rows(clean)


def test_nothing_indexable_exits_non_zero_with_the_reasons(tmp_path: Path, bert: str):
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n")
    result = exbert("index", "/nope.txt", str(tmp_path / "logo.png"), "--db", str(tmp_path / "db"), "--model", bert)
    line = assert_clear_error(result, "nothing indexed", "/nope.txt: does not exist", "logo.png")
    assert "unsupported file type" in line


def test_over_long_text_is_refused_before_tokenizing(tmp_path: Path, bert: str):
    text = ("All work and no play makes Jack a dull boy. " * 220_000).encode()  # 9.7 MB
    result = exbert("explain", "-", "--model", bert, "--no-annotate", stdin=text)
    assert_clear_error(result, "characters long", "Select a shorter passage")


def test_over_long_text_never_reaches_the_tokenizer(tiny_runners, monkeypatch, capsys):
    from exbert_ls import cli
    from exbert_ls.model.runner import ModelRunner

    runner = tiny_runners["bert"]
    calls: list[int] = []
    real = type(runner)._encode
    monkeypatch.setattr(type(runner), "_encode", lambda self, texts: calls.append(len(texts[0])) or real(self, texts))
    monkeypatch.setattr(ModelRunner, "load", classmethod(lambda cls, *a, **k: runner))
    monkeypatch.setattr(sys, "stdin", type("S", (), {"read": lambda self: "word " * 2_000_000})())
    assert cli.main(["explain", "-", "--no-annotate"]) == 2
    assert calls == []
    assert "characters long" in capsys.readouterr().err

"""Damaged databases: a clear error naming the table, `exbert verify` lists it, `--repair` plus
`exbert index` restore exactly a clean run's rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_index_incremental import assert_same_rows, snapshot, write_corpus

from exbert_ls.cli import main
from exbert_ls.errors import DatabaseDamagedError
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, index_paths
from exbert_ls.store.verify import verify


@pytest.fixture()
def built(tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator) -> tuple[Path, str, str]:
    """A corpus indexed in two runs (so the tokens table has an older version), and a clean run."""
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=4, per_doc=4)
    later = corpus / "doc03.txt"
    kept = later.read_text(encoding="utf-8")
    later.unlink()
    uri = str(tmp_path / "db")
    bert = tiny_runners["bert"]
    index_paths([corpus], uri, bert, annotator=annotator)
    later.write_text(kept, encoding="utf-8")
    index_paths([corpus], uri, bert, annotator=annotator)
    clean = str(tmp_path / "clean")
    index_paths([corpus], clean, bert, annotator=annotator)
    return corpus, uri, clean


def _verify(uri: str, capsys, *extra: str) -> tuple[int, dict]:
    code = main(["verify", "--db", uri, "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _lose_manifests(uri: str, table: str) -> None:
    """Delete the manifests that hold the second run's rows, as a lost object-store write would."""
    handle = CorpusDB.open(uri).table(table)
    rows = handle.count_rows()
    versions = sorted(int(v["version"]) for v in handle.list_versions())
    older = []
    for version in versions:
        handle.checkout(version)
        if handle.count_rows() < rows:
            older.append(version)
    last_short = max(older)
    for path in (Path(uri) / f"{table}.lance" / "_versions").iterdir():
        # lance names manifest v as u64::MAX - v; the latest_version_hint goes too
        if path.suffix != ".manifest" or 2**64 - 1 - int(path.stem) > last_short:
            path.unlink()


def _newest(folder: Path) -> Path:
    return max(folder.iterdir(), key=lambda p: (p.stat().st_mtime_ns, p.name))


def test_consistent_database_verifies(built, capsys) -> None:
    _corpus, uri, _clean = built
    code, result = _verify(uri, capsys)
    assert (code, result["consistent"], result["problems"]) == (0, True, [])


def test_lost_manifest_is_found_and_the_next_index_restores_the_rows(built, capsys, tiny_runners, annotator) -> None:
    corpus, uri, clean = built
    _lose_manifests(uri, "tokens")  # the tokens of doc03 vanish, the documents table still counts them
    code, result = _verify(uri, capsys)
    assert code == 1 and any("doc03.txt" in p for p in result["problems"]), result
    report = index_paths([corpus], uri, tiny_runners["bert"], annotator=annotator)
    assert [Path(d).name for d in report.indexed] == ["doc03.txt"]  # same hash, re-indexed anyway
    assert verify(CorpusDB.open(uri)) == []
    assert_same_rows(snapshot(uri), snapshot(clean))


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_damaged_data_file_is_a_clear_error_then_repair_and_index_restore_the_rows(
    built, capsys, tiny_runners, annotator, damage: str
) -> None:
    corpus, uri, clean = built
    newest = _newest(Path(uri) / "tokens.lance" / "data")
    if damage == "truncate":
        os.truncate(newest, newest.stat().st_size // 2)
    else:
        newest.unlink()
    with pytest.raises(DatabaseDamagedError, match="table 'tokens'.*exbert verify --repair"):
        index_paths([corpus], uri, tiny_runners["bert"], annotator=annotator)
    code, result = _verify(uri, capsys)
    assert code == 1 and result["unreadable"] and result["unreadable"][0].startswith("tokens:"), result
    code, result = _verify(uri, capsys, "--repair")
    assert code == 0, result
    assert any("restored version" in r for r in result["repaired"]), result
    assert [Path(d).name for d in result["reindex"]] == ["doc03.txt"]
    report = index_paths([corpus], uri, tiny_runners["bert"], annotator=annotator)
    assert [Path(d).name for d in report.indexed] == ["doc03.txt"]
    assert verify(CorpusDB.open(uri)) == []
    assert_same_rows(snapshot(uri), snapshot(clean))


def test_duplicate_rows_are_found_and_repaired(built, capsys, tiny_runners, annotator) -> None:
    corpus, uri, clean = built
    db = CorpusDB.open(uri)
    doc = next(d for d in db.document_states() if d.endswith("doc01.txt"))
    rows = db.tokens.search().where(f"doc = '{doc}'").limit(None).to_arrow()
    db.tokens.add(rows.slice(0, 3))  # what two interleaved writers used to leave
    code, result = _verify(uri, capsys)
    assert code == 1 and any("duplicate (sentence, position)" in p for p in result["problems"]), result
    code, result = _verify(uri, capsys, "--repair")
    assert code == 0 and [Path(d).name for d in result["reindex"]] == ["doc01.txt"], result
    index_paths([corpus], uri, tiny_runners["bert"], annotator=annotator)
    assert_same_rows(snapshot(uri), snapshot(clean))


def test_verify_without_a_database_cannot_run(tmp_path: Path, capsys) -> None:
    assert main(["verify", "--db", str(tmp_path / "nope")]) == 2
    assert not (tmp_path / "nope").exists()

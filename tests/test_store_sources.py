"""Walking corpus folders (ignore rules, symlink loops) and reading files safely."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exbert_ls.errors import UnreadableInputError, UnsupportedContentError
from exbert_ls.store import sources as sources_module
from exbert_ls.store.sources import Source, iter_text, read_source, scan_source, walk


def _write(path: Path, text: str | bytes = "Some prose.\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _docs(found) -> list[str]:
    return [os.path.relpath(s.doc, found.roots[0]) for s in found.sources]


def test_walk_reads_text_and_conllu_and_prunes_tool_folders(tmp_path: Path) -> None:
    for name in ("a.txt", "b.md", "c.rst", "d.markdown", "e.text", "f.conllu", "sub/g.TXT"):
        _write(tmp_path / name)
    for pruned in (
        ".git/x.txt",
        "node_modules/pkg/readme.md",
        "__pycache__/y.txt",
        "venv/lib/z.txt",
        ".exbert/index/notes.txt",
        "db/tokens.lance/data/x.txt",
        ".pytest_cache/README.md",
    ):
        _write(tmp_path / pruned)
    _write(tmp_path / "venv" / "pyvenv.cfg", "home = /usr\n")
    found = walk([tmp_path])
    assert _docs(found) == ["a.txt", "b.md", "c.rst", "d.markdown", "e.text", "f.conllu", "sub/g.TXT"]
    assert {s.kind for s in found.sources if s.doc.endswith(".conllu")} == {"conllu"}
    assert found.skipped == []


def test_walk_skips_other_types_with_a_reason(tmp_path: Path) -> None:
    _write(tmp_path / "code.py", "print(1)\n")
    _write(tmp_path / "LICENSE")
    found = walk([tmp_path])
    reasons = {os.path.basename(s.doc): s.reason for s in found.skipped}
    assert reasons == {"code.py": "unsupported file type (.py)", "LICENSE": "unsupported file type (no extension)"}


def test_gitignore_rules_apply_at_every_depth_but_not_to_named_files(tmp_path: Path) -> None:
    _write(tmp_path / ".gitignore", "build/\n*.log.txt\n!keep.log.txt\n")
    _write(tmp_path / "build" / "out.txt")
    _write(tmp_path / "x.log.txt")
    _write(tmp_path / "keep.log.txt")
    _write(tmp_path / "deep" / ".gitignore", "secret.md\n")
    _write(tmp_path / "deep" / "secret.md")
    _write(tmp_path / "deep" / "public.md")
    _write(tmp_path / "other" / "secret.md")
    assert _docs(walk([tmp_path])) == ["deep/public.md", "keep.log.txt", "other/secret.md"]
    named = walk([tmp_path / "x.log.txt"])
    assert [s.path for s in named.sources] == [tmp_path / "x.log.txt"]


def test_symlink_loops_and_broken_links_are_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "a.txt")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")  # folder loop
    os.symlink(tmp_path / "self.txt", tmp_path / "self.txt")  # file loop
    os.symlink(tmp_path / "missing.txt", tmp_path / "broken.txt")
    found = walk([tmp_path])
    assert _docs(found) == ["d/a.txt"]
    reasons = {os.path.relpath(s.doc, tmp_path): s.reason for s in found.skipped}
    assert reasons == {
        "broken.txt": "broken symlink",
        "d/loop": "symlink loop (folder already visited)",
        "self.txt": "symlink loop",
    }


def test_symlinks_out_of_the_root_are_skipped_and_inside_ones_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "ws", tmp_path / "outside"
    _write(root / "own.txt")
    _write(root / "sub" / "deep.txt")
    _write(outside / "secret.txt")
    _write(outside / "d" / "more.txt")
    os.symlink(outside / "secret.txt", root / "leak.txt")  # file out of the root
    os.symlink(outside / "d", root / "leakdir")  # folder out of the root
    os.symlink("../../outside", root / "sub" / "up")  # relative, climbing out
    os.symlink(root / "sub" / "deep.txt", root / "alias.txt")  # inside: followed
    os.symlink(root / "sub", root / "subalias")  # inside: followed (not a loop: sub is not an ancestor)
    found = walk([root])
    assert _docs(found) == ["alias.txt", "own.txt", "sub/deep.txt", "subalias/deep.txt"]
    reasons = {os.path.relpath(s.doc, root): s.reason for s in found.skipped}
    assert reasons == {
        "leak.txt": "symlink to outside the folder indexed",
        "leakdir": "symlink to outside the folder indexed",
        "sub/up": "symlink to outside the folder indexed",
        "subalias/up": "symlink to outside the folder indexed",  # the same link, reached again
    }
    # a root that is itself a symlink is resolved first: its own files are inside it
    os.symlink(root, tmp_path / "wslink")
    assert len(walk([tmp_path / "wslink"]).sources) == 4
    # a path named explicitly is read wherever it points
    assert [s.path.name for s in walk([root / "leak.txt"]).sources] == ["leak.txt"]


def test_missing_path_is_reported(tmp_path: Path) -> None:
    found = walk([tmp_path / "nope"])
    assert [(os.path.basename(s.doc), s.reason) for s in found.skipped] == [("nope", "does not exist")]


def test_doc_keys_are_absolute_whatever_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "corpus" / "a.txt")
    key = str(tmp_path / "corpus" / "a.txt")
    monkeypatch.chdir(tmp_path)
    assert [s.doc for s in walk(["./corpus/"]).sources] == [key]
    monkeypatch.chdir(tmp_path / "corpus")
    assert [s.doc for s in walk(["."]).sources] == [key]
    assert walk(["."]).covers(key)
    assert not walk(["."]).covers(str(tmp_path / "corpus2" / "a.txt"))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"text\x00with a NUL", "binary file (NUL bytes)"),
        (b"caf\xe9 au lait", "not UTF-8 (byte 0xe9 at offset 3)"),
    ],
)
def test_unindexable_content_raises_with_the_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = _write(tmp_path / "bad.txt", content)
    with pytest.raises(UnsupportedContentError) as caught:
        read_source(Source(str(path), path, "text"), max_bytes=2**20)
    assert str(caught.value) == reason


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with open(path, "wb") as handle:
        handle.truncate(3 * 2**20)  # sparse: no 3 MiB written
    with pytest.raises(UnsupportedContentError, match=r"too large: 3\.0 MiB > 1 MiB"):
        read_source(Source(str(path), path, "text"), max_bytes=2**20)


def test_read_returns_hash_and_text_without_bom(tmp_path: Path) -> None:
    path = _write(tmp_path / "bom.txt", "\ufeffHello wörld".encode())
    digest, text = read_source(Source(str(path), path, "text"), max_bytes=2**20)
    assert text == "Hello wörld"
    import hashlib

    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_vanished_file_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    with pytest.raises(UnreadableInputError, match="deleted during the run"):
        read_source(Source(str(path), path, "text"), max_bytes=2**20)


@pytest.mark.parametrize("block", [1, 2, 3, 5, 4096])
def test_streaming_scan_and_text_match_a_whole_read_at_any_block_size(
    tmp_path: Path, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    data = "\ufeffCafé wörld — ✓ 日本語.\n\nSecond paragraph.\n".encode()
    path = _write(tmp_path / "u.txt", data)
    source = Source(str(path), path, "text")
    monkeypatch.setattr(sources_module, "READ_BLOCK", block)  # multi-byte characters cut by blocks
    scanned = scan_source(source, max_bytes=2**20)
    whole = data.decode("utf-8-sig")
    assert scanned.digest == hashlib.sha256(data).hexdigest() and scanned.chars == len(whole)
    assert "".join(iter_text(source, block_size=block)) == whole


@pytest.mark.parametrize("block", [1, 4, 4096])
def test_bad_utf8_offset_is_absolute_across_blocks(tmp_path: Path, block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "bad.txt", "héllo wörld ".encode() * 3 + b"caf\xe9!")
    monkeypatch.setattr(sources_module, "READ_BLOCK", block)
    with pytest.raises(UnsupportedContentError, match=r"not UTF-8 \(byte 0xe9 at offset 45\)"):
        scan_source(Source(str(path), path, "text"), max_bytes=2**20)
    truncated = _write(tmp_path / "cut.txt", b"ok " + "é".encode()[:1])  # ends mid-character
    with pytest.raises(UnsupportedContentError, match=r"byte 0xc3 at offset 3"):
        scan_source(Source(str(truncated), truncated, "text"), max_bytes=2**20)

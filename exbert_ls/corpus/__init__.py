"""The embedded default corpus: English prose every Python installation carries.

``pydoc_topics`` defines it (which text, which parts kept); :func:`default_corpus_paths` writes
it on demand to a cache folder, one file per topic, so re-indexing it is incremental, and
``exbert index`` with no path indexes it. It lives inside the package so a wheel carries it
(no top-level ``corpus`` module is installed).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$EXBERT_CACHE`` else ``$XDG_CACHE_HOME/exbert-ls`` else ``~/.cache/exbert-ls``."""
    if os.environ.get("EXBERT_CACHE"):
        return Path(os.environ["EXBERT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "exbert-ls"


def default_corpus_paths(cache_dir: Path | None = None) -> list[Path]:
    """Write the default corpus (if missing or stale) and return its folder as the one path.

    Files are rewritten only when their text changed, and files of topics that no longer
    exist are removed, so an index of this folder stays incremental across Python versions.
    """
    from exbert_ls.corpus import pydoc_topics

    folder = (cache_dir or cache_root() / "corpus") / pydoc_topics.NAME
    folder.mkdir(parents=True, exist_ok=True)
    documents = pydoc_topics.documents()
    for stem, text in documents.items():
        path = folder / f"{stem}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # atomic: an indexer never reads a half-written topic
    wanted = {f"{stem}.txt" for stem in documents}
    for stale in folder.glob("*.txt"):
        if stale.name not in wanted:
            stale.unlink()
    return [folder]

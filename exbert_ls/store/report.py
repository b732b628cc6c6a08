"""What an indexing run tells its caller: progress while it runs, a report at the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from exbert_ls.payloads.index import IndexReport

AnnMode = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class IndexConfig:
    """Tuning of an indexing run. Defaults suit MiniLM on a laptop; ``None`` means "auto".

    Attributes
    ----------
    ann:
        Vector indexes: ``auto`` builds or refreshes LanceDB ANN indexes once the tokens table
        has ``ANN_MIN_ROWS`` rows (smaller tables are searched exactly, in memory, the moment
        their rows are committed); ``always`` builds them whatever the size; ``never`` skips.
    batch_size:
        Sentences per model forward (length-sorted).
    pool_sentences:
        Sentences gathered before sorting them into batches (more: less padding, more memory).
        The first pools of each group of documents are smaller (:meth:`pool_limit`).
    flush_tokens:
        Token rows per append (one LanceDB fragment); a flush also marks finished documents.
    group_bytes:
        Documents are claimed (marked ``pending``) in groups of about this many bytes.
    chunk_chars:
        Largest piece of text handed to spaCy at once.
    max_file_bytes:
        Larger files are skipped with a reason.
    overlap:
        Annotate (spaCy) in a background thread while the model runs. Off by default: on 2
        cores torch already keeps both busy and the thread gained nothing (benchmarks.md).
    spacy_process:
        Annotate in a forked child process, ahead of the model (``None``: when a group of
        documents holds at least ``indexer.CHILD_MIN_CHARS`` characters of text, on platforms
        that fork). Takes precedence over ``overlap``.
    forward_ahead:
        Run the model's next batch in a thread while this one's rows are built (at most one
        batch more in memory; a cancel waits for the forward in flight). On by default: 100 kB
        of the Wizard of Oz indexed in 12.7 s against 15.4 without it (docs/benchmarks.md).
    """

    ann: AnnMode = "auto"
    batch_size: int = 32
    pool_sentences: int = 512
    flush_tokens: int = 8192
    group_bytes: int = 2_000_000
    chunk_chars: int = 20_000
    max_file_bytes: int = 32 * 2**20
    overlap: bool = False
    spacy_process: bool | None = None
    forward_ahead: bool = True

    def pool_limit(self, pools_run: int) -> int:
        """Sentences the pool after ``pools_run`` earlier ones (in this group) holds: one batch,
        then doubling up to ``pool_sentences``. A group starts with spaCy alone, so a full
        first pool kept the model waiting while spaCy annotated 512 sentences on one core.
        A fixed sequence, not a timing: every engine and every run batches the same way."""
        return min(self.pool_sentences, self.batch_size << min(pools_run, 16))


@dataclass(frozen=True)
class IndexProgress:
    files_done: int
    files_total: int
    sentences: int
    tokens: int
    tokens_per_s: float
    current: str
    """The document being read ("" between documents)."""
    fraction: float
    """0..1, by bytes of the files to read."""


# the report is a payload (``exbert index --json``, ``exbert.indexWorkspace``): typed there
__all__ = ["AnnMode", "IndexConfig", "IndexProgress", "IndexReport"]

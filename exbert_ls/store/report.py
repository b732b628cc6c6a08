"""What an indexing run tells its caller: progress while it runs, a report at the end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

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
    """

    ann: AnnMode = "auto"
    batch_size: int = 32
    pool_sentences: int = 512
    flush_tokens: int = 8192
    group_bytes: int = 2_000_000
    chunk_chars: int = 20_000
    max_file_bytes: int = 32 * 2**20
    overlap: bool = False


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


@dataclass
class IndexReport:
    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(path, reason)`` for every file not indexed."""
    dropped: list[tuple[str, str]] = field(default_factory=list)
    """``(path, reason)`` for single sentences left out of an indexed document."""
    sentences: int = 0
    tokens: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    recovered: list[str] = field(default_factory=list)
    """Documents a killed or cancelled earlier run left half-written (dropped, then re-indexed)."""
    ann: str = ""
    """What happened to the vector indexes."""
    ann_seconds: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        lines = [
            f"{'cancelled' if self.cancelled else 'done'}: indexed {len(self.indexed)}, "
            f"unchanged {len(self.unchanged)}, removed {len(self.removed)}, skipped {len(self.skipped)}",
            f"{self.sentences:,} sentences, {self.tokens:,} tokens in {self.seconds:.1f} s "
            f"({self.tokens_per_s:,.0f} tokens/s)",
        ]
        if self.dropped:
            lines.append(f"left out {len(self.dropped)} sentences (first: {self.dropped[0][0]}: {self.dropped[0][1]})")
        if self.recovered:
            lines.append(f"recovered {len(self.recovered)} half-written documents from an interrupted run")
        if self.ann:
            lines.append(f"vector indexes: {self.ann}")
        reasons = Counter(reason for _doc, reason in self.skipped)
        for reason, count in reasons.most_common():
            examples = [doc for doc, r in self.skipped if r == reason][:3]
            more = f" (+{count - len(examples)} more)" if count > len(examples) else ""
            lines.append(f"  skipped {count} × {reason}: {', '.join(examples)}{more}")
        return "\n".join(lines)

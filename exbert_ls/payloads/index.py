"""What an indexing run reports (``IndexReport``) and the ``exbert.index/1`` result."""

from __future__ import annotations

from collections import Counter
from typing import Final, Literal

import attrs

INDEX_SCHEMA: Final = "exbert.index/1"


@attrs.define(kw_only=True)
class IndexReport:
    """Filled in by the indexer as it runs."""

    indexed: list[str] = attrs.field(factory=list)
    """Documents (re)indexed."""
    unchanged: list[str] = attrs.field(factory=list)
    """Documents already indexed with the same content."""
    removed: list[str] = attrs.field(factory=list)
    """Documents gone from the paths, dropped from the index."""
    skipped: list[tuple[str, str]] = attrs.field(factory=list)
    """``(path, reason)`` for every file not indexed."""
    dropped: list[tuple[str, str]] = attrs.field(factory=list)
    """``(path, reason)`` for single sentences left out of an indexed document."""
    sentences: int = 0
    """Sentences written."""
    tokens: int = 0
    """Token rows written."""
    seconds: float = 0.0
    """Wall time of the run."""
    cancelled: bool = False
    """The run was cancelled (finished documents are kept)."""
    recovered: list[str] = attrs.field(factory=list)
    """Documents a killed or cancelled earlier run left half-written (dropped, then re-indexed)."""
    ann: str = ""
    """What happened to the vector indexes."""
    ann_seconds: float = 0.0
    """Time spent on them."""

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        """A few readable lines (the ``summary`` of :class:`IndexResult`)."""
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


@attrs.define(kw_only=True)
class IndexResult(IndexReport):
    """``exbert.indexWorkspace`` / ``exbert index --json``: the report, where it went, in words."""

    schema: Literal["exbert.index/1"] = INDEX_SCHEMA
    """Payload schema tag."""
    database: str
    """The database written."""
    summary: str
    """:meth:`IndexReport.describe`: the report as readable lines."""

    @classmethod
    def of(cls, report: IndexReport, database: str) -> IndexResult:
        fields = {a.name: getattr(report, a.name) for a in attrs.fields(IndexReport)}
        return cls(database=database, summary=report.describe(), **fields)

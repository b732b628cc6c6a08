"""Result of ``exbert verify``: the consistency report of a corpus database."""

from __future__ import annotations

import attrs


@attrs.define(kw_only=True)
class VerifyResult:
    """What ``exbert verify [--repair]`` found (and did) in one database."""

    database: str
    """The database location checked."""
    consistent: bool
    """True when no problem was found (after the repair, with ``--repair``)."""
    problems: list[str] = attrs.field(factory=list)
    """Every broken invariant found, one sentence each."""
    unreadable: list[str] = attrs.field(factory=list)
    """Tables that could not be read at all, each with the reason."""
    repaired: list[str] = attrs.field(factory=list)
    """What ``--repair`` did, one sentence per action (empty without ``--repair``)."""
    reindex: list[str] = attrs.field(factory=list)
    """Documents marked ``damaged``: the next ``exbert index`` re-indexes them."""

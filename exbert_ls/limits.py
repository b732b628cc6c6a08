"""Limits and defaults every face of the library shares (CLI, server settings, search): one
definition each, so a client, the settings and the library cannot disagree."""

from __future__ import annotations

from collections.abc import Sequence

from exbert_ls.errors import InvalidInputError

MAX_K = 1000
"""Most matches one search returns (the payload carries context per match)."""

DEFAULT_K = 50
"""Matches a search returns when the caller does not say (CLI ``--k``, setting ``exbert.k``)."""


def check_k(k: int) -> int:
    """``k`` if it is 1..MAX_K, else InvalidInputError (the server turns it into a JSON-RPC error)."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k = {k}: ask for 1..{MAX_K} matches")
    return k


def check_layer(layer: int, *, by: str, num_layers: int) -> int:
    """``layer`` if the search kind has it: hidden states 0..L (0 = embeddings), contexts 1..L."""
    if by not in ("embedding", "context"):
        raise InvalidInputError(f"search by {by!r}? expected 'embedding' or 'context'")
    low = 0 if by == "embedding" else 1
    if not low <= layer <= num_layers:
        what = "hidden states" if by == "embedding" else "contexts"
        raise InvalidInputError(
            f"layer {layer} is out of range: {what} exist for layers {low}..{num_layers}"
            + (" (0 = embeddings)" if by == "embedding" else " (1-based)")
        )
    return layer


def check_heads(heads: Sequence[int] | None, num_heads: int) -> tuple[int, ...] | None:
    """The chosen heads sorted (``None`` = all), or InvalidInputError: empty, out of 0..H-1, repeated."""
    if heads is None:
        return None
    chosen = tuple(int(h) for h in heads)
    if not chosen:
        raise InvalidInputError("no heads chosen; give at least one head, or none for all heads")
    bad = [h for h in chosen if not 0 <= h < num_heads]
    if bad:
        raise InvalidInputError(f"head {bad[0]} is out of range: heads are numbered 0..{num_heads - 1} (0-based)")
    if len(set(chosen)) != len(chosen):
        raise InvalidInputError(f"heads {list(chosen)} repeat a head; give each head once")
    return tuple(sorted(chosen))

"""Limits and defaults every face of the library shares (CLI, server settings, search): one
definition each, so a client, the settings and the library cannot disagree."""

from __future__ import annotations

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

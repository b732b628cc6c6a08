"""Turn one token of a query text into the vector the corpus is searched with.

The query goes through exactly the computation the corpus rows went through: the same
runner output (``runner.run(text, contexts=True)``) and the same normalisation
(:mod:`exbert_ls.model.vectors`). Context search over ``h`` chosen heads uses the query
masked to those heads and scaled by ``1/h``: its dot product with a stored row (unit per
head) is the mean of the per-head cosines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from exbert_ls.errors import IndexMismatchError, InvalidInputError
from exbert_ls.limits import check_heads, check_layer
from exbert_ls.model.activations import Activations
from exbert_ls.model.names import context_column, hidden_column
from exbert_ls.model.vectors import head_mask, normalized_contexts, normalized_hidden

SearchBy = Literal["embedding", "context"]


@dataclass(frozen=True)
class QueryVector:
    """A validated query: which column to search, and the vector to score rows with."""

    column: str
    """Vector column of the tokens table (``hs{l}`` or ``ctx{l}``)."""
    vector: np.ndarray
    """``[D]`` float32; ``rows @ vector`` is the similarity shown to the user."""
    by: SearchBy
    layer: int
    heads: tuple[int, ...] | None
    """Heads chosen for context search (None = all); for embedding search, the heads whose
    max-attended tokens are reported (None = all heads of the layer)."""
    token: int


def query_vector(
    query: Activations,
    token: int,
    layer: int,
    *,
    by: SearchBy,
    heads: Sequence[int] | None,
    num_layers: int,
    num_heads: int,
) -> QueryVector:
    """Validate the request against the query's own shape and build the search vector."""
    if query.hidden.shape[0] != num_layers + 1:
        raise IndexMismatchError(
            f"the query has {query.hidden.shape[0] - 1} layers but the index was built by a model "
            f"with {num_layers}: search with the model that built the index"
        )
    check_layer(layer, by=by, num_layers=num_layers)
    n = len(query.tokens)
    if not 0 <= token < n:
        raise InvalidInputError(f"token {token} is out of range: the query has tokens 0..{n - 1}")
    if query.tokens[token].special:
        raise InvalidInputError(
            f"token {token} is the special token {query.tokens[token].text!r}; special tokens are not searchable"
        )
    chosen = check_heads(heads, num_heads)
    if by == "embedding":
        vector = normalized_hidden(query.hidden[layer, token])
        return QueryVector(hidden_column(layer), vector, by, layer, chosen, token)
    if query.contexts is None:
        raise InvalidInputError("context search needs the query's contexts: run it with contexts=True")
    ctx = normalized_contexts(query.contexts[layer - 1, token], num_heads)
    d_head = ctx.shape[-1] // num_heads
    count = num_heads if chosen is None else len(chosen)
    mask = head_mask(None if chosen is None else list(chosen), num_heads, d_head)
    return QueryVector(context_column(layer), ctx * mask / count, by, layer, chosen, token)

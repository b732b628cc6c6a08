"""Column names and layer numbering: the one place that spells them.

Layer numbering is the project's single convention:

* hidden state ``l`` for ``l = 0..L`` (column ``hs{l}``) is the *output* of layer ``l``
  (1-based), and ``l = 0`` is the embedding output;
* attention and per-head contexts (``hook_z``, column ``ctx{l}``) for ``l = 1..L`` are
  those *inside* layer ``l``; "auto" is ``None`` (JSON ``null``), resolved by
  :func:`default_layer`.

(TransformerLens-style ``act_name()`` strings used to live here but nothing called them:
the columns below are the names the code actually uses.)

So attention ``l`` and hidden state ``l`` belong to the same layer (exBERT
paired hidden state ``l`` with the input of layer ``l``; we do not).
"""

from __future__ import annotations

from typing import Literal

from exbert_ls.errors import InvalidInputError

ColumnKind = Literal["embedding", "context"]


def default_layer(num_layers: int) -> int:
    """The layer used when none is chosen (``null`` / ``None`` = "auto"): the middle block,
    ``L // 2``, at least 1. The one statement of this rule (server settings, search, panel)."""
    return max(1, num_layers // 2)


def hidden_column(layer: int) -> str:
    """Vector column holding hidden state ``layer`` (0 = embeddings) in a corpus table."""
    return f"hs{layer}"


def context_column(layer: int) -> str:
    """Vector column holding the per-head contexts of layer ``layer`` (1-based)."""
    return f"ctx{layer}"


def parse_column(column: str) -> tuple[ColumnKind, int]:
    """``"hs4" -> ("embedding", 4)``, ``"ctx3" -> ("context", 3)``: the inverse of the two above."""
    ctx, hs = column.removeprefix("ctx"), column.removeprefix("hs")
    if ctx != column and ctx.isdigit() and int(ctx) >= 1:
        return "context", int(ctx)
    if hs != column and hs.isdigit():
        return "embedding", int(hs)
    raise InvalidInputError(f"unknown vector column {column!r}; expected hs0..hsL or ctx1..ctxL")

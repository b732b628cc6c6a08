"""Tokens spelled for people: one function for the CLI and the panel (payloads carry it).

Byte-level BPE (GPT-2, Llama 3, SmolLM2) spells a leading space ``Ġ`` and a newline ``Ċ``;
SentencePiece spells the space ``▁``. We show the decoded text with a visible space ``·``
and newline ``↵`` (``Ġcapital`` -> ``·capital``); WordPiece continuations keep ``##`` and
special tokens their own name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SPACE = "·"
NEWLINE = "↵"


def display_tokens(tokenizer: Any, ids: Sequence[int]) -> list[str]:
    """Display text of each vocabulary id (see module docstring)."""
    names = tokenizer.convert_ids_to_tokens(list(ids))
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    out = []
    for tid, name in zip(ids, names):
        name = str(name)
        if tid in special or name.startswith("##"):
            out.append(name)
            continue
        text = tokenizer.convert_tokens_to_string([name])
        if not text or "\ufffd" in text:
            # A lone byte of a multi-byte character: decoding alone gives U+FFFD; keep the piece.
            text = name.replace("Ġ", " ").replace("▁", " ").replace("Ċ", "\n")
        out.append(text.replace(" ", SPACE).replace("\n", NEWLINE).replace("\t", "⇥"))
    return out

"""Model-only head probes: induction, duplicate-token, previous-token and sink scores.

Olsson et al. 2022 ("In-context learning and induction heads"): on a sequence of random
tokens repeated twice, ``x_1..x_n x_1..x_n``, an **induction head** attends from each token
of the second copy to the token *after* its earlier occurrence, a **duplicate-token head**
to the earlier occurrence itself, a **previous-token head** to position −1. The **sink**
score (Xiao et al. 2023) is the mean attention to position 0 over all later queries.

Scores need no corpus: they are computed once per weights fingerprint and cached on disk
(``<user cache>/probes/<fingerprint>-v1.json``). The tokenizer's own special tokens wrap each
sequence as they would wrap a text ([CLS] ... [SEP], a BOS, or nothing).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from exbert_ls.model.embedded import cache_dir
from exbert_ls.model.result_cache import read_cached, write_cached
from exbert_ls.payloads.analysis import ProbeHead, ProbeResult

if TYPE_CHECKING:
    import torch

    from exbert_ls.model.runner import ModelRunner

log = logging.getLogger(__name__)

VERSION = 1
SEQUENCES = 8
LENGTH = 40
SEED = 0
THRESHOLDS: dict[str, float] = {"induction": 0.4, "duplicate": 0.4, "previous": 0.5, "sink": 0.5}
"""Score from which a head gets the role (docs/heads.md); checked in this order."""


def special_wrapping(tokenizer: object) -> tuple[list[int], list[int]]:
    """Ids the tokenizer puts before and after a text's own tokens."""
    inner = tokenizer("a", add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    outer = tokenizer("a", add_special_tokens=True)["input_ids"]  # type: ignore[operator]
    for start in range(len(outer) - len(inner) + 1):
        if outer[start : start + len(inner)] == inner:
            return list(outer[:start]), list(outer[start + len(inner) :])
    return [], []


def repeated_sequences(
    runner: ModelRunner, sequences: int = SEQUENCES, length: int = LENGTH, seed: int = SEED
) -> tuple[torch.Tensor, int]:
    """``[B, T]`` input ids (prefix, n random tokens, the same n again, suffix) and the prefix length."""
    import torch

    tokenizer = runner.tokenizer
    vocab = min(len(tokenizer), int(runner.model.config.vocab_size))
    special = set(tokenizer.all_special_ids or [])
    allowed = np.array([i for i in range(vocab) if i not in special])
    rng = np.random.default_rng(seed)
    random = allowed[rng.integers(0, len(allowed), size=(sequences, length))]
    prefix, suffix = special_wrapping(tokenizer)
    rows = np.concatenate(
        [np.tile(prefix, (sequences, 1)), random, random, np.tile(suffix, (sequences, 1))], axis=1
    ).astype(np.int64)
    return torch.from_numpy(rows), len(prefix)


def attention_on(runner: ModelRunner, ids: Any) -> np.ndarray:
    """``[B, L, H, T, T]`` attention of the bare model on raw ``[B, T]`` input ids (no padding)."""
    import torch  # here, not at import: head summaries read the cache without torch

    with runner._lock, torch.inference_mode():
        out = runner.base_model(
            input_ids=ids.to(runner.info.device), attention_mask=torch.ones_like(ids), output_attentions=True
        )
    return torch.stack(list(out.attentions), dim=1).float().cpu().numpy()


def probe_scores(attention: np.ndarray, offset: int, length: int) -> dict[str, np.ndarray]:
    """Scores ``[L, H]`` from the attention of repeated sequences (``offset`` = prefix length)."""
    j = np.arange(length - 1)  # the last token's "next" would be the second copy's start
    query = offset + length + j
    first = offset + j
    a = attention  # [B, L, H, T, T]
    later = np.arange(1, a.shape[-1])
    return {
        "induction": a[..., query, first + 1].mean(axis=(0, -1)),
        "duplicate": a[..., query, first].mean(axis=(0, -1)),
        "previous": a[..., query, query - 1].mean(axis=(0, -1)),
        "sink": a[..., later, 0].mean(axis=(0, -1)),
    }


def _role(scores: dict[str, float]) -> str:
    return next((name for name, cut in THRESHOLDS.items() if scores[name] >= cut), "none")


def _cache_path(fingerprint: str) -> Path:
    return cache_dir() / "probes" / f"{fingerprint}-v{VERSION}.json"


def probe(runner: ModelRunner, *, use_cache: bool = True) -> ProbeResult:
    """Every head's probe scores, from the on-disk cache when this model's weights were seen."""
    fingerprint = runner.fingerprint()
    path = _cache_path(fingerprint)
    cached = read_cached(path, ProbeResult) if use_cache else None
    if cached is not None:
        cached.model, cached.cached, cached.seconds = runner.info.name, True, 0.0
        return cached
    started = time.perf_counter()
    ids, offset = repeated_sequences(runner)
    scores = probe_scores(attention_on(runner, ids), offset, LENGTH)
    heads = []
    for l in range(runner.info.num_layers):
        for h in range(runner.info.num_heads):
            values = {name: round(float(s[l, h]), 4) for name, s in scores.items()}
            heads.append(ProbeHead(layer=l + 1, head=h, **values, role=_role(values)))
    result = ProbeResult(
        model=runner.info.name,
        fingerprint=fingerprint,
        sequences=SEQUENCES,
        length=LENGTH,
        seed=SEED,
        thresholds=dict(THRESHOLDS),
        heads=heads,
        seconds=round(time.perf_counter() - started, 3),
    )
    if use_cache:
        write_cached(path, result)
    return result


def cached_induction(fingerprint: str) -> np.ndarray | None:
    """``[L, H]`` induction scores of the weights ``fingerprint`` if ``exbert probe`` cached
    them (never computes: head summaries must not load a model)."""
    result = read_cached(_cache_path(fingerprint), ProbeResult) if fingerprint else None
    if result is None:
        return None
    layers = max(h.layer for h in result.heads)
    scores = np.zeros((layers, len(result.heads) // layers))
    for h in result.heads:
        scores[h.layer - 1, h.head] = h.induction
    return scores


def top_heads(result: ProbeResult, score: str, n: int) -> list[ProbeHead]:
    """The ``n`` heads with the highest ``score`` (``induction``, ``sink``...)."""
    return sorted(result.heads, key=lambda h: -getattr(h, score))[:n]

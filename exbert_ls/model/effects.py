"""Each head's causal effect, for head summaries: the single-head ablation scan on a fixed text.

Head roles (summarize/roles.py) say what a head *attends to*; this says what removing it
*costs*: the change in the mean loss of :data:`SAMPLE` when the head alone is zero-ablated
(:func:`exbert_ls.model.ablation.ablation_scan`, all ``L x H`` heads in batched forwards).
The sample is fixed so numbers are comparable across runs and models: two plain sentences
whose second repeats names of the first, so copying (induction) heads have something to do.
Targets are the next token for causal LMs and the unmasked input token for masked LMs
(as in ``exbert ablate``).

Computed by ``exbert probe`` (once per weights fingerprint) and cached on disk beside the
probes (``<user cache>/effects/<fingerprint>-v1.json``); head summaries only read the cache
(:func:`cached_causal_effect`), so they never load a model.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from exbert_ls.model.embedded import cache_dir
from exbert_ls.model.result_cache import read_cached, write_cached
from exbert_ls.payloads.analysis import CausalEffect

if TYPE_CHECKING:
    from exbert_ls.model.runner import ModelRunner

log = logging.getLogger(__name__)

VERSION = 1
SAMPLE = (
    "Dorothy lived in the midst of the great Kansas prairies, with Uncle Henry, who was a farmer, "
    "and Aunt Em, who was the farmer's wife. Uncle Henry and Aunt Em had a small house, and "
    "Dorothy lived in it with Uncle Henry and Aunt Em."
)
"""The fixed text causal effects are measured on (~50 tokens; its second sentence repeats
names of the first)."""


def _cache_path(fingerprint: str) -> Path:
    return cache_dir() / "effects" / f"{fingerprint}-v{VERSION}.json"


def causal_effect(runner: ModelRunner, *, use_cache: bool = True) -> CausalEffect:
    """Every head's zero-ablation Δloss on :data:`SAMPLE` (cached per weights fingerprint).
    Raises NoLanguageModelHeadError for a model without an LM head."""
    from exbert_ls.model.ablation import ablation_scan

    fingerprint = runner.fingerprint()
    path = _cache_path(fingerprint)
    cached = read_cached(path, CausalEffect) if use_cache else None
    if cached is not None:
        cached.model, cached.cached, cached.seconds, cached.forwards = runner.info.name, True, 0.0, 0
        return cached
    scan = ablation_scan(runner, SAMPLE, mode="zero")
    result = CausalEffect(
        model=runner.info.name,
        fingerprint=fingerprint,
        sample=SAMPLE,
        tokens=len(runner.tokenizer(SAMPLE)["input_ids"]),
        loss=scan.loss,
        delta_loss=scan.delta_loss,
        seconds=scan.seconds,
        forwards=scan.forwards,
    )
    if use_cache:
        write_cached(path, result)
    return result


def cached_causal_effect(fingerprint: str) -> np.ndarray | None:
    """``[L, H]`` Δloss of the weights ``fingerprint`` if ``exbert probe`` cached it (never
    computes: head summaries and hovers must not run a scan)."""
    result = read_cached(_cache_path(fingerprint), CausalEffect) if fingerprint else None
    if result is None:
        return None
    return np.asarray(result.delta_loss, dtype=np.float64)

"""Model analyses: probe time, logit-lens and ablation latency, a full ablation scan, the
causal-effect scan of head summaries, and the induction-head ablation check of issue 12 (SmolLM2).

    .venv/bin/python bench/bench_analysis.py [--models smollm2,minilm] [--repeats 3]
    .venv/bin/python bench/bench_analysis.py --smoke     # tiny random models, seconds

Figures are medians of ``--repeats`` runs in one process; quote them with `uptime`'s load.
Scan goal (issue 12): a full single-head scan costs <= 2 x one forward per head, i.e.
``scan seconds / (L*H) / (one forward of the same text) <= 2``; batching should put it well
below 1. ``one forward`` is a plain ``runner.run`` (attention, hidden states, contexts).
``--db URI`` adds corpus-mean ablation latency against that index (built by the same model).
The induction check: on random token sequences repeated twice (seed 1, not the probe's seed),
the mean loss over the second copy with the top-k induction heads zero-ablated, against
k random other heads (``--random-sets`` draws, mean and range).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from exbert_ls.model import effects, probes
from exbert_ls.model.ablation import ablate, ablation_scan, second_copy_loss
from exbert_ls.model.lens import logit_lens
from exbert_ls.model.runner import ModelRunner

TEXT_40 = (
    "Dorothy lived in the midst of the great Kansas prairies, with Uncle Henry, who was a farmer, "
    "and Aunt Em, who was the farmer's wife. Their house was small, for the lumber"
)


def median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def induction_check(runner: ModelRunner, k: int, random_sets: int) -> dict[str, Any]:
    result = probes.probe(runner)
    top = [(h.layer, h.head) for h in probes.top_heads(result, "induction", k)]
    ids, off = probes.repeated_sequences(runner, sequences=4, length=probes.LENGTH, seed=1)
    base = second_copy_loss(runner, [], ids, off, probes.LENGTH)
    ablated = second_copy_loss(runner, top, ids, off, probes.LENGTH)
    others = [(h.layer, h.head) for h in result.heads if (h.layer, h.head) not in top]
    rng = np.random.default_rng(0)
    randoms = [
        second_copy_loss(
            runner, [others[i] for i in rng.choice(len(others), k, replace=False)], ids, off, probes.LENGTH
        )
        for _ in range(random_sets)
    ]
    return {"top": top, "base": base, "induction": ablated, "random": randoms}


SCAN_GOAL = 2.0
"""Most scan cost per head, in forwards of the same text."""


def scan_line(label: str, seconds: float, heads: int, forward_s: float, forwards: int) -> str:
    ratio = seconds / heads / forward_s
    verdict = "meets" if ratio <= SCAN_GOAL else "misses"
    return (
        f"  {label:<32}{seconds * 1000:7.0f} ms = {ratio:.2f} x one forward per head "
        f"({forwards} batched forwards; {verdict} the <= {SCAN_GOAL:g} goal)"
    )


def corpus_mean_seconds(runner: ModelRunner, uri: str, repeats: int) -> tuple[float, float]:
    """(seconds to average the index's contexts, median corpus-mean ablation of 2 heads)."""
    from exbert_ls.store.db import CorpusDB
    from exbert_ls.store.means import corpus_context_means

    db = CorpusDB.open(uri, runner=runner)
    start = time.perf_counter()
    means = corpus_context_means(db)
    mean_s = time.perf_counter() - start
    ablate_s = median_seconds(
        lambda: ablate(runner, TEXT_40, [(1, 0), (2, 1)], mode="corpus-mean", corpus_means=means), repeats
    )
    return mean_s, ablate_s


def markdown(name: str, rows: list[tuple[str, float]]) -> str:
    """The figures as a Markdown table (seconds), for docs/benchmarks.md."""
    lines = [f"| {name} | seconds |", "|---|---:|"]
    return "\n".join(lines + [f"| {label} | {seconds:.2f} |" for label, seconds in rows])


def bench_model(runner: ModelRunner, repeats: int, random_sets: int, k: int, db: str | None = None) -> None:
    rows: list[tuple[str, float]] = []
    try:
        _bench_model(runner, repeats, random_sets, k, db, rows)
    finally:
        print(markdown(runner.info.name, rows))


def _bench_model(
    runner: ModelRunner, repeats: int, random_sets: int, k: int, db: str | None, rows: list[tuple[str, float]]
) -> None:
    info = runner.info
    n = len(runner.run(TEXT_40, contexts=False).tokens)
    probe_s = median_seconds(lambda: probes.probe(runner, use_cache=False), repeats)
    forward_s = median_seconds(lambda: runner.run(TEXT_40, contexts=True), repeats)
    print(f"{info.name}: {info.num_layers}x{info.num_heads} heads, text {n} tokens")
    print(f"  probe (8x{2 * probes.LENGTH} tokens)      {probe_s * 1000:8.0f} ms")
    print(f"  one forward (runner.run)       {forward_s * 1000:8.0f} ms")
    rows += [("probes", probe_s), ("one forward with contexts", forward_s)]
    if info.lm_head is None:
        print("  lens / ablation: no LM head (skipped)")
        return
    lens_s = median_seconds(lambda: logit_lens(runner, TEXT_40, k=5), repeats)
    ablate_s = median_seconds(lambda: ablate(runner, TEXT_40, [(1, 0), (2, 1)]), repeats)
    scan = ablation_scan(runner, TEXT_40)
    heads = info.num_layers * info.num_heads
    print(f"  logit lens (all positions, k=5) {lens_s * 1000:7.0f} ms")
    print(f"  ablate 2 heads (+ attention Δ)  {ablate_s * 1000:7.0f} ms")
    print(scan_line(f"ablation scan ({heads} heads)", scan.seconds, heads, forward_s, scan.forwards))
    rows += [("logit lens", lens_s), ("ablate 2 heads", ablate_s), (f"ablation scan ({heads} heads)", scan.seconds)]
    effect = effects.causal_effect(runner, use_cache=False)
    sample_s = median_seconds(lambda: runner.run(effects.SAMPLE, contexts=True), repeats)
    print(scan_line(f"causal effect ({effect.tokens}-tok sample)", effect.seconds, heads, sample_s, effect.forwards))
    rows.append((f"causal-effect scan ({effect.tokens}-token sample)", effect.seconds))
    if db is not None:
        mean_s, corpus_s = corpus_mean_seconds(runner, db, repeats)
        print(f"  corpus means of --db            {mean_s * 1000:7.0f} ms (once per index version)")
        print(f"  ablate 2 heads (corpus-mean)    {corpus_s * 1000:7.0f} ms")
        rows += [("corpus means of --db", mean_s), ("ablate 2 heads (corpus-mean)", corpus_s)]
    if info.lm_head == "causal":
        check = induction_check(runner, k, random_sets)
        r = check["random"]
        print(f"  induction check: top-{k} induction heads {check['top']}")
        print(
            f"    loss on repeated half: none {check['base']:.3f}, top-{k} induction {check['induction']:.3f}, "
            f"{k} random heads mean {statistics.mean(r):.3f} (range {min(r):.3f}..{max(r):.3f}, {len(r)} draws)"
        )


def smoke() -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    from exbert_ls.model.embedded import minilm_dir

    with tempfile.TemporaryDirectory() as root:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(minilm_dir())
        cfg = LlamaConfig(
            vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, pad_token_id=0,
        )  # fmt: skip
        LlamaForCausalLM(cfg).save_pretrained(root)
        tok.save_pretrained(root)
        bench_model(ModelRunner.load(root), repeats=1, random_sets=2, k=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="smollm2,minilm")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--random-sets", type=int, default=5)
    parser.add_argument("--k", type=int, default=5, help="induction heads to ablate")
    parser.add_argument("--smoke", action="store_true", help="tiny random model, seconds")
    parser.add_argument("--db", default=None, help="corpus index of the first model: adds corpus-mean ablation")
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.smoke:
        smoke()
        return
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average at start)")
    for i, name in enumerate(args.models.split(",")):
        bench_model(ModelRunner.load(name), args.repeats, args.random_sets, args.k, args.db if i == 0 else None)
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average at end)")


if __name__ == "__main__":
    main()

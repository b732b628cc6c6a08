"""Explain payload size and server time vs length (issue 13): MiniLM at 43, 128, 512 tokens and
SmolLM2 at 2,048, dense below exbert_ls.sparse_attention.DENSE_MAX_TOKENS, sparse top-mass above.

    python bench/bench_explain_payload.py [--repeats 5] [--smoke]

Prints a Markdown table: tokens, form, msgpack payload size (what the extension receives, as
base64 text), model run (ms, p50) and payload build (ms, p50). ``--smoke``: a tiny run (seconds).
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time

import numpy as np

from exbert_ls.explain import explain, payload
from exbert_ls.model.runner import ModelRunner
from exbert_ls.payloads.attention import SparseAttention
from exbert_ls.sparse_attention import MASS, row_cap, top_mass
from exbert_ls.wire import pack

PARAGRAPH = (
    "Dorothy lived in the midst of the great Kansas prairies, with Uncle Henry, who was a farmer, "
    "and Aunt Em, who was the farmer's wife. Their house was small, for the lumber to build it had "
    "to be carried by wagon many miles. "
)


def text_of(runner: ModelRunner, tokens: int) -> str:
    """A prefix of repeated prose that the model tokenizes to exactly ``tokens`` positions (or fewer)."""
    words = (PARAGRAPH * (tokens // 10 + 2)).split()
    lo, hi = 1, len(words)
    while lo < hi:  # the most words whose tokenization fits
        mid = (lo + hi + 1) // 2
        if len(runner.tokenizer(" ".join(words[:mid]))["input_ids"]) <= tokens:
            lo = mid
        else:
            hi = mid - 1
    return " ".join(words[:lo])


def measure(runner: ModelRunner, tokens: int, repeats: int) -> tuple[int, str, float, float, float, str]:
    text = text_of(runner, tokens)
    runs, builds = [], []
    size = 0
    form = ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        exp = explain(runner, text, top_k=0)
        t1 = time.perf_counter()
        body = payload(exp, "uint8", binary=True)  # the msgpack form the server sends
        wire = base64.b64encode(pack(body))
        t2 = time.perf_counter()
        runs.append(t1 - t0)
        builds.append(t2 - t1)
        size = len(wire)
        form = (
            f"sparse {MASS:.0%}, <= {body.attention.cap} keys"
            if isinstance(body.attention, SparseAttention)
            else "dense uint8"
        )
    T = int(exp.activations.attention.shape[-1])
    reach = "all (dense)"
    if form.startswith("sparse"):
        L, H, T_, _ = exp.activations.attention.shape
        _, _, _, kept = top_mass(exp.activations.attention, MASS, cap=row_cap(L * H * T_), floor=1 / 510)
        reach = f"{100 * float((kept >= MASS - 1e-4).mean()):.0f} % of rows; median kept {100 * float(np.median(kept)):.0f} %"
    return T, form, size / 1e6, 1000 * statistics.median(runs), 1000 * statistics.median(builds), reach


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="one short run of each form (seconds)")
    args = parser.parse_args()
    cases = (
        [("minilm", 43), ("minilm", 200)]
        if args.smoke
        else [("minilm", 43), ("minilm", 128), ("minilm", 512), ("smollm2", 2048)]
    )
    repeats = 1 if args.smoke else args.repeats
    print(
        "| model | tokens | attention | payload MB | model run p50 (ms) | payload build p50 (ms) | rows reaching 95 % |"
    )
    print("|---|---:|---|---:|---:|---:|---|")
    runners: dict[str, ModelRunner] = {}
    for name, tokens in cases:
        runner = runners.setdefault(name, ModelRunner.load(name))
        T, form, mb, run, build, reach = measure(runner, tokens, repeats)
        print(f"| {name} | {T} | {form} | {mb:.2f} | {run:.0f} | {build:.0f} | {reach} |", flush=True)


if __name__ == "__main__":
    main()

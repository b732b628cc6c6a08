"""Model forward throughput: bare HF forward vs ModelRunner.run_batch (attention, hidden
states and head contexts captured and copied to numpy), on the same sentences, same run.

    .venv/bin/python bench/bench_forward.py [--model minilm] [--sentences 800] [--repeats 3]

Sentences: the Wizard of Oz (../shared) when present, else the stdlib's pydoc topics.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

import torch

from exbert_ls.model.runner import ModelRunner

SHARED_BOOK = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "wizard_of_oz.txt"


def sentences(limit: int) -> list[str]:
    if SHARED_BOOK.exists():
        text = SHARED_BOOK.read_text(encoding="utf-8")
    else:
        from pydoc_data.topics import topics

        text = " ".join(topics.values())
    parts = [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split()))]
    return [s for s in parts if 5 <= len(s.split()) <= 60][:limit]


def bare_forward(runner: ModelRunner, texts: list[str], batch_size: int) -> None:
    order = sorted(texts, key=len)
    for i in range(0, len(order), batch_size):
        enc = runner.tokenizer(order[i : i + batch_size], padding=True, return_tensors="pt")
        with torch.inference_mode():
            runner.base_model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--sentences", type=int, default=800)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds): checks the script still runs")
    args = parser.parse_args()
    batch_sizes = (1, 8, 32, 64)
    if args.smoke:
        args.sentences, args.repeats, batch_sizes = 8, 1, (1, 8)
    runner = ModelRunner.load(args.model)
    texts = sentences(args.sentences)
    pieces = sum(runner.count_tokens(texts))
    print(
        f"model {args.model}, {len(texts)} sentences, {pieces} wordpieces (specials included), "
        f"{torch.get_num_threads()} threads"
    )
    print("| batch | bare forward wp/s | runner (att+hidden+ctx) wp/s | ratio |")
    print("|---|---|---|---|")
    for batch_size in batch_sizes:
        bare, full = [], []
        for _ in range(args.repeats):  # interleaved, so both see the same machine load
            t = time.perf_counter()
            bare_forward(runner, texts, batch_size)
            bare.append(pieces / (time.perf_counter() - t))
            t = time.perf_counter()
            for _ in runner.run_batch(texts, batch_size=batch_size):
                pass
            full.append(pieces / (time.perf_counter() - t))
        b, f = statistics.median(bare), statistics.median(full)
        print(f"| {batch_size} | {b:,.0f} | {f:,.0f} | {f / b:.2f} |")


if __name__ == "__main__":
    main()

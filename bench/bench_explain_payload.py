"""Explain payload size and server time vs length (issue 13): MiniLM at 43, 128, 512 tokens and
SmolLM2 at 2,048, dense below exbert_ls.sparse_attention.DENSE_MAX_TOKENS, sparse top-mass above.

    python bench/bench_explain_payload.py [--repeats 5] [--smoke] [--annotate] [--against REV]
        [--cases minilm:512,smollm2:2048] [--warmup 1]

Prints a Markdown table: tokens, form, msgpack payload size (what the extension receives, as
base64 text), model run and payload build (ms, p50 wall, with p50 CPU time of the process beside
it). ``--smoke``: a tiny run (seconds). ``--annotate``: words from spaCy, as the server does by
default (``annotate: true``), so "model run" includes it. ``--against REV``: the same cases with
the library of git revision REV too (``git archive`` into a temporary folder), each side in its
own process with its own models, called alternately repeat by repeat (interleaved; medians).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

PARAGRAPH = (
    "Dorothy lived in the midst of the great Kansas prairies, with Uncle Henry, who was a farmer, "
    "and Aunt Em, who was the farmer's wife. Their house was small, for the lumber to build it had "
    "to be carried by wagon many miles. "
)
ROOT = Path(__file__).resolve().parent.parent


def text_of(runner: Any, tokens: int) -> str:
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


class Case:
    """One model and length, measured by the library this process imports (one repeat a call)."""

    runners: dict[str, Any] = {}
    annotator: Any = None

    def __init__(self, name: str, tokens: int, annotate: bool) -> None:
        from exbert_ls.model.runner import ModelRunner

        if name not in self.runners:
            self.runners[name] = ModelRunner.load(name)
        self.runner = self.runners[name]
        if annotate and Case.annotator is None:
            from exbert_ls.annotate.words import SpacyAnnotator

            Case.annotator = SpacyAnnotator()
            Case.annotator.words("Warm up.")
        self.annotate = annotate
        self.text = text_of(self.runner, tokens)
        self.reach = ""

    def once(self) -> dict[str, Any]:
        from exbert_ls.explain import explain, payload
        from exbert_ls.payloads.attention import SparseAttention
        from exbert_ls.sparse_attention import MASS
        from exbert_ls.wire import pack

        c0, t0 = time.process_time(), time.perf_counter()
        exp = explain(self.runner, self.text, top_k=0, annotator=Case.annotator if self.annotate else None)
        c1, t1 = time.process_time(), time.perf_counter()
        body = payload(exp, "uint8", binary=True)  # the msgpack form the server sends
        wire = base64.b64encode(pack(body))
        c2, t2 = time.process_time(), time.perf_counter()
        sparse = isinstance(body.attention, SparseAttention)
        if not self.reach:  # once per case, outside the timed part
            self.reach = reach(exp.activations.attention) if sparse else "all (dense)"
        return {
            "T": int(exp.activations.attention.shape[-1]),
            "form": f"sparse {MASS:.0%}, <= {body.attention.cap} keys" if sparse else "dense uint8",
            "mb": len(wire) / 1e6,
            "run": 1000 * (t1 - t0),
            "run_cpu": 1000 * (c1 - c0),
            "build": 1000 * (t2 - t1),
            "build_cpu": 1000 * (c2 - c1),
            "reach": self.reach,
        }


def reach(attention: np.ndarray) -> str:
    from exbert_ls.sparse_attention import MASS, row_cap, top_mass

    L, H, T, _ = attention.shape
    _, _, _, kept = top_mass(attention, MASS, cap=row_cap(L * H * T), floor=1 / 510)
    return (
        f"{100 * float((kept >= MASS - 1e-4).mean()):.0f} % of rows; median kept {100 * float(np.median(kept)):.0f} %"
    )


def worker() -> None:
    """``--worker``: read ``name tokens annotate`` lines, answer one JSON line of :meth:`Case.once` each."""
    cases: dict[str, Case] = {}
    for line in sys.stdin:
        name, tokens, annotate = line.split()
        case = cases.get(line) or cases.setdefault(line, Case(name, int(tokens), annotate == "1"))
        print(json.dumps(case.once()), flush=True)


class Side:
    """A worker process importing the library from ``tree``."""

    def __init__(self, label: str, tree: Path) -> None:
        self.label = label
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tree,
        )

    def once(self, name: str, tokens: int, annotate: bool) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{name} {tokens} {int(annotate)}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label} worker exited (rc {self.proc.wait()})")
        result: dict[str, Any] = json.loads(line)
        return result

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def p50(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="one short run of each form (seconds)")
    parser.add_argument("--annotate", action="store_true", help="spaCy words, as the server's default")
    parser.add_argument("--against", metavar="REV", help="also measure the library at git revision REV")
    parser.add_argument("--cases", help="model:tokens,... (default: minilm:43,minilm:128,minilm:512,smollm2:2048)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per case and side first")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    spec = args.cases or ("minilm:43,minilm:200" if args.smoke else "minilm:43,minilm:128,minilm:512,smollm2:2048")
    cases = [(name, int(tokens)) for name, tokens in (c.split(":") for c in spec.split(","))]
    repeats = 1 if args.smoke else args.repeats
    with tempfile.TemporaryDirectory(prefix="bench-explain-") as tmp:
        sides = [Side("this tree", ROOT)]
        if args.against:
            archive = subprocess.run(
                ["git", "archive", args.against, "exbert_ls"], cwd=ROOT, check=True, capture_output=True
            )
            subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
            sides.insert(0, Side(args.against, Path(tmp)))
        print(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}")
        print(
            "| library | model | tokens | attention | payload MB | model run p50 ms (CPU) "
            "| payload build p50 ms (CPU) | total p50 ms | rows reaching 95 % |"
        )
        print("|---|---|---:|---|---:|---:|---:|---:|---|")
        for name, tokens in cases:
            runs: dict[str, list[dict[str, Any]]] = {side.label: [] for side in sides}
            for _ in range(0 if args.smoke else args.warmup):
                for side in sides:
                    side.once(name, tokens, args.annotate)
            for _ in range(repeats):  # interleaved: each side once per repeat
                for side in sides:
                    runs[side.label].append(side.once(name, tokens, args.annotate))
            for side in sides:
                r = runs[side.label]
                total = statistics.median(x["run"] + x["build"] for x in r)
                print(
                    f"| {side.label} | {name} | {r[-1]['T']} | {r[-1]['form']} | {r[-1]['mb']:.2f} "
                    f"| {p50(r, 'run'):.0f} ({p50(r, 'run_cpu'):.0f}) | {p50(r, 'build'):.0f} ({p50(r, 'build_cpu'):.0f}) "
                    f"| {total:.0f} | {r[-1]['reach']} |",
                    flush=True,
                )
        print(f"load average at end: {Path('/proc/loadavg').read_text().split()[:3]}")
        for side in sides:
            side.close()


if __name__ == "__main__":
    main()

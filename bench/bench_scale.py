"""The local engine against the Ray engine with 1 and 2 model actors, on this machine.

    .venv/bin/python bench/bench_scale.py [--chars 60000] [--repeats 1] [--model minilm] [--smoke]

Corpus: bench_index's (the Wizard of Oz from ../shared when present, else the pydoc corpus),
the first ``--chars`` characters in files of ~20 kB. Each pass indexes it into a fresh
database, end to end (``index_paths``: walk, spaCy, model, rows, appends, marks), passes
interleaved per repeat; medians. The Ray passes run on a local cluster started once
(``ray.init(num_cpus=3)``: two actors plus one CPU for the annotation tasks), its start time
reported apart; each Ray pass includes starting its actors (loading the model in each).
Actors run 1 torch thread each (the local engine uses torch's default, the machine's cores).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_index import corpus_files

from exbert_ls.annotate.words import SpacyAnnotator
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import IndexConfig, index_paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--chars", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script runs")
    args = parser.parse_args()
    if args.smoke:
        args.chars, args.repeats = 3_000, 1
    try:
        import ray
        import ray.data
    except ImportError:
        ray = None
    runner = ModelRunner.load(args.model)
    annotator = SpacyAnnotator()
    config = IndexConfig(ann="never")
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    passes: dict[str, list[float]] = {"local": []}
    tokens = 0
    try:
        text_name = corpus_files(work / "corpus", args.chars)
        cluster_s = 0.0
        if ray is not None:
            began = time.perf_counter()
            ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False)
            ray.data.DataContext.get_current().enable_progress_bars = False
            cluster_s = time.perf_counter() - began
            passes.update({"ray, 1 actor": [], "ray, 2 actors": []})
        for repeat in range(args.repeats):
            for name in passes:
                from exbert_ls.store.ray_engine import RayOptions

                extra: dict[str, Any] = {}
                if name != "local":
                    extra = {"engine": "ray", "ray": RayOptions(workers=1 if "1" in name else 2)}
                uri = str(work / f"db-{repeat}-{len(passes[name])}-{name.replace(' ', '').replace(',', '')}")
                began = time.perf_counter()
                report = index_paths([work / "corpus"], uri, runner, annotator=annotator, config=config, **extra)
                passes[name].append(time.perf_counter() - began)
                tokens = report.tokens
                shutil.rmtree(uri, ignore_errors=True)
        load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        print(f"corpus: {text_name}, first {args.chars:,} chars, {tokens:,} wordpieces; {args.repeats} repeat(s)")
        if ray is not None:
            print(f"local Ray cluster start: {cluster_s:.1f} s (not in the passes)")
        else:
            print("Ray not installed (pip install 'exbert-ls[ray]'): local engine only")
        print(f"uptime: {load}")
        print("| engine | median s | wordpieces/s | vs local |")
        print("|---|---|---|---|")
        local = statistics.median(passes["local"])
        for name, seconds in passes.items():
            median = statistics.median(seconds)
            print(f"| {name} | {median:.1f} | {tokens / median:,.0f} | {local / median:.2f}x |")
    finally:
        if ray is not None and ray.is_initialized():
            ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""``exbert index [PATH...]``: the CLI face of :func:`exbert_ls.store.index_paths`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from typing import Any

from exbert_ls.errors import InvalidInputError
from exbert_ls.payloads.codec import to_wire
from exbert_ls.payloads.index import IndexResult
from exbert_ls.store.report import IndexConfig, IndexProgress
from exbert_ls.store.storage import add_storage_argument

DEFAULT_DB = os.path.join(".exbert", "index")


def default_db_uri(given: str | None = None) -> str:
    """``--db`` else ``$EXBERT_DB`` else ``./.exbert/index``."""
    return given or os.environ.get("EXBERT_DB") or DEFAULT_DB


def add_index_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "index",
        help="index files and folders (default: the embedded pydoc corpus) into a corpus database",
    )
    p.add_argument("paths", nargs="*", help="files and folders (.txt .text .md .markdown .rst .rest .conllu)")
    p.add_argument("--db", default=None, help=f"database directory or URI (default $EXBERT_DB or {DEFAULT_DB})")
    p.add_argument("--model", default=None, help="model name/dir (default: the index's model, else minilm)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument(
        "--ann",
        choices=("auto", "always", "never"),
        default="auto",
        help="LanceDB vector indexes: auto builds them from 300,000 token rows",
    )
    p.add_argument("--batch-size", type=int, default=IndexConfig.batch_size, help="sentences per forward pass")
    p.add_argument("--flush-tokens", type=int, default=IndexConfig.flush_tokens, help="token rows per append")
    p.add_argument(
        "--pool-sentences",
        type=int,
        default=IndexConfig.pool_sentences,
        help="sentences length-sorted together before batching",
    )
    p.add_argument("--max-file-mb", type=float, default=IndexConfig.max_file_bytes / 2**20, help="skip larger files")
    p.add_argument("--overlap", action="store_true", help="annotate with spaCy in a background thread")
    p.add_argument("--wait", action="store_true", help="wait for another writer of the database to finish")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_engine_arguments(p)
    add_storage_argument(p)
    p.set_defaults(handler=cmd_index)


def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    """``--engine ray`` and where it runs (docs/cluster.md)."""
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local (this process) or ray (annotation and the model on a Ray cluster; pip install 'exbert-ls[ray]')",
    )
    p.add_argument("--address", default=None, help="Ray cluster address (default: start a local one for the run)")
    p.add_argument("--workers", type=int, default=None, help="Ray model actors (default: one per GPU, else one)")


def engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``index_paths`` keywords of ``--engine`` / ``--address`` / ``--workers``."""
    if args.engine != "ray":
        if args.address or args.workers:
            raise InvalidInputError("--address and --workers need --engine ray")
        return {}
    from exbert_ls.store.ray_engine import RayOptions

    if args.workers is not None and args.workers < 1:
        raise InvalidInputError(f"--workers must be at least 1, got {args.workers}")
    return {"engine": "ray", "ray": RayOptions(address=args.address, workers=args.workers)}


def _model_name(args: argparse.Namespace, uri: str) -> str:
    from exbert_ls.errors import CorpusNotFoundError
    from exbert_ls.model.embedded import DEFAULT_MODEL
    from exbert_ls.store.db import CorpusDB

    if args.model:
        return str(args.model)
    try:
        return CorpusDB.open(uri).meta.model
    except CorpusNotFoundError:
        return DEFAULT_MODEL


def passive_openmp_waits() -> None:
    """OpenMP threads that sleep instead of spinning while they wait, for this process.

    Indexing runs torch's threads beside the row code and the spaCy child on the same cores;
    a spinning OpenMP worker burns the core those need (100 kB of the Wizard of Oz with
    ``exbert index``: 16.6 s against 20.6, median of 3 interleaved, docs/benchmarks.md).
    libgomp reads the variable when torch loads, so it only counts before that; a value the
    user set is kept. The server is left alone: its explain forward runs by itself and was
    ~10 % slower with sleeping workers."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def cmd_index(args: argparse.Namespace) -> int:
    from exbert_ls.store.lock import probe

    passive_openmp_waits()

    if not args.wait:
        probe(default_db_uri(args.db))  # refuse at once, before loading torch and the model
    from tqdm import tqdm

    from exbert_ls.corpus import default_corpus_paths
    from exbert_ls.inputs import check_writable_db, nothing_indexed
    from exbert_ls.model.runner import ModelRunner
    from exbert_ls.store.indexer import index_paths

    uri = default_db_uri(args.db)
    engine = engine_options(args)
    paths = args.paths or [str(p) for p in default_corpus_paths()]
    check_writable_db(uri)  # a file, or an unwritable parent, is an error before the model loads
    runner = ModelRunner.load(_model_name(args, uri), device=args.device)
    config = IndexConfig(
        ann=args.ann,
        batch_size=args.batch_size,
        flush_tokens=args.flush_tokens,
        pool_sentences=args.pool_sentences,
        max_file_bytes=int(args.max_file_mb * 2**20),
        overlap=args.overlap,
    )
    cancel = threading.Event()
    bar: Any = None
    if not args.quiet:
        bar = tqdm(
            total=100.0,
            unit="%",
            dynamic_ncols=True,
            file=sys.stderr,
            bar_format="{l_bar}{bar}| {elapsed}<{remaining}{postfix}",
        )

    def on_progress(p: IndexProgress) -> None:
        if bar is None:
            return
        bar.n = round(100.0 * p.fraction, 1)
        bar.set_postfix(
            files=f"{p.files_done}/{p.files_total}",
            sentences=f"{p.sentences:,}",
            tok_s=f"{p.tokens_per_s:,.0f}",
            refresh=False,
        )
        bar.refresh()

    def on_interrupt(_signum: int, _frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        print("\nexbert: finishing the current append (Ctrl-C again to abort)", file=sys.stderr)
        cancel.set()

    previous = (
        signal.signal(signal.SIGINT, on_interrupt) if threading.current_thread() is threading.main_thread() else None
    )
    try:
        report = index_paths(
            paths, uri, runner, progress=on_progress, cancel=cancel, config=config, wait=args.wait, **engine
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        if bar is not None:
            bar.close()
    if args.json:
        json.dump(to_wire(IndexResult.of(report, uri)), sys.stdout)
        sys.stdout.write("\n")
    else:
        print(f"index: {uri}")
        print(report.describe())
    nothing_indexed(report)  # raises when every path was missing, skipped or empty
    if report.cancelled and not engine:
        # Ctrl-C: the table is consistent and the lock released, so nothing is left to save;
        # finalising torch, spaCy and their threads took ~1.2 s of the 2.2 s a user waited
        # (bench/bench_cancel.py). The Ray engine keeps the normal exit: its cluster shutdown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    return 130 if report.cancelled else 0

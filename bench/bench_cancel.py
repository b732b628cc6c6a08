"""Ctrl-C latency of `exbert index`: SIGINT -> process exit, and the database consistent after.

    python bench/bench_cancel.py [--mb 5] [--delays 20,30,40] [--single-line] [--smoke]

``--mb 1000`` writes a 1 GB input (``--max-file-mb`` is raised to fit it). Peak RSS is the run's
VmHWM from /proc, read until it exits: with files streamed in blocks it must not grow with the
file (issue 10 asks <= 3 GB with MiniLM on a 50 MB single line and on a 1 GB file).

Writes a text file of prose (the Wizard of Oz when ../shared is beside the repository, else the
embedded pydoc corpus, repeated to ``--mb``), starts `exbert index FILE --db TMP` (MiniLM), sends
SIGINT ``delay`` seconds after its documents table appears (the model is loaded by then and
the run has claimed the document), and times the exit. Then `exbert verify` must report the
database consistent (exit 0). The latency is what a user waits after Ctrl-C: the current model
batch or spaCy piece finishes, the buffered rows are dropped (nothing complete) or appended.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIZARD = ROOT.parent / "shared" / "corpora" / "wizard_of_oz.txt"


def prose() -> str:
    if WIZARD.exists():
        return WIZARD.read_text(encoding="utf-8")
    from exbert_ls.corpus import default_corpus_paths

    return "\n\n".join(Path(p).read_text(encoding="utf-8") for p in default_corpus_paths()[:20])


def write_input(path: Path, mb: float, single_line: bool) -> None:
    text = prose()
    if single_line:
        text = " ".join(text.split())
    target = int(mb * 1e6)
    reps = target // max(1, len(text.encode())) + 1
    body = ((" " if single_line else "\n\n").join([text] * reps)).encode()[:target]
    path.write_bytes(body.decode("utf-8", errors="ignore").encode())


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) so far, MB; 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_watching(proc: subprocess.Popen[bytes], seconds: float, peak: list[float]) -> None:
    """Sleep ``seconds`` (or until the process ends), keeping its peak RSS in ``peak[0]``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and proc.poll() is None:
        peak[0] = max(peak[0], peak_rss_mb(proc.pid))
        time.sleep(0.1)


def one(folder: Path, source: Path, delay: float, timeout: float) -> tuple[float, int, float]:
    db = folder / f"db-{time.monotonic_ns()}"
    limit = str(max(64, int(source.stat().st_size / 1e6) + 2))
    cmd = [sys.executable, "-m", "exbert_ls", "index", str(source), "--db", str(db), "--quiet", "--max-file-mb", limit]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = time.monotonic()
    claimed = db / "documents.lance"  # the run has loaded the model and claimed the document
    while not claimed.exists() and proc.poll() is None and time.monotonic() - started < timeout:
        time.sleep(0.05)
    peak = [0.0]
    wait_watching(proc, delay, peak)
    if proc.poll() is not None:
        raise SystemExit(f"the run ended before SIGINT (delay {delay}s): use a bigger --mb")
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    while proc.poll() is None and time.monotonic() - sent < timeout:
        peak[0] = max(peak[0], peak_rss_mb(proc.pid))
        time.sleep(0.01)
    proc.wait(timeout=timeout)
    latency = time.monotonic() - sent
    verify = subprocess.run(
        [sys.executable, "-m", "exbert_ls", "verify", "--db", str(db)], env=env, capture_output=True, text=True
    )
    if verify.returncode != 0:
        print(verify.stdout[-800:], verify.stderr[-800:], file=sys.stderr)
    return latency, verify.returncode, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=5.0, help="size of the input file")
    parser.add_argument("--delays", default="10,20,30", help="seconds after the run claimed the document")
    parser.add_argument("--single-line", action="store_true", help="one line, no blank lines (worst case)")
    parser.add_argument("--smoke", action="store_true", help="one short run (seconds): checks the script still runs")
    args = parser.parse_args()
    if args.smoke:
        args.mb, args.delays = 0.3, "1"
    delays = [float(d) for d in args.delays.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "big.txt"
        write_input(source, args.mb, args.single_line)
        print(f"input: {source.stat().st_size / 1e6:.1f} MB, single line: {args.single_line}; load {os.getloadavg()}")
        latencies, peaks = [], []
        for delay in delays:
            latency, verified, peak = one(folder, source, delay, timeout=600)
            latencies.append(latency)
            peaks.append(peak)
            print(
                f"SIGINT after {delay:>5.1f} s: exit in {latency:6.2f} s, peak RSS {peak:,.0f} MB, verify exit {verified}"
            )
            if verified != 0:
                raise SystemExit("the database is not consistent after the cancel")
        print("| input | SIGINT -> exit, median | max | peak RSS, max | runs | load after |")
        print("|---|---|---|---|---|---|")
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        size = f"{source.stat().st_size / 1e6:,.0f} MB{' single line' if args.single_line else ''}"
        print(
            f"| {size} | {statistics.median(latencies):.2f} s | {max(latencies):.2f} s | {max(peaks):,.0f} MB "
            f"| {len(latencies)} | {load} |"
        )


if __name__ == "__main__":
    main()

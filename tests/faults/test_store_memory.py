"""A file far larger than the memory it may use is indexed with bounded memory (issue 10).

The indexer runs in a subprocess; its peak RSS (VmHWM) is read after a warm-up run, then after
a run over a 48 MB file (cancelled once its first pool is stored: what grows with the file is
reading, hashing, decoding and segmenting it, all done before or at that point by a whole read).
Reading the file whole held its bytes and its text at once (> 96 MB over the warm-up peak).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import json, sys, threading
from pathlib import Path
from exbert_ls.annotate.words import SpacyAnnotator
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import IndexConfig, index_paths

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

model, small, big, work = sys.argv[1:5]
runner, annotator = ModelRunner.load(model), SpacyAnnotator()
config = IndexConfig(pool_sentences=16, chunk_chars=2000, max_file_bytes=2**30, ann="never")
index_paths([small], work + "/warm", runner, annotator=annotator, config=config)
before = hwm()
cancel = threading.Event()

def progress(p):
    if p.sentences:
        cancel.set()

report = index_paths([big], work + "/db", runner, annotator=annotator, config=config, cancel=cancel, progress=progress)
print(json.dumps({"before": before, "after": hwm(), "sentences": report.sentences, "cancelled": report.cancelled}))
"""


def test_a_large_file_is_indexed_with_memory_bounded_below_its_size(tmp_path: Path, tiny_model_dirs) -> None:
    sentence = b"The tin woodman oiled his joints and walked on along the yellow road. "
    small, big = tmp_path / "small.txt", tmp_path / "big.txt"
    small.write_bytes(sentence * 300)
    paragraph = sentence * 40 + b"\n\n"
    with open(big, "wb") as handle:
        handle.write(paragraph * (48 * 2**20 // len(paragraph)))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tiny_model_dirs["bert"]), str(small), str(big), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["cancelled"] and result["sentences"] > 0
    grown = result["after"] - result["before"]
    assert grown < 24 * 2**20, f"peak RSS grew {grown / 2**20:.0f} MB for a 48 MB file"

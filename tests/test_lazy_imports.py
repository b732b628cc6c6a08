"""What loads nothing heavy: opening a database for reading (``exbert.status`` is documented as
loading no model) must not import torch or transformers. Checked in a fresh interpreter, since
this test process has long imported both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import index_paths

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "spacy")

PROBE = """
import json, sys
from exbert_ls.store import CorpusDB
db = CorpusDB.open(sys.argv[1])
print(json.dumps({"model": db.meta.model, "heavy": sorted(m for m in sys.argv[2:] if m in sys.modules)}))
"""


def test_opening_a_database_imports_no_model_code(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], annotator
) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("The cat sat on the mat.\n", encoding="utf-8")
    uri = str(tmp_path / "db")
    index_paths([tmp_path / "c"], uri, tiny_runners["bert"], annotator=annotator)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, uri, *HEAVY], capture_output=True, text=True, timeout=300, env=env, check=True
    )
    result = json.loads(proc.stdout)
    assert result["model"], "the database opened and its identity was read"
    assert result["heavy"] == [], f"CorpusDB.open imported {result['heavy']}"


LOCAL_RUN = """
import json, sys
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import index_paths
report = index_paths([sys.argv[1]], sys.argv[2], ModelRunner.load(sys.argv[3]))
print(json.dumps({"indexed": len(report.indexed), "ray": sorted(m for m in sys.modules if m.split(".")[0] == "ray")}))
"""


def test_the_local_engine_never_imports_ray(tmp_path: Path, tiny_model_dirs: dict[str, Path]) -> None:
    """Ray is an optional extra: a local run (the default engine) must not load it, even installed."""
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("The cat sat on the mat.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", LOCAL_RUN, str(tmp_path / "c"), str(tmp_path / "db"), str(tiny_model_dirs["bert"])],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["indexed"] == 1
    assert result["ray"] == [], f"the local engine imported {result['ray']}"

"""The ``exbert`` CLI as a user runs it: a real subprocess, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from payload_schema import validate


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exbert_ls", *args], capture_output=True, text=True, input=stdin, timeout=300
    )


def test_explain_json_payload(tiny_model_dirs):
    proc = run_cli(
        "explain", "The cat sat on the mat.", "--model", str(tiny_model_dirs["bert"]), "--json", "--mask", "2"
    )
    assert proc.returncode == 0, proc.stderr
    payload = validate("explain", json.loads(proc.stdout))
    L, H = payload["num_layers"], payload["num_heads"]
    T = len(payload["tokens"])
    assert (L, H) == (2, 4)
    assert {"text", "start", "end", "special"} <= set(payload["tokens"][0])
    assert payload["tokens"][0]["special"] and payload["tokens"][0]["text"] == "[CLS]"
    att = payload["attention"]
    assert (len(att), len(att[0]), len(att[0][0]), len(att[0][0][0])) == (L, H, T, T)
    assert payload["masked"] == [2] and payload["tokens"][2]["masked"]
    assert len(payload["predictions"]) == T and len(payload["predictions"][1]) == 5
    assert payload["words"][1]["text"] == "cat" and payload["words"][1]["pos"] == "NOUN"


def test_explain_readable_summary(tiny_model_dirs):
    proc = run_cli("explain", "The cat sat.", "--model", str(tiny_model_dirs["gpt2"]))
    assert proc.returncode == 0, proc.stderr
    assert "2 layers x 4 heads, causal" in proc.stdout
    assert "L1:" in proc.stdout and "L2:" in proc.stdout
    assert "next-token" in proc.stdout


def test_explain_reads_stdin(tiny_model_dirs):
    proc = run_cli(
        "explain", "-", "--model", str(tiny_model_dirs["bert"]), "--no-annotate", stdin="From standard input."
    )
    assert proc.returncode == 0, proc.stderr
    assert "input" in proc.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["explain", "   "], "empty"),
        (["explain", "hello", "--model", "not-a-model"], "minilm, smollm2"),
        (["explain", "hello", "--mask", "x"], "comma-separated"),
    ],
)
def test_bad_input_is_a_clear_error(args, message):
    proc = run_cli(*args)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_masking_a_bare_encoder_is_a_clear_error(tiny_model_dirs):
    proc = run_cli("explain", "hello there", "--model", str(tiny_model_dirs["distilbert"]), "--mask", "1")
    assert proc.returncode == 2
    assert "no LM head" in proc.stderr and "Traceback" not in proc.stderr


def test_model_without_attention_is_a_clear_error(tmp_path):
    from transformers import AutoTokenizer, MambaConfig, MambaModel

    from exbert_ls.model.embedded import minilm_dir

    MambaModel(MambaConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, state_size=4)).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(minilm_dir()).save_pretrained(tmp_path)
    proc = run_cli("explain", "hello", "--model", str(tmp_path))
    assert proc.returncode == 2
    assert "no attention" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("given", "torch_first", "expected"),
    [(None, False, "PASSIVE"), ("ACTIVE", False, "ACTIVE"), (None, True, None)],
)
def test_index_asks_for_sleeping_openmp_waits_only_before_torch_loads(given, torch_first, expected):
    """A fresh interpreter, as `exbert index` is: the variable is set unless the user set one,
    and not once torch (which read it already) is loaded."""
    code = (
        ("import torch\n" if torch_first else "")
        + "import os\nfrom exbert_ls.cli_index import passive_openmp_waits\n"
        + "passive_openmp_waits()\nprint(os.environ.get('OMP_WAIT_POLICY'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(expected)

"""Head ablation against a corpus index (corpus-mean) and the downstream attention change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from exbert_ls.cli import main
from exbert_ls.errors import IndexMismatchError, InvalidInputError
from exbert_ls.model.ablation import ablate, ablation_hooks, ablation_scan
from exbert_ls.model.names import context_column
from exbert_ls.model.runner import ModelRunner
from exbert_ls.store import CorpusDB, index_paths
from exbert_ls.store.means import corpus_context_means
from exbert_ls.store.quantize import rotation

TEXT = "The quick brown fox jumps over the lazy dog."
CORPUS = [
    "Dorothy lived in the midst of the great Kansas prairies.",
    "Uncle Henry was a farmer, and Aunt Em was his wife.",
    "It was Toto that made Dorothy laugh.",
]


@pytest.fixture(scope="module")
def llama_index(tmp_path_factory: pytest.TempPathFactory, tiny_runners: dict[str, ModelRunner], annotator) -> str:
    root = tmp_path_factory.mktemp("ablation-corpus")
    (root / "c").mkdir()
    (root / "c" / "a.txt").write_text("\n\n".join(CORPUS) + "\n", encoding="utf-8")
    uri = str(root / "db")
    index_paths([root / "c"], uri, tiny_runners["llama"], annotator=annotator)
    return uri


def manual_means(uri: str) -> np.ndarray:
    """The mean stored context per head, straight from the table with pyarrow: int8 codes times
    their float16 row scale, turned back by the layout's fixed rotation (store/quantize.py)."""
    db = CorpusDB.open(uri)
    meta = db.meta
    table = db.tokens.to_arrow()
    keep = ~table.column("special").to_numpy(zero_copy_only=False)
    out = []
    for layer in range(1, meta.num_layers + 1):
        column = context_column(layer)
        codes = np.array(table.column(column).to_pylist(), dtype=np.float64)
        scale = np.array(table.column(f"{column}_scale").to_pylist(), dtype=np.float64)
        vectors = ((codes * scale[:, None]) @ rotation(codes.shape[1]).T.astype(np.float64))[keep]
        out.append(vectors.mean(0).reshape(meta.num_heads, meta.d_head))
    return np.stack(out)


def test_corpus_means_are_the_mean_stored_contexts(llama_index):
    db = CorpusDB.open(llama_index)
    means = corpus_context_means(db)
    assert means.shape == (db.meta.num_layers, db.meta.num_heads, db.meta.d_head)
    np.testing.assert_allclose(means, manual_means(llama_index), atol=1e-5)
    # stored contexts are unit length per head, so a mean direction is at most 1 long
    assert (np.linalg.norm(means, axis=-1) <= 1 + 1e-4).all()


def test_corpus_mean_ablation_replaces_the_context_by_the_scaled_corpus_mean(tiny_runners, llama_index):
    runner = tiny_runners["llama"]
    info, layer, head = runner.info, 2, 1
    means = corpus_context_means(CorpusDB.open(llama_index, runner=runner))
    acts = runner.run(TEXT, contexts=True)
    z = torch.from_numpy(acts.contexts[layer - 1]).view(len(acts.tokens), info.num_heads, info.d_head)
    # by hand: the corpus direction times the head's mean context norm over the text
    replacement = torch.from_numpy(manual_means(llama_index)[layer - 1, head]).float() * z[:, head].norm(dim=-1).mean()
    proj = runner._projections[layer - 1]
    outs: list[torch.Tensor] = []
    handle = proj.register_forward_hook(lambda _m, _i, out: outs.append(out))
    try:
        result = ablate(runner, TEXT, [(layer, head)], mode="corpus-mean", corpus_means=means)
    finally:
        handle.remove()
    w = proj.weight[:, head * info.d_head : (head + 1) * info.d_head]
    expected = (replacement - z[:, head]) @ w.T
    torch.testing.assert_close(outs[-1][1] - outs[-1][0], expected, atol=1e-4, rtol=1e-3)
    assert result.mode == "corpus-mean" and result.ablated_loss != result.loss
    other = ablate(runner, TEXT, [(layer, head)], mode="mean")  # the text mean is another replacement
    assert other.ablated_loss != pytest.approx(result.ablated_loss, abs=1e-6)
    scan = ablation_scan(runner, TEXT, mode="corpus-mean", corpus_means=means, batch=4)
    assert scan.delta_loss[layer - 1][head] == pytest.approx(result.ablated_loss - result.loss, abs=1e-4)


def test_corpus_mean_needs_matching_means(tiny_runners):
    runner = tiny_runners["llama"]
    with pytest.raises(InvalidInputError, match="needs a corpus index"):
        ablate(runner, TEXT, [(1, 0)], mode="corpus-mean")
    with pytest.raises(IndexMismatchError, match="another model"):
        ablate(runner, TEXT, [(1, 0)], mode="corpus-mean", corpus_means=np.zeros((2, 4, 3), dtype=np.float32))


def test_cli_corpus_mean_errors_name_the_problem(tiny_model_dirs, llama_index, tmp_path: Path, capsys):
    llama, gpt2 = str(tiny_model_dirs["llama"]), str(tiny_model_dirs["gpt2"])
    args = ["ablate", TEXT, "--heads", "1:0", "--mode", "corpus-mean"]
    assert main([*args, "--model", llama, "--db", str(tmp_path / "none")]) == 2
    assert "no corpus index" in capsys.readouterr().err
    assert main([*args, "--model", gpt2, "--db", llama_index]) == 2
    assert "was built by model" in capsys.readouterr().err
    assert main([*args, "--model", llama, "--db", llama_index, "--json"]) == 0
    assert '"mode": "corpus-mean"' in capsys.readouterr().out


# ------------------------------------------------------------------ downstream attention


def test_attention_change_is_zero_up_to_the_ablated_layer_and_without_ablation(tiny_runners):
    runner = tiny_runners["gpt2"]
    none = ablate(runner, TEXT, [])
    assert np.allclose(none.attention_change, 0, atol=1e-6)
    last = ablate(runner, TEXT, [(2, 0)])  # the last layer: nothing downstream
    assert np.allclose(last.attention_change, 0, atol=1e-6)
    first = ablate(runner, TEXT, [(1, 2)])
    change = np.array(first.attention_change)
    assert change.shape == (runner.info.num_layers, runner.info.num_heads)
    assert np.allclose(change[0], 0, atol=1e-6) and (change[1] > 1e-4).all()
    # by hand: total-variation distance of each layer-2 row, averaged over rows
    acts = runner.run(TEXT, contexts=False)
    mask = torch.zeros(1, runner.info.num_layers, runner.info.num_heads)
    mask[0, 0, 2] = 1
    ids = torch.tensor([[t.id for t in acts.tokens]])
    with torch.inference_mode(), ablation_hooks(runner, mask, None):
        out = runner.model(input_ids=ids, output_attentions=True)
    ablated = out.attentions[1][0].numpy()
    expected = 0.5 * np.abs(acts.attention[1] - ablated).sum(-1).mean(-1)
    np.testing.assert_allclose(change[1], expected, atol=1e-5)

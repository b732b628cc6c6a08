"""Issue 12's done-means on the real SmolLM2 (slow): the probes find induction and sink heads,
and ablating the top induction heads raises the loss on repeated sequences far more than
ablating as many random heads."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_smollm2_induction_and_sink_heads_are_causal(tmp_path, monkeypatch):
    from exbert_ls.model import probes
    from exbert_ls.model.ablation import second_copy_loss as repeated_loss
    from exbert_ls.model.runner import ModelRunner

    runner = ModelRunner.load("smollm2")
    monkeypatch.setenv("EXBERT_CACHE", str(tmp_path))  # after loading: the model stays cached
    result = probes.probe(runner)
    roles = [h.role for h in result.heads]
    assert roles.count("induction") >= 3 and roles.count("sink") >= 30
    top = [(h.layer, h.head) for h in probes.top_heads(result, "induction", 5)]
    ids, off = probes.repeated_sequences(runner, sequences=2, length=probes.LENGTH, seed=1)
    base = repeated_loss(runner, [], ids, off, probes.LENGTH)
    induction = repeated_loss(runner, top, ids, off, probes.LENGTH)
    others = [(h.layer, h.head) for h in result.heads if (h.layer, h.head) not in top]
    rng = np.random.default_rng(0)
    random = [
        repeated_loss(runner, [others[i] for i in rng.choice(len(others), 5, replace=False)], ids, off, probes.LENGTH)
        for _ in range(3)
    ]
    assert induction > base + 2.0  # nats: copying breaks
    assert induction > max(random) + 1.0

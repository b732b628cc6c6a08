"""Head summaries on UD English-EWT dev (gold syntax) indexed with MiniLM: the best head
beats the best fixed offset (Clark et al. 2019's comparison). The full table: docs/heads.md."""

from __future__ import annotations

import pytest
from support import shared_path

from exbert_ls.payloads.codec import to_wire
from exbert_ls.search import head_summaries
from exbert_ls.store import CorpusDB, index_paths

pytestmark = [pytest.mark.slow, pytest.mark.shared]

# Margins (best head accuracy minus best fixed-offset accuracy, dependent -> head) required.
# amod's baseline is strong in English (the adjective right before its noun: offset +1 is
# right ~75 % of the time), so the head's lead there is smaller; docs/heads.md has the numbers.
MARGINS = {"det": 0.10, "nsubj": 0.10, "obj": 0.10, "amod": 0.03}


@pytest.fixture(scope="module")
def ud_summary(tmp_path_factory, minilm):
    conllu = shared_path("ud/en_ewt-ud-dev.conllu")
    uri = str(tmp_path_factory.mktemp("ud") / "index")
    index_paths([conllu], uri, minilm)
    return to_wire(head_summaries(CorpusDB.open(uri, runner=minilm)))


@pytest.mark.parametrize("relation", sorted(MARGINS))
def test_best_head_beats_best_fixed_offset(ud_summary, relation):
    entry = next(r for r in ud_summary["relations"] if (r["relation"], r["direction"]) == (relation, "dependent->head"))
    assert entry["support"] >= 1000  # UD dev has > 1,000 arcs of each
    best = entry["best"][0]
    assert best["accuracy"] - entry["baseline"] >= MARGINS[relation], entry


def test_summary_covers_every_head_and_the_whole_treebank(ud_summary, minilm):
    assert ud_summary["sentences"] == 2001
    assert len(ud_summary["heads"]) == minilm.info.num_layers * minilm.info.num_heads
    means = [h["to_special"] + h["to_punct"] for h in ud_summary["heads"]]
    assert all(0.0 <= m <= 1.0 + 1e-6 for m in means)

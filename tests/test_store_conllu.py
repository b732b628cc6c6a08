"""CoNLL-U reading: gold annotations, multiword tokens, empty nodes, SpaceAfter=No."""

from __future__ import annotations

import pytest
from support import shared_path

from exbert_ls.store.conllu import conllu_sentences

SAMPLE = """\
# sent_id = 1
# text = I don't know.
1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No
4.1\tknew\t_\t_\t_\t_\t_\t_\t4:conj\t_
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = 2
1\tvámonos\tonly three columns
1\tGo\tgo\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No
2\t!\t!\tPUNCT\t.\t_\t1\tpunct\t_\t_
"""


def test_gold_words_offsets_and_heads() -> None:
    first, second = list(conllu_sentences(SAMPLE))
    assert first.text == "I don't know."
    assert [(w.text, w.pos, w.tag, w.dep, w.head, w.lemma) for w in first.words] == [
        ("I", "PRON", "PRP", "nsubj", 3, "I"),
        ("do", "AUX", "VBP", "aux", 3, "do"),
        ("n't", "PART", "RB", "advmod", 3, "not"),
        ("know", "VERB", "VB", "root", -1, "know"),
        (".", "PUNCT", ".", "punct", 3, "."),
    ]
    assert all(first.text[w.start : w.end] == w.text for w in first.words)
    assert first.words[-1].is_punct and not first.words[0].is_punct
    assert {w.ent_type for w in first.words} == {""} and {w.ent_iob for w in first.words} == {"O"}
    # no "# text": rebuilt from the forms with SpaceAfter=No honoured (malformed line ignored)
    assert second.text == "Go!"
    assert [w.head for w in second.words] == [-1, 0]


def test_multiword_token_whose_parts_do_not_spell_it() -> None:
    text = (
        "# text = del mar\n1-2\tdel\t_\t_\t_\t_\t_\t_\t_\t_\n1\tde\tde\tADP\t_\t_\t3\tcase\t_\t_\n"
        "2\tel\tel\tDET\t_\t_\t3\tdet\t_\t_\n3\tmar\tmar\tNOUN\t_\t_\t0\troot\t_\t_\n"
    )
    (sentence,) = conllu_sentences(text)
    de, el, mar = sentence.words
    assert (de.start, de.end) == (0, 3)  # the first part takes the surface span
    assert el.start == el.end == 3  # the rest are zero-width
    assert sentence.text[mar.start : mar.end] == "mar"


@pytest.mark.shared
def test_ewt_dev_parses_with_consistent_offsets() -> None:
    path = shared_path("ud/en_ewt-ud-dev.conllu")
    sentences = list(conllu_sentences(path.read_text(encoding="utf-8")))
    assert len(sentences) > 1000
    for sentence in sentences:
        for word in sentence.words:
            assert 0 <= word.start <= word.end <= len(sentence.text)
            assert -1 <= word.head < len(sentence.words)
        spelled = [w for w in sentence.words if w.end > w.start]
        assert all(sentence.text[w.start : w.end] == w.text for w in spelled)

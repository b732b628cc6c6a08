"""CLI renderings shared with the panel's words (issue 13 item 6): --token by word, snippets,
1-based ranks, `exbert heads` saying what it omitted."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from exbert_ls.errors import InvalidInputError
from exbert_ls.search.render import readable_search, snippet, token_position
from exbert_ls.summarize.report import readable_heads, z_score


def _tokens(text: str, spans: list[tuple[int, int]], special: tuple[int, ...] = ()) -> list[SimpleNamespace]:
    return [SimpleNamespace(start=a, end=b, special=i in special) for i, (a, b) in enumerate(spans)]


def test_token_accepts_a_position_a_word_and_word_at_n() -> None:
    text = "He gave, she forgave, they gave"
    spans = [(0, 0), (0, 2), (3, 7), (7, 8), (9, 12), (13, 16), (16, 20), (20, 21), (22, 26), (27, 31), (31, 31)]
    tokens = _tokens(text, spans, special=(0, 10))
    assert token_position(tokens, text, "4") == 4
    assert token_position(tokens, text, "gave") == 2
    assert token_position(tokens, text, "GAVE@2") == 9  # "for|gave" is not the word gave
    with pytest.raises(InvalidInputError, match="occurs 2 time"):
        token_position(tokens, text, "gave@3")
    with pytest.raises(InvalidInputError, match="word@N"):
        token_position(tokens, text, "gave@0")


def test_snippet_is_keyword_in_context() -> None:
    text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    start = text.index("eight")
    assert snippet(text, start, start + 5, 2) == "… six seven [eight] nine ten …"
    assert snippet("gave it", 0, 4) == "[gave] it"


def _search_payload() -> dict:
    word = {"text": "gave", "pos": "VERB", "dep": "ROOT", "ent_type": ""}
    match = {
        "rank": 0,
        "count": 3,
        "similarity": 0.9,
        "doc": "/w/corpus/oz.txt",
        "doc_path": "corpus/oz.txt",
        "sentence": 4,
        "text": "He gave it.",
        "token": {"position": 2, "text": "gave", "start": 3, "end": 7},
        "word": word,
        "max_attended": None,
    }
    summary = {"count": 1, "pos": {"VERB": 1}, "dep": {}, "ent_type": {}, "max_attended": {"pos": {}, "offset": {}}}
    query = {"token_text": "gave", "token": 2, "by": "embedding", "layer": 4, "heads": None, "method": "exact"}
    rule = {"heads": [0, 1], "exclude_special": True, "exclude_first": True, "method": "mean"}
    dedup = {"collapsed": 2, "counted_once": True}
    return {"query": query, "matches": [match], "summary": summary, "dedup": dedup, "max_attended_rule": rule}


def test_search_text_names_what_the_panel_names() -> None:
    out = readable_search(_search_payload()).splitlines()
    assert out[0] == "'gave' (token 2) by hidden state at layer L4: 1 matches (exact, 2 identical contexts collapsed)"
    assert out[1] == "max-attended over mean of H0+H1 (mean), excluding special tokens and position 0"
    assert out[2].startswith("  1 ×3 ") and out[2].endswith("He [gave] it.  (corpus/oz.txt §4)")


def test_heads_says_how_many_relations_it_omitted() -> None:
    relations = [
        {
            "relation": f"r{i}",
            "direction": "dependent->head",
            "support": 100 - i,
            "baseline": 0.5,
            "baseline_offset": 1,
            "best": [{"layer": 1, "head": 0, "accuracy": 0.8}],
        }
        for i in range(25)
    ]
    payload = {"sentences": 10, "tokens": 100, "relations": relations, "heads": []}
    assert "(5 more relations omitted: --all lists them)" in readable_heads(payload)
    assert "omitted" not in readable_heads(payload, relations=None)
    assert f"{z_score(0.8, 0.5, 100):.1f}" in readable_heads(payload).splitlines()[3]

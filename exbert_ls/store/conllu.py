"""CoNLL-U treebanks read with their gold annotations (https://universaldependencies.org/format.html).

Columns used: FORM (word text), LEMMA, UPOS (-> ``pos``), XPOS (-> ``tag``), HEAD, DEPREL
(-> ``dep``); there is no gold NER, so ``ent_type`` is empty and ``ent_iob`` "O".

* The sentence text is ``# text =`` when present, else rebuilt from the surface tokens with a
  space after each unless MISC says ``SpaceAfter=No``.
* Multiword tokens (``3-4  don't``) give the surface form; their syntactic words ("do",
  "n't") get consecutive slices of it when their forms spell it, else the first word takes
  the whole surface span and the rest are zero-width (no model token is aligned to them).
* Empty nodes (``8.1``) are enhanced-graph material and are left out; word ``i`` (1-based
  ID) is index ``i - 1``, so HEAD maps to ``head - 1`` (-1 for the root).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from exbert_ls.annotate.words import Word
from exbert_ls.store.segment import Sentence


@dataclass
class _Row:
    id: int
    form: str
    lemma: str
    upos: str
    xpos: str
    head: int
    deprel: str


@dataclass
class _Surface:
    form: str
    space_after: bool
    words: list[_Row]


def conllu_sentences(text: str) -> Iterator[Sentence]:
    """Every sentence of a CoNLL-U file, with gold words."""
    block: list[str] = []
    for line in text.splitlines():
        if line.strip():
            block.append(line)
        elif block:
            sentence = _sentence(block)
            if sentence is not None:
                yield sentence
            block = []
    if block:
        sentence = _sentence(block)
        if sentence is not None:
            yield sentence


def _value(field: str) -> str:
    return "" if field == "_" else field


def _sentence(lines: list[str]) -> Sentence | None:
    given_text: str | None = None
    surfaces: list[_Surface] = []
    mwt_end = 0
    for line in lines:
        if line.startswith("#"):
            key, _, value = line[1:].partition("=")
            if key.strip() == "text":
                given_text = value.strip()
            continue
        cols = line.split("\t")
        if len(cols) < 10:
            continue  # malformed line: ignore it rather than the sentence
        ident, form, lemma, upos, xpos, _feats, head, deprel, _deps, misc = cols[:10]
        space_after = "SpaceAfter=No" not in misc.split("|")
        if "-" in ident:
            _first, _, last = ident.partition("-")
            surfaces.append(_Surface(form, space_after, []))
            mwt_end = int(last)
            continue
        if "." in ident:
            continue  # empty node
        row = _Row(
            int(ident),
            form,
            _value(lemma),
            _value(upos),
            _value(xpos),
            int(head) if head.isdigit() else 0,
            _value(deprel),
        )
        if row.id <= mwt_end and surfaces:
            surfaces[-1].words.append(row)
        else:
            surfaces.append(_Surface(form, space_after, [row]))
    if not any(s.words for s in surfaces):
        return None
    text = given_text if given_text else "".join(s.form + (" " if s.space_after else "") for s in surfaces).strip()
    words: list[Word] = []
    cursor = 0
    for surface in surfaces:
        found = text.find(surface.form, cursor)
        start = found if found >= 0 else cursor
        end = start + len(surface.form) if found >= 0 else cursor
        cursor = end
        for lo, hi, row in _split(surface, start, end):
            words.append(
                Word(
                    index=row.id - 1,
                    text=text[lo:hi],
                    start=lo,
                    end=hi,
                    pos=row.upos,
                    tag=row.xpos,
                    dep=row.deprel,
                    head=row.head - 1,
                    lemma=row.lemma,
                    is_punct=row.upos == "PUNCT",
                )
            )
    return Sentence(text, tuple(words))


def _split(surface: _Surface, start: int, end: int) -> list[tuple[int, int, _Row]]:
    """Character spans of a surface token's syntactic words."""
    if len(surface.words) == 1:
        return [(start, end, surface.words[0])]
    if "".join(w.form for w in surface.words) == surface.form:
        spans, lo = [], start
        for row in surface.words:
            spans.append((lo, lo + len(row.form), row))
            lo += len(row.form)
        return spans
    first, *rest = surface.words
    return [(start, end, first), *[(end, end, row) for row in rest]]

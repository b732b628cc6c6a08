"""Tables of a corpus database and the identity record (docs/index.md has the full schema).

Every vector column is a ``fixed_size_list<int8, D>`` of codes with a float16 ``<column>_scale``
beside it (:mod:`exbert_ls.store.quantize`), of vectors normalised by
:mod:`exbert_ls.model.vectors`: the one normalisation queries use too. Hidden state 0 (the
embedding output) is not stored: it is a function of the token id and position, derived by the
model at search time from the ``token_id`` column (:data:`DERIVED_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from exbert_ls.model.names import context_column, hidden_column
from exbert_ls.store.quantize import scale_column

SCHEMA_VERSION = 4
"""Bumped whenever a table's layout or the meaning of a column changes. 1: float16 vector
columns (still searchable, not writable); 2: int8 codes + float16 scale per row; 3: as 2,
without ``hs0`` (derived from ``token_id``) and with ``max_att_w`` as uint8 (weight x 255);
4: as 3, with ``mean_att`` / ``mean_att_w`` (each layer's all-heads max-attended key). Older
layouts stay searchable (a search over all heads re-runs the matched sentences there)."""

WRITABLE_LAYOUTS = (3, SCHEMA_VERSION)
"""Layouts this version searches with the model and appends to. A layout-3 index stays layout 3
(its new rows have no ``mean_att`` either); new indexes are :data:`SCHEMA_VERSION`."""

META, DOCUMENTS, SENTENCES, TOKENS, HEAD_STATS = "meta", "documents", "sentences", "tokens", "head_stats"
DATA_TABLES = (TOKENS, SENTENCES, HEAD_STATS)
"""Tables whose rows belong to a document (deleted with it)."""

INDEXED, SKIPPED, PENDING = "indexed", "skipped", "pending"
"""``documents.status`` values. ``pending``: rows are being written or replaced; a run that
finds a pending document (left by a killed run) deletes its rows and indexes it again."""

DAMAGED = "damaged"
"""Set by ``exbert verify --repair`` (and in memory by ``exbert index``'s count check) on a
document whose rows do not match its counts: the next run re-indexes it whatever its hash."""

GOLD = "gold"
"""``meta.spacy_model`` when every sentence came from a CoNLL-U treebank."""

WORD_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("pos", pa.string()),
    ("tag", pa.string()),
    ("dep", pa.string()),
    ("head", pa.int32()),
    ("ent_type", pa.string()),
    ("ent_iob", pa.string()),
    ("lemma", pa.string()),
    ("is_punct", pa.bool_()),
)

if TYPE_CHECKING:  # torch stays unloaded: opening a database for reading needs no model
    from exbert_ls.model.runner import ModelRunner
"""Annotations a token inherits from its word (empty / -1 / False for special tokens)."""


@dataclass(frozen=True)
class IndexMeta:
    """The identity of an index: what built it. One row of the ``meta`` table."""

    schema_version: int
    model: str
    model_source: str
    model_fingerprint: str
    model_type: str
    num_layers: int
    num_heads: int
    d_model: int
    d_head: int
    causal: bool
    tokenizer: str
    spacy_model: str
    """``lang_name-version`` of the spaCy pipeline, ``gold`` for CoNLL-U only, or both
    joined by ``+`` when a corpus mixes them."""

    @classmethod
    def for_runner(cls, runner: ModelRunner, spacy_model: str) -> IndexMeta:
        info = runner.info
        return cls(
            schema_version=SCHEMA_VERSION,
            model=info.name,
            model_source=info.source,
            model_fingerprint=runner.fingerprint(),
            model_type=info.model_type,
            num_layers=info.num_layers,
            num_heads=info.num_heads,
            d_model=info.d_model,
            d_head=info.d_head,
            causal=info.causal,
            tokenizer=tokenizer_id(runner),
            spacy_model=spacy_model,
        )

    @property
    def context_width(self) -> int:
        return self.num_heads * self.d_head

    def to_table(self) -> pa.Table:
        return pa.Table.from_pylist([asdict(self)], schema=meta_schema())

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> IndexMeta:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


def tokenizer_id(runner: ModelRunner) -> str:
    return f"{type(runner.tokenizer).__name__}/{len(runner.tokenizer)}"


def meta_schema() -> pa.Schema:
    types = {"str": pa.string(), "int": pa.int32(), "bool": pa.bool_()}
    return pa.schema([pa.field(name, types[str(f.type)]) for name, f in IndexMeta.__dataclass_fields__.items()])


def documents_schema() -> pa.Schema:
    return pa.schema(
        [
            ("doc", pa.string()),
            ("hash", pa.string()),
            ("sentences", pa.int64()),
            ("tokens", pa.int64()),
            ("status", pa.string()),
            ("reason", pa.string()),
        ]
    )


def sentences_schema() -> pa.Schema:
    return pa.schema(
        [
            ("doc", pa.string()),
            ("doc_hash", pa.string()),
            ("sentence", pa.int64()),
            ("number", pa.int32()),  # order of the sentence (or window) in its document
            ("text", pa.string()),
            ("words_json", pa.string()),
            ("num_tokens", pa.int32()),
        ]
    )


def head_stats_schema() -> pa.Schema:
    return pa.schema([("doc", pa.string()), ("doc_hash", pa.string()), ("stats_json", pa.string())])


def vector_columns(num_layers: int) -> list[str]:
    """Searchable columns: ``hs0..hsL`` then ``ctx1..ctxL``."""
    return [hidden_column(layer) for layer in range(num_layers + 1)] + [
        context_column(layer) for layer in range(1, num_layers + 1)
    ]


DERIVED_COLUMNS = (hidden_column(0),)
"""Searchable columns the tokens table does not hold: the embedding output is recomputed from
``token_id`` and ``position`` by the model (``ModelRunner.embed``), exactly, and cached by the
search engine in stored precision (saves 386 of ~5,400 bytes per MiniLM token)."""


def stored_vector_columns(num_layers: int) -> list[str]:
    """The vector columns of the tokens table: :func:`vector_columns` less :data:`DERIVED_COLUMNS`."""
    return [column for column in vector_columns(num_layers) if column not in DERIVED_COLUMNS]


MEAN_ATT, MEAN_ATT_W = "mean_att", "mean_att_w"
"""Layout 4's columns: per layer, the all-heads max-attended key and its weight code."""


def stores_mean_attended(meta: IndexMeta) -> bool:
    """Whether the tokens table has ``mean_att`` / ``mean_att_w`` (layout 4 on)."""
    return meta.schema_version >= 4


def tokens_schema(meta: IndexMeta) -> pa.Schema:
    heads = meta.num_layers * meta.num_heads
    fields = [
        ("doc", pa.string()),
        ("sentence", pa.int64()),
        ("position", pa.int32()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("token", pa.string()),
        ("token_id", pa.int32()),  # vocabulary id: what hs0 is derived from
        ("special", pa.bool_()),
        ("word", pa.int32()),
        ("piece", pa.int32()),
        *WORD_COLUMNS,
    ]
    widths = [meta.d_model] * meta.num_layers + [meta.context_width] * meta.num_layers
    for column, width in zip(stored_vector_columns(meta.num_layers), widths, strict=True):
        fields += [(column, pa.list_(pa.int8(), width)), (scale_column(column), pa.float16())]
    # max_att_w: uint8 codes of the weight (quantize.encode_weights; decoded in one place)
    fields += [("max_att", pa.list_(pa.int16(), heads)), ("max_att_w", pa.list_(pa.uint8(), heads))]
    if stores_mean_attended(meta):
        # per layer, the max-attended key of the mean over all heads, special tokens and
        # position 0 excluded (-1: none allowed; model/attended.py), and its weight as uint8 codes
        layers = meta.num_layers
        fields += [(MEAN_ATT, pa.list_(pa.int16(), layers)), (MEAN_ATT_W, pa.list_(pa.uint8(), layers))]
    return pa.schema(fields)

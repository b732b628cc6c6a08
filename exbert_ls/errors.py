"""Error classes. Library code raises these; only the CLI and the server translate them."""

from __future__ import annotations


class ExbertError(Exception):
    """Base class for every error exbert-ls reports to a user."""


class InvalidInputError(ExbertError):
    """The text or arguments given cannot be processed (empty text, bad positions...)."""


class UnknownModelError(ExbertError):
    """A model name is neither an embedded default, a local directory nor a loadable hub id."""


class UnsupportedModelError(ExbertError):
    """The model loads but lacks something exbert-ls needs (attention outputs, known layout)."""


class InputTooLongError(InvalidInputError):
    """The text tokenizes to more positions than the model accepts."""


class NoLanguageModelHeadError(UnsupportedModelError):
    """Masking or predictions were asked of a model without an LM head."""


class IndexMismatchError(ExbertError):
    """An index was built by another model, tokenizer or schema than the one in use."""


class CorpusNotFoundError(ExbertError):
    """A corpus path or index does not exist or is empty."""


class UnreadableInputError(ExbertError):
    """An input file cannot be indexed (binary, not UTF-8, empty, too large, unreadable...).

    The indexer records the file as skipped with this message as the reason; it never
    aborts a run.
    """


class EmptyIndexError(CorpusNotFoundError):
    """An index exists but holds no searchable (non-special) tokens."""


class UnsupportedContentError(UnreadableInputError):
    """A file was read but its content cannot be indexed (binary, not UTF-8, empty, too large)."""


class WebviewBundleMissingError(ExbertError):
    """The built panel bundle (vscode-extension/dist/) needed for an HTML page is absent."""


class StaleIndexError(ExbertError):
    """The index changed while a search read it (indexing in progress); searching again helps."""


class WriterBusyError(ExbertError):
    """Another writer (CLI, server, another machine) holds the database's writer lock."""


class DatabaseDamagedError(ExbertError):
    """A table of the corpus database cannot be read (missing or truncated file, lost manifest)."""


class UnwritablePathError(ExbertError):
    """An output (database, HTML page) cannot be written: missing or read-only folder, full disk."""


class PathNotAllowedError(ExbertError):
    """The server was asked to read, index or write outside its workspace folders (and the
    documents the client opened) while ``exbert.allowOutsideWorkspace`` is false."""


class NothingIndexedError(ExbertError):
    """``exbert index`` found nothing it could index (every path missing, skipped or empty)."""

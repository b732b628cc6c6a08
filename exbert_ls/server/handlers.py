"""What each command does, as plain synchronous functions (run off the event loop).

Each one checks its arguments against the model's shape, makes the library call the CLI
would make, and returns its typed result (``exbert_ls/payloads``); ``app.py`` converts it
with ``codec.to_wire``, as the CLI's ``--json`` does, so both send the same JSON. LSP concerns (threads, progress, errors as
JSON-RPC) stay in ``app.py``.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from exbert_ls.errors import ExbertError, InvalidInputError, WriterBusyError
from exbert_ls.inputs import check_readable_db
from exbert_ls.limits import check_heads, check_layer
from exbert_ls.payloads.common import MsgpackEnvelope, Position, Range
from exbert_ls.payloads.explain import DocumentSpan, ExplainResult
from exbert_ls.payloads.heads import HeadSummaries
from exbert_ls.payloads.index import IndexResult
from exbert_ls.payloads.search import SearchResult
from exbert_ls.payloads.status import DatabaseStatus, StatusResult, StatusSettings
from exbert_ls.server.config import DEFAULT_DATABASE
from exbert_ls.server.documents import Selected, uri_to_path
from exbert_ls.server.protocol import ExplainArgs, HeadSummaryArgs, IndexArgs, SearchArgs
from exbert_ls.server.rpc import check_cancelled
from exbert_ls.server.state import ServerState


def explain(
    state: ServerState, args: ExplainArgs, selected: Selected, cancel: threading.Event
) -> ExplainResult | MsgpackEnvelope:
    """``exbert.explain``: the explain result, attention encoded, tokens with document ranges."""
    from exbert_ls.explain import explain as run_explain
    from exbert_ls.explain import payload
    from exbert_ls.wire import pack

    runner = state.runner(args.model)
    check_cancelled(cancel)
    annotator = state.annotator() if args.annotate else None
    result = run_explain(runner, selected.text, mask=tuple(args.mask), top_k=args.top_k, annotator=annotator)
    check_cancelled(cancel)
    # msgpack: arrays go as raw binary inside ONE document, packed once and base64'd once
    # (JSON-RPC carries text); JSON: arrays as base64 text (docs/payload.md)
    body = payload(result, attention=args.attention, binary=args.format == "msgpack", rollout=args.rollout)
    if selected.lines is not None:
        body = with_document_ranges(body, selected)
    if args.format == "json":
        return body
    return MsgpackEnvelope(payload_schema=body.schema, data=base64.b64encode(pack(body)).decode("ascii"))


def _range(r: dict[str, Any]) -> Range:
    return Range(start=Position(**r["start"]), end=Position(**r["end"]))


def with_document_ranges(body: ExplainResult, selected: Selected) -> ExplainResult:
    """The result with ``document`` set and a ``range`` on every non-special token and every word."""
    described = selected.describe()
    assert described is not None
    document = DocumentSpan(
        uri=described["uri"], version=described["version"], range=_range(described["range"]), offset=described["offset"]
    )
    spans = [t for t in body.tokens if not t.special]
    token_ranges = {
        t.index: _range(r) for t, r in zip(spans, selected.ranges([t.start for t in spans], [t.end for t in spans]))
    }
    word_ranges = selected.ranges([w.start for w in body.words], [w.end for w in body.words])
    return attrs.evolve(
        body,
        document=document,
        tokens=[attrs.evolve(t, range=token_ranges.get(t.index)) for t in body.tokens],
        words=[attrs.evolve(w, range=_range(r)) for w, r in zip(body.words, word_ranges)],
    )


def query_token(acts: Any, args: SearchArgs, selected: Selected) -> int:
    """The query token: ``token`` as given, or the token covering ``position``."""
    count = len(acts.tokens)
    if args.token is not None:
        if args.token >= count:
            raise InvalidInputError(
                f"token {args.token} is out of range: the selection has {count} tokens (0..{count - 1})"
            )
        return args.token
    if args.position is None:
        raise InvalidInputError("give 'token' (a model position) or 'position' (a document position)")
    offset = selected.document_offset(args.position)
    starts = np.array([t.start for t in acts.tokens])
    ends = np.array([t.end for t in acts.tokens])
    special = acts.special_mask
    hits = np.flatnonzero(~special & (starts <= offset) & (offset < ends))
    if hits.size == 0:
        raise InvalidInputError(
            f"no token at {args.position.line}:{args.position.character} (whitespace or dropped by the tokenizer)"
        )
    return int(hits[0])


def search(state: ServerState, args: SearchArgs, selected: Selected, cancel: threading.Event) -> SearchResult:
    """``exbert.search``: the exbert.search/1 result, the query token's document range added."""
    from exbert_ls.search import search as run_search

    runner = state.runner()
    info = runner.info
    layer = args.layer if args.layer is not None else state.settings.layer_for(info.num_layers)
    # the library's checks, before the forward pass: a bad argument costs no model run
    check_layer(layer, by=args.by, num_layers=info.num_layers)
    check_heads(args.heads, info.num_heads)
    acts = runner.run(selected.text, contexts=True)
    token = query_token(acts, args, selected)
    db = state.db()  # after the argument checks: a bad argument is reported as such
    check_cancelled(cancel)
    result = run_search(
        db,
        runner,
        acts,
        token,
        layer,
        by=args.by,
        heads=args.heads,
        k=args.k or state.settings.k,
        exact=args.exact,
        exclude_special=args.exclude_special,
        exclude_first=args.exclude_first,
        count_duplicates=args.count_duplicates,
    )
    tok = acts.tokens[token]
    if selected.lines is not None and not tok.special:
        query = attrs.evolve(result.query, range=_range(selected.ranges([tok.start], [tok.end])[0]))
        result = attrs.evolve(result, query=query)
    return result


def head_summary(state: ServerState, args: HeadSummaryArgs) -> HeadSummaries:
    """``exbert.headSummary``: the exbert.heads/1 result, narrowed to a layer or head."""
    from exbert_ls.search import head_summaries

    if args.head is not None and args.layer is None:
        raise InvalidInputError("'head' needs 'layer' (heads are numbered within a layer)")
    db = state.db()
    meta = db.meta
    if args.layer is not None and args.layer > meta.num_layers:
        raise InvalidInputError(f"layer {args.layer} is out of range: 1..{meta.num_layers}")
    if args.head is not None and args.head >= meta.num_heads:
        raise InvalidInputError(f"head {args.head} is out of range: 0..{meta.num_heads - 1}")
    summary = head_summaries(db)  # shared with the cache: narrowed into a copy
    if args.layer is None:
        return summary
    heads = [h for h in summary.heads if h.layer == args.layer and (args.head is None or h.head == args.head)]
    return attrs.evolve(summary, heads=heads)


ProgressCallback = Callable[[Any], None]


def index_paths_for(state: ServerState, args: IndexArgs) -> list[Path]:
    if args.paths:
        paths = []
        for given in args.paths:
            path = uri_to_path(given) if given.startswith("file:") else Path(given).expanduser()
            if path is None:
                raise InvalidInputError(f"cannot index {given!r}: only local paths and file: URIs")
            if not path.is_absolute() and state.root is not None:
                path = state.root / path
            paths.append(path)
        return paths
    if not state.folders:
        raise InvalidInputError("no workspace folder is open and no 'paths' were given")
    return list(state.folders)


def index_workspace(
    state: ServerState, args: IndexArgs, cancel: threading.Event, progress: ProgressCallback
) -> IndexResult:
    """``exbert.indexWorkspace``: the indexer's report, with the database location."""
    from exbert_ls.store.indexer import index_paths

    paths = state.confinement().paths(index_paths_for(state, args))  # server/confine.py
    uri = state.database_uri()
    if uri is None:
        raise InvalidInputError("no database location: set exbert.databasePath or open a workspace folder")
    _ignore_database_folder(uri)
    runner = state.runner()
    if state.indexing.is_set():  # one Index Workspace at a time (the writer lock refuses others too)
        raise WriterBusyError("an Index Workspace is already running in this server; wait for it or cancel it")
    state.indexing.set()
    try:
        report = index_paths(paths, uri, runner, annotator=state.annotator(), progress=progress, cancel=cancel)
    finally:
        state.indexing.clear()
        state.invalidate_db()
    return IndexResult.of(report, uri)


def _ignore_database_folder(uri: str) -> None:
    """Put ``*`` in ``.exbert/.gitignore`` (as pytest does for its cache): the database stays
    out of git, and the indexer, which honours .gitignore files, does not walk its own files
    when it indexes the workspace that holds it."""
    path = Path(uri)
    if "://" in uri or path.parent.name != DEFAULT_DATABASE.split("/")[0]:
        return
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore.write_text("# created by exbert-ls: the corpus database\n*\n", encoding="utf-8")


def status(state: ServerState) -> StatusResult:
    """``exbert.status``: never loads anything; reports what is loaded and the database."""
    from exbert_ls.explain import model_description

    settings = state.settings
    runner = state.loaded_runner()
    return StatusResult(
        model=settings.model,
        model_loaded=runner is not None,
        model_info=model_description(runner.info) if runner is not None else None,
        device=runner.info.device if runner is not None else settings.device,
        indexing=state.indexing.is_set(),
        settings=StatusSettings(
            model=settings.model,
            database_path=settings.database_path,
            default_layer=settings.default_layer,
            k=settings.k,
            hover=settings.hover,
            device=settings.device,
            preload=settings.preload,
        ),
        database=_database_status(state),
    )


def model_mismatch(index_model: str, index_source: str, model: str) -> str | None:
    """A short line when the configured ``model`` is not the one that built the index (by
    name or resolved path, from the index's meta: nothing is loaded), else None."""
    if model.lower() == index_model.lower() or model == index_source:
        return None
    from exbert_ls.model.loading import resolve_source

    try:  # an embedded name or a directory: where it resolves to (a path, no weights read)
        source = resolve_source(model)
    except (ExbertError, OSError):
        source = model
    if source == index_source or Path(source).expanduser().resolve() == Path(index_source).resolve():
        return None
    return f"index built by {index_model!r}, not {model!r}: select {index_model!r} or index into another exbert.databasePath"


def _database_status(state: ServerState) -> DatabaseStatus:
    uri, problem = state.database_location()
    out = DatabaseStatus(
        uri=uri, open=False, rows=None, documents=None, model=None, head_summaries_current=None, error=None
    )
    if uri is None or problem is not None:
        out.error = problem or "no database location: set exbert.databasePath or open a workspace folder"
        return out
    try:
        from exbert_ls.store import CorpusDB

        check_readable_db(uri)  # LanceDB's connect would create a missing folder (.exbert/ at start-up)
        db = CorpusDB.open(uri)  # without a runner: status never loads the model
    except ExbertError as exc:
        out.error = f"{type(exc).__name__}: {exc}"
        return out
    out.open, out.rows, out.documents, out.model = True, db.num_tokens(), db.documents.count_rows(), db.meta.model
    # known from the index's meta alone, before (and without) loading the model
    out.error = model_mismatch(db.meta.model, db.meta.model_source, state.settings.model)
    runner = state.loaded_runner()
    if runner is not None and out.error is None:
        try:
            db.check_runner(runner)
        except ExbertError:  # same name, other weights or tokenizer: the details are in the log
            out.error = f"index built by another {db.meta.model!r} (its fingerprint differs): re-index"
    try:
        from exbert_ls.search import head_summaries

        out.head_summaries_current = head_summaries(db).complete
    except ExbertError as exc:
        out.error = out.error or f"head summaries: {exc}"
    return out

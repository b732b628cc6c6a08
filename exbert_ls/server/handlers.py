"""What each command does, as plain synchronous functions (run off the event loop).

Each one checks its arguments against the model's shape, makes the library call the CLI
would make, and returns a JSON-able result. LSP concerns (threads, progress, errors as
JSON-RPC) stay in ``app.py``.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from exbert_ls.errors import ExbertError, InvalidInputError
from exbert_ls.server.config import DEFAULT_DATABASE
from exbert_ls.server.documents import Selected, uri_to_path
from exbert_ls.server.protocol import ExplainArgs, HeadSummaryArgs, IndexArgs, SearchArgs
from exbert_ls.server.rpc import check_cancelled
from exbert_ls.server.state import ServerState

MSGPACK_SCHEMA = "exbert.msgpack/1"


def explain(state: ServerState, args: ExplainArgs, selected: Selected, cancel: threading.Event) -> dict[str, Any]:
    """``exbert.explain``: the explain payload, attention encoded, tokens with document ranges."""
    from exbert_ls.explain import explain as run_explain
    from exbert_ls.explain import payload
    from exbert_ls.wire import pack

    runner = state.runner(args.model)
    check_cancelled(cancel)
    annotator = state.annotator() if args.annotate else None
    result = run_explain(runner, selected.text, mask=tuple(args.mask), top_k=args.top_k, annotator=annotator)
    check_cancelled(cancel)
    body = payload(result, attention=args.attention, rollout=args.rollout)
    if selected.lines is not None:
        _add_document_ranges(body, selected)
    if args.format == "json":
        return body
    # the binary form of the array payload() just encoded (zlib once): base64 text -> bytes
    encoded = body["attention"]
    body["attention"] = {**encoded, "encoding": "zlib", "data": base64.b64decode(encoded["data"])}
    return {"schema": MSGPACK_SCHEMA, "data": base64.b64encode(pack(body)).decode("ascii")}


def _add_document_ranges(body: dict[str, Any], selected: Selected) -> None:
    """Every non-special token and every word gets ``range`` in document positions."""
    body["document"] = selected.describe()
    for items in (body["tokens"], body["words"]):
        spans = [i for i, item in enumerate(items) if not item.get("special", False)]
        ranges = selected.ranges([items[i]["start"] for i in spans], [items[i]["end"] for i in spans])
        for item in items:
            item["range"] = None
        for i, r in zip(spans, ranges):
            items[i]["range"] = r


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


def search(state: ServerState, args: SearchArgs, selected: Selected, cancel: threading.Event) -> dict[str, Any]:
    """``exbert.search``: the exbert.search/1 payload."""
    from exbert_ls.search import search as run_search

    runner = state.runner()
    info = runner.info
    layer = args.layer if args.layer is not None else state.settings.layer_for(info.num_layers)
    lowest = 0 if args.by == "embedding" else 1
    if not lowest <= layer <= info.num_layers:
        raise InvalidInputError(f"layer {layer} is out of range for {args.by} search: {lowest}..{info.num_layers}")
    if args.heads is not None:
        bad = [h for h in args.heads if h >= info.num_heads]
        if bad:
            raise InvalidInputError(f"head {bad[0]} is out of range: heads are 0..{info.num_heads - 1}")
    acts = runner.run(selected.text, contexts=True)
    token = query_token(acts, args, selected)
    db = state.db()  # after the argument checks: a bad argument is reported as such
    check_cancelled(cancel)
    result = run_search(
        db, runner, acts, token, layer, by=args.by, heads=args.heads, k=args.k or state.settings.k, exact=args.exact
    )
    if selected.lines is not None:
        tok = acts.tokens[token]
        result.setdefault("query", {})["range"] = None if tok.special else selected.ranges([tok.start], [tok.end])[0]
    return result


def head_summary(state: ServerState, args: HeadSummaryArgs) -> dict[str, Any]:
    """``exbert.headSummary``: the exbert.heads/1 payload, narrowed to a layer or head."""
    from exbert_ls.search import head_summaries

    if args.head is not None and args.layer is None:
        raise InvalidInputError("'head' needs 'layer' (heads are numbered within a layer)")
    db = state.db()
    meta = db.meta
    if args.layer is not None and args.layer > meta.num_layers:
        raise InvalidInputError(f"layer {args.layer} is out of range: 1..{meta.num_layers}")
    if args.head is not None and args.head >= meta.num_heads:
        raise InvalidInputError(f"head {args.head} is out of range: 0..{meta.num_heads - 1}")
    summary = dict(head_summaries(db))
    if args.layer is not None:
        summary["heads"] = [
            h for h in summary["heads"] if h["layer"] == args.layer and (args.head is None or h["head"] == args.head)
        ]
    return summary


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
) -> dict[str, Any]:
    """``exbert.indexWorkspace``: the indexer's report, with the database location."""
    from exbert_ls.store.indexer import index_paths

    paths = index_paths_for(state, args)
    uri = state.database_uri()
    if uri is None:
        raise InvalidInputError("no database location: set exbert.databasePath or open a workspace folder")
    _ignore_database_folder(uri)
    runner = state.runner()
    state.indexing.set()
    try:
        report = index_paths(paths, uri, runner, annotator=state.annotator(), progress=progress, cancel=cancel)
    finally:
        state.indexing.clear()
        state.invalidate_db()
    return {"schema": "exbert.index/1", "database": uri, **asdict(report), "summary": report.summary()}


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


def status(state: ServerState) -> dict[str, Any]:
    """``exbert.status``: never loads anything; reports what is loaded and the database."""
    settings = state.settings
    runner = state.loaded_runner()
    result: dict[str, Any] = {
        "schema": "exbert.status/1",
        "model": settings.model,
        "model_loaded": runner is not None,
        "model_info": asdict(runner.info) if runner is not None else None,
        "device": runner.info.device if runner is not None else settings.device,
        "indexing": state.indexing.is_set(),
        "settings": {
            "model": settings.model,
            "databasePath": settings.database_path,
            "defaultLayer": settings.default_layer,
            "k": settings.k,
            "hover": settings.hover,
            "device": settings.device,
            "preload": settings.preload,
        },
        "database": _database_status(state),
    }
    return result


def _database_status(state: ServerState) -> dict[str, Any]:
    uri = state.database_uri()
    out: dict[str, Any] = {
        "uri": uri,
        "open": False,
        "rows": None,
        "documents": None,
        "model": None,
        "head_summaries_current": None,
        "error": None,
    }
    if uri is None:
        out["error"] = "no database location: set exbert.databasePath or open a workspace folder"
        return out
    try:
        from exbert_ls.store import CorpusDB

        db = CorpusDB.open(uri)  # without a runner: status never loads the model
    except ExbertError as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    out.update(open=True, rows=db.num_tokens(), documents=db.documents.count_rows(), model=db.meta.model)
    runner = state.loaded_runner()
    if runner is not None:
        try:
            db.check_runner(runner)
        except ExbertError as exc:
            out["error"] = f"{type(exc).__name__}: {exc}"
    try:
        from exbert_ls.search import head_summaries

        out["head_summaries_current"] = bool(head_summaries(db).get("current", False))
    except ExbertError as exc:
        out["error"] = f"head summaries: {exc}"
    return out

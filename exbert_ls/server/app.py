"""The ``exbert-ls`` language server: LSP methods and ``exbert.*`` commands.

Each handler parses its arguments into an attrs payload (``protocol.py``), runs one
function of ``handlers.py`` / ``hover.py`` on a worker thread, and returns its JSON-able
result. Library errors become JSON-RPC errors (``rpc.py``); the server keeps running.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.lsp.server import LanguageServer

from exbert_ls import __version__
from exbert_ls.errors import ExbertError, UnwritablePathError
from exbert_ls.inputs import check_length, check_writable_db, os_error_message
from exbert_ls.payloads.codec import to_wire
from exbert_ls.server import handlers
from exbert_ls.server.config import SECTION, settings_from
from exbert_ls.server.documents import Selected, document_text, resolve, uri_to_path
from exbert_ls.server.hover import HOVER_LANGUAGES, hover_markdown
from exbert_ls.server.positions import LineIndex, PositionEncoding
from exbert_ls.server.protocol import (
    ExplainArgs,
    HeadSummaryArgs,
    IndexArgs,
    SearchArgs,
    Selection,
    StatusArgs,
    parse,
)
from exbert_ls.server.rpc import AnsweredError, ExbertProtocol, rpc_error
from exbert_ls.server.state import ServerState

log = logging.getLogger("exbert_ls")
T = TypeVar("T")
VERSION = __version__
PROGRESS_INTERVAL_S = 0.1


class ExbertLanguageServer(LanguageServer):
    protocol: ExbertProtocol

    def __init__(self) -> None:
        super().__init__("exbert-ls", VERSION, protocol_cls=ExbertProtocol, max_workers=4)
        self.state = ServerState(warn=self.warn)
        self.requests: Executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="exbert-request")
        """Explain, search, hover: short CPU work (forward passes are serialised by the runner)."""
        self.jobs: Executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exbert-index")
        """Index jobs, one at a time, so requests stay answered while one runs."""
        self.loop: asyncio.AbstractEventLoop | None = None

    # ---------------------------------------------------------------- messages

    def call_on_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        """Send LSP messages from the event loop thread (the writers are not thread-safe)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def warn(self, message: str) -> None:
        log.warning("%s", message)
        self.call_on_loop(
            self.window_show_message, types.ShowMessageParams(type=types.MessageType.Warning, message=message)
        )

    @property
    def position_encoding(self) -> PositionEncoding:
        encoding = str(self.workspace.position_encoding or "utf-16")
        return encoding if encoding in ("utf-8", "utf-32") else "utf-16"  # type: ignore[return-value]

    def select(self, selection: Selection) -> Selected:
        return resolve(selection, self.workspace, self.position_encoding, self.state.confinement())

    # ----------------------------------------------------------------- running

    async def run(
        self,
        command: str,
        fn: Callable[[threading.Event], T],
        *,
        executor: Executor | None = None,
        link_cancel: Callable[[threading.Event], None] | None = None,
    ) -> T:
        """Run ``fn(cancel_event)`` on a worker thread; ``$/cancelRequest`` sets the event
        (``link_cancel`` may connect other triggers to it)."""
        loop = asyncio.get_running_loop()
        with self.protocol.cancellations.track(self.protocol.msg_id) as cancel:
            if link_cancel is not None:
                link_cancel(cancel)
            try:
                return await loop.run_in_executor(executor or self.requests, fn, cancel)
            except ExbertError as exc:  # the user's to fix (no index, a bad argument): a warning
                log.warning("%s failed: %s", command, exc)
                raise rpc_error(exc, command) from exc
            except OSError as exc:  # a write that failed: read-only folder, full disk
                log.warning("%s failed: %s", command, os_error_message(exc))
                raise rpc_error(UnwritablePathError(os_error_message(exc)), command) from exc

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Out-of-band errors. The reader loop's (source JsonRpcException: a message that is
        not JSON or not a message) get a JSON-RPC error answer and one log line; the rest
        keep pygls' behaviour."""
        if source is JsonRpcException and self.protocol.unreadable(error):
            log.warning("unreadable message answered with an error: %s", error)
            return
        super().report_server_error(error, source)

    def shutdown(self) -> None:
        for executor in (self.requests, self.jobs):
            executor.shutdown(wait=False, cancel_futures=True)
        super().shutdown()


class LspLogHandler(logging.Handler):
    """Forwards ``exbert_ls`` log records to the client as ``window/logMessage``."""

    LEVELS = {
        logging.ERROR: types.MessageType.Error,
        logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info,
    }

    def __init__(self, server: ExbertLanguageServer) -> None:
        super().__init__(level=logging.INFO)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        kind = next((t for level, t in self.LEVELS.items() if record.levelno >= level), types.MessageType.Log)
        params = types.LogMessageParams(type=kind, message=self.format(record))
        self.server.call_on_loop(self.server.window_log_message, params)


class ForwardedFilter(logging.Filter):
    """For the stderr handler on stdio: drops the ``exbert_ls`` records that ``LspLogHandler``
    already sends as ``window/logMessage`` (VS Code shows stderr too, so each would appear twice,
    the stderr copy at [error]). Before the client is connected, stderr keeps them."""

    def __init__(self, server: ExbertLanguageServer) -> None:
        super().__init__()
        self.server = server

    def filter(self, record: logging.LogRecord) -> bool:
        forwarded = record.name.split(".")[0] == "exbert_ls" and record.levelno >= logging.INFO
        return not (forwarded and self.server.loop is not None and not self.server.loop.is_closed())


class ExpectedErrorFilter(logging.Filter):
    """pygls logs every error response with a traceback; an InvalidParams or another
    deliberate error is the client's business (it gets the message), not the log's."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, JsonRpcException) and not isinstance(exc, JsonRpcInternalError))


class UnreadableMessageFilter(logging.Filter):
    """The reader loop logs a traceback for a message that is not JSON; it is answered
    (-32700) and logged in one line by report_server_error instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError, AnsweredError))


def create_server() -> ExbertLanguageServer:
    server = ExbertLanguageServer()
    handler = LspLogHandler(server)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(ExpectedErrorFilter())
    logging.getLogger("pygls.server").addFilter(UnreadableMessageFilter())
    _register_lifecycle(server)
    _register_commands(server)
    from exbert_ls.server.analysis import register_analysis_commands  # imports this module

    register_analysis_commands(server)
    return server


# -------------------------------------------------------------------- lifecycle


def _folders_of(params: types.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
    return [p for p in (uri_to_path(u) for u in uris) if p is not None]


def _register_lifecycle(server: ExbertLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: ExbertLanguageServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.state.set_folders(_folders_of(params))
        try:
            ls.state.configure(settings_from(params.initialization_options))
        except ExbertError as exc:
            ls.warn(f"exbert: {exc}; using the defaults")

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: ExbertLanguageServer, params: types.InitializedParams) -> None:
        await _pull_configuration(ls)
        _preload(ls)

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: ExbertLanguageServer, params: None) -> None:
        running = ls.protocol.cancellations.cancel_all()  # an index job stops at its next batch
        if running:
            log.info("shutdown: cancelled %d running request(s)", running)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_configuration(ls: ExbertLanguageServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get(SECTION), dict):
            _apply_settings(ls, settings[SECTION])
        else:
            await _pull_configuration(ls)
        _preload(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def on_folders(ls: ExbertLanguageServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        folders = [uri_to_path(f.uri) for f in ls.workspace.folders.values()]
        ls.state.set_folders([f for f in folders if f is not None])

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: ExbertLanguageServer, params: types.HoverParams) -> types.Hover | None:
        if not ls.state.settings.hover:
            return None
        uri = params.text_document.uri
        try:
            text, _, language = document_text(ls.workspace, uri, ls.state.confinement())
        except ExbertError:
            return None
        if (language or "") not in HOVER_LANGUAGES and not uri.endswith((".txt", ".md")):
            return None
        lines = LineIndex(text, ls.position_encoding)
        try:
            offset = lines.offset(params.position.line, params.position.character)
            found = await ls.run("hover", lambda cancel: hover_markdown(ls.state, text, offset))
        except (ExbertError, JsonRpcException) as exc:  # a bad position, a model that cannot load
            log.info("no hover: %s", exc)  # a hover answers nothing rather than an error popup
            return None
        if found is None:
            return None
        markdown, span = found
        (r,) = lines.ranges([span.start], [span.end])
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
            range=types.Range(start=types.Position(**r["start"]), end=types.Position(**r["end"])),
        )


def _apply_settings(ls: ExbertLanguageServer, data: Any) -> None:
    try:
        changed = ls.state.configure(settings_from(data, ls.state.settings))
    except ExbertError as exc:
        ls.warn(f"exbert: {exc}; keeping the previous settings")
        return
    if changed:
        log.info("settings changed: %s", ", ".join(changed))


async def _pull_configuration(ls: ExbertLanguageServer) -> None:
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return
    result = await ls.workspace_configuration_async(
        types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
    )
    if result and isinstance(result[0], dict):
        _apply_settings(ls, result[0])


def _preload(ls: ExbertLanguageServer) -> None:
    """Load the configured model in the background (once; later requests wait for it)."""
    if not ls.state.settings.preload or ls.state.loaded_runner() is not None:
        return

    def load() -> None:
        try:
            ls.state.runner()
        except ExbertError as exc:
            ls.warn(f"exbert: cannot load model {ls.state.settings.model!r}: {exc}")

    ls.requests.submit(load)


# --------------------------------------------------------------------- commands


def _register_commands(server: ExbertLanguageServer) -> None:
    @server.command("exbert.explain")
    async def explain(ls: ExbertLanguageServer, *arguments: Any) -> dict[str, Any]:
        args = parse("exbert.explain", ExplainArgs, arguments)
        selected = _select(ls, "exbert.explain", args)

        def job(cancel: threading.Event) -> dict[str, Any]:
            _check_length(ls, selected, args.model)
            return to_wire(handlers.explain(ls.state, args, selected, cancel))  # type: ignore[no-any-return]

        return await ls.run("exbert.explain", job)

    @server.command("exbert.search")
    async def search(ls: ExbertLanguageServer, *arguments: Any) -> dict[str, Any]:
        args = parse("exbert.search", SearchArgs, arguments)
        selected = _select(ls, "exbert.search", args)

        def job(cancel: threading.Event) -> dict[str, Any]:
            _check_length(ls, selected, None)
            return to_wire(handlers.search(ls.state, args, selected, cancel))  # type: ignore[no-any-return]

        return await ls.run("exbert.search", job)

    @server.command("exbert.headSummary")
    async def head_summary(ls: ExbertLanguageServer, *arguments: Any) -> dict[str, Any]:
        args = parse("exbert.headSummary", HeadSummaryArgs, arguments)
        return await ls.run("exbert.headSummary", lambda cancel: to_wire(handlers.head_summary(ls.state, args)))

    @server.command("exbert.attentionRows")
    async def attention_rows(ls: ExbertLanguageServer, *arguments: Any) -> dict[str, Any]:
        from exbert_ls.server.attention_rows import AttentionRowsArgs, handle

        args = parse("exbert.attentionRows", AttentionRowsArgs, arguments)
        return await ls.run("exbert.attentionRows", lambda cancel: to_wire(handle(ls.state, args)))

    @server.command("exbert.status")
    async def status(ls: ExbertLanguageServer, *arguments: Any) -> dict[str, Any]:
        parse("exbert.status", StatusArgs, arguments)
        return await ls.run("exbert.status", lambda cancel: to_wire(handlers.status(ls.state)))

    @server.command("exbert.indexWorkspace")
    async def index_workspace(ls: ExbertLanguageServer, *arguments: Any) -> dict[str, Any]:
        args = parse("exbert.indexWorkspace", IndexArgs, arguments)
        return await _index(ls, args)


def _check_length(ls: ExbertLanguageServer, selected: Selected, model: str | None) -> None:
    """Refuse over-long text before it is tokenized (exbert_ls/inputs.py)."""
    info = ls.state.runner(model).info
    check_length(selected.text, info.max_positions, info.name)


def _select(ls: ExbertLanguageServer, command: str, selection: Selection) -> Selected:
    try:
        return ls.select(selection)
    except ExbertError as exc:
        raise rpc_error(exc, command) from exc


async def _index(ls: ExbertLanguageServer, args: IndexArgs) -> dict[str, Any]:
    """Index with work-done progress; cancellable by ``$/cancelRequest`` or by the progress's
    cancel button (``window/workDoneProgress/cancel``, which still returns the partial report)."""
    window = ls.client_capabilities.window
    token = f"exbert-index-{uuid.uuid4()}" if window is not None and window.work_done_progress else None
    progress = ls.work_done_progress
    if token is not None:
        try:
            await progress.create_async(token)
        except JsonRpcException as exc:  # the client refused: index without a progress bar
            log.info("no progress for the index job: %s", exc)
            token = None
    if token is not None:
        progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title="exBERT: Indexing the corpus", cancellable=True, percentage=0, message="starting"
            ),
        )

    def watch(cancel: threading.Event) -> None:
        future = progress.tokens.get(token) if token is not None else None
        if future is not None:
            future.add_done_callback(lambda f: cancel.set() if f.cancelled() else None)

    last = [0.0]

    def report(p: Any) -> None:
        now = time.monotonic()
        if token is None or (now - last[0] < PROGRESS_INTERVAL_S and p.fraction < 1):
            return
        last[0] = now
        message = f"{p.files_done}/{p.files_total} files · {p.tokens:,} tokens · {p.tokens_per_s:,.0f} tokens/s" + (
            f" · {p.current}" if p.current else ""
        )
        value = types.WorkDoneProgressReport(percentage=int(100 * p.fraction), message=message)
        ls.call_on_loop(progress.report, token, value)

    def job(cancel: threading.Event) -> dict[str, Any]:
        uri = ls.state.database_uri()  # confined (PathNotAllowedError), then writable, before any work
        if uri is not None:
            check_writable_db(uri)
        return to_wire(handlers.index_workspace(ls.state, args, cancel, report))  # type: ignore[no-any-return]

    outcome = "failed"
    try:
        result: dict[str, Any] = await ls.run(
            "exbert.indexWorkspace",
            job,
            executor=ls.jobs,
            link_cancel=watch,
        )
        outcome = result.get("summary", "done")
        return result
    finally:
        if token is not None:
            progress.end(token, types.WorkDoneProgressEnd(message=outcome))
            progress.tokens.pop(token, None)

"""JSON-RPC plumbing: library errors -> LSP errors, and cancellation of running requests.

pygls answers ``$/cancelRequest`` by cancelling the request's future, which only helps
before a handler starts. :class:`ExbertProtocol` also sets a ``threading.Event`` that the
running library call polls (the indexer between batches, explain between stages).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lsprotocol.types import ResponseError, ResponseErrorMessage
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcRequestCancelled,
    JsonRpcServerError,
)
from pygls.protocol import LanguageServerProtocol

from exbert_ls.errors import (
    CorpusNotFoundError,
    ExbertError,
    IndexMismatchError,
    InvalidInputError,
    PathNotAllowedError,
    UnknownModelError,
    UnsupportedModelError,
    UnwritablePathError,
)

log = logging.getLogger(__name__)

ERROR_CODES: dict[type[ExbertError], int] = {
    CorpusNotFoundError: -32010,
    IndexMismatchError: -32011,
    UnknownModelError: -32012,
    UnsupportedModelError: -32013,
    PathNotAllowedError: -32014,
    UnwritablePathError: -32015,
    ExbertError: -32000,
}
"""Server error codes (JSON-RPC reserves -32099..-32000 for them); docs/protocol.md lists them."""


class Cancelled(ExbertError):
    """The client cancelled the request ($/cancelRequest or window/workDoneProgress/cancel)."""


def rpc_error(exc: ExbertError, command: str) -> JsonRpcException:
    """The JSON-RPC error a library error becomes; ``data.error`` names its class."""
    message = f"{command}: {exc}"
    data = {"error": type(exc).__name__}
    if isinstance(exc, Cancelled):
        return JsonRpcRequestCancelled(message=message, data=data)
    if isinstance(exc, InvalidInputError):
        return JsonRpcInvalidParams(message=message, data=data)
    for cls, code in ERROR_CODES.items():
        if isinstance(exc, cls):
            return JsonRpcServerError(message, code, data)
    raise AssertionError("ExbertError is in ERROR_CODES")


class Cancellations:
    """``threading.Event`` per in-flight request id."""

    def __init__(self) -> None:
        self._events: dict[Any, threading.Event] = {}
        self._lock = threading.Lock()

    @contextmanager
    def track(self, msg_id: Any) -> Iterator[threading.Event]:
        event = threading.Event()
        if msg_id is None:
            yield event
            return
        with self._lock:
            self._events[msg_id] = event
        try:
            yield event
        finally:
            with self._lock:
                self._events.pop(msg_id, None)

    def cancel_all(self) -> int:
        with self._lock:
            events = list(self._events.values())
        for event in events:
            event.set()
        return len(events)

    def cancel(self, msg_id: Any) -> bool:
        with self._lock:
            event = self._events.get(msg_id)
        if event is None:
            return False
        event.set()
        return True


class _SnapshotItems(dict[Any, Any]):
    """A dict whose ``items()`` is a copy, safe to iterate while another thread pops."""

    def items(self) -> list[tuple[Any, Any]]:  # type: ignore[override]
        return list(super().items())


class AnsweredError(Exception):
    """A message that could not be read was already answered with a JSON-RPC error."""


class ExbertProtocol(LanguageServerProtocol):
    """pygls' protocol, plus cancellation of requests that are already running, and an
    error answer to every message it cannot read (pygls logs those and answers nothing, so
    the client would wait forever)."""

    cancellations: Cancellations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cancellations = Cancellations()
        # pygls' shutdown iterates these futures on the loop while a threaded handler that
        # finishes pops its own from a worker thread: "dictionary changed size during iteration"
        self._request_futures = _SnapshotItems(self._request_futures)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:  # valid JSON, but not a valid request
            if "method" in data and "id" in data:
                self.answer_error(data["id"], JsonRpcInvalidRequest.CODE, f"Invalid request: {exc.message}")
                raise AnsweredError from exc
            raise

    def answer_error(self, msg_id: Any, code: int, message: str) -> None:
        """Send an error response outside pygls' request handling (``id`` may be None)."""
        self._send_data(ResponseErrorMessage(id=msg_id, error=ResponseError(code=code, message=message)))

    def unreadable(self, error: Exception) -> bool:
        """Answer a message the reader loop could not handle; True when it was answered.
        Not JSON: -32700 Parse error (``id`` null, as JSON-RPC 2.0 says); JSON that is no
        message object: -32600 Invalid Request."""
        if isinstance(error, AnsweredError):
            return True
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
            self.answer_error(None, JsonRpcParseError.CODE, f"Parse error: {error}")
            return True
        if isinstance(error, (AttributeError, TypeError)):  # a list, a number... where an object belongs
            self.answer_error(None, JsonRpcInvalidRequest.CODE, "Invalid request: expected a JSON-RPC message object")
            return True
        return False

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        if self.cancellations.cancel(msg_id):
            log.info("cancelling running request %s", msg_id)
        super()._handle_cancel_notification(msg_id)


def check_cancelled(event: threading.Event | None) -> None:
    if event is not None and event.is_set():
        raise Cancelled("cancelled by the client")

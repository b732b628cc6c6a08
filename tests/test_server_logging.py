"""On stdio, exbert_ls records reach VS Code once: as window/logMessage, not also as stderr."""

from __future__ import annotations

import asyncio
import logging

from exbert_ls.server.app import ForwardedFilter, create_server


def _record(name: str, level: int) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "message", None, None)


def test_stderr_drops_what_the_client_gets_once_connected() -> None:
    server = create_server()
    keep = ForwardedFilter(server)
    warning = _record("exbert_ls.server.state", logging.WARNING)
    assert keep.filter(warning)  # not connected yet: stderr is the only place it goes
    server.loop = asyncio.new_event_loop()
    try:
        assert not keep.filter(warning) and not keep.filter(_record("exbert_ls", logging.INFO))
        assert keep.filter(_record("pygls.server", logging.WARNING))  # not forwarded: stderr keeps it
        assert keep.filter(_record("exbert_ls.x", logging.DEBUG))  # below the forwarded level
    finally:
        server.loop.close()
    assert keep.filter(warning)

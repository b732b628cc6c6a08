"""``exbert-ls``: run the language server on stdio (default) or TCP (for debugging)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import BinaryIO


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def is_loopback(host: str) -> bool:
    """Every address ``host`` resolves to is loopback (a name that does not resolve is not)."""
    import ipaddress
    import socket

    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="exbert-ls", description="exBERT language server (LSP over stdio).")
    parser.add_argument("--stdio", action="store_true", help="talk LSP on stdin/stdout (the default)")
    parser.add_argument(
        "--tcp",
        type=_host_port,
        metavar="HOST:PORT",
        help="listen on TCP instead (debugging). The protocol has NO authentication: whoever connects can "
        "make the server read and index files; HOST must be loopback (127.0.0.1, ::1, localhost) "
        "unless --allow-remote",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="let --tcp bind a non-loopback address (anyone who can reach it controls the server)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="level of the log written to stderr (the client gets exbert's own INFO log as window/logMessage)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.tcp and not args.allow_remote and not is_loopback(args.tcp[0]):
        parser.error(
            f"--tcp {args.tcp[0]} is not a loopback address; the protocol has no authentication: "
            "bind 127.0.0.1 or give --allow-remote"
        )
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    for handler in logging.getLogger().handlers:  # exbert_ls logs INFO for the client; stderr gets --log-level
        handler.setLevel(args.log_level)
    # pygls logs every message body at INFO: keep it quiet unless debugging.
    logging.getLogger("pygls").setLevel(logging.DEBUG if args.log_level == "DEBUG" else logging.WARNING)
    from exbert_ls.server.app import create_server

    server = create_server()
    if args.tcp:
        host, port = args.tcp
        server.start_tcp(host, port)
    else:
        from exbert_ls.server.app import ForwardedFilter

        for handler in logging.getLogger().handlers:  # the client gets those as window/logMessage
            handler.addFilter(ForwardedFilter(server))
        server.start_io(sys.stdin.buffer, _protocol_stdout())
    return 0


def _protocol_stdout() -> BinaryIO:
    """Keep stdout for LSP messages only: anything else that writes to file descriptor 1
    (a library's print, a C extension) would corrupt the message stream, so fd 1 becomes
    stderr and the protocol gets its own duplicate of the original stdout."""
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return protocol


if __name__ == "__main__":
    sys.exit(main())

"""Storage options for an object-store database URI (``s3://bucket/path``), built in one place.

LanceDB reads the standard AWS variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_REGION``, ``AWS_ENDPOINT``, ``AWS_ALLOW_HTTP``) by itself; this module adds the two
exbert-specific ways to reach an S3-compatible server: ``$EXBERT_S3_ENDPOINT`` (an ``http://``
endpoint also sets ``allow_http``, since an object store on loopback rarely speaks TLS) and
explicit ``key=value`` options, which win over the environment.

Explicit options come from ``--storage-option key=value`` (every subcommand that opens a
database, through :func:`add_storage_argument`) or the server setting ``exbert.storageOptions``;
both hand them to :func:`set_storage_options`, which keeps them for the process: every
``lancedb.connect`` and the object-store writer lease (store/lease.py) read them from here, so
no signature between the CLI and the store has to carry them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Mapping

from exbert_ls.errors import CorpusNotFoundError, InvalidInputError

ENDPOINT_ENV = "EXBERT_S3_ENDPOINT"
OBJECT_SCHEMES = ("s3://", "s3+ddb://", "gs://", "az://")
_given: dict[str, str] = {}


class StorageOptionError(InvalidInputError):
    """A ``--storage-option`` that is not ``key=value``."""


class StoreUnreachableError(CorpusNotFoundError):
    """An object-store database that cannot be listed (no endpoint, region or credentials, or
    the server is down): for readers like a missing database, with the store's reason."""


def unreachable(uri: str, exc: Exception) -> StoreUnreachableError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    reason = reason.split(", /")[0][:300]  # drop the Rust source location LanceDB appends
    return StoreUnreachableError(
        f"cannot reach the database {uri!r}: {reason}; give the endpoint, region and credentials "
        f"(${ENDPOINT_ENV}, --storage-option or the AWS_* variables; docs/storage.md)"
    )


def parse_options(items: Iterable[str]) -> dict[str, str]:
    """``["allow_http=true", ...]`` -> ``{"allow_http": "true"}``; a malformed item raises."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise StorageOptionError(f"storage option {item!r} is not key=value")
        out[key.strip()] = value
    return out


def is_object_uri(uri: str) -> bool:
    """True for a URI LanceDB opens through an object store rather than the local disk."""
    return uri.startswith(OBJECT_SCHEMES)


def storage_options(
    uri: str, given: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The ``storage_options`` for ``lancedb.connect(uri, ...)``: empty for a local path.
    ``given`` defaults to the process's options (:func:`set_storage_options`)."""
    if not is_object_uri(uri):
        return {}
    env = os.environ if env is None else env
    out: dict[str, str] = {}
    endpoint = env.get(ENDPOINT_ENV)
    if endpoint:
        out["aws_endpoint"] = endpoint
        if endpoint.startswith("http://"):
            out["allow_http"] = "true"
    out.update(_given if given is None else given)
    return out


def set_storage_options(options: Mapping[str, str]) -> None:
    """The explicit options every later connection of this process uses (replacing earlier ones)."""
    _given.clear()
    _given.update(options)


def current_storage_options() -> dict[str, str]:
    return dict(_given)


def add_storage_argument(parser: argparse.ArgumentParser) -> None:
    """``--storage-option key=value`` (repeatable), for every subcommand that opens ``--db``."""
    parser.add_argument(
        "--storage-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="storage_option",
        help="object-store option for an s3:// --db, e.g. aws_endpoint=http://127.0.0.1:8333 (repeatable; "
        "see docs/storage.md)",
    )


def apply_storage_arguments(args: argparse.Namespace) -> None:
    """Parse ``args.storage_option`` (when the subcommand has it) and make it the process's options."""
    items = getattr(args, "storage_option", None)
    if items:
        set_storage_options(parse_options(items))

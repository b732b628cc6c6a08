"""Storage options for an object-store database URI (``s3://bucket/path``), built in one place.

LanceDB reads the standard AWS variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_REGION``, ``AWS_ENDPOINT``, ``AWS_ALLOW_HTTP``) by itself; this module adds the two
exbert-specific ways to reach an S3-compatible server: ``$EXBERT_S3_ENDPOINT`` (an ``http://``
endpoint also sets ``allow_http``, since an object store on loopback rarely speaks TLS) and
explicit ``key=value`` options, which win over the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from exbert_ls.errors import InvalidInputError

ENDPOINT_ENV = "EXBERT_S3_ENDPOINT"
OBJECT_SCHEMES = ("s3://", "s3+ddb://", "gs://", "az://")


class StorageOptionError(InvalidInputError):
    """A ``--storage-option`` that is not ``key=value``."""


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
    """The ``storage_options`` for ``lancedb.connect(uri, ...)``: empty for a local path."""
    if not is_object_uri(uri):
        return {}
    env = os.environ if env is None else env
    out: dict[str, str] = {}
    endpoint = env.get(ENDPOINT_ENV)
    if endpoint:
        out["aws_endpoint"] = endpoint
        if endpoint.startswith("http://"):
            out["allow_http"] = "true"
    out.update(given or {})
    return out

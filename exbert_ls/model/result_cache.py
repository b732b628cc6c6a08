"""The on-disk cache of per-model analysis results (probes, causal effects), keyed by the
weights' fingerprint: one reader and one atomic writer for every cached result type."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TypeVar

from cattrs.errors import BaseValidationError

from exbert_ls.payloads.codec import from_wire, to_wire

log = logging.getLogger(__name__)
T = TypeVar("T")

_UNREADABLE = (ValueError, KeyError, TypeError, BaseValidationError)
"""What reading a cached result can raise: bad JSON, or a file another exbert-ls version wrote
(cattrs refuses extra or missing fields). Either way it is a cache miss, never an error."""


def read_cached(path: Path, cls: type[T]) -> T | None:
    """The result cached at ``path``, or None when absent, damaged or of another version."""
    if not path.exists():
        return None
    try:
        return from_wire(json.loads(path.read_text()), cls)
    except _UNREADABLE as exc:
        log.warning("ignoring unreadable cache %s: %s", path, exc)
        return None


def write_cached(path: Path, result: object) -> None:
    """Atomic write: a killed run leaves no half file (and no cache is not an error)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-")
        with os.fdopen(fd, "w") as f:
            json.dump(to_wire(result), f)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot cache %s: %s", path, exc)

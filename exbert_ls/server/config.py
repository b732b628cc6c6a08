"""Server settings: the ``exbert`` section of the client's configuration.

They arrive in ``initializationOptions`` (either the section itself or ``{"exbert": {...}}``)
and later in ``workspace/didChangeConfiguration`` (pushed in ``settings``, or pulled with
``workspace/configuration`` when the client sends ``settings: null``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import attrs
import cattrs

from exbert_ls.errors import InvalidInputError
from exbert_ls.limits import DEFAULT_K
from exbert_ls.model.names import default_layer as auto_layer
from exbert_ls.server.convert import LENIENT, camel, describe

SECTION = "exbert"
DEFAULT_DATABASE = ".exbert/index"
"""Relative to the first workspace folder when ``databasePath`` is not set."""


@attrs.define(frozen=True)
class Settings:
    model: str = "minilm"
    """Embedded name (``minilm``, ``smollm2``), local model directory or hub id."""
    database_path: str | None = None
    """Corpus database: a directory, a path relative to the workspace, or an object-store URI.
    Default ``.exbert/index`` in the first workspace folder."""
    default_layer: int | None = None
    """Layer for search and hover neighbours; default: the middle layer (L // 2)."""
    k: int = DEFAULT_K
    """Matches per search."""
    hover: bool = True
    """Show the attention hover on words of plain-text and Markdown documents."""
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    preload: bool = True
    """Load the model in the background right after ``initialized``."""
    cache_mb: int | None = None
    """Search cache budget in MB (float32 column matrices; setting `exbert.cacheMb`); default $EXBERT_CACHE_MB or 512."""
    storage_options: dict[str, str] = attrs.Factory(dict)
    """Object-store options for an ``s3://`` databasePath (``aws_endpoint``, ``allow_http``...;
    docs/storage.md), as ``--storage-option`` gives them on the command line."""
    allow_outside_workspace: bool = False
    """Read, index and write the database outside the workspace folders (and the user cache
    for the database). Off: the server touches only the workspace and the opened documents."""

    def database_uri(self, root: Path | None) -> str | None:
        """Where the corpus database lives, or None when there is neither a setting nor a
        workspace folder to put the default in."""
        if self.database_path:
            if "://" in self.database_path:
                return self.database_path
            path = Path(self.database_path).expanduser()
            if not path.is_absolute() and root is not None:
                path = root / path
            return str(path.resolve())
        if root is None:
            return None
        return str((root / DEFAULT_DATABASE).resolve())

    def layer_for(self, num_layers: int) -> int:
        if self.default_layer is None:
            return auto_layer(num_layers)
        return min(self.default_layer, num_layers)


def settings_from(data: Any, base: Settings | None = None) -> Settings:
    """Settings from a client object, unknown keys ignored; keys not given keep ``base``'s
    values. Raises InvalidInputError naming the bad key."""
    base = base or Settings()
    if data is None:
        return base
    if isinstance(data, dict) and isinstance(data.get(SECTION), dict):
        data = data[SECTION]
    if not isinstance(data, dict):
        raise InvalidInputError(f"exbert settings must be an object, got {type(data).__name__}")
    nullable = {camel(a.name) for a in attrs.fields(Settings) if a.default is None}
    given = {k: v for k, v in data.items() if v is not None or k in nullable}
    if "storageOptions" in given:
        given["storageOptions"] = _option_strings(given["storageOptions"])
    merged = {**LENIENT.unstructure(base), **given}
    try:
        settings = LENIENT.structure(merged, Settings)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        raise InvalidInputError(f"invalid exbert settings: {describe(exc)}") from exc
    if settings.k < 1:
        raise InvalidInputError(f"invalid exbert settings: k must be >= 1, got {settings.k}")
    if settings.default_layer is not None and settings.default_layer < 0:
        raise InvalidInputError(f"invalid exbert settings: defaultLayer must be >= 0, got {settings.default_layer}")
    return settings


def _option_strings(value: Any) -> dict[str, str]:
    """``{"allow_http": true, "timeout": 30}`` -> strings, as object_store takes them."""
    if not isinstance(value, dict):
        raise InvalidInputError(
            f"invalid exbert settings: storageOptions must be an object, got {type(value).__name__}"
        )
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool):
            out[str(key)] = "true" if item else "false"
        elif isinstance(item, (str, int, float)):
            out[str(key)] = str(item)
        else:
            raise InvalidInputError(
                f"invalid exbert settings: storageOptions.{key} must be a string, number or boolean"
            )
    return out

"""The ``exbert.status/1`` result: what the server has loaded, its settings, its database."""

from __future__ import annotations

from typing import Final, Literal

import attrs

from exbert_ls.payloads.common import camel_keys
from exbert_ls.payloads.explain import ModelDescription

STATUS_SCHEMA: Final = "exbert.status/1"


@camel_keys
@attrs.define(kw_only=True)
class StatusSettings:
    """The ``exbert.*`` settings in effect (camelCase keys, as the client sends them)."""

    model: str
    """``exbert.model``."""
    database_path: str | None
    """``exbert.databasePath`` (null: the workspace's ``.exbert/index``)."""
    default_layer: int | None
    """``exbert.defaultLayer`` (null: the middle layer)."""
    k: int
    """``exbert.k``."""
    hover: bool
    """``exbert.hover``."""
    device: str
    """``exbert.device``."""
    preload: bool
    """``exbert.preload``."""


@attrs.define(kw_only=True)
class DatabaseStatus:
    """The corpus database, opened without the model."""

    uri: str | None
    """Its location (null: none configured and no workspace folder)."""
    open: bool
    """It opened."""
    rows: int | None
    """Token rows."""
    documents: int | None
    """Document rows."""
    model: str | None
    """The model that built it."""
    head_summaries_current: bool | None
    """Every live document has head statistics (null: not known)."""
    error: str | None
    """Why it could not be opened or used."""


@attrs.define(kw_only=True)
class StatusResult:
    """``exbert.status``: never loads anything."""

    schema: Literal["exbert.status/1"] = STATUS_SCHEMA
    """Payload schema tag."""
    model: str
    """The configured model."""
    model_loaded: bool
    """It is loaded."""
    model_info: ModelDescription | None
    """The loaded model (null until loaded)."""
    device: str
    """Where it runs (or will)."""
    indexing: bool
    """An indexing run is in progress."""
    settings: StatusSettings
    """Settings in effect."""
    database: DatabaseStatus
    """The database."""

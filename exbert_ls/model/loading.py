"""Load any transformers model by embedded short name, local directory or hub id."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from exbert_ls.errors import UnknownModelError
from exbert_ls.model.embedded import EMBEDDED, resolve_embedded


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def downloads_allowed() -> bool:
    """Offline by default: set ``EXBERT_ALLOW_DOWNLOAD=1`` to let transformers reach the hub."""
    return os.environ.get("EXBERT_ALLOW_DOWNLOAD", "") == "1"


def resolve_source(name: str) -> str:
    """The directory or hub id to load for a user's ``--model`` value."""
    embedded = resolve_embedded(name)
    if embedded is not None:
        return str(embedded)
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise UnknownModelError(f"{path} is not a model directory (no config.json)")
        return str(path.resolve())
    return name


def _unknown(name: str, cause: Exception) -> UnknownModelError:
    where = "the hub" if downloads_allowed() else "the local Hugging Face cache (offline)"
    return UnknownModelError(
        f"unknown model {name!r}: not an embedded default ({', '.join(EMBEDDED)}), "
        f"not a local model directory, and not found in {where}. Cause: {cause}"
    )


def load_pretrained(
    name: str,
    *,
    device: str = "cpu",
    trust_remote_code: bool = False,
) -> tuple[Any, Any, str]:
    """(model, tokenizer, source) with eager attention, in eval mode, on ``device``.

    The model class follows ``config.architectures``: a masked-LM or causal-LM head is
    kept when the checkpoint has one (for predictions); otherwise the bare model.
    """
    import torch
    from transformers import (
        AutoConfig,
        AutoModel,
        AutoModelForCausalLM,
        AutoModelForMaskedLM,
        AutoTokenizer,
    )

    _quiet_transformers()
    source = resolve_source(name)
    common: dict[str, Any] = {
        "local_files_only": not downloads_allowed(),
        "trust_remote_code": trust_remote_code,
    }
    try:
        config = AutoConfig.from_pretrained(source, **common)
    except (OSError, ValueError) as exc:
        raise _unknown(name, exc) from exc
    architectures = " ".join(config.architectures or [])
    if "ForMaskedLM" in architectures:
        model_class: Any = AutoModelForMaskedLM
    elif "ForCausalLM" in architectures or "LMHeadModel" in architectures:
        model_class = AutoModelForCausalLM
    else:
        model_class = AutoModel
    try:
        model = model_class.from_pretrained(source, attn_implementation="eager", dtype=torch.float32, **common)
        tokenizer = AutoTokenizer.from_pretrained(source, **common)
    except (OSError, ValueError) as exc:
        raise _unknown(name, exc) from exc
    model.eval().to(device)
    return model, tokenizer, source

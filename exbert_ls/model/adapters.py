"""Where each architecture keeps its layers and attention output projection.

A small mapping table in the spirit of TransformerLens's ``BertArchitectureAdapter``:
paths are relative to ``model.base_model``. The per-head context ``hook_z`` is the
*input* of the attention output projection, captured with a forward pre-hook.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from exbert_ls.errors import UnsupportedModelError


@dataclass(frozen=True)
class ArchitectureAdapter:
    """Module paths for one family of architectures."""

    layers: str
    """Path of the ``nn.ModuleList`` of transformer blocks, relative to the base model."""
    attn_output_projection: str
    """Path of the attention output projection, relative to one block."""
    causal: bool
    """Whether tokens attend only to earlier positions."""


_BERT = ArchitectureAdapter("encoder.layer", "attention.output.dense", causal=False)
_DISTILBERT = ArchitectureAdapter("transformer.layer", "attention.out_lin", causal=False)
_GPT2 = ArchitectureAdapter("h", "attn.c_proj", causal=True)
_LLAMA = ArchitectureAdapter("layers", "self_attn.o_proj", causal=True)

ADAPTERS: dict[str, ArchitectureAdapter] = {
    "bert": _BERT,
    "roberta": _BERT,
    "xlm-roberta": _BERT,
    "camembert": _BERT,
    "electra": _BERT,
    "distilbert": _DISTILBERT,
    "gpt2": _GPT2,
    "llama": _LLAMA,
    "mistral": _LLAMA,
    "qwen2": _LLAMA,
    "qwen3": _LLAMA,
    "gemma": _LLAMA,
    "olmo": _LLAMA,
}


def adapter_for(model_type: str) -> ArchitectureAdapter | None:
    """The known adapter for a ``config.model_type``, or None for other architectures."""
    return ADAPTERS.get(model_type)


def _get(root: nn.Module, path: str) -> nn.Module:
    module = root
    for part in path.split("."):
        module = getattr(module, part)
    return module


def find_layers(base_model: nn.Module, model_type: str, num_layers: int) -> nn.ModuleList:
    """The model's blocks: from the adapter table, else the one ModuleList of the right length."""
    adapter = adapter_for(model_type)
    if adapter is not None:
        return _get(base_model, adapter.layers)  # type: ignore[return-value]
    candidates = [m for m in base_model.modules() if isinstance(m, nn.ModuleList) and len(m) == num_layers]
    if len(candidates) != 1:
        raise UnsupportedModelError(
            f"cannot locate the {num_layers} transformer blocks of a {model_type!r} model; "
            f"supported families: {', '.join(sorted(ADAPTERS))}"
        )
    return candidates[0]


def find_output_projections(base_model: nn.Module, model_type: str) -> list[nn.Module]:
    """Attention output projections, one per block, whose input is ``hook_z``."""
    adapter = adapter_for(model_type)
    if adapter is None:
        raise UnsupportedModelError(
            f"context vectors not supported for architecture {model_type!r}; supported: {', '.join(sorted(ADAPTERS))}"
        )
    layers = _get(base_model, adapter.layers)
    if not isinstance(layers, nn.ModuleList):
        raise UnsupportedModelError(f"{model_type!r}: {adapter.layers} is a {type(layers).__name__}, not a ModuleList")
    return [_get(block, adapter.attn_output_projection) for block in layers]

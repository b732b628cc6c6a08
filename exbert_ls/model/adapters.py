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
_NEOX = ArchitectureAdapter("layers", "attention.dense", causal=True)
_OPT = ArchitectureAdapter("decoder.layers", "self_attn.out_proj", causal=True)
_PHI = ArchitectureAdapter("layers", "self_attn.dense", causal=True)
_GPTJ = ArchitectureAdapter("h", "attn.out_proj", causal=True)

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
    "olmo2": _LLAMA,
    "gemma2": _LLAMA,
    "gemma3_text": _LLAMA,
    "phi3": _LLAMA,
    "starcoder2": _LLAMA,
    "granite": _LLAMA,
    "stablelm": _LLAMA,
    "gpt_neox": _NEOX,
    "opt": _OPT,
    "phi": _PHI,
    "gptj": _GPTJ,
}
"""Families proven by tests/test_families.py with tiny random models (contexts reproduce the
attention output and equal attention x values per head, grouped KV heads included). Families
not listed run with attention only: contexts (search by context, ablation) say unsupported."""


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

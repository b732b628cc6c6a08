"""Logit lens (nostalgebraist 2020): what each hidden state would predict if it were the last.

Hidden state ``l`` (0 = embeddings, ``l`` = output of layer ``l``) goes through the model's own
readout: the final norm and the unembedding for causal LMs, the MLM head (transform + decoder)
for masked LMs. At ``l = L`` this is exactly the model's prediction (tested). A bare encoder
(MiniLM) has no readout: :class:`NoLanguageModelHeadError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from exbert_ls.errors import InvalidInputError, NoLanguageModelHeadError, UnsupportedModelError
from exbert_ls.model.display import display_tokens
from exbert_ls.payloads.analysis import LensPosition, LensResult

if TYPE_CHECKING:
    from exbert_ls.model.runner import ModelRunner

_FINAL_NORMS = ("norm", "ln_f", "final_layer_norm", "final_layernorm", "final_norm", "decoder.final_layer_norm")
"""Where causal families keep the norm applied after the last block (relative to base_model)."""


def _get(root: Any, path: str) -> Any:
    for part in path.split("."):
        root = getattr(root, part, None)
        if root is None:
            return None
    return root


def readout(runner: ModelRunner) -> tuple[str, Callable[[torch.Tensor], torch.Tensor]]:
    """(description, function hidden ``[..., D]`` -> logits ``[..., V]``) of the model's LM head."""
    model, info = runner.model, runner.info
    if info.lm_head is None:
        raise NoLanguageModelHeadError(
            f"model {info.name!r} ({info.model_type}) has no LM head: the logit lens needs a causal or "
            "masked LM (e.g. --model smollm2, or a *ForMaskedLM checkpoint)"
        )
    if info.lm_head == "masked":
        for head in ("cls", "lm_head"):
            module = getattr(model, head, None)
            if module is not None:
                return "MLM head", module
        if info.model_type == "electra":
            return "MLM head", lambda h: model.generator_lm_head(model.generator_predictions(h))
        raise UnsupportedModelError(f"logit lens: cannot locate the MLM head of a {info.model_type!r} model")
    norm = next((m for m in (_get(runner.base_model, p) for p in _FINAL_NORMS) if m is not None), None)
    unembed = model.get_output_embeddings()
    if norm is None or unembed is None:
        raise UnsupportedModelError(f"logit lens: cannot locate the final norm and unembedding of {info.model_type!r}")
    cap = getattr(model.config, "final_logit_softcapping", None)

    def causal(h: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = unembed(norm(h))
        return torch.tanh(logits / cap) * cap if cap else logits

    return "final norm + unembedding", causal


def lens_logits(runner: ModelRunner, text: str) -> tuple[Any, torch.Tensor]:
    """(activations, ``[L+1, T, V]`` log-probabilities of every hidden state's readout).

    The whole tensor: for tests and short texts. :func:`logit_lens` goes one layer at a time
    (SmolLM2 at 500 tokens would need 3 GB at once)."""
    _, head = readout(runner)
    acts = runner.run(text, contexts=False)
    hidden = torch.from_numpy(acts.hidden).to(runner.info.device)
    with runner._lock, torch.inference_mode():
        logits = head(hidden).float()
    return acts, torch.log_softmax(logits, dim=-1)


def logit_lens(runner: ModelRunner, text: str, *, k: int = 5, position: int | None = None) -> LensResult:
    """Top-``k`` tokens of each hidden state at each position (or one ``position``)."""
    if k < 1:
        raise InvalidInputError(f"--k must be at least 1, got {k}")
    description, head = readout(runner)
    acts = runner.run(text, contexts=False)
    n = len(acts.tokens)
    if position is not None and not 0 <= position < n:
        raise InvalidInputError(f"position {position} is out of range 0..{n - 1}")
    ids = [t.id for t in acts.tokens]
    shown = display_tokens(runner.tokenizer, ids)
    causal = runner.info.lm_head == "causal"
    wanted = [position] if position is not None else list(range(n))
    targets = torch.tensor([(ids[p + 1] if p + 1 < n else 0) if causal else ids[p] for p in wanted])
    tops, top_ids, target_probs = [], [], []
    hidden = torch.from_numpy(acts.hidden[:, wanted]).to(runner.info.device)  # [L+1, P, D]
    with runner._lock, torch.inference_mode():
        for state in hidden:  # one hidden state at a time: [P, V] probabilities, not [L+1, P, V]
            probs = torch.softmax(head(state).float(), dim=-1).cpu()
            v, i = probs.topk(min(k, probs.shape[-1]), dim=-1)
            tops.append(v)
            top_ids.append(i)
            target_probs.append(probs[torch.arange(len(wanted)), targets])
    values, indices, target_p = torch.stack(tops), torch.stack(top_ids), torch.stack(target_probs)  # [L+1, P, ...]
    positions = []
    for column, p in enumerate(wanted):
        target = (ids[p + 1] if p + 1 < n else None) if causal else ids[p]
        top = [display_tokens(runner.tokenizer, row) for row in indices[:, column].tolist()]
        positions.append(
            LensPosition(
                position=p,
                token=shown[p],
                target=None if target is None else display_tokens(runner.tokenizer, [target])[0],
                top_tokens=top,
                top_probabilities=[[round(v, 5) for v in row] for row in values[:, column].tolist()],
                target_probability=None if target is None else [round(v, 5) for v in target_p[:, column].tolist()],
            )
        )
    return LensResult(model=runner.info.name, tokens=shown, head=description, k=k, positions=positions)


def readable_lens(result: LensResult) -> str:
    lines = [f"logit lens of {result.model} ({result.head}); hidden state 0 = embeddings"]
    for pos in result.positions:
        target = f", actual next {pos.target}" if pos.target is not None else ""
        lines.append(f"position {pos.position} {pos.token}{target}:")
        for layer, (toks, ps) in enumerate(zip(pos.top_tokens, pos.top_probabilities)):
            guess = " ".join(f"{t} {p:.2f}" for t, p in zip(toks, ps))
            hit = f"  [target {pos.target_probability[layer]:.3f}]" if pos.target_probability else ""
            lines.append(f"  h{layer:<3d} {guess}{hit}")
    return "\n".join(lines)

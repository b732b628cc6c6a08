"""Head ablation: re-run a text with chosen heads' contexts replaced, and measure the effect.

A head's context ``z`` (``blocks.{l}.attn.hook_z``, the input of the attention output
projection, where contexts are captured) is replaced before the projection: by 0 (``zero``),
by its mean over the text's positions (``mean``), or by its mean over a corpus index
(``corpus-mean``: the caller passes ``corpus_means``, the mean stored direction per head from
:mod:`exbert_ls.store.means`, which this layer scales by the head's mean context norm over the
text; the model layer never reads the store). Everything after it (later layers, their
attention) sees the change; ``attention_change`` measures how much each later head's attention
moved (mean total-variation distance of its rows).

Effects, per position, on the model's prediction (next token for causal LMs, the token itself
for masked LMs run without masking): Δ log-prob of the original top-1, Δ log-prob of the
target, KL(original ‖ ablated). The loss is the mean negative log-likelihood of the targets.

The **scan** ablates every head alone: rows of one batch are copies of the text, each with a
different head ablated (a ``[B, L, H]`` mask read by the hooks), so ``L x H`` ablations cost
``ceil(L*H / batch)`` batched forwards. Scans are cached per (weights, text, mode) in memory.
"""

from __future__ import annotations

import hashlib
import math
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from exbert_ls.errors import IndexMismatchError, InvalidInputError, NoLanguageModelHeadError
from exbert_ls.model.display import display_tokens
from exbert_ls.payloads.analysis import AblationPosition, AblationResult, AblationScan

if TYPE_CHECKING:
    from exbert_ls.model.runner import ModelRunner

Mode = Literal["zero", "mean", "corpus-mean"]
MODES: tuple[Mode, ...] = ("zero", "mean", "corpus-mean")
SCAN_BATCH = 32
LOGIT_BUDGET = 64 * 2**20
"""Most logits (floats) one scan forward may hold: rows per batch shrink for long texts."""
_SCAN_CACHE: OrderedDict[tuple[str, str, str], AblationScan] = OrderedDict()
_SCAN_CACHE_SIZE = 32
_fingerprints: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


@contextmanager
def ablation_hooks(runner: ModelRunner, mask: torch.Tensor, means: torch.Tensor | None) -> Iterator[None]:
    """While active, row ``b`` of a batch runs with heads ``mask[b, l-1, h]`` ablated.

    ``mask`` is ``[B, L, H]`` (1 = ablate); ``means`` ``[L, H, d_head]`` replaces ablated
    contexts (None: zero).
    """
    if runner._projections is None:
        assert runner._projection_error is not None
        raise runner._projection_error
    num_heads = runner.info.num_heads

    def hook(layer: int) -> Any:
        def pre(_module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
            z = args[0]
            b, t, width = z.shape
            heads = z.view(b, t, num_heads, width // num_heads)
            drop = mask[:, layer].to(z.dtype)[:, None, :, None]  # [B, 1, H, 1]
            replaced = heads * (1 - drop)
            if means is not None:
                replaced = replaced + drop * means[layer].to(z.dtype)[None, None]
            return (replaced.reshape(b, t, width), *args[1:])

        return pre

    handles = [proj.register_forward_pre_hook(hook(l)) for l, proj in enumerate(runner._projections)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _prepare(
    runner: ModelRunner, text: str, mode: str, corpus_means: np.ndarray | None = None
) -> tuple[Any, torch.Tensor | None]:
    if runner.info.lm_head is None:
        raise NoLanguageModelHeadError(
            f"model {runner.info.name!r} has no LM head: ablation measures the change in predictions "
            "(use a causal or masked LM, e.g. --model smollm2)"
        )
    if mode not in MODES:
        raise InvalidInputError(f"ablation mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "corpus-mean" and corpus_means is None:
        raise InvalidInputError("ablation mode corpus-mean needs a corpus index (give --db, or index the workspace)")
    if not text.strip():
        raise InvalidInputError("text is empty or only whitespace")
    acts = runner.run(text, contexts=True)
    if mode == "zero":
        return acts, None
    assert acts.contexts is not None
    info = runner.info
    ctx = torch.from_numpy(acts.contexts).view(info.num_layers, -1, info.num_heads, info.d_head)  # [L, T, H, dh]
    if mode == "mean":
        return acts, ctx.mean(dim=1).to(info.device)
    assert corpus_means is not None
    shape = (info.num_layers, info.num_heads, info.d_head)
    if tuple(corpus_means.shape) != shape:
        raise IndexMismatchError(
            f"corpus context means have shape {tuple(corpus_means.shape)}, model {info.name!r} needs {shape} "
            "(the index was built by another model)"
        )
    # stored contexts are unit length per head: the corpus gives the mean direction, the text its scale
    scale = ctx.norm(dim=-1).mean(dim=1, keepdim=True).transpose(1, 2)  # [L, H, 1]
    return acts, (torch.from_numpy(corpus_means).float() * scale).to(info.device)


def means_digest(corpus_means: np.ndarray | None) -> str:
    """Cache-key part for the replacement values (a corpus changes when re-indexed)."""
    if corpus_means is None:
        return ""
    return hashlib.blake2b(np.ascontiguousarray(corpus_means).tobytes(), digest_size=8).hexdigest()


def _targets(runner: ModelRunner, acts: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """(positions whose prediction is scored, the token ids they should predict)."""
    ids = torch.tensor([t.id for t in acts.tokens])
    if runner.info.lm_head == "causal":
        return torch.arange(len(ids) - 1), ids[1:]
    keep = torch.tensor([not t.special for t in acts.tokens])
    pos = torch.nonzero(keep).flatten()
    return pos, ids[pos]


def _forward(
    runner: ModelRunner, acts: Any, mask: torch.Tensor, means: torch.Tensor | None, *, attentions: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``[B, T, V]`` log-probabilities, row ``b`` with heads ``mask[b]`` ablated, and with
    ``attentions`` (two rows: original, ablated) the ``[L, H]`` :func:`attention_change`
    between them (None otherwise), reduced layer by layer where the attention is."""
    ids = torch.tensor([[t.id for t in acts.tokens]], device=runner.info.device).expand(mask.shape[0], -1)
    with runner._lock, torch.inference_mode(), ablation_hooks(runner, mask.to(runner.info.device), means):
        out = runner.model(input_ids=ids, attention_mask=torch.ones_like(ids), output_attentions=attentions)
        moved = (
            torch.stack([attention_change(a[0].float(), a[1].float()) for a in out.attentions]).cpu()
            if attentions
            else None
        )
    return torch.log_softmax(out.logits.float(), dim=-1).cpu(), moved


def attention_change(original: torch.Tensor, ablated: torch.Tensor) -> torch.Tensor:
    """Mean over query rows of the total-variation distance between two ``[..., T, T]``
    attentions (0: unchanged, 1: disjoint supports): ``[...]``, e.g. ``[H]`` per layer."""
    return 0.5 * (original - ablated).abs().sum(-1).mean(-1)


def _check_heads(runner: ModelRunner, heads: Sequence[tuple[int, int]]) -> None:
    info = runner.info
    for layer, head in heads:
        if not (1 <= layer <= info.num_layers and 0 <= head < info.num_heads):
            raise InvalidInputError(
                f"head {layer}:{head} does not exist: layers are 1..{info.num_layers} (1-based), "
                f"heads 0..{info.num_heads - 1} (0-based)"
            )


def ablate(
    runner: ModelRunner,
    text: str,
    heads: Sequence[tuple[int, int]],
    *,
    mode: Mode = "zero",
    corpus_means: np.ndarray | None = None,
) -> AblationResult:
    """The text with ``heads`` (``(layer 1-based, head 0-based)``) ablated, against the original.
    ``corpus_means`` (``[L, H, d_head]``, store/means.py) is needed by ``corpus-mean``."""
    _check_heads(runner, heads)
    acts, means = _prepare(runner, text, mode, corpus_means)
    info = runner.info
    mask = torch.zeros(2, info.num_layers, info.num_heads)
    for layer, head in heads:
        mask[1, layer - 1, head] = 1
    lp, moved = _forward(runner, acts, mask, means, attentions=True)
    assert moved is not None
    original, ablated = lp[0], lp[1]
    pos, target = _targets(runner, acts)
    kl = (original.exp() * (original - ablated)).sum(-1)
    top = original.argmax(-1)
    ablated_top = ablated.argmax(-1)
    n = len(acts.tokens)
    ids = [t.id for t in acts.tokens]
    shown = display_tokens(runner.tokenizer, ids)
    tops = display_tokens(runner.tokenizer, top.tolist())
    ablated_tops = display_tokens(runner.tokenizer, ablated_top.tolist())
    target_at = dict(zip(pos.tolist(), target.tolist()))
    rows = []
    for p in range(n):
        tid = target_at.get(p)
        rows.append(
            AblationPosition(
                position=p,
                token=shown[p],
                original_top=tops[p],
                delta_logprob_top=round(float(ablated[p, top[p]] - original[p, top[p]]), 5),
                target=None if tid is None else display_tokens(runner.tokenizer, [tid])[0],
                delta_logprob_target=None if tid is None else round(float(ablated[p, tid] - original[p, tid]), 5),
                kl=round(float(kl[p]), 6),
                ablated_top=ablated_tops[p],
            )
        )
    return AblationResult(
        model=info.name,
        mode=mode,
        heads=[[layer, head] for layer, head in heads],
        loss=round(float(-original[pos, target].mean()), 5),
        ablated_loss=round(float(-ablated[pos, target].mean()), 5),
        positions=rows,
        attention_change=[[round(v, 6) for v in row] for row in moved.tolist()],
    )


def loss_with_ablations(
    runner: ModelRunner,
    text: str,
    masks: torch.Tensor,
    *,
    mode: Mode = "zero",
    batch: int = SCAN_BATCH,
    corpus_means: np.ndarray | None = None,
) -> torch.Tensor:
    """Mean target NLL of the text for each ablation mask ``[N, L, H]`` (batched): ``[N]``."""
    acts, means = _prepare(runner, text, mode, corpus_means)
    pos, target = _targets(runner, acts)
    vocab = int(runner.model.config.vocab_size)
    batch = max(1, min(batch, LOGIT_BUDGET // max(1, len(acts.tokens) * vocab)))
    losses = [
        _row_losses(runner, acts, masks[b : b + batch], means, pos, target) for b in range(0, masks.shape[0], batch)
    ]
    return torch.cat(losses)


def _row_losses(
    runner: ModelRunner,
    acts: Any,
    mask: torch.Tensor,
    means: torch.Tensor | None,
    pos: torch.Tensor,
    target: torch.Tensor,
) -> torch.Tensor:
    """``[B]`` mean target NLL per row, reduced where the logits are: only ``B`` numbers
    leave the device (not ``[B, T, V]`` log-probabilities)."""
    device = runner.info.device
    ids = torch.tensor([[t.id for t in acts.tokens]], device=device).expand(mask.shape[0], -1)
    with runner._lock, torch.inference_mode(), ablation_hooks(runner, mask.to(device), means):
        logits = runner.model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[:, pos.to(device)]
        lp = torch.log_softmax(logits.float(), dim=-1)
        picked = lp.gather(-1, target.to(device)[None, :, None].expand(mask.shape[0], -1, 1))
        return (-picked.squeeze(-1).mean(-1)).cpu()


def second_copy_loss(
    runner: ModelRunner, heads: Sequence[tuple[int, int]], ids: torch.Tensor, offset: int, length: int
) -> float:
    """Mean NLL of the second copy of repeated sequences (``probes.repeated_sequences``:
    ``[B, T]`` ids, prefix ``offset``, copies of ``length``) with ``heads`` zero-ablated: the
    loss induction heads bring down."""
    info = runner.info
    mask = torch.zeros(ids.shape[0], info.num_layers, info.num_heads)
    for layer, head in heads:
        mask[:, layer - 1, head] = 1
    with runner._lock, torch.inference_mode(), ablation_hooks(runner, mask.to(info.device), None):
        logits = runner.model(input_ids=ids.to(info.device), attention_mask=torch.ones_like(ids)).logits
    lp = torch.log_softmax(logits.float(), -1).cpu()
    pos = torch.arange(offset + length, offset + 2 * length - 1)  # predicts the copy's tokens 2..n
    return float(-lp[:, pos].gather(-1, ids[:, pos + 1, None]).mean())


def ablation_scan(
    runner: ModelRunner,
    text: str,
    *,
    mode: Mode = "zero",
    batch: int = SCAN_BATCH,
    corpus_means: np.ndarray | None = None,
) -> AblationScan:
    """Each head ablated alone: the ``L x H`` grid of loss changes over the text (cached)."""
    if runner not in _fingerprints:
        _fingerprints[runner] = runner.fingerprint()
    key = (_fingerprints[runner], text, mode + means_digest(corpus_means))
    if key in _SCAN_CACHE:
        _SCAN_CACHE.move_to_end(key)
        cached = _SCAN_CACHE[key]
        return AblationScan(
            model=cached.model, mode=mode, loss=cached.loss, delta_loss=cached.delta_loss,
            seconds=0.0, forwards=0, cached=True,
        )  # fmt: skip
    started = time.perf_counter()
    info = runner.info
    count = info.num_layers * info.num_heads
    masks = torch.zeros(count + 1, info.num_layers, info.num_heads)  # row 0: nothing ablated
    masks.view(count + 1, count)[torch.arange(1, count + 1), torch.arange(count)] = 1
    losses = loss_with_ablations(runner, text, masks, mode=mode, batch=batch, corpus_means=corpus_means)
    n_tokens, vocab = len(runner.tokenizer(text)["input_ids"]), int(runner.model.config.vocab_size)
    delta = (losses[1:] - losses[0]).view(info.num_layers, info.num_heads)
    scan = AblationScan(
        model=info.name,
        mode=mode,
        loss=round(float(losses[0]), 5),
        delta_loss=[[round(v, 5) for v in row] for row in delta.tolist()],
        seconds=round(time.perf_counter() - started, 3),
        forwards=math.ceil((count + 1) / max(1, min(batch, LOGIT_BUDGET // max(1, n_tokens * vocab)))),
    )
    _SCAN_CACHE[key] = scan
    while len(_SCAN_CACHE) > _SCAN_CACHE_SIZE:
        _SCAN_CACHE.popitem(last=False)
    return scan


def readable_ablation(result: AblationResult) -> str:
    heads = ", ".join(f"L{layer} H{head}" for layer, head in result.heads) or "no heads"
    lines = [
        f"{result.model}: {heads} ablated ({result.mode}); loss {result.loss:.3f} -> {result.ablated_loss:.3f} nats",
        "  pos token          top-1 (Δ logprob)       target (Δ logprob)      KL      ablated top-1",
    ]
    for p in result.positions:
        target = f"{p.target} ({p.delta_logprob_target:+.3f})" if p.target is not None else "-"
        lines.append(
            f"  {p.position:<3d} {p.token:14s} {p.original_top} ({p.delta_logprob_top:+.3f})".ljust(45)
            + f" {target:23s} {p.kl:.4f}  {p.ablated_top}"
        )
    moved = sorted(
        ((d, l + 1, h) for l, row in enumerate(result.attention_change) for h, d in enumerate(row) if d > 0),
        reverse=True,
    )
    if moved:
        lines.append(
            "attention moved most (mean TV distance): " + ", ".join(f"L{l} H{h} {d:.3f}" for d, l, h in moved[:8])
        )
    return "\n".join(lines)


def readable_scan(scan: AblationScan) -> str:
    flat = sorted(((d, l + 1, h) for l, row in enumerate(scan.delta_loss) for h, d in enumerate(row)), reverse=True)
    lines = [
        f"{scan.model}: single-head ablation scan ({scan.mode}); loss {scan.loss:.3f} nats; "
        f"{scan.forwards} batched forwards, {'cached' if scan.cached else f'{scan.seconds:.2f} s'}",
        "most harmful to ablate: " + ", ".join(f"L{l} H{h} {d:+.3f}" for d, l, h in flat[:8]),
    ]
    return "\n".join(lines)

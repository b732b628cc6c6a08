"""Results of the model analyses: probes, logit lens, head ablation (docs/heads.md).

Layers are 1-based for heads (``layer`` of a head = the layer it sits in); hidden state ``l``
is the output of layer ``l`` (0 = embeddings); heads 0-based; token positions 0-based and
include special tokens.
"""

from __future__ import annotations

import attrs


@attrs.define(kw_only=True)
class ProbeHead:
    """Model-only probe scores of one head, on random token sequences repeated twice."""

    layer: int
    """1-based layer."""
    head: int
    """0-based head."""
    induction: float
    """Mean attention from each token of the second copy to the token after its earlier
    occurrence (Olsson et al. 2022)."""
    duplicate: float
    """Mean attention from each token of the second copy to its earlier occurrence."""
    previous: float
    """Mean attention to the previous position, over the same query tokens."""
    sink: float
    """Mean attention to position 0, over every query after the first position."""
    role: str
    """``induction``, ``duplicate``, ``previous``, ``sink`` or ``none``: the first score past
    its threshold, in that order (thresholds in :attr:`ProbeResult.thresholds`)."""


@attrs.define(kw_only=True)
class CausalEffect:
    """Each head's causal effect: the ablation scan (zero mode) on a fixed sample text, cached
    per weights fingerprint like the probes (``exbert probe``; docs/heads.md)."""

    model: str
    fingerprint: str
    """Weights fingerprint the cache is keyed by."""
    sample: str
    """The fixed sample text the loss is taken over."""
    tokens: int
    """Its length in model tokens (special tokens included)."""
    loss: float
    """Unablated mean loss over the sample (nats)."""
    delta_loss: list[list[float]]
    """``[L][H]``: loss with the head alone zero-ablated minus ``loss`` (positive = the head helps)."""
    seconds: float = 0.0
    """Time the scan took (0 when cached)."""
    forwards: int = 0
    """Batched forward passes used (0 when cached)."""
    cached: bool = False


@attrs.define(kw_only=True)
class ProbeResult:
    """``exbert probe``: every head's probe scores for one model, cached per fingerprint."""

    model: str
    """The name the model was loaded by."""
    fingerprint: str
    """Weights fingerprint the cache is keyed by."""
    sequences: int
    """Random sequences in the batch."""
    length: int
    """Tokens per copy (each sequence is ``length`` random tokens, then the same again)."""
    seed: int
    """Random seed of the token sequences."""
    thresholds: dict[str, float]
    """Score from which a head gets a role, per role."""
    heads: list[ProbeHead]
    """All heads, layer-major."""
    cached: bool = False
    """Read from the on-disk cache rather than computed now."""
    seconds: float = 0.0
    """Time the probe forward and scoring took (0 when cached)."""
    causal_effect: CausalEffect | None = None
    """Every head's ablation Δloss on the fixed sample (``exbert probe`` adds it for models
    with an LM head; not part of the probe cache, it has its own)."""


@attrs.define(kw_only=True)
class LensPosition:
    """One position of the logit lens: each hidden state's top-k next (or masked) tokens."""

    position: int
    """0-based token position."""
    token: str
    """Display text of the token at this position."""
    target: str | None
    """The token scored by ``target_probability``: the actual next token (causal LMs) or the
    input token itself (masked LMs); None at a causal model's last position."""
    top_tokens: list[list[str]]
    """``[L+1][k]``: top-k tokens per hidden state 0..L (display text)."""
    top_probabilities: list[list[float]]
    """``[L+1][k]``: their probabilities."""
    target_probability: list[float] | None
    """``[L+1]``: probability of ``target`` per hidden state; None where there is no target."""


@attrs.define(kw_only=True)
class LensResult:
    """``exbert lens``: hidden state ``l`` through the final norm and unembedding (decoders)
    or the MLM head (encoders), for ``l = 0..L`` (nostalgebraist 2020)."""

    model: str
    tokens: list[str]
    """Display text of every position."""
    head: str
    """How hidden states were decoded: ``final norm + unembedding`` or ``MLM head``."""
    k: int
    positions: list[LensPosition]


@attrs.define(kw_only=True)
class AblationPosition:
    """How one position's prediction changes with the heads ablated."""

    position: int
    token: str
    original_top: str
    """The unablated model's top-1 prediction here."""
    delta_logprob_top: float
    """Ablated minus original log-probability of ``original_top``."""
    target: str | None
    """Actual next token (causal) / the input token (masked LM); None at the causal end."""
    delta_logprob_target: float | None
    """Ablated minus original log-probability of ``target``."""
    kl: float
    """KL(original || ablated) of the prediction distributions, nats."""
    ablated_top: str
    """Top-1 prediction with the heads ablated."""


@attrs.define(kw_only=True)
class AblationResult:
    """``exbert ablate``: the text re-run with chosen heads' contexts replaced before the
    attention output projection."""

    model: str
    mode: str
    """``zero`` (context set to 0), ``mean`` (context replaced by its mean over the text) or
    ``corpus-mean`` (by the corpus index's mean direction for the head, scaled to the head's
    mean context norm over the text; docs/heads.md)."""
    heads: list[list[int]]
    """Ablated heads as ``[layer (1-based), head (0-based)]``."""
    loss: float
    """Original mean loss over the text's targets (nats)."""
    ablated_loss: float
    """Mean loss with the heads ablated."""
    positions: list[AblationPosition]
    attention_change: list[list[float]]
    """``[L][H]``, layer 1 first: mean over query rows of the total-variation distance between
    the head's original and ablated attention (0 = unchanged, 1 = disjoint). Zero up to and
    including the first ablated layer (a context is replaced after its attention is taken)."""


@attrs.define(kw_only=True)
class AblationScan:
    """Every single head's effect on the loss over a text: an ``L x H`` grid."""

    model: str
    mode: str
    loss: float
    """Unablated mean loss over the text (nats)."""
    delta_loss: list[list[float]]
    """``[L][H]``: ablated minus original loss, layer 1 first."""
    seconds: float
    """Time the scan took (0 when cached)."""
    forwards: int
    """Batched forward passes used."""
    cached: bool = False

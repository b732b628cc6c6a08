"""Head roles: one label per head whose words never contradict its numbers.

A role is chosen from a head's statistics by fixed, documented thresholds (docs/heads.md),
in priority order; the first that holds wins:

1. ``induction``  model-probe induction score >= :data:`INDUCTION_SCORE` (Olsson et al. 2022)
2. ``sink``       share to the first position >= :data:`SINK_SHARE` (Xiao et al. 2023)
3. ``special``    share to special tokens other than the first position >= :data:`SPECIAL_SHARE`
4. ``previous`` / ``next`` / ``self``  share at that offset >= :data:`POSITIONAL_SHARE`
5. ``offset``     best other fixed offset's share >= :data:`POSITIONAL_SHARE`
6. ``broad``      normalised entropy >= :data:`BROAD_FRACTION`
7. ``mixed``      none of the above: the largest share and the entropy are given, no claim

Entropy threshold: Clark et al. 2019 call a BERT head broad above 3.8 nats on segments of up
to 128 tokens, where a uniform row has ``ln 128 = 4.85`` nats. We keep their *fraction* of the
maximum, ``3.8 / ln 128 = 0.78``, and compare it with the head's entropy divided by the mean
maximum entropy of its rows (``ln`` of the number of keys a row may attend to: ``T`` for
encoders, ``i + 1`` for causal row ``i``). So the threshold scales with the log of the actual
length, and a causal model's short early rows are not mistaken for focus.

This module is pure numbers (numpy in, strings out): :mod:`patterns` (per text) and
:mod:`heads` (per corpus) both use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from exbert_ls.payloads.heads import Role

ROLES: tuple[Role, ...] = ("induction", "sink", "special", "previous", "next", "self", "offset", "broad", "mixed")

CLARK_BROAD_NATS = 3.8
"""Clark et al. 2019's broad-attention entropy for BERT (nats)."""
CLARK_REFERENCE_LENGTH = 128
"""Their segment length: the entropy of a uniform row there is ``ln 128``."""
BROAD_FRACTION = CLARK_BROAD_NATS / math.log(CLARK_REFERENCE_LENGTH)
"""Normalised entropy (entropy / mean maximum entropy) above which a head is broad (~0.783)."""
SINK_SHARE = 0.5
"""Most of a head's mass on position 0: an attention sink."""
SPECIAL_SHARE = 0.6
"""Clark et al.: > 60 % to [CLS]/[SEP] (here: special tokens other than position 0)."""
POSITIONAL_SHARE = 0.5
"""Clark et al.: > 50 % to the previous / next token (we use the same for self and offsets)."""
INDUCTION_SCORE = 0.4
"""Probe induction score (mean attention to the token after the earlier copy) for ``induction``.
Random sequences of 50+ tokens give a uniform head ~0.02; 0.4 is 20x that."""


@dataclass(frozen=True)
class HeadNumbers:
    """The statistics one head's role is chosen from (shares in 0..1, entropy in nats)."""

    entropy: float
    max_entropy: float
    """Mean over the same rows of ``ln`` (number of keys the row may attend to)."""
    to_first: float
    to_special: float
    """Special tokens other than position 0."""
    to_previous: float
    to_next: float
    to_self: float
    best_offset: int = 0
    """The best fixed offset other than -1, 0, +1 (0 = none measured)."""
    best_offset_share: float = 0.0
    induction: float | None = None
    """Probe score, when the model's probes are known."""

    @property
    def normalised_entropy(self) -> float:
        return self.entropy / self.max_entropy if self.max_entropy > 0 else 0.0


def classify(n: HeadNumbers) -> Role:
    """The head's role by the module's thresholds, first match in priority order."""
    if n.induction is not None and n.induction >= INDUCTION_SCORE:
        return "induction"
    if n.to_first >= SINK_SHARE:
        return "sink"
    if n.to_special >= SPECIAL_SHARE:
        return "special"
    positional = {"previous": n.to_previous, "next": n.to_next, "self": n.to_self}
    name = max(positional, key=lambda k: positional[k])
    if positional[name] >= POSITIONAL_SHARE:
        return name  # type: ignore[return-value]
    if n.best_offset and n.best_offset_share >= POSITIONAL_SHARE:
        return "offset"
    if n.normalised_entropy >= BROAD_FRACTION:
        return "broad"
    return "mixed"


def _pct(x: float) -> str:
    return f"{x:.0%}".replace("%", " %")


def describe(n: HeadNumbers) -> str:
    """A few words that state the role and the number behind it, e.g. ``"sink: 97 % to first
    position"``; ``mixed`` names the largest share and the entropy without a claim."""
    role = classify(n)
    entropy = f"entropy {n.entropy:.2f} nats"
    if role == "induction":
        return f"induction (score {n.induction:.2f})"
    if role == "sink":
        return f"sink: {_pct(n.to_first)} to first position"
    if role == "special":
        return f"{_pct(n.to_special)} to special tokens"
    if role in ("previous", "next"):
        return f"{_pct(n.to_previous if role == 'previous' else n.to_next)} to {role} token"
    if role == "self":
        return f"{_pct(n.to_self)} to itself"
    if role == "offset":
        return f"{_pct(n.best_offset_share)} to offset {n.best_offset:+d}"
    if role == "broad":
        return f"broad ({entropy}, {_pct(n.normalised_entropy)} of uniform)"
    shares = {
        "first position": n.to_first,
        "special tokens": n.to_special,
        "previous token": n.to_previous,
        "next token": n.to_next,
        "itself": n.to_self,
    }
    name = max(shares, key=lambda k: shares[k])
    return f"mixed: {_pct(shares[name])} to {name} ({entropy})"

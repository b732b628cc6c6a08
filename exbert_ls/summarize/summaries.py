"""Head summaries: a corpus sum of :class:`~exbert_ls.summarize.heads.HeadStats` turned into
the ``exbert.heads/1`` payload — per head its behaviour, the relations it tracks against their
fixed-offset baseline, its role (:mod:`exbert_ls.summarize.roles`) and a one-line description.
Layers are 1-based and heads 0-based in every payload and description."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from exbert_ls.payloads.heads import BestHead, HeadRelation, HeadSummaries, HeadSummary, RelationSummary
from exbert_ls.summarize.heads import BEHAVIOURS, EXTRAS, OFFSETS, HeadStats
from exbert_ls.summarize.roles import HeadNumbers, classify, describe

_BEHAVIOUR_WORDS = {
    "to_special": "to special tokens",
    "to_punct": "to punctuation",
    "to_previous": "to previous token",
    "to_next": "to next token",
    "to_self": "to itself",
}
_THRESHOLDS = {"to_special": 0.6, "to_previous": 0.5, "to_next": 0.5, "to_self": 0.5, "to_punct": 0.5}
"""Clark et al. 2019: > 0.5 to the next/previous token, > 0.6 to [CLS]/[SEP] is a pattern."""
BROAD_ENTROPY = 3.8
"""Nats above which Clark et al. call a head's attention broad."""
CLEAR_MARGIN = 0.10
"""Accuracy above the baseline for a relation to appear in a head's description."""
TOP_RANK = 3
"""A relation appears in a head's description only if the head is among this many best."""


def summarize_heads(
    stats: HeadStats,
    *,
    min_support: int = 20,
    top: int = 5,
    matrices: bool = False,
    induction: np.ndarray | None = None,
    causal: np.ndarray | None = None,
) -> HeadSummaries:
    """The ``exbert.heads/1`` result: per head behaviour, relations it tracks and a
    one-line description; per relation the ``top`` best heads.

    Relations with fewer than ``min_support`` arcs are left out. A head's ``relations``
    lists those where it beats the baseline, most significant first (at most ``top``):
    ``z`` is the margin over the baseline in standard errors (two-proportion z, pooled),
    ``rank`` the head's place among all heads for that relation (0 = best).
    ``matrices=True`` adds each relation's full ``[L][H]`` accuracy matrix. ``induction``
    (``[L, H]`` probe scores, model/probes.py) adds each head's ``induction`` and lets the
    role be ``induction``; ``causal`` (``[L, H]`` ablation Δloss, model/effects.py) adds each
    head's ``causal_effect`` beside its (correlational) role.
    """
    means = stats.means()
    num_layers, num_heads = stats.shape
    relations: list[RelationSummary] = []
    per_head: list[list[HeadRelation]] = [[] for _ in range(num_layers * num_heads)]
    for (rel, direction), counts in sorted(stats.relations.items()):
        if counts.support < min_support:
            continue
        accuracy = counts.correct / counts.support
        b = int(np.argmax(counts.baseline))
        baseline = float(counts.baseline[b] / counts.support)
        order = np.argsort(-accuracy, axis=None, kind="stable")[:top]
        relations.append(
            RelationSummary(
                relation=rel,
                direction=direction,
                support=counts.support,
                baseline=round(baseline, 4),
                baseline_offset=OFFSETS[b],
                best=[
                    BestHead(
                        layer=int(i) // num_heads + 1,
                        head=int(i) % num_heads,
                        accuracy=round(float(accuracy.flat[i]), 4),
                    )
                    for i in order
                ],
                accuracy=np.round(accuracy, 4).tolist() if matrices else None,
            )
        )
        rank = np.empty(accuracy.size, dtype=np.int64)
        rank[np.argsort(-accuracy, axis=None, kind="stable")] = np.arange(accuracy.size)
        pooled = (accuracy.ravel() + baseline) / 2
        spread = np.sqrt(np.maximum(2 * pooled * (1 - pooled), 1e-9) / counts.support)
        z = (accuracy.ravel() - baseline) / spread
        for i in np.flatnonzero(accuracy.ravel() > baseline).tolist():
            per_head[i].append(
                HeadRelation(
                    relation=rel,
                    direction=direction,
                    accuracy=round(float(accuracy.flat[i]), 4),
                    baseline=round(baseline, 4),
                    baseline_offset=OFFSETS[b],
                    support=counts.support,
                    rank=int(rank[i]),
                    z=round(float(z[i]), 2),
                )
            )
    heads = []
    for n in range(num_layers * num_heads):
        l, h = divmod(n, num_heads)
        tracked = sorted(per_head[n], key=lambda r: -r.z)[:top]
        behaviour = {name: round(float(means[name][l, h]), 4) for name in BEHAVIOURS}
        numbers = _role_numbers(means, l, h)
        head_induction = None
        if induction is not None and induction.shape == stats.shape:
            head_induction = round(float(induction[l, h]), 4)
            if numbers is not None:
                numbers = dataclasses.replace(numbers, induction=float(induction[l, h]))
        head_causal = round(float(causal[l, h]), 5) if causal is not None and causal.shape == stats.shape else None
        heads.append(
            HeadSummary(
                layer=l + 1,
                head=h,
                entropy=behaviour["entropy"],
                to_special=behaviour["to_special"],
                to_punct=behaviour["to_punct"],
                to_previous=behaviour["to_previous"],
                to_next=behaviour["to_next"],
                to_self=behaviour["to_self"],
                relations=tracked,
                description=describe_head(l + 1, h, behaviour, tracked, numbers) + causal_note(head_causal),
                # head roles (docs/heads.md): present when every indexed document recorded them
                to_first=round(numbers.to_first, 4) if numbers is not None else None,
                to_special_rest=round(numbers.to_special, 4) if numbers is not None else None,
                normalised_entropy=round(numbers.normalised_entropy, 4) if numbers is not None else None,
                role=classify(numbers) if numbers is not None else None,
                induction=head_induction,
                causal_effect=head_causal,
            )
        )
    return HeadSummaries(
        sentences=stats.sentences,
        tokens=stats.tokens,
        layer_numbering="layers 1-based (L1 = first layer), heads 0-based (H0 = first head)",
        heads=heads,
        relations=relations,
    )


def causal_note(delta: float | None) -> str:
    """``" · ablated: Δloss +0.123"``: the causal effect beside a head's (correlational)
    description, so every reader of descriptions (CLI, hover, panel) shows both; "" if unknown."""
    return "" if delta is None else f" · ablated: Δloss {delta:+.3f}"


def _role_numbers(means: dict[str, np.ndarray], l: int, h: int) -> HeadNumbers | None:
    if not all(name in means for name in EXTRAS):
        return None
    return HeadNumbers(
        entropy=float(means["entropy"][l, h]),
        max_entropy=float(means["max_entropy"][l, h]),
        to_first=float(means["to_first"][l, h]),
        to_special=float(means["to_special_rest"][l, h]),
        to_previous=float(means["to_previous"][l, h]),
        to_next=float(means["to_next"][l, h]),
        to_self=float(means["to_self"][l, h]),
    )


def describe_head(
    layer: int,
    head: int,
    behaviour: dict[str, float],
    tracked: Sequence[HeadRelation],
    numbers: HeadNumbers | None = None,
) -> str:
    """One line for a tooltip, e.g. ``"L4 H10 · amod → its head 78 % (baseline 41 %) · 62 % to previous token"``.

    ``layer`` is 1-based, ``head`` 0-based. Names the most significant relation for which
    the head is among the :data:`TOP_RANK` best heads and beats the baseline by
    :data:`CLEAR_MARGIN`, then the strongest positional pattern (Clark et al.'s thresholds)
    or, failing one, the head's largest share and its entropy. With ``numbers`` (indexes that
    recorded the sink statistics) the pattern is the head's role (:mod:`roles`).
    """
    parts = [f"L{layer} H{head}"]
    clear = [r for r in tracked if r.accuracy - r.baseline >= CLEAR_MARGIN and r.rank < TOP_RANK]
    if clear:
        r = clear[0]
        arrow = f"{r.relation} → its head" if r.direction == "dependent->head" else f"head → its {r.relation}"
        parts.append(f"{arrow} {r.accuracy:.0%} (baseline {r.baseline:.0%})".replace("%", " %"))
    if numbers is not None:
        parts.append(describe(numbers))
        return " · ".join(parts)
    name = max(_BEHAVIOUR_WORDS, key=lambda b: behaviour[b] / _THRESHOLDS[b])
    share = f"{behaviour[name]:.0%}".replace("%", " %")
    if behaviour[name] > _THRESHOLDS[name]:
        parts.append(f"{share} {_BEHAVIOUR_WORDS[name]}")
    elif behaviour["entropy"] > BROAD_ENTROPY:
        parts.append(f"broad (entropy {behaviour['entropy']:.1f} nats)")
    else:
        parts.append(f"{share} {_BEHAVIOUR_WORDS[name]} · entropy {behaviour['entropy']:.1f} nats")
    return " · ".join(parts)

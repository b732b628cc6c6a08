"""Readable renderings of an ``exbert.heads/1`` payload (terminal text and Markdown tables)."""

from __future__ import annotations

import math
from typing import Any


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def relation_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (relation, direction): support, baseline, best head, its margin; by support."""
    rows = []
    for r in payload["relations"]:
        best = r["best"][0] if r["best"] else None
        rows.append(
            {
                "relation": r["relation"],
                "direction": r["direction"],
                "support": r["support"],
                "baseline": r["baseline"],
                "baseline_offset": r["baseline_offset"],
                "best": f"L{best['layer']} H{best['head']}" if best else "",
                "accuracy": best["accuracy"] if best else 0.0,
                "margin": (best["accuracy"] if best else 0.0) - r["baseline"],
            }
        )
    return sorted(rows, key=lambda r: (-r["support"], r["relation"], r["direction"]))


def heads_markdown(
    payload: dict[str, Any], *, directions: tuple[str, ...] = ("dependent->head", "head->dependent")
) -> str:
    """A Markdown table of every relation with enough support (layers 1-based, heads 0-based)."""
    lines = [
        "| relation | direction | support | best head | accuracy % | baseline % (offset) | margin (points) |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for r in relation_rows(payload):
        if r["direction"] not in directions:
            continue
        lines.append(
            f"| {r['relation']} | {r['direction']} | {r['support']} | {r['best']} | {_pct(r['accuracy'])} "
            f"| {_pct(r['baseline'])} ({r['baseline_offset']:+d}) | {100 * r['margin']:+.1f} |"
        )
    return "\n".join(lines)


def z_score(accuracy: float, baseline: float, support: int) -> float:
    """(accuracy - baseline) in standard errors of a binomial at the baseline rate (the panel's z)."""
    p = min(1 - 1e-6, max(1e-6, baseline))
    return (accuracy - baseline) / math.sqrt(p * (1 - p) / max(1, support))


def readable_heads(payload: dict[str, Any], *, relations: int | None = 20) -> str:
    """Terminal summary: the corpus size, the best head per frequent relation (direction,
    support, baseline with its offset, z), each head's line. ``relations=None``: all of them."""
    out = [
        f"{payload['sentences']:,} sentences, {payload['tokens']:,} tokens "
        "(layers 1-based, heads 0-based; baseline = best fixed word offset -3..+2; "
        "z = (acc - base) / sqrt(base (1 - base) / support))",
        "",
        f"{'relation':<14}{'direction':<17}{'support':>8}  {'best':<8}{'acc %':>7}{'base %':>8}  offset{'z':>7}",
    ]
    rows = relation_rows(payload)
    shown = rows if relations is None else rows[:relations]
    for r in shown:
        z = z_score(r["accuracy"], r["baseline"], r["support"])
        out.append(
            f"{r['relation']:<14}{r['direction']:<17}{r['support']:>8}  {r['best']:<8}"
            f"{_pct(r['accuracy']):>7}{_pct(r['baseline']):>8}  {r['baseline_offset']:+6d}{z:>7.1f}"
        )
    if len(shown) < len(rows):
        out.append(f"({len(rows) - len(shown)} more relations omitted: --all lists them)")
    out.append("")
    out.extend(h["description"] for h in payload["heads"])
    return "\n".join(out)

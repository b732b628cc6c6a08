"""Terminal rendering of an ``exbert.search/1`` payload."""

from __future__ import annotations

from typing import Any


def _shares(counts: dict[str, int], total: int, top: int = 6) -> str:
    if not total:
        return "-"
    items = list(counts.items())[:top]
    return ", ".join(f"{key or '∅'} {100 * n / total:.0f}%" for key, n in items)


def readable_search(payload: dict[str, Any]) -> str:
    """Matches with the token bracketed, its POS/DEP and max-attended token; then the summary."""
    q = payload["query"]
    heads = "all heads" if q["heads"] is None else "heads " + ",".join(map(str, q["heads"]))
    what = f"context of layer {q['layer']} ({heads})" if q["by"] == "context" else f"hidden state {q['layer']}"
    out = [f"{q['token_text']!r} (token {q['token']}) by {what}: {len(payload['matches'])} matches ({q['method']})"]
    for m in payload["matches"]:
        start, end = m["token"]["start"], m["token"]["end"]
        text = m["text"]
        lo, hi = max(0, start - 40), min(len(text), end + 40)
        snippet = (
            ("…" if lo else "")
            + text[lo:start]
            + "["
            + text[start:end]
            + "]"
            + text[end:hi]
            + ("…" if hi < len(text) else "")
        )
        word = m["word"] or {}
        ma = m["max_attended"]
        attended = f"  → {ma['text']} ({ma['offset']:+d})" if ma else ""
        out.append(
            f"{m['rank']:>3} {m['similarity']:.3f}  {word.get('pos', ''):<6}{word.get('dep', ''):<10}{snippet}{attended}"
        )
    s = payload["summary"]
    total = s["count"]
    out += [
        "",
        f"POS: {_shares(s['pos'], total)}",
        f"DEP: {_shares(s['dep'], total)}",
        f"entity: {_shares(s['ent_type'], total)}",
        f"max-attended POS: {_shares(s['max_attended']['pos'], total)}",
        f"max-attended offset: {_shares(s['max_attended']['offset'], total)}",
    ]
    return "\n".join(out)

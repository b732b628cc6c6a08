"""Terminal rendering of an ``exbert.search/1`` payload."""

from __future__ import annotations

from typing import Any


def _shares(counts: dict[str, int], total: int, top: int = 6) -> str:
    if not total:
        return "-"
    items = list(counts.items())[:top]
    return ", ".join(f"{key or '∅'} {100 * n / total:.0f}%" for key, n in items)


CONTEXT_WORDS = 6
"""Words each side of the match in a snippet (the panel's keyword-in-context window too)."""


def snippet(text: str, start: int, end: int, n: int = CONTEXT_WORDS) -> str:
    """``… n words [match] n words …``: keyword in context, cut at word boundaries."""
    before = text[:start].split()
    after = text[end:].split()
    left = ("… " if len(before) > n else "") + " ".join(before[-n:]) if before else ""
    right = " ".join(after[:n]) + (" …" if len(after) > n else "") if after else ""
    glue_l = " " if left and text[start - 1 : start].isspace() else ""
    glue_r = " " if right and text[end : end + 1].isspace() else ""
    return f"{left}{glue_l}[{text[start:end]}]{glue_r}{right}"


def searched(q: dict[str, Any]) -> str:
    """What a search compared, named as the panel names it."""
    if q["by"] != "context":
        return f"hidden state at layer L{q['layer']}"
    heads = "all heads" if q["heads"] is None else "+".join(f"H{h}" for h in q["heads"])
    return f"context at layer L{q['layer']} ({heads})"


def max_attended_rule(payload: dict[str, Any]) -> str:
    rule = payload.get("max_attended_rule")
    if not rule:
        return "max-attended: each selected head's own maximum"
    heads = rule["heads"]
    over = f"H{heads[0]}" if len(heads) == 1 else "mean of " + "+".join(f"H{h}" for h in heads)
    excluded = [
        name for name, on in (("special tokens", rule["exclude_special"]), ("position 0", rule["exclude_first"])) if on
    ]
    return f"max-attended over {over} ({rule['method']}), excluding {' and '.join(excluded) or 'nothing'}"


def readable_search(payload: dict[str, Any]) -> str:
    """Matches (1-based ranks) as keyword-in-context snippets with POS/DEP, document and
    max-attended token; identical contexts shown once with their count; then the summary."""
    q = payload["query"]
    dedup = payload.get("dedup") or {}
    collapsed = f", {dedup['collapsed']} identical contexts collapsed" if dedup.get("collapsed") else ""
    out = [
        f"{q['token_text']!r} (token {q['token']}) by {searched(q)}: {len(payload['matches'])} matches"
        f" ({q['method']}{collapsed})",
        max_attended_rule(payload),
    ]
    for m in payload["matches"]:
        word = m["word"] or {}
        ma = m["max_attended"]
        attended = f"  → {ma['text']} ({ma['offset']:+d})" if ma else ""
        count = f" ×{m['count']}" if m.get("count", 1) > 1 else ""
        doc = m.get("doc_path") or m["doc"]
        out.append(
            f"{m['rank'] + 1:>3}{count:<4} {m['similarity']:.3f}  {word.get('pos', ''):<6}{word.get('dep', ''):<10}"
            f"{snippet(m['text'], m['token']['start'], m['token']['end'])}{attended}  ({doc} §{m['sentence']})"
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


def token_position(tokens: list[Any], source: str, spec: str) -> int:
    """``--token``: a position (``5``), a word (``gave``: its first token of the first occurrence)
    or ``word@n`` (the n-th occurrence, 1-based). Words match the source text the tokens cover."""
    from exbert_ls.errors import InvalidInputError

    if spec.isdigit():
        return int(spec)
    word, _, nth = spec.rpartition("@") if "@" in spec else (spec, "", "1")
    if not word or not nth.isdigit() or int(nth) < 1:
        raise InvalidInputError(f"--token {spec!r}: give a position, a word, or word@N (N >= 1)")
    starts = [i for i, t in enumerate(tokens) if not t.special and source[t.start :].lower().startswith(word.lower())]
    # a word's first token: its span starts the word (not a later piece of a longer word)
    found = [i for i in starts if tokens[i].start == 0 or not source[tokens[i].start - 1].isalnum()]
    if len(found) < int(nth):
        raise InvalidInputError(f"--token {spec!r}: {word!r} occurs {len(found)} time(s) in the text")
    return found[int(nth) - 1]

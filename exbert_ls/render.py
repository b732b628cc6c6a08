"""Plain-text rendering of an explanation for the terminal."""

from __future__ import annotations

from exbert_ls.explain import Explanation
from exbert_ls.summarize.patterns import describe_focus, head_focus


def readable_summary(result: Explanation, heads_per_layer: int = 3) -> str:
    acts = result.activations
    info = result.info
    lines = [
        f"model {info.name} ({info.model_type}, {info.num_layers} layers x {info.num_heads} heads, "
        f"{'causal' if info.causal else 'bidirectional'})",
        "tokens: "
        + " ".join(f"{t.index}:{result.display[t.index] if result.display else t.text}" for t in acts.tokens),
    ]
    focus = head_focus(acts.attention, acts.special_mask)
    lines.append("most focused heads per layer (lowest mean entropy):")
    for layer in range(1, info.num_layers + 1):
        order = focus.entropy[layer - 1].argsort()[:heads_per_layer]
        described = ", ".join(f"H{h} {describe_focus(focus, layer, int(h))}" for h in order)
        lines.append(f"  L{layer}: {described}")
    if acts.predictions is not None:
        label = "next-token" if info.lm_head == "causal" else "masked-fill"
        lines.append(f"top predictions ({label}):")
        for tok, preds in zip(acts.tokens, acts.predictions):
            if tok.special:
                continue
            mark = " [masked]" if tok.index in acts.masked else ""
            guesses = ", ".join(f"{p.token.strip() or repr(p.token)} {p.probability:.2f}" for p in preds)
            lines.append(f"  {tok.index}:{tok.text}{mark} -> {guesses}")
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines)

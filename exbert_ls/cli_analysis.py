"""``exbert probe | lens | ablate``: the command-line face of the model analyses (issue 12).

Registration is one call in ``cli.py`` (:func:`add_analysis_parsers`); bodies live here.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from exbert_ls.errors import InvalidInputError
from exbert_ls.model.embedded import DEFAULT_MODEL
from exbert_ls.payloads.codec import to_wire


def _runner(args: argparse.Namespace) -> Any:
    from exbert_ls.model.runner import ModelRunner

    return ModelRunner.load(args.model, device=args.device)


def _text(args: argparse.Namespace) -> str:
    text = args.text if args.text != "-" else sys.stdin.read()
    if not text.strip():
        raise InvalidInputError("text is empty or only whitespace")
    return str(text)


def _emit(args: argparse.Namespace, result: Any, readable: str) -> int:
    print(json.dumps(to_wire(result)) if args.json else readable)
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from exbert_ls.model.effects import causal_effect
    from exbert_ls.model.probes import THRESHOLDS, probe, top_heads

    runner = _runner(args)
    result = probe(runner, use_cache=not args.no_cache)
    if runner.info.lm_head is not None and not args.no_effect:
        result.causal_effect = causal_effect(runner, use_cache=not args.no_cache)
    lines = [
        f"probes of {result.model} (weights {result.fingerprint}; {result.sequences} random sequences of "
        f"{result.length} tokens, repeated; {'cached' if result.cached else f'{result.seconds:.2f} s'})"
    ]
    for score, cut in THRESHOLDS.items():
        best = ", ".join(f"L{h.layer} H{h.head} {getattr(h, score):.2f}" for h in top_heads(result, score, 5))
        count = sum(1 for h in result.heads if getattr(h, score) >= cut)
        lines.append(f"  {score:9s} (>= {cut}: {count} heads)  top: {best}")
    effect = result.causal_effect
    if effect is None:
        if not args.no_effect:
            lines.append("  causal effect: none (the model has no LM head to measure a loss with)")
    else:
        flat = sorted(
            ((d, l + 1, h) for l, row in enumerate(effect.delta_loss) for h, d in enumerate(row)), reverse=True
        )
        when = "cached" if effect.cached else f"{effect.seconds:.2f} s, {effect.forwards} batched forwards"
        lines.append(
            f"  causal effect (zero-ablation Δloss on the {effect.tokens}-token sample, loss {effect.loss:.3f}; {when})"
            "  top: " + ", ".join(f"L{l} H{h} {d:+.3f}" for d, l, h in flat[:5])
        )
    return _emit(args, result, "\n".join(lines))


def cmd_lens(args: argparse.Namespace) -> int:
    from exbert_ls.model.lens import logit_lens, readable_lens

    result = logit_lens(_runner(args), _text(args), k=args.k, position=args.position)
    return _emit(args, result, readable_lens(result))


def _heads(value: str) -> tuple[tuple[int, int], ...]:
    """``3:7,4:1`` -> ((3, 7), (4, 1)): layer 1-based, head 0-based."""
    try:
        pairs = [p.split(":") for p in value.split(",") if p.strip()]
        return tuple((int(layer), int(head)) for layer, head in pairs)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected LAYER:HEAD pairs like 3:7,4:1, got {value!r}") from exc


def _corpus_means(args: argparse.Namespace, runner: Any) -> Any:
    """``[L, H, d_head]`` mean stored contexts of ``--db`` (corpus-mean only; else None).
    A missing index or one built by another model is a clear error."""
    if args.mode != "corpus-mean":
        return None
    from exbert_ls.cli_index import default_db_uri
    from exbert_ls.inputs import check_readable_db
    from exbert_ls.store.db import CorpusDB
    from exbert_ls.store.means import corpus_context_means

    uri = default_db_uri(args.db)
    check_readable_db(uri)
    return corpus_context_means(CorpusDB.open(uri, runner=runner))


def cmd_ablate(args: argparse.Namespace) -> int:
    from exbert_ls.model.ablation import ablate, ablation_scan, readable_ablation, readable_scan

    runner, text = _runner(args), _text(args)
    if not args.scan and not args.heads:
        raise InvalidInputError("give --heads LAYER:HEAD,... (layer 1-based, head 0-based) or --scan")
    means = _corpus_means(args, runner)
    if args.scan:
        scan = ablation_scan(runner, text, mode=args.mode, corpus_means=means)
        return _emit(args, scan, readable_scan(scan))
    result = ablate(runner, text, args.heads, mode=args.mode, corpus_means=means)
    return _emit(args, result, readable_ablation(result))


def add_analysis_parsers(sub: argparse._SubParsersAction) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", default=DEFAULT_MODEL, help="embedded name (minilm, smollm2), local dir or hub id")
        p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
        p.add_argument("--json", action="store_true", help="print the typed result as JSON")

    p = sub.add_parser("probe", help="induction, duplicate, previous-token and sink scores of every head")
    common(p)
    p.add_argument("--no-cache", action="store_true", help="recompute even if cached for these weights")
    p.add_argument(
        "--no-effect", action="store_true", help="skip the causal effect (single-head ablation scan of a fixed sample)"
    )
    p.set_defaults(handler=cmd_probe)

    p = sub.add_parser("lens", help="logit lens: what each layer's hidden state predicts")
    p.add_argument("text", help="the text ('-' reads standard input)")
    common(p)
    p.add_argument("--position", type=int, default=None, help="one token position (default all)")
    p.add_argument("--k", type=int, default=5, help="top tokens per layer")
    p.set_defaults(handler=cmd_lens)

    p = sub.add_parser("ablate", help="re-run TEXT with heads ablated; --scan: every head's effect on the loss")
    p.add_argument("text", help="the text ('-' reads standard input)")
    common(p)
    p.add_argument("--heads", type=_heads, default=(), help="LAYER:HEAD pairs, layer 1-based, head 0-based: 3:7,4:1")
    p.add_argument(
        "--mode",
        choices=("zero", "mean", "corpus-mean"),
        default="zero",
        help="replace contexts by 0, their mean over the text, or their mean over the corpus index (--db)",
    )
    p.add_argument(
        "--db", default=None, help="corpus index for --mode corpus-mean (default $EXBERT_DB or .exbert/index)"
    )
    p.add_argument("--scan", action="store_true", help="ablate each head alone: L x H grid of loss changes")
    p.set_defaults(handler=cmd_ablate)

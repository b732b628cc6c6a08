"""``exbert``: the command-line face of the library (the server calls the same functions)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from exbert_ls.errors import ExbertError, InvalidInputError
from exbert_ls.model.embedded import DEFAULT_MODEL

Handler = Callable[[argparse.Namespace], int]


def _positions(value: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in value.split(",") if p.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated token positions, got {value!r}") from exc


def cmd_explain(args: argparse.Namespace) -> int:
    from exbert_ls.annotate.words import SpacyAnnotator
    from exbert_ls.explain import explain, payload
    from exbert_ls.model.runner import ModelRunner
    from exbert_ls.render import readable_summary

    text = args.text if args.text != "-" else sys.stdin.read()
    if not text.strip():
        raise InvalidInputError("text is empty or only whitespace")
    runner = ModelRunner.load(args.model, device=args.device, trust_remote_code=args.trust_remote_code)
    annotator = None if args.no_annotate else SpacyAnnotator()
    result = explain(runner, text, mask=args.mask, top_k=args.top_k, annotator=annotator)
    if args.json:
        json.dump(payload(result), sys.stdout)
        sys.stdout.write("\n")
    else:
        print(readable_summary(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="exbert", description="Explore what Transformer heads attend to.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("explain", help="run a model on TEXT and show attention and predictions")
    p.add_argument("text", help="the text to explain ('-' reads standard input)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="embedded name (minilm, smollm2), local dir or hub id")
    p.add_argument("--mask", type=_positions, default=(), help="token positions to mask first, e.g. 3,5")
    p.add_argument("--top-k", type=int, default=5, help="predictions per token (LM models)")
    p.add_argument("--json", action="store_true", help="print the full payload as JSON")
    p.add_argument("--no-annotate", action="store_true", help="skip spaCy word annotations")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--trust-remote-code", action="store_true", help="allow a hub model's own code")
    p.set_defaults(handler=cmd_explain)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ExbertError as exc:
        print(f"exbert: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("exbert: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""``exbert``: the command-line face of the library (the server calls the same functions)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from exbert_ls.cli_analysis import add_analysis_parsers
from exbert_ls.cli_index import DEFAULT_DB, add_index_parser, default_db_uri
from exbert_ls.cli_schema import add_schema_parser
from exbert_ls.errors import ExbertError, InvalidInputError
from exbert_ls.inputs import check_length, check_readable_db, check_writable_file, clean_text, os_error_message
from exbert_ls.limits import DEFAULT_K, MAX_K
from exbert_ls.model.embedded import DEFAULT_MODEL
from exbert_ls.payloads.codec import to_wire

Handler = Callable[[argparse.Namespace], int]


def _int_list(what: str) -> Callable[[str], tuple[int, ...]]:
    """An argparse type for comma-separated integers, e.g. ``3,5``."""

    def parse(value: str) -> tuple[int, ...]:
        try:
            return tuple(int(p) for p in value.split(",") if p.strip())
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected comma-separated {what}, got {value!r}") from exc

    return parse


def _text(given: str) -> str:
    """TEXT or standard input, lone surrogates replaced by U+FFFD (exbert_ls/inputs.py)."""
    text, replaced = clean_text(given if given != "-" else sys.stdin.read())
    if replaced:
        print(f"exbert: warning: replaced {replaced} unencodable character(s) with U+FFFD", file=sys.stderr)
    return text


def cmd_explain(args: argparse.Namespace) -> int:
    from exbert_ls.annotate.words import SpacyAnnotator
    from exbert_ls.explain import explain, payload
    from exbert_ls.model.runner import ModelRunner
    from exbert_ls.render import readable_summary

    text = _text(args.text)
    if not text.strip():
        raise InvalidInputError("text is empty or only whitespace")
    if args.html:
        check_writable_file(args.html, "--html")  # before the model runs, not after
    runner = ModelRunner.load(args.model, device=args.device, trust_remote_code=args.trust_remote_code)
    check_length(text, runner.info.max_positions, runner.info.name)
    annotator = None if args.no_annotate else SpacyAnnotator()
    result = explain(runner, text, mask=args.mask, top_k=args.top_k, annotator=annotator)
    if args.html:
        from exbert_ls.html import write_standalone_html

        out = write_standalone_html(args.html, to_wire(payload(result, attention="uint8")))
        print(f"exbert: wrote {out} (open it in a browser)", file=sys.stderr)
    if args.json:
        json.dump(to_wire(payload(result, rollout=args.rollout)), sys.stdout)
        sys.stdout.write("\n")
    else:
        print(readable_summary(result))
    return 0


# --- search and head summaries (issue 4) -------------------------------------------------


def cmd_search(args: argparse.Namespace) -> int:
    from exbert_ls.model.runner import ModelRunner
    from exbert_ls.search import search
    from exbert_ls.search.render import readable_search, token_position
    from exbert_ls.store.db import CorpusDB

    text = _text(args.text)
    uri = default_db_uri(args.db)
    check_readable_db(uri)
    meta = CorpusDB.open(uri).meta
    runner = ModelRunner.load(args.model or meta.model, device=args.device)
    db = CorpusDB.open(uri, runner=runner)
    check_length(text, runner.info.max_positions, runner.info.name)
    query = runner.run(text, contexts=args.by == "context")
    token = token_position(query.tokens, query.text, args.token)
    result = search(
        db,
        runner,
        query,
        token,
        args.layer,
        by=args.by,
        heads=args.heads,
        k=args.k,
        exact=args.exact,
        exclude_special=not args.keep_special,
        exclude_first=not args.keep_first,
        count_duplicates=args.count_duplicates,
    )
    wire = to_wire(result)  # the renderers read the wire form, as the panel does
    print(json.dumps(wire) if args.json else readable_search(wire))
    return 0


def cmd_heads(args: argparse.Namespace) -> int:
    from exbert_ls.search import head_summaries
    from exbert_ls.store.db import CorpusDB
    from exbert_ls.summarize.report import heads_markdown, readable_heads

    uri = default_db_uri(args.db)
    check_readable_db(uri)
    payload = to_wire(head_summaries(CorpusDB.open(uri), min_support=args.min_support))
    if args.json:
        print(json.dumps(payload))
    else:
        print(heads_markdown(payload) if args.markdown else readable_heads(payload, relations=None if args.all else 20))
    return 0


def _add_search_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="find the corpus tokens most similar to a token of TEXT")
    p.add_argument("text", help="the query text ('-' reads standard input)")
    p.add_argument("--db", default=None, help=f"corpus index, directory or URI (default $EXBERT_DB or {DEFAULT_DB})")
    p.add_argument(
        "--token",
        required=True,
        help="token position in TEXT (see `exbert explain`), a word (first occurrence) or word@N",
    )
    p.add_argument("--layer", type=int, required=True, help="hidden state 0..L (0 = embeddings) or context layer 1..L")
    p.add_argument("--by", choices=("embedding", "context"), default="embedding", help="what to compare")
    p.add_argument(
        "--heads",
        type=_int_list("head numbers (0-based)"),
        default=None,
        help="context heads, 0-based, e.g. 0,3,7 (default all)",
    )
    p.add_argument("--k", type=int, default=DEFAULT_K, help=f"number of matches (1..{MAX_K})")
    p.add_argument("--exact", action="store_true", help="exhaustive search even where an ANN index exists")
    p.add_argument("--keep-special", action="store_true", help="max-attended tokens may be special tokens")
    p.add_argument("--keep-first", action="store_true", help="max-attended tokens may be position 0 (the sink)")
    p.add_argument("--count-duplicates", action="store_true", help="histograms count every copy of a context")
    p.add_argument("--json", action="store_true", help="print the exbert.search/1 payload")
    p.add_argument("--model", default=None, help="model to run the query with (default: the one that built the index)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("heads", help="what each head attends to, over the whole indexed corpus")
    p.add_argument("--db", default=None, help=f"corpus index, directory or URI (default $EXBERT_DB or {DEFAULT_DB})")
    p.add_argument("--min-support", type=int, default=20, help="leave out relations with fewer arcs")
    p.add_argument("--json", action="store_true", help="print the exbert.heads/1 payload")
    p.add_argument("--markdown", action="store_true", help="print the relation table as Markdown")
    p.add_argument("--all", action="store_true", help="list every relation (default: the 20 with most support)")
    p.set_defaults(handler=cmd_heads)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="exbert", description="Explore what Transformer heads attend to.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("explain", help="run a model on TEXT and show attention and predictions")
    p.add_argument("text", help="the text to explain ('-' reads standard input)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="embedded name (minilm, smollm2), local dir or hub id")
    p.add_argument(
        "--mask", type=_int_list("token positions"), default=(), help="token positions to mask first, e.g. 3,5"
    )
    p.add_argument("--top-k", type=int, default=5, help="predictions per token (LM models)")
    p.add_argument("--json", action="store_true", help="print the full payload as JSON")
    p.add_argument(
        "--html", metavar="OUT", help="also write the panel as a standalone HTML page (open it in any browser)"
    )
    p.add_argument("--no-annotate", action="store_true", help="skip spaCy word annotations")
    p.add_argument("--rollout", action="store_true", help="add attention rollout (Abnar & Zuidema) to --json")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--trust-remote-code", action="store_true", help="allow a hub model's own code")
    p.set_defaults(handler=cmd_explain)
    _add_search_parsers(sub)
    add_index_parser(sub)
    add_schema_parser(sub)
    from exbert_ls.cli_verify import add_verify_parser

    add_verify_parser(sub, DEFAULT_DB)
    add_analysis_parsers(sub)
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
    except OSError as exc:  # a write that failed half-way: full disk, file system gone read-only
        if isinstance(exc, BrokenPipeError):
            return _closed_pipe()
        print(f"exbert: error: {os_error_message(exc)}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # LanceDB reports I/O failures as RuntimeError with the OS reason
        reason = _io_reason(str(exc))
        if reason is None:
            raise
        print(f"exbert: error: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("exbert: interrupted", file=sys.stderr)
        return 130


def _closed_pipe() -> int:
    # `exbert heads | head`: the reader left; say nothing more (and not at exit either)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


_IO_REASONS = {
    "No space left on device": "no space left on the device (free some space; the database keeps its last complete write)",
    "Read-only file system": "the database is on a read-only file system",
    "Permission denied": "permission denied writing the database",
}


def _io_reason(message: str) -> str | None:
    for needle, reason in _IO_REASONS.items():
        if needle in message:
            return reason
    return None


if __name__ == "__main__":
    sys.exit(main())

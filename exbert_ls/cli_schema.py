"""``exbert schema``: print the JSON Schema of every argument and result (docs/contracts.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def schema_document() -> dict[str, Any]:
    """The schema of every output in ``OUTPUTS`` and every command argument type."""
    from exbert_ls.limits import DEFAULT_K, MAX_K
    from exbert_ls.payloads.outputs import OUTPUTS
    from exbert_ls.payloads.schema import json_schema
    from exbert_ls.server.analysis import ANALYSIS_ARGUMENTS
    from exbert_ls.server.protocol import ARGUMENTS

    document = json_schema(OUTPUTS, (*ARGUMENTS, *ANALYSIS_ARGUMENTS))
    # the bounds a client checks before asking (exbert_ls/limits.py): one definition, read by
    # the extension from the generated file (LIMITS in src/generated/payloads.ts)
    document["x-limits"] = {"maxK": MAX_K, "defaultK": DEFAULT_K}
    return document


def schema_text() -> str:
    """The document as written to ``vscode-extension/schema.json`` (stable, diff-friendly)."""
    return json.dumps(schema_document(), indent=2, ensure_ascii=False) + "\n"


def cmd_schema(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"exbert: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def add_schema_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema (2020-12) of every argument and result")
    p.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead of standard output")
    p.set_defaults(handler=cmd_schema)

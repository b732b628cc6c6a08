"""Helpers for the end-to-end tests (imported by name: tests/e2e is on sys.path)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from payload_schema import validate_command
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "exbert_ls.server"])


def capabilities() -> types.ClientCapabilities:
    return types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True, show_message=None),
        workspace=types.WorkspaceClientCapabilities(configuration=False, workspace_folders=True),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown])
        ),
    )


async def start(client: LanguageClient, workspace: Path, options: dict[str, Any]) -> types.InitializeResult:
    uri = workspace.as_uri()
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(),
            root_uri=uri,
            workspace_folders=[types.WorkspaceFolder(uri=uri, name="ws")],
            initialization_options=options,
        )
    )


async def command(client: LanguageClient, name: str, *arguments: Any) -> Any:
    """Run a command; its result is checked against the JSON Schema (``exbert schema``)."""
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(arguments))
    )
    return validate_command(name, result)


def open_document(client: LanguageClient, path: Path, text: str, language: str = "plaintext") -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
        )
    )
    return uri


def utf16_slice(text: str, rng: dict[str, Any]) -> str:
    """The text an LSP range covers, computed independently of the server (UTF-16 units)."""
    lines = text.split("\n")

    def to_offset(pos: dict[str, int]) -> int:
        before = sum(len(line) + 1 for line in lines[: pos["line"]])
        prefix = lines[pos["line"]].encode("utf-16-le")[: 2 * pos["character"]].decode("utf-16-le")
        return before + len(prefix)

    return text[to_offset(rng["start"]) : to_offset(rng["end"])]


SENTENCES = [
    "Dorothy lived in the midst of the great Kansas prairies.",
    "Her uncle Henry was a farmer, and her aunt Em was his wife.",
    "The house was small, for the lumber had to be carried by wagon many miles.",
    "There were four walls, a floor and a roof, which made one room.",
    "The cat sat on the mat and watched the rain.",
    "A cyclone lifted the little house into the air.",
    "The Scarecrow wanted a brain, and the Tin Woodman wanted a heart.",
    "They walked along the road of yellow brick toward the Emerald City.",
]


def write_corpus(folder: Path, files: int, sentences_per_file: int) -> list[Path]:
    """Plain-text files built from ``SENTENCES`` (deterministic), plus one binary file."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        lines = [SENTENCES[(i + j) % len(SENTENCES)] for j in range(sentences_per_file)]
        path = folder / f"doc{i:03d}.txt"
        path.write_text(" ".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    (folder / "image.bin").write_bytes(bytes(range(256)) * 4)
    return paths


async def index(client: LanguageClient, *paths: Path) -> Any:
    return await command(client, "exbert.indexWorkspace", {"paths": [str(p) for p in paths]} if paths else {})


async def first_progress_report(client: LanguageClient, timeout: float = 120.0) -> str:
    """The token of the index job, once its first ``report`` has arrived."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for token, reports in client.progress_reports.items():
            if (
                str(token).startswith("exbert-index-")
                and any(isinstance(r, types.WorkDoneProgressReport) for r in reports)
                and not isinstance(reports[-1], types.WorkDoneProgressEnd)
            ):
                return str(token)
        await asyncio.sleep(0.02)
    raise TimeoutError("no progress report from the index job")

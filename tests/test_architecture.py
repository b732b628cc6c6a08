"""docs/architecture.md names every module of exbert_ls, and nothing that is gone.

The module list is the first code block of the page: an unindented ``name/`` line opens a
package, the indented ``file.py`` lines under it are its modules, an unindented ``file.py`` is
a top-level module. ``__init__.py`` files need not be listed (except where they hold code
worth naming, like ``corpus/__init__.py``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "exbert_ls"


def documented_modules() -> set[str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("```\n", 2)[1]
    names: set[str] = set()
    package = ""
    for line in block.splitlines():
        entry = re.match(r"(\s*)(\S+)", line)
        if entry is None:
            continue
        indent, name = entry.groups()
        if not indent:
            package = name if name.endswith("/") else ""
            if name.endswith(".py"):
                names.add(name)
        elif name.endswith(".py") and package:
            names.add(package + name)
    return names


def code_modules() -> set[str]:
    return {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" and "__pycache__" not in p.parts
    }


def test_every_module_is_in_architecture_md() -> None:
    missing = sorted(code_modules() - documented_modules())
    assert not missing, f"docs/architecture.md does not name: {missing}"


def test_architecture_md_names_no_missing_module() -> None:
    existing = code_modules() | {
        p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE
    }
    stale = sorted(documented_modules() - existing)
    assert not stale, f"docs/architecture.md names modules that do not exist: {stale}"


def test_every_top_level_module_has_a_layer() -> None:
    """The import-linter contract places every top-level module and package (it is
    `exhaustive`, but only when lint-imports runs; this keeps pytest alone honest too)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    layered = {name.strip("() ") for layer in contract["layers"] for name in re.split(r"[|:]", layer)}
    top = {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    top |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert top - layered == set(), f"not in [tool.importlinter] layers: {sorted(top - layered)}"


def test_one_version() -> None:
    """pyproject.toml writes the version; the package reads it from its metadata, and the
    extension's package.json is kept equal to it."""
    import json

    from exbert_ls import __version__
    from exbert_ls.server.app import VERSION

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package = json.loads((ROOT / "vscode-extension" / "package.json").read_text(encoding="utf-8"))
    assert config["project"]["version"] == package["version"]
    assert __version__ == VERSION
    if __version__ != "0+unknown":  # installed (editable or not): metadata is pyproject's
        assert __version__ == config["project"]["version"]

"""exbert-ls: exBERT as a library, a CLI, a language server and a VS Code panel."""

from importlib.metadata import PackageNotFoundError, version

try:
    # pyproject.toml is the one place the version is written; the server reports this one
    __version__ = version("exbert-ls")
except PackageNotFoundError:  # a bare checkout on PYTHONPATH, never installed
    __version__ = "0+unknown"

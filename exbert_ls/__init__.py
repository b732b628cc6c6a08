"""exbert-ls: exBERT as a library, a CLI, a language server and a VS Code panel."""

__version__ = "0.1.0"

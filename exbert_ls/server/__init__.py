"""``exbert-ls``: the language server (pygls 2). Entry point: ``exbert_ls.server.__main__``."""

"""The embedded default corpus: English prose every Python installation carries.

``pydoc_topics`` defines it (which text, which parts kept); ``exbert_ls.store.default_corpus``
writes it to a cache folder, one file per topic, and ``exbert index`` with no path indexes it.
"""

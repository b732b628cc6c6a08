"""Typed results: one attrs class per payload, the single definition behind the CLI's ``--json``,
the server's command results, ``exbert schema`` and the generated TypeScript of the panel.

Conventions (every payload module follows them):

* ``@attrs.define(kw_only=True)`` classes with a docstring per field; no behaviour beyond
  small derived properties. Keys on the wire are the snake_case field names.
* Arrays travel as :class:`exbert_ls.payloads.common.EncodedArray` (never raw numpy).
* Layers are 1-based for attention/contexts, hidden state ``l`` = output of layer ``l`` (0 =
  embeddings); heads 0-based (``exbert_ls.model.names``).
* This package is the bottom layer: it imports nothing else from ``exbert_ls``.
* :mod:`exbert_ls.payloads.outputs` maps each output name (``explain``, ``search``...) to its
  result type; :mod:`exbert_ls.payloads.codec` converts to and from plain JSON values.
"""

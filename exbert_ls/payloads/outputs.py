"""Each output of the CLI and the server, by name, mapped to its result type.

``exbert schema`` documents exactly these (top-level ``properties``), and every type reachable
from them lands in ``$defs``. Add a line here when a command gains a result.
"""

from __future__ import annotations

OUTPUTS: dict[str, type] = {}


def _register() -> None:
    from exbert_ls.payloads.verify import VerifyResult

    OUTPUTS["verify"] = VerifyResult


_register()

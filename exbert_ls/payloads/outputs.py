"""Each output of the CLI and the server, by name, mapped to its result type.

``exbert schema`` documents exactly these (top-level ``properties``), and every type reachable
from them lands in ``$defs``. Add a line here when a command gains a result.
"""

from __future__ import annotations

from exbert_ls.payloads.analysis import AblationResult, AblationScan, LensResult, ProbeResult

OUTPUTS: dict[str, type] = {}
OUTPUTS["probe"] = ProbeResult
OUTPUTS["lens"] = LensResult
OUTPUTS["ablate"] = AblationResult
OUTPUTS["ablation_scan"] = AblationScan

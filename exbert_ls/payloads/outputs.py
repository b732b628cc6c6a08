"""Each output of the CLI and the server, by name, mapped to its result type.

``exbert schema`` documents exactly these (top-level ``properties``), and every type reachable
from them lands in ``$defs``. Add a line here when a command gains a result.
"""

from __future__ import annotations

from exbert_ls.payloads.analysis import AblationResult, AblationScan, LensResult, ProbeResult
from exbert_ls.payloads.attention import AttentionRowsResult
from exbert_ls.payloads.common import MsgpackEnvelope
from exbert_ls.payloads.explain import ExplainResult
from exbert_ls.payloads.heads import HeadSummaries
from exbert_ls.payloads.index import IndexResult
from exbert_ls.payloads.search import SearchResult
from exbert_ls.payloads.status import StatusResult
from exbert_ls.payloads.verify import VerifyResult

OUTPUTS: dict[str, type] = {
    "explain": ExplainResult,
    "msgpack": MsgpackEnvelope,
    "search": SearchResult,
    "heads": HeadSummaries,
    "status": StatusResult,
    "index": IndexResult,
    "verify": VerifyResult,
    "attention_rows": AttentionRowsResult,
    "probe": ProbeResult,
    "lens": LensResult,
    "ablate": AblationResult,
    "ablation_scan": AblationScan,
}

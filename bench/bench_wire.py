"""Wire forms of an explain result: size and encode/decode time of JSON against one msgpack
document, for 43/128/512-token MiniLM explains, side by side in one run.

    python bench/bench_wire.py [--lengths 43,128,512] [--repeats 15] [--lists-up-to 128] [--smoke]

Forms (what a client receives over JSON-RPC, as text):

* ``json lists``: ``exbert explain --json`` (attention as nested lists, 4 digits);
* ``json uint8``: ``exbert.explain`` with ``format: "json"`` (attention uint8, zlib, base64 text);
* ``msgpack``: ``exbert.explain`` with ``format: "msgpack"`` (the default of the extension): one
  msgpack document, attention raw binary (uint8, zlib) inside, base64 once for JSON-RPC.

encode = from the typed result to the text sent (``payload`` + ``to_wire`` + dumps/pack + base64);
decode = from that text back to the float32 attention array and the token list (Python; the panel
does the same steps in decode.ts). Medians over ``--repeats``. ``--smoke`` runs a tiny synthetic
explain (no model) once, to keep the script from rotting.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from exbert_ls.annotate.align import align
from exbert_ls.explain import Explanation, _plain_words, explain, payload
from exbert_ls.model.activations import Activations, ModelInfo, Token
from exbert_ls.payloads.codec import to_wire
from exbert_ls.wire import decode_array, pack, unpack

TEXT = (
    "Dorothy lived in the midst of the great Kansas prairies, with Uncle Henry, who was a farmer, "
    "and Aunt Em, who was the farmer's wife. Their house was small, for the lumber to build it had "
    "to be carried by wagon many miles. "
)


def synthetic(t: int, layers: int = 2, heads: int = 2) -> Explanation:
    """A model-free explanation of ``t`` tokens (smoke mode)."""
    rng = np.random.default_rng(0)
    att = rng.dirichlet(np.ones(t), size=(layers, heads, t)).astype(np.float32)
    tokens = [Token(i, f"w{i}", 3 * i, 3 * i + 2, False, i) for i in range(t)]
    info = ModelInfo("synthetic", "synthetic", "bert", layers, heads, 8, 4, False, None, 512, "cpu")
    text = " ".join(tok.text for tok in tokens)
    acts = Activations(text, tokens, att, np.zeros((layers + 1, t, 8), np.float32), None)

    words = _plain_words(text)
    return Explanation(info, acts, words, align(tokens, words, len(text)))


def real(length: int) -> Explanation:
    """MiniLM on enough of TEXT to give exactly ``length`` tokens ([CLS] and [SEP] included)."""
    from exbert_ls.model.runner import ModelRunner

    runner = ModelRunner.load("minilm")
    tok = runner.tokenizer
    ids = tok(TEXT * (1 + length // 40), add_special_tokens=False)["input_ids"][: length - 2]
    text = tok.decode(ids)
    result = explain(runner, text, top_k=0)
    return result


def forms(e: Explanation, lists: bool) -> dict[str, tuple[Callable[[], str], Callable[[str], Any]]]:
    def json_lists() -> str:
        return json.dumps(to_wire(payload(e)))

    def json_uint8() -> str:
        return json.dumps(to_wire(payload(e, attention="uint8", sparse_above=None)))

    def msgpack_doc() -> str:
        body = payload(e, attention="uint8", binary=True, sparse_above=None)
        envelope = {"schema": "exbert.msgpack/1", "payload_schema": body.schema}
        return json.dumps({**envelope, "data": base64.b64encode(pack(body)).decode("ascii")})

    def decode_lists(text: str) -> Any:
        p = json.loads(text)
        return np.asarray(p["attention"], dtype=np.float32), p["tokens"]

    def decode_encoded(text: str) -> Any:
        p = json.loads(text)
        return decode_array(p["attention"]), p["tokens"]

    def decode_msgpack(text: str) -> Any:
        p = unpack(base64.b64decode(json.loads(text)["data"]))
        return decode_array(p["attention"]), p["tokens"]

    chosen = {
        "json lists": (json_lists, decode_lists),
        "json uint8": (json_uint8, decode_encoded),
        "msgpack": (msgpack_doc, decode_msgpack),
    }
    if not lists:
        del chosen["json lists"]
    return chosen


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return 1000 * statistics.median(times)


def run(explanations: dict[int, Explanation], repeats: int, lists_up_to: int) -> list[dict[str, Any]]:
    rows = []
    for t, e in explanations.items():
        shape = e.activations.attention.shape
        for name, (encode, decode) in forms(e, lists=t <= lists_up_to).items():
            text = encode()
            att, tokens = decode(text)
            assert att.shape == shape and len(tokens) == t  # every form carries the same result
            rows.append(
                {
                    "tokens": t,
                    "form": name,
                    "bytes": len(text.encode("utf-8")),
                    "encode_ms": median_ms(encode, repeats),
                    "decode_ms": median_ms(functools.partial(decode, text), repeats),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default="43,128,512", help="explain lengths in tokens")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--lists-up-to", type=int, default=128, help="skip the nested-lists form above this length")
    parser.add_argument("--smoke", action="store_true", help="tiny synthetic explain, one repeat (seconds)")
    args = parser.parse_args()
    if args.smoke:
        explanations, repeats = {8: synthetic(8)}, 1
    else:
        explanations = {int(n): real(int(n)) for n in args.lengths.split(",")}
        repeats = args.repeats
    rows = run(explanations, repeats, args.lists_up_to)
    print(f"{'tokens':>6}  {'form':<11}{'bytes':>11}  {'vs json uint8':>13}{'encode ms':>11}{'decode ms':>11}")
    base = {r["tokens"]: r["bytes"] for r in rows if r["form"] == "json uint8"}
    for r in rows:
        ratio = r["bytes"] / base[r["tokens"]]
        print(
            f"{r['tokens']:>6}  {r['form']:<11}{r['bytes']:>11,}  {ratio:>12.2f}x"
            f"{r['encode_ms']:>11.2f}{r['decode_ms']:>11.2f}"
        )


if __name__ == "__main__":
    main()

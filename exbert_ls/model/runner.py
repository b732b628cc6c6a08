"""Run a transformers model on text and capture attention, hidden states and head contexts.

The only module (with ``adapters`` and ``loading``) that touches model internals.
Hidden states are captured from each block's output with forward hooks (HF's own
``hidden_states[-1]`` has the final norm applied for decoders, which is not "the
output of layer L"); per-head contexts are the input of the attention output projection.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from exbert_ls.errors import (
    InputTooLongError,
    InvalidInputError,
    NoLanguageModelHeadError,
    UnsupportedModelError,
)
from exbert_ls.model.activations import Activations, ModelInfo, Prediction, Token
from exbert_ls.model.adapters import adapter_for, find_layers, find_output_projections
from exbert_ls.model.embedded import DEFAULT_MODEL
from exbert_ls.model.loading import load_pretrained


class _EmbeddingsReady(Exception):
    """Raised by :meth:`ModelRunner.embed`'s hook on block 1's input: nothing after it is needed."""


def _block_output(output: Any) -> torch.Tensor:
    """Blocks return a tensor (transformers 5 Llama) or a tuple whose first item is it."""
    first = output[0] if isinstance(output, tuple) else output
    assert isinstance(first, torch.Tensor), type(first)
    return first


class ModelRunner:
    """A loaded model plus the hooks and conventions to read its activations.

    Thread-safe: forward passes are serialised by a lock (the hooks share state and
    torch already uses every core for one pass).
    """

    def __init__(self, model: Any, tokenizer: Any, *, name: str, source: str) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self._lock = threading.Lock()
        config = model.config
        if not getattr(config, "num_attention_heads", None):
            raise UnsupportedModelError(
                f"model {name!r} ({config.model_type}) has no attention heads; "
                "exbert-ls explains attention-based Transformers"
            )
        self.base_model = model.base_model
        num_layers = config.num_hidden_layers
        self._layers = find_layers(self.base_model, config.model_type, num_layers)
        self._projections: list[Any] | None = None
        self._projection_error: UnsupportedModelError | None = None
        try:
            self._projections = find_output_projections(self.base_model, config.model_type)
        except UnsupportedModelError as exc:
            self._projection_error = exc
        architectures = " ".join(config.architectures or [type(model).__name__])
        lm_head = (
            "masked"
            if "ForMaskedLM" in architectures
            else "causal"
            if ("ForCausalLM" in architectures or "LMHeadModel" in architectures)
            else None
        )
        adapter = adapter_for(config.model_type)
        causal = adapter.causal if adapter else (lm_head == "causal" or bool(config.is_decoder))
        if tokenizer.pad_token is None:
            # Causal LMs often have no pad token; padding is on the right and masked out.
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        tokenizer.padding_side = "right"
        self.info = ModelInfo(
            name=name,
            source=source,
            model_type=config.model_type,
            num_layers=num_layers,
            num_heads=config.num_attention_heads,
            d_model=config.hidden_size,
            d_head=getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads,
            causal=causal,
            lm_head=lm_head,
            max_positions=self._max_positions(config, tokenizer),
            device=str(next(model.parameters()).device),
        )

    @classmethod
    def load(cls, name: str = DEFAULT_MODEL, *, device: str = "cpu", trust_remote_code: bool = False) -> ModelRunner:
        """Load by embedded short name (``minilm``, ``smollm2``), local directory or hub id."""
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        model, tokenizer, source = load_pretrained(name, device=device, trust_remote_code=trust_remote_code)
        return cls(model, tokenizer, name=name, source=source)

    @staticmethod
    def _max_positions(config: Any, tokenizer: Any) -> int:
        limits = [
            getattr(config, attr)
            for attr in ("max_position_embeddings", "n_positions")
            if isinstance(getattr(config, attr, None), int)
        ]
        if 0 < tokenizer.model_max_length < 1_000_000:
            limits.append(tokenizer.model_max_length)
        return min(limits) if limits else 512

    def fingerprint(self) -> str:
        """Short hash of parameter names, shapes and leading values: identifies the weights."""
        digest = hashlib.sha256()
        for name, param in self.model.state_dict().items():
            digest.update(name.encode())
            digest.update(str(tuple(param.shape)).encode())
            digest.update(param.detach().flatten()[:2048].float().cpu().numpy().tobytes())
        digest.update(str(len(self.tokenizer)).encode())
        return digest.hexdigest()[:16]

    # ------------------------------------------------------------------ tokens

    def _encode(self, texts: Sequence[str]) -> Any:
        return self.tokenizer(
            list(texts),
            padding=True,
            return_tensors="pt",
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
        )

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Model positions each text needs, special tokens included."""
        encoded = self.tokenizer(list(texts), add_special_tokens=True)["input_ids"]
        return [len(ids) for ids in encoded]

    def _tokens(self, text: str, ids: list[int], offsets: list[list[int]], special: list[int]) -> list[Token]:
        names = self.tokenizer.convert_ids_to_tokens(ids)
        tokens = []
        for i, (tid, name, (start, end), is_special) in enumerate(zip(ids, names, offsets, special)):
            if is_special:
                start = end = 0
            else:
                # Byte-level BPE offsets include the leading space ("Ġthe"); show the word only.
                while start < end and text[start].isspace():
                    start += 1
            tokens.append(Token(i, str(name), int(start), int(end), bool(is_special), int(tid)))
        return tokens

    # ----------------------------------------------------------------- forward

    @contextmanager
    def _capture(self, contexts: bool) -> Iterator[dict[str, list[torch.Tensor]]]:
        store: dict[str, list[torch.Tensor]] = {"resid_post": [], "z": []}
        handles = [
            layer.register_forward_hook(lambda _m, _i, out: store["resid_post"].append(_block_output(out)))
            for layer in self._layers
        ]
        if contexts:
            if self._projections is None:
                assert self._projection_error is not None
                raise self._projection_error
            handles += [
                proj.register_forward_pre_hook(lambda _m, args: store["z"].append(args[0]))
                for proj in self._projections
            ]
        try:
            yield store
        finally:
            for handle in handles:
                handle.remove()

    def _forward(self, encoded: Any, *, contexts: bool, logits: bool) -> dict[str, list[torch.Tensor] | None]:
        """Batched tensors, one per layer: attention L x [B,H,T,T], hidden (L+1) x [B,T,D],
        z L x [B,T,D], logits [[B,T,V]]."""
        inputs = {
            k: v.to(self.info.device)
            for k, v in encoded.items()
            if k in ("input_ids", "attention_mask", "token_type_ids")
        }
        module = self.model if logits else self.base_model
        with self._lock, torch.inference_mode(), self._capture(contexts) as store:
            out = module(**inputs, output_attentions=True, output_hidden_states=True)
        attentions = getattr(out, "attentions", None)
        if not attentions or len(attentions) != self.info.num_layers or attentions[0] is None:
            raise UnsupportedModelError(
                f"model {self.info.name!r} ({self.info.model_type}) returns no attention weights; "
                "exbert-ls needs a model that supports output_attentions with eager attention"
            )
        # per-layer lists, stacked per row in _unpack over the unpadded part only: stacking the
        # padded batch first copied every attention matrix twice and left strided views
        return {
            "attention": list(attentions),
            "hidden": [out.hidden_states[0], *store["resid_post"][: self.info.num_layers]],
            "z": list(store["z"]) if contexts else None,
            "logits": [out.logits] if logits else None,
        }

    def _check_length(self, lengths: Iterable[int]) -> None:
        longest = max(lengths)
        if longest > self.info.max_positions:
            raise InputTooLongError(
                f"text is {longest} tokens long; model {self.info.name!r} accepts at most "
                f"{self.info.max_positions}. Select a shorter passage."
            )

    def _unpack(self, text: str, encoded: Any, tensors: dict[str, list[torch.Tensor] | None], row: int) -> Activations:
        n = int(encoded["attention_mask"][row].sum())
        ids = encoded["input_ids"][row, :n].tolist()
        tokens = self._tokens(
            text, ids, encoded["offset_mapping"][row, :n].tolist(), encoded["special_tokens_mask"][row, :n].tolist()
        )

        def take(layers: list[torch.Tensor], square: bool = False) -> np.ndarray:
            rows = [t[row, ..., :n, :n] if square else t[row, :n] for t in layers]
            return torch.stack(rows).float().cpu().numpy()  # one contiguous copy of this row

        attention = tensors["attention"]
        hidden = tensors["hidden"]
        z = tensors["z"]
        assert attention is not None and hidden is not None
        return Activations(
            text=text,
            tokens=tokens,
            attention=take(attention, square=True),
            hidden=take(hidden),
            contexts=take(z) if z is not None else None,
        )

    # -------------------------------------------------------------- public API

    def run(
        self,
        text: str,
        *,
        contexts: bool = True,
        top_k: int = 0,
        mask: Sequence[int] = (),
    ) -> Activations:
        """One text. ``top_k > 0`` adds predictions; ``mask`` lists positions to replace by
        the mask token first (masked LMs only)."""
        if not text.strip():
            raise InvalidInputError("text is empty or only whitespace")
        if (top_k or mask) and self.info.lm_head is None:
            raise NoLanguageModelHeadError(
                f"model {self.info.name!r} has no LM head ({self.info.model_type} encoder): no predictions or masking"
            )
        encoded = self._encode([text])
        n = int(encoded["attention_mask"][0].sum())
        self._check_length([n])
        if mask:
            self._apply_mask(encoded, mask, n)
        tensors = self._forward(encoded, contexts=contexts, logits=bool(top_k))
        acts = self._unpack(text, encoded, tensors, 0)
        acts.masked = tuple(sorted(set(mask)))
        if top_k:
            logits = tensors["logits"]
            assert logits is not None
            acts.predictions = self._top_k(logits[0][0, :n], top_k)
        return acts

    def run_batch(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        contexts: bool = True,
        max_tokens: int | None = None,
        lengths: Sequence[int] | None = None,
    ) -> Iterator[tuple[int, Activations]]:
        """Many texts, in length-sorted batches (least padding). Yields ``(input index,
        activations)`` in batch order; results equal :meth:`run` on each text.

        ``max_tokens``: a batch also stops before its padded size (sentences x longest) passes
        this, so short sentences run in full batches and long ones in small ones (attention is
        [L, H, T, T] per sentence). ``lengths``: :meth:`count_tokens` of ``texts``, if known."""
        for batch in self.run_batches(
            texts, batch_size=batch_size, contexts=contexts, max_tokens=max_tokens, lengths=lengths
        ):
            yield from batch

    def run_batches(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        contexts: bool = True,
        max_tokens: int | None = None,
        lengths: Sequence[int] | None = None,
    ) -> Iterator[list[tuple[int, Activations]]]:
        """:meth:`run_batch`, one list per forward pass: callers that post-process a batch's
        rows together (the indexer quantises them in one product) see where batches end."""
        if not texts:
            return
        lengths = list(lengths) if lengths is not None else self.count_tokens(texts)
        self._check_length(lengths)
        order = [int(i) for i in np.argsort(lengths, kind="stable")]
        for chunk in _batches(order, lengths, batch_size, max_tokens):
            batch_texts = [texts[i] for i in chunk]
            encoded = self._encode(batch_texts)
            tensors = self._forward(encoded, contexts=contexts, logits=False)
            yield [(index, self._unpack(texts[index], encoded, tensors, row)) for row, index in enumerate(chunk)]

    def embed(self, ids: np.ndarray, positions: np.ndarray, *, batch_tokens: int = 1 << 15) -> np.ndarray:
        """``[N, D]`` float32 hidden state 0 of stored tokens: the embedding output, which is
        what a corpus index derives instead of storing (column ``hs0``, docs/index.md).

        ``ids`` / ``positions``: vocabulary ids and positions of whole sentences, rows in
        (sentence, position) order (each sentence's positions 0..n-1), as a tokens table holds
        them. The sentences are run as :meth:`run_batch` runs them (right-padded, same attention
        mask and token types), but the forward stops at the input of block 1, which is exactly
        ``hidden_states[0]`` of the full forward (tests/test_vectors_quantize.py checks it bit for
        bit), whatever the family computes there (positions, token types, projections, scaling).
        Batches of about ``batch_tokens`` padded positions, shortest sentences together."""
        ids = np.asarray(ids, dtype=np.int64)
        positions = np.asarray(positions, dtype=np.int64)
        count = len(ids)
        out = np.empty((count, self.info.d_model), dtype=np.float32)
        if count == 0:
            return out
        starts = np.flatnonzero(positions == 0)
        lengths = np.diff(np.append(starts, count))
        if starts.size == 0 or starts[0] != 0 or np.any(positions != np.arange(count) - np.repeat(starts, lengths)):
            raise InvalidInputError("embed needs whole sentences: positions 0..n-1 of each, in order")
        self._check_length(lengths.tolist())
        order = np.argsort(lengths, kind="stable")  # least padding
        sorted_lengths = lengths[order]
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        types = "token_type_ids" in getattr(self.tokenizer, "model_input_names", ())
        captured: list[torch.Tensor] = []

        def stop(_module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            captured.append(args[0] if args else kwargs["hidden_states"])
            raise _EmbeddingsReady

        begin = 0
        while begin < len(order):  # a loop over batches of sentences, not over rows
            cost = np.arange(1, len(order) - begin + 1) * sorted_lengths[begin:]  # padded size of [begin, end)
            end = begin + max(1, int(np.searchsorted(cost, batch_tokens, side="right")))
            chosen = order[begin:end]
            width, size = int(sorted_lengths[end - 1]), lengths[chosen]
            row = np.repeat(np.arange(len(chosen)), size)
            col = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
            source = np.repeat(starts[chosen], size) + col
            grid = np.full((len(chosen), width), pad, dtype=np.int64)
            grid[row, col] = ids[source]
            mask = np.zeros((len(chosen), width), dtype=np.int64)
            mask[row, col] = 1
            inputs = {"input_ids": torch.from_numpy(grid), "attention_mask": torch.from_numpy(mask)}
            if types:
                inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
            inputs = {k: v.to(self.info.device) for k, v in inputs.items()}
            handle = self._layers[0].register_forward_pre_hook(stop, with_kwargs=True)
            try:
                with self._lock, torch.inference_mode():
                    self.base_model(**inputs)
            except _EmbeddingsReady:
                pass
            finally:
                handle.remove()
            hidden = captured.pop()
            out[source] = hidden.float().cpu().numpy()[row, col]
            begin = end
        return out

    def _apply_mask(self, encoded: Any, positions: Sequence[int], n: int) -> None:
        if self.info.lm_head != "masked" or self.tokenizer.mask_token_id is None:
            raise NoLanguageModelHeadError(
                f"masking needs a masked-LM model; {self.info.name!r} is "
                f"{'a causal LM' if self.info.lm_head == 'causal' else 'a bare encoder'}"
            )
        special = encoded["special_tokens_mask"][0]
        for p in positions:
            if not 0 <= p < n:
                raise InvalidInputError(f"mask position {p} is out of range 0..{n - 1}")
            if special[p]:
                raise InvalidInputError(f"position {p} is a special token and cannot be masked")
        encoded["input_ids"][0, list(positions)] = self.tokenizer.mask_token_id

    def _top_k(self, logits: torch.Tensor, k: int) -> list[list[Prediction]]:
        """Top-k tokens per position: the fill for masked LMs, the next token for causal LMs."""
        probs = torch.softmax(logits.float(), dim=-1)
        values, indices = probs.topk(min(k, probs.shape[-1]), dim=-1)
        return [
            [Prediction(self.tokenizer.decode([int(i)]), round(float(v), 6)) for v, i in zip(vs, ids)]
            for vs, ids in zip(values.tolist(), indices.tolist())
        ]


def _batches(order: list[int], lengths: Sequence[int], size: int, max_tokens: int | None) -> Iterator[list[int]]:
    """Consecutive runs of ``order`` (ascending lengths): at most ``size`` texts and, with
    ``max_tokens``, at most that many padded tokens (one text alone may exceed it)."""
    chunk: list[int] = []
    for index in order:
        full = len(chunk) >= size or (max_tokens is not None and (len(chunk) + 1) * lengths[index] > max_tokens)
        if chunk and full:
            yield chunk
            chunk = []
        chunk.append(index)
    if chunk:
        yield chunk

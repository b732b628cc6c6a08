"""Shared fixtures: tiny randomly initialised models saved to disk and loaded through
the real loading path, so every architecture family is exercised in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from support import MAX_POSITIONS

from exbert_ls.model.embedded import minilm_dir
from exbert_ls.model.runner import ModelRunner

_TRAINING_TEXT = [
    "The quick brown fox jumps over the lazy dog.",
    "Don't stop believing; it's well-known that naïve cafés serve crème brûlée.",
    "Dorothy lived in the midst of the great Kansas prairies, with Uncle Henry.",
    "A URL like https://example.com/path?q=1 and an emoji 🙂 appear here.",
    "東京は日本の首都です。 Numbers 3.14 and 42 too!",
] * 20


def _bpe_tokenizer(path: Path):
    """A byte-level BPE tokenizer trained on a few sentences (fast, offline, with offsets)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_TRAINING_TEXT, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>")
    fast.save_pretrained(path)
    return fast


def _save(model, tokenizer, path: Path) -> Path:
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from transformers import (
        AutoTokenizer,
        BertConfig,
        BertForMaskedLM,
        DistilBertConfig,
        DistilBertModel,
        GPT2Config,
        GPT2LMHeadModel,
        LlamaConfig,
        LlamaForCausalLM,
    )

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("tiny-models")
    wordpiece = AutoTokenizer.from_pretrained(minilm_dir())
    bpe = _bpe_tokenizer(root / "bpe")
    dirs = {
        "bert": _save(
            BertForMaskedLM(
                BertConfig(
                    vocab_size=len(wordpiece),
                    hidden_size=32,
                    num_hidden_layers=2,
                    num_attention_heads=4,
                    intermediate_size=64,
                    max_position_embeddings=MAX_POSITIONS,
                )
            ),
            wordpiece,
            root / "bert",
        ),
        "distilbert": _save(
            DistilBertModel(DistilBertConfig(vocab_size=len(wordpiece), dim=32, n_layers=2, n_heads=4, hidden_dim=64)),
            wordpiece,
            root / "distilbert",
        ),
        "gpt2": _save(
            GPT2LMHeadModel(
                GPT2Config(
                    vocab_size=len(bpe),
                    n_embd=32,
                    n_layer=2,
                    n_head=4,
                    n_positions=MAX_POSITIONS,
                    bos_token_id=0,
                    eos_token_id=0,
                )
            ),
            bpe,
            root / "gpt2",
        ),
        "llama": _save(
            LlamaForCausalLM(
                LlamaConfig(
                    vocab_size=len(bpe),
                    hidden_size=32,
                    intermediate_size=64,
                    num_hidden_layers=2,
                    num_attention_heads=4,
                    num_key_value_heads=2,
                    max_position_embeddings=MAX_POSITIONS,
                    bos_token_id=0,
                    eos_token_id=0,
                    pad_token_id=0,
                )
            ),
            bpe,
            root / "llama",
        ),
    }
    return dirs


@pytest.fixture(scope="session")
def tiny_runners(tiny_model_dirs: dict[str, Path]) -> dict[str, ModelRunner]:
    return {name: ModelRunner.load(str(path)) for name, path in tiny_model_dirs.items()}


@pytest.fixture(scope="session")
def minilm() -> ModelRunner:
    return ModelRunner.load("minilm")


@pytest.fixture(scope="session")
def annotator():
    from exbert_ls.annotate.words import SpacyAnnotator

    return SpacyAnnotator()

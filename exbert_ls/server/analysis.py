"""``exbert.probe``, ``exbert.lens``, ``exbert.ablate``: the model analyses over LSP.

Argument classes and handler bodies live here; ``app.py`` only registers them
(:func:`register_analysis_commands`). Results are the typed payloads of
``exbert_ls/payloads/analysis.py``, converted by ``payloads.codec.to_wire``.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from exbert_ls.payloads.codec import to_wire
from exbert_ls.server.app import ExbertLanguageServer, _select
from exbert_ls.server.protocol import Selection, _at_least, parse


@attrs.define
class ProbeArgs:
    """``exbert.probe``: induction / duplicate / previous / sink scores of every head."""

    model: str | None = None
    """Model override (default: the configured ``exbert.model``)."""
    effect: bool = True
    """Add each head's causal effect (an ablation scan of a fixed sample; cached per weights)."""


@attrs.define
class LensArgs(Selection):
    """``exbert.lens``: the logit lens of the selected text."""

    model: str | None = None
    position: int | None = attrs.field(default=None, validator=_at_least(0))
    """One token position (default: all)."""
    k: int = attrs.field(default=5, validator=_at_least(1))
    """Top tokens per hidden state."""


@attrs.define
class AblateArgs(Selection):
    """``exbert.ablate``: the selected text with ``heads`` ablated, or (``scan``) every head alone."""

    model: str | None = None
    heads: list[list[int]] = attrs.field(factory=list)
    """``[[layer (1-based), head (0-based)], ...]``."""
    mode: Literal["zero", "mean", "corpus-mean"] = "zero"
    """``corpus-mean`` uses the workspace's corpus index (built by the same model)."""
    scan: bool = False
    """Ablate each head alone and return the ``L x H`` grid of loss changes instead."""


ANALYSIS_ARGUMENTS: tuple[type, ...] = (ProbeArgs, LensArgs, AblateArgs)
"""The analysis commands' argument types (``exbert schema`` adds them to ``$defs``, so the
panel's messages are typed from the same classes)."""


def register_analysis_commands(server: ExbertLanguageServer) -> None:
    @server.command("exbert.probe")
    async def probe_command(ls: ExbertLanguageServer, *arguments: Any) -> Any:
        from exbert_ls.model.probes import probe

        args = parse("exbert.probe", ProbeArgs, arguments)

        def work(cancel: Any) -> Any:
            from exbert_ls.model.effects import causal_effect

            runner = ls.state.runner(args.model)
            result = probe(runner)
            if runner.info.lm_head is not None and args.effect:
                result.causal_effect = causal_effect(runner)
            return to_wire(result)

        return await ls.run("exbert.probe", work)

    @server.command("exbert.lens")
    async def lens_command(ls: ExbertLanguageServer, *arguments: Any) -> Any:
        from exbert_ls.model.lens import logit_lens

        args = parse("exbert.lens", LensArgs, arguments)
        selected = _select(ls, "exbert.lens", args)
        return await ls.run(
            "exbert.lens",
            lambda cancel: to_wire(
                logit_lens(ls.state.runner(args.model), selected.text, k=args.k, position=args.position)
            ),
        )

    @server.command("exbert.ablate")
    async def ablate_command(ls: ExbertLanguageServer, *arguments: Any) -> Any:
        from exbert_ls.errors import InvalidInputError
        from exbert_ls.model.ablation import ablate, ablation_scan

        args = parse("exbert.ablate", AblateArgs, arguments)
        selected = _select(ls, "exbert.ablate", args)

        def work(cancel: Any) -> Any:
            from exbert_ls.store.means import corpus_context_means

            runner = ls.state.runner(args.model)
            means = None
            if args.mode == "corpus-mean":  # the workspace index, opened (and checked) for the configured model
                if runner is not ls.state.runner():
                    raise InvalidInputError("mode corpus-mean uses the workspace index: leave the model override out")
                means = corpus_context_means(ls.state.db())
            if args.scan:
                return to_wire(ablation_scan(runner, selected.text, mode=args.mode, corpus_means=means))
            if any(len(pair) != 2 for pair in args.heads) or not args.heads:
                raise InvalidInputError("heads must be a non-empty list of [layer (1-based), head (0-based)] pairs")
            heads = [(int(layer), int(head)) for layer, head in args.heads]
            return to_wire(ablate(runner, selected.text, heads, mode=args.mode, corpus_means=means))

        return await ls.run("exbert.ablate", work)

"""Nearest-neighbour search over an index, match summaries, and corpus-wide head summaries."""

from exbert_ls.search.api import corpus_head_stats, head_summaries, search
from exbert_ls.search.engine import SearchConfig, clear_caches

__all__ = ["SearchConfig", "clear_caches", "corpus_head_stats", "head_summaries", "search"]

"""Constants and helpers test modules import (``from support import ...``).

Not in conftest.py: there are two conftest modules (tests/ and tests/e2e/), and
``from conftest import`` would pick whichever pytest imported first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

#: Positions of the tiny models: room for the longest hypothesis text (12 segments of up to
#: ~17 byte-level pieces each), small enough that "too long" is cheap to provoke.
MAX_POSITIONS = 256


def shared_path(relative: str) -> Path:
    """A file under ../shared, or skip the test where the shared folder is absent."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"needs ../shared/{relative} (absent in this checkout)")
    return path

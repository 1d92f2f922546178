"""Shared fixtures: where the seed reports and the gold grids live."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("GXIE_SEEDS", ROOT.parent / "shared" / "seeds"))
GOLD = ROOT / "tests" / "gold"
VARIANTS = ROOT / "tests" / "variants"


def gold_files() -> list[Path]:
    return sorted(GOLD.glob("*.json"))


def load_gold(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The five real seed reports (../shared/seeds beside the repository, or $GXIE_SEEDS)."""
    if not SEEDS.is_dir():
        pytest.skip(
            f"seed reports not found at {SEEDS}: these tests read the real reports from ../shared/seeds "
            "beside the repository (or set GXIE_SEEDS to their folder)"
        )
    return SEEDS

"""Shared fixtures: where the seed reports and the gold grids live; what a run says when the seeds are absent.

Without the seed reports (../shared/seeds beside the repository, or $GXIE_SEEDS) the tests that read them
skip, and the run ends with one line saying so; with ``CI`` set (``CI=true``) a missing seeds folder
stops the run at once with exit status 4, so that CI cannot pass without them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("GXIE_SEEDS", ROOT.parent / "shared" / "seeds"))
GOLD = ROOT / "tests" / "gold"
VARIANTS = ROOT / "tests" / "variants"
SEEDS_HOW = "put them in ../shared/seeds beside the repository, or set GXIE_SEEDS to their folder"


def on_ci() -> bool:
    """True when the ``CI`` environment variable is set to a true value (``true``, ``1``, ``yes``).

    >>> on_ci()  # doctest: +SKIP
    False
    """
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_sessionstart(session: pytest.Session) -> None:
    """On CI, stop before collecting when the seed reports are missing: skipping them there hides a bad set-up."""
    if on_ci() and not SEEDS.is_dir():
        pytest.exit(
            f"CI={os.environ['CI']}: seed reports not found at {SEEDS}; on CI the tests that read them must run, "
            f"not be skipped: {SEEDS_HOW}",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line near the end of the run when the seed reports are missing (each skip names this note)."""
    if not SEEDS.is_dir():
        terminalreporter.write_line(
            f"gxie: seed reports not found at {SEEDS}: the tests that read the five real reports are skipped; "
            f"{SEEDS_HOW}",
            yellow=True,
            bold=True,
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked ``model`` (it loads the bundled model) is slow too: ``-m "not slow"`` leaves it out."""
    for item in items:
        if item.get_closest_marker("model") is not None and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)


def gold_files() -> list[Path]:
    return sorted(GOLD.glob("*.json"))


def load_gold(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def require_seeds() -> Path:
    """The seeds folder, or skip the calling test; every such skip comes from here, so ``-ra`` folds them
    into one line.

    >>> require_seeds().name  # doctest: +SKIP
    'seeds'
    """
    if not SEEDS.is_dir():
        pytest.skip(f"seed reports not found at {SEEDS} (see the note above)")
    return SEEDS


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The five real seed reports (../shared/seeds beside the repository, or $GXIE_SEEDS)."""
    return require_seeds()

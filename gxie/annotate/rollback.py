"""Model promotion with a way back: the replaced model is kept in ``<model>.rollback/<timestamp>/``.

:func:`promote` copies a candidate model directory over the current one (a copy beside it, then renames,
so a reader never sees a half-written model) and moves the model it replaces into the rollback folder,
with ``rollback.json`` saying which version it was, when and why it was replaced. :func:`rollback` puts a
kept model back the same way; the model it replaces is kept too (marked ``rolled_back``), so a rollback
can itself be undone with ``--to``. With no ``--to`` the newest entry that was not itself rolled back is
restored, so rolling back twice goes two promotions back.

Example::

    >>> from gxie.annotate.rollback import promote, rollback, entries  # doctest: +SKIP
    >>> promote("runs/round1/candidate", "models/current", reason="frozen-test F1 0.91 -> 0.95")  # doctest: +SKIP
    >>> rollback("models/current").version  # the model before the promotion  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gxie.errors import ConfigError

ROLLBACK_SUFFIX = ".rollback"
ENTRY_FILE = "rollback.json"
MODEL_CONFIG = "gxie_config.json"  # where a model directory records its version (gxie.tagging.model)


@dataclass(frozen=True)
class Entry:
    """One kept model: its folder, version, when it was set aside, why, and whether a rollback did it."""

    path: Path
    version: str
    saved_at: str
    reason: str
    rolled_back: bool

    @property
    def name(self) -> str:
        """The folder name (a UTC timestamp), what ``--to`` takes."""
        return self.path.name


def rollback_dir(model: str | Path) -> Path:
    """``<model>.rollback`` beside the model directory."""
    model = Path(model)
    return model.with_name(model.name + ROLLBACK_SUFFIX)


def model_version(model: str | Path) -> str:
    """The ``model_version`` recorded in a model directory, or ``"unknown"``."""
    try:
        meta = json.loads((Path(model) / MODEL_CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unknown"
    return str(meta.get("model_version", "unknown")) if isinstance(meta, dict) else "unknown"


def entries(model: str | Path) -> list[Entry]:
    """The kept models of ``model``, oldest first."""
    folder = rollback_dir(model)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            info: dict[str, Any] = json.loads((path / ENTRY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        out.append(
            Entry(
                path,
                str(info.get("version") or model_version(path)),
                str(info.get("saved_at", path.name)),
                str(info.get("reason", "")),
                bool(info.get("rolled_back", False)),
            )
        )
    return out


def promote(candidate: str | Path, model: str | Path, *, reason: str = "") -> Entry | None:
    """Put the model directory ``candidate`` in place of ``model``; the replaced model (if any) is kept in
    the rollback folder and returned as an Entry."""
    candidate, model = Path(candidate), Path(model)
    if not candidate.is_dir():
        raise ConfigError(f"cannot promote {candidate}: it is not a model directory")
    staging = model.with_name(model.name + ".incoming")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(candidate, staging)
    why = reason or f"replaced by {model_version(candidate)}"
    return _swap(staging, model, why, rolled_back=False)


def rollback(model: str | Path, to: str | None = None) -> Entry:
    """Restore a kept model of ``model`` (the entry named ``to``, else the newest one not itself rolled
    back) and keep the model it replaces; returns the restored entry (its former folder)."""
    model = Path(model)
    kept = entries(model)
    if to is not None:
        chosen = next((e for e in kept if e.name == to), None)
        if chosen is None:
            names = ", ".join(e.name for e in kept) or "none"
            raise ConfigError(
                f"no kept model called {to!r} in {rollback_dir(model)}; kept: {names} "
                "(gxie annotate rollback --list shows them)"
            )
    else:
        candidates = [e for e in kept if not e.rolled_back]
        if not candidates:
            raise ConfigError(
                f"nothing to roll back to: {rollback_dir(model)} holds no model replaced by a promotion "
                f"({len(kept)} entries in all); a model is kept there when `gxie annotate retrain` promotes another"
            )
        chosen = candidates[-1]
    staging = model.with_name(model.name + ".incoming")
    shutil.rmtree(staging, ignore_errors=True)
    chosen.path.rename(staging)
    (staging / ENTRY_FILE).unlink(missing_ok=True)
    _swap(staging, model, f"rolled back to {chosen.version} (kept as {chosen.name})", rolled_back=True)
    return chosen


def _swap(staging: Path, model: Path, reason: str, *, rolled_back: bool) -> Entry | None:
    """Move ``model`` into the rollback folder (if it exists), then ``staging`` into its place."""
    kept: Entry | None = None
    if model.exists():
        folder = rollback_dir(model)
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.now(timezone.utc)
        target = folder / now.strftime("%Y%m%dT%H%M%S%fZ")
        while target.exists():  # two swaps within the same microsecond
            target = target.with_name(target.name + "_")
        version = model_version(model)
        model.rename(target)
        kept = Entry(target, version, now.isoformat(), reason, rolled_back)
        info = {"version": version, "saved_at": kept.saved_at, "reason": reason, "rolled_back": rolled_back}
        (target / ENTRY_FILE).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    staging.rename(model)
    return kept

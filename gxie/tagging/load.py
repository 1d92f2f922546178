"""Taggers by name: ``"model"`` (the bundled model) or ``"rules"`` (the baseline), loaded once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from gxie.tagging.base import Tagger

TAGGERS = ("model", "rules")


@cache
def _cached_tagger(name: str, device: str) -> Tagger:
    if name == "rules":
        from gxie.tagging.rules import RulesTagger

        return RulesTagger()
    from gxie.tagging.model import ModelTagger

    return ModelTagger.from_pretrained(default_model_dir(), device=device)


def default_model_dir() -> Path:
    """Where the bundled default model lives: package data when installed, ``models/default`` in a checkout.

    >>> default_model_dir().name
    'default'
    """
    try:
        from importlib.resources import files

        path = Path(str(files("gxie.bundled_models"))) / "default"
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "models" / "default"


def get_tagger(tagger: str | Tagger = "model", device: str = "auto") -> Tagger:
    """A tagger by name (``"model"``: the bundled model, ``"rules"``: the baseline) or the one given.

    Loaded once per process and cached.

    >>> get_tagger("rules").name
    'rules'
    """
    if not isinstance(tagger, str):
        return tagger
    if tagger not in TAGGERS:
        raise ValueError(f"unknown tagger {tagger!r}; use one of {', '.join(TAGGERS)} or pass a Tagger object")
    return _cached_tagger(tagger, device)

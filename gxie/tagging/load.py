"""Taggers by name: ``"model"`` (the bundled model or a model directory, on ONNX Runtime or torch) or
``"rules"`` (the baseline), loaded once per process and cached."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from gxie.tagging.base import Tagger
from gxie.tagging.loader import DEFAULT_BACKEND, check_backend, load_model_tagger
from gxie.tagging.loader import default_model_dir as default_model_dir  # re-exported

TAGGERS = ("model", "rules")


@cache
def _cached_tagger(
    name: str,
    device: str,
    model: str | None = None,
    backend: str = DEFAULT_BACKEND,
    stamp: int = 0,
    quantize: bool | None = None,
    cascade: bool | None = None,
) -> Tagger:
    if name == "rules":
        from gxie.tagging.rules import RulesTagger

        return RulesTagger()
    return load_model_tagger(model, backend=backend, device=device, quantize=quantize, cascade=cascade)


def get_tagger(
    tagger: str | Tagger = "model",
    device: str = "auto",
    *,
    model: str | os.PathLike[str] | None = None,
    backend: str = DEFAULT_BACKEND,
    quantize: bool | None = None,
    cascade: bool | None = None,
) -> Tagger:
    """A tagger by name (``"model"``: the bundled model, or the model directory ``model``; ``"rules"``: the
    baseline) or the one given. ``backend``: ``"onnx"`` (default, onnxruntime, no torch) or ``"torch"``;
    ``quantize`` (int8 matrix products on CPU) and ``cascade`` (plain prose skips the model): None takes the
    defaults (both on, docs/speed.md); ``quantize=False, cascade=False`` gives the torch model's tags exactly.

    Loaded once per process and cached.
    """
    if not isinstance(tagger, str):
        return tagger
    if tagger not in TAGGERS:
        hint = f"; to use the model in the directory {tagger!r}, pass model={tagger!r}" if Path(tagger).is_dir() else ""
        raise ValueError(f"unknown tagger {tagger!r}; use one of {', '.join(TAGGERS)} or pass a Tagger object{hint}")
    if tagger == "rules" and model is not None:
        raise ValueError(f"model={str(model)!r} names a model directory, which the rules tagger does not use; "
                         "drop model= or use tagger='model'")  # fmt: skip
    check_backend(backend)
    folder = str(Path(model).resolve()) if model is not None else None
    stamp = _stamp(Path(folder)) if folder is not None else 0  # a model saved again into the same folder reloads
    if tagger == "rules":
        return _cached_tagger("rules", "cpu")
    return _cached_tagger(tagger, device, folder, backend, stamp, quantize, cascade)


def _stamp(folder: Path) -> int:
    try:
        return (folder / "gxie_config.json").stat().st_mtime_ns
    except OSError:
        return 0

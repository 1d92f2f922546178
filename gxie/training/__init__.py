"""Training the character tagger: config (``TrainConfig``, ``load_config``), data, loop (``train``), card.

Example::

    from gxie.training import load_config, train
    result = train(load_config("training/configs/tiny.yaml"))

Names are imported on first use, so ``import gxie.cli.train`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "TrainConfig": "gxie.training.config",
    "load_config": "gxie.training.config",
    "train": "gxie.training.train",
    "TrainResult": "gxie.training.train",
    "evaluate_tags": "gxie.training.metrics",
    "load_records": "gxie.training.data",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gxie.training' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)

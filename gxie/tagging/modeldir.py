"""A saved tagging model on disk: its files, its ``gxie_config.json`` and the checks on them (no torch).

A model directory written by ``ModelTagger.save_pretrained`` (or ``gxie train``) holds ``config.json``
(the ModernBERT architecture), ``model.safetensors`` (the weights, for training and the torch backend),
``model.onnx`` (the same weights as an ONNX graph, for the default onnxruntime backend),
``tokenizer.json`` (the character vocabulary) and ``gxie_config.json`` (labels, windows, version,
training record). Both backends read the directory through :func:`read_model_dir`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gxie.errors import ModelError
from gxie.labels import LABELS_VERSION, TAGS

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"  # the same graph with int8 matrix products (dynamic quantization)
VOCAB_FILE = "tokenizer.json"
GXIE_CONFIG_FILE = "gxie_config.json"
# the files every model directory has; ONNX_FILE is added by save_pretrained and needed by the onnx backend
MODEL_FILES: tuple[str, ...] = (CONFIG_FILE, WEIGHTS_FILE, VOCAB_FILE, GXIE_CONFIG_FILE)
FORMAT = "gxie-char-tagger"
FORMAT_VERSION = 1
DEFAULT_WINDOW, DEFAULT_STRIDE = 512, 384


@dataclass(frozen=True)
class ModelDir:
    """What :func:`read_model_dir` found: the path, ``gxie_config.json``, windows and version."""

    path: Path
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        """The model version (a hash of the weights, set when the model was saved)."""
        return str(self.meta.get("model_version", "unknown"))

    @property
    def window(self) -> int:
        return int(self.meta.get("window", DEFAULT_WINDOW))

    @property
    def stride(self) -> int:
        return int(self.meta.get("stride", DEFAULT_STRIDE))

    @property
    def inference_window(self) -> int:
        """The window inference runs in (longer than ``window`` for a model with only local attention)."""
        return int(self.meta.get("inference_window", self.window))

    @property
    def inference_stride(self) -> int:
        return int(self.meta.get("inference_stride", self.stride))

    @property
    def vocab_recipe(self) -> str:
        vocab = self.meta.get("vocab")
        return str(vocab.get("recipe", "unknown")) if isinstance(vocab, dict) else "unknown"

    def file(self, name: str) -> Path:
        return self.path / name


def read_model_dir(path: str | Path, *, needs: tuple[str, ...] = MODEL_FILES) -> ModelDir:
    """Check that ``path`` is a gxie model directory holding ``needs`` and that its labels are this gxie's.

    Raises ModelError naming the missing or wrong file and what to do.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelError(
            f"model directory {path} does not exist (or is not a directory); "
            "pass a directory written by ModelTagger.save_pretrained or `gxie train`"
        )
    for name in needs:
        if not (path / name).is_file():
            hint = (
                f"Write it with `gxie export-onnx {path}` (needs `pip install onnx`), or use backend 'torch'"
                if name == ONNX_FILE
                else "Re-save or re-train the model"
            )
            raise ModelError(f"model directory {path} lacks {name}; a model directory holds {', '.join(needs)}. {hint}")
    meta = read_json(path / GXIE_CONFIG_FILE)
    if meta.get("format") != FORMAT:
        raise ModelError(f"{path / GXIE_CONFIG_FILE} is not a gxie model config (format {FORMAT!r})")
    check_labels(meta.get("labels"), meta.get("labels_version"), str(path))
    return ModelDir(path, meta)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; ModelError when unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}; re-save the model") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path} must hold a JSON object, found {type(data).__name__}")
    return data


def check_labels(labels: object, labels_version: object, where: str) -> None:
    """Raise ModelError unless the model's tag list and labels version are this gxie's."""
    if labels_version != LABELS_VERSION:
        raise ModelError(
            f"{where} was trained with labels version {labels_version!r}; this gxie uses labels version "
            f"{LABELS_VERSION!r}. Retrain the model (gxie train) or use a matching gxie"
        )
    if not isinstance(labels, list | tuple) or list(labels) != list(TAGS):
        raise ModelError(
            f"{where} has the tag list {labels!r}, but gxie.labels.TAGS is {list(TAGS)!r}; "
            "retrain the model with this gxie's labels"
        )

"""Load a model tagger from a model directory with a backend: ``onnx`` (default, no torch) or ``torch``.

    >>> tagger = load_model_tagger("models/default")                    # doctest: +SKIP
    >>> tagger = load_model_tagger("runs/round1/candidate", backend="torch", device="cuda")  # doctest: +SKIP

``default_model_dir()`` is the bundled model: package data (``gxie.bundled_models/default``) in an
installed gxie, ``models/default`` in a checkout. Any directory written by ``gxie train``,
``gxie annotate retrain`` or ``ModelTagger.save_pretrained`` can be passed instead.
"""

from __future__ import annotations

from pathlib import Path

from gxie.errors import ModelError
from gxie.tagging.base import Tagger

BACKENDS: tuple[str, ...] = ("onnx", "torch")
DEFAULT_BACKEND = "onnx"


def default_model_dir() -> Path:
    """Where the bundled default model lives: ``models/default`` when gxie runs from a source checkout,
    else the package data of the installed wheel (``gxie.bundled_models/default``)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "models" / "default").is_dir():
        return root / "models" / "default"
    try:
        from importlib.resources import files

        path = Path(str(files("gxie.bundled_models"))) / "default"
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return root / "models" / "default"


def check_backend(backend: str) -> str:
    """Return ``backend`` if known, else raise ModelError naming the allowed ones."""
    if backend not in BACKENDS:
        raise ModelError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    return backend


def load_model_tagger(
    path: str | Path | None = None,
    *,
    backend: str = DEFAULT_BACKEND,
    device: str = "auto",
    quantize: bool | None = None,
    cascade: bool | None = None,
    threads: int | None = None,
    batch_size: int | None = None,
) -> Tagger:
    """The model tagger of ``path`` (default: the bundled model) on ``backend``.

    ``onnx``: gxie.tagging.onnx.OnnxTagger (onnxruntime; CUDA with onnxruntime-gpu). ``torch``:
    gxie.tagging.model.ModelTagger (needs ``pip install 'gxie[train]'``; CUDA with a CUDA torch).
    ``quantize`` (int8 on CPU) and ``cascade`` (prose skips the model) default to the ONNX backend's
    defaults (on; the torch backend has no int8 default); ``batch_size``: windows per forward pass (default:
    the backend's; onnx: 1 on the CPU, 64 on CUDA; torch: 32).
    """
    check_backend(backend)
    model_dir = Path(path) if path is not None else default_model_dir()
    if backend == "onnx":
        from gxie.tagging.onnx import OnnxTagger

        return OnnxTagger(
            model_dir,
            device=device,
            quantize=quantize,
            cascade=cascade,
            threads=threads,
            batch_size=batch_size,
        )
    try:
        from gxie.tagging.model import ModelTagger
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"backend 'torch' needs the package {exc.name!r}, which is not installed; install it with "
            "`pip install 'gxie[train]'` (or use the default backend 'onnx')"
        ) from exc
    from gxie.tagging.onnx import CASCADE_DEFAULT

    tagger = ModelTagger.from_pretrained(model_dir, device=device, quantize=quantize, batch_size=batch_size or 32)
    tagger.cascade = CASCADE_DEFAULT if cascade is None else cascade
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    return tagger

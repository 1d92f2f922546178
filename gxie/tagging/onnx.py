"""The default model tagger: the ONNX graph of a model directory run by onnxruntime (no torch).

``OnnxTagger`` reads ``model.onnx`` (written by ``ModelTagger.save_pretrained`` or ``gxie export-onnx``),
``tokenizer.json`` and ``gxie_config.json`` and tags exactly as gxie.tagging.model.ModelTagger does
(same vocabulary, windows, batching and decoding, gxie.tagging.decode). The onnxruntime session is
created on first use, so building a tagger costs a few milliseconds, a tagger pickles (to worker
processes) without its session, and a batch run with nothing left to do loads nothing.

Devices: ``"cpu"``; ``"cuda"`` runs on onnxruntime's CUDAExecutionProvider (``pip install
onnxruntime-gpu``) and fails with a clear message where that provider is absent; ``"auto"`` takes CUDA
when the provider is there, else the CPU.

Precision: ``quantize=True`` runs ``model.int8.onnx`` (dynamic int8 quantization of the matrix
products, written beside ``model.onnx`` by the exporter) on CPU; ``cascade=True`` sends only the lines
that are not plain prose through the model (gxie.tagging.cascade). Both are on by default
(``QUANTIZE_DEFAULT``, ``CASCADE_DEFAULT``; docs/speed.md has the measurement behind them);
``quantize=False, cascade=False`` tags exactly as the torch model does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gxie.errors import ModelError
from gxie.tagging.cascade import planned_regions
from gxie.tagging.decode import Merger, SpanTagger, Within, plan_batches, top_of_logits
from gxie.tagging.modeldir import GXIE_CONFIG_FILE, INT8_FILE, ONNX_FILE, VOCAB_FILE, read_model_dir
from gxie.tagging.vocab import CharVocab
from gxie.tagging.windows import check_window

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
CUDA_PROVIDER, CPU_PROVIDER = "CUDAExecutionProvider", "CPUExecutionProvider"
# Defaults measured with training.inference_check (docs/speed.md): int8 and the cascade change no table
# value, check or status on the seed reports and the benchmark sets, and halve the tagging time; the only
# differences are spurious one-to-three-character unnumbered "section" fragments in 9 of 205 reports.
# quantize=False, cascade=False give the torch model's tags exactly.
QUANTIZE_DEFAULT = True
CASCADE_DEFAULT = True  # gxie.tagging.cascade: plain prose skips the model
DEFAULT_THREADS = 1  # one thread per process; parallelism comes from worker processes (gxie.batch)
# Windows per forward pass. On CPU one: on one thread a window of 512 runs fastest alone (100k characters/s
# against 89k in fours and 79k in eights, int8, AMD EPYC; docs/speed.md), and the global attention's scores
# of many windows take memory (134 MB for 32). On CUDA many, so the device is kept busy.
CPU_BATCH = 1
GPU_BATCH = 64


def select_providers(device: str, available: Sequence[str] | None = None) -> list[str]:
    """The onnxruntime execution providers for ``device`` (``auto``, ``cpu``, ``cuda`` or ``cuda:N``).

    ``available`` defaults to ``onnxruntime.get_available_providers()``. Raises ModelError for an unknown
    device, or for cuda when the CUDA provider is not installed.

    >>> select_providers("auto", ["CPUExecutionProvider"])
    ['CPUExecutionProvider']
    >>> select_providers("cuda", ["CUDAExecutionProvider", "CPUExecutionProvider"])
    ['CUDAExecutionProvider', 'CPUExecutionProvider']
    """
    if device not in DEVICES and not device.startswith("cuda:"):
        raise ModelError(f"unknown device {device!r}; use one of {', '.join(DEVICES)} (or cuda:N)")
    if available is None:
        import onnxruntime

        available = onnxruntime.get_available_providers()
    has_cuda = CUDA_PROVIDER in available
    if device.startswith("cuda") and not has_cuda:
        raise ModelError(
            f"device {device!r} was asked for, but this onnxruntime has no {CUDA_PROVIDER} (providers: "
            f"{', '.join(available) or 'none'}). Install the GPU build (`pip uninstall onnxruntime && pip install "
            "onnxruntime-gpu`), use backend 'torch' with a CUDA torch, or use device 'cpu'"
        )
    if device.startswith("cuda") or (device == "auto" and has_cuda):
        return [CUDA_PROVIDER, CPU_PROVIDER]
    return [CPU_PROVIDER]


class OnnxTagger(SpanTagger):
    """Tags normalized report text with a model directory's ``model.onnx``. Example::

    tagger = OnnxTagger("models/default")
    spans = tagger.tag("一、总体情况\\n...")
    """

    name = "model"

    def __init__(
        self,
        path: str | Path,
        *,
        device: str = "auto",
        quantize: bool | None = None,
        threads: int | None = None,
        batch_size: int | None = None,
        window: int | None = None,
        stride: int | None = None,
        cascade: bool | None = None,
    ) -> None:
        self.model_dir = read_model_dir(path, needs=(ONNX_FILE, VOCAB_FILE, GXIE_CONFIG_FILE))
        self.path = self.model_dir.path
        self.device = device
        self.quantize = QUANTIZE_DEFAULT if quantize is None else quantize
        if threads is not None and threads < 1:
            raise ModelError(f"threads must be at least 1, got {threads}")
        self.threads = threads or int(os.environ.get("GXIE_THREADS", DEFAULT_THREADS))
        if batch_size is not None and batch_size < 1:
            raise ModelError(f"batch_size must be at least 1, got {batch_size}")
        self._batch_size = batch_size
        self.window = window or self.model_dir.inference_window
        self.stride = stride or (self.model_dir.inference_stride if window is None else self.window * 3 // 4)
        try:
            check_window(self.window, self.stride)
        except ValueError as exc:
            raise ModelError(str(exc)) from exc
        self.cascade = CASCADE_DEFAULT if cascade is None else cascade
        self.version = self.model_dir.version
        self.metadata = self.model_dir.meta
        self.vocab = CharVocab.load(self.path / VOCAB_FILE, self.model_dir.vocab_recipe)
        size = (self.metadata.get("vocab") or {}).get("size")
        if size is not None and int(size) != len(self.vocab):
            raise ModelError(
                f"{self.path}: {GXIE_CONFIG_FILE} says the vocabulary has {size} tokens but {VOCAB_FILE} has "
                f"{len(self.vocab)}; the files come from different models"
            )
        # "cpu" needs no look at onnxruntime (not even its import) until the first forward pass; "cuda" is
        # checked now, so a missing CUDA provider fails before the first file, not at it
        self._providers: list[str] | None = [CPU_PROVIDER] if device == "cpu" else None
        if device != "auto":
            self._providers = select_providers(device)
        if self.quantize and not (self.path / INT8_FILE).is_file():
            raise ModelError(
                f"{self.path / INT8_FILE} does not exist; write it with `gxie export-onnx {self.path}` (needs "
                "`pip install onnx`), or use quantize=False"
            )
        self._session: Any = None

    @property
    def providers(self) -> list[str]:
        """The onnxruntime execution providers, in order of preference (see :func:`select_providers`)."""
        if self._providers is None:
            self._providers = select_providers(self.device)
        return self._providers

    @property
    def batch_size(self) -> int:
        """Windows per forward pass: as given, else ``CPU_BATCH`` on the CPU and ``GPU_BATCH`` on CUDA."""
        if self._batch_size is not None:
            return self._batch_size
        return CPU_BATCH if self.providers[0] == CPU_PROVIDER else GPU_BATCH

    @property
    def onnx_file(self) -> Path:
        """The graph that runs: the int8 one with ``quantize`` on CPU (CUDA runs the float graph)."""
        return self.path / (INT8_FILE if self.quantize and self.providers[0] == CPU_PROVIDER else ONNX_FILE)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_session"] = None  # a worker process creates its own
        return state

    @property
    def session(self) -> Any:
        """The onnxruntime session, created on first use."""
        if self._session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            try:
                self._session = onnxruntime.InferenceSession(
                    str(self.onnx_file), sess_options=options, providers=self.providers
                )
            except Exception as exc:  # onnxruntime raises its own exception types
                raise ModelError(
                    f"onnxruntime cannot load {self.onnx_file}: {exc}; re-export it with `gxie export-onnx {self.path}`"
                ) from exc
            session = self._session
            self._session = None
            names = {i.name for i in session.get_inputs()}
            if names != {"input_ids", "attention_mask"}:
                raise ModelError(
                    f"{self.onnx_file} takes the inputs {sorted(names)}; a gxie model graph takes input_ids and "
                    f"attention_mask. Re-export it with `gxie export-onnx {self.path}`"
                )
            limit = session.get_modelmeta().custom_metadata_map.get("max_length")
            if limit is not None and self.window > int(limit):
                raise ModelError(
                    f"window {self.window} is longer than the {limit} positions {self.onnx_file} was built for; "
                    f"use a window of at most {limit}"
                )
            self._session = session
        return self._session

    def merged(self, texts: Sequence[str], within: Within = None) -> Merger:
        """The windows' argmax tags and their probabilities, merged per character (``SpanTagger.merged``)."""
        ids = [self.vocab.encode(t) for t in texts]
        merger = Merger([len(i) for i in ids])
        session = self.session if any(ids) else None
        regions = planned_regions(texts, self.cascade, within)
        for batch in plan_batches(ids, self.window, self.stride, self.batch_size, self.vocab.pad_id, spans=regions):
            assert session is not None
            (logits,) = session.run(["logits"], {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask})
            merger.add(batch, *top_of_logits(np.asarray(logits)))
        return merger

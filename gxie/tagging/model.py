"""The character-level tagging model on torch: a small ModernBERT token classifier over a character vocabulary.

This is the training side and the ``backend="torch"`` inference path; the default inference path is the
ONNX graph of the same model (gxie.tagging.onnx, no torch). A model is a directory written by
:meth:`ModelTagger.save_pretrained` (safetensors weights, and the ONNX graph by
gxie.tagging.onnx_export) and read back, locally only, by :meth:`ModelTagger.from_pretrained`. Long texts
are tagged in overlapping windows; windows of many texts share one forward pass; each character takes its
prediction from the window where it is farthest from an edge; argmax tags decode into spans whose score
is the lowest probability of their characters (gxie.tagging.decode, shared with the ONNX tagger).
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import ModernBertConfig, ModernBertForTokenClassification

from gxie._version import __version__
from gxie.errors import ModelError
from gxie.labels import LABELS_VERSION, TAGS
from gxie.tagging.cascade import planned_regions
from gxie.tagging.decode import Merger, SpanTagger, Within, plan_batches, repair_iob2
from gxie.tagging.modeldir import (
    CONFIG_FILE,
    FORMAT,
    FORMAT_VERSION,
    GXIE_CONFIG_FILE,
    MODEL_FILES,
    ONNX_FILE,
    VOCAB_FILE,
    WEIGHTS_FILE,
    check_labels,
    read_model_dir,
)
from gxie.tagging.vocab import CharVocab
from gxie.tagging.windows import LOCAL_INFERENCE_WINDOW, check_window, inference_windows

__all__ = [
    "CONFIG_FILE",
    "GXIE_CONFIG_FILE",
    "MODEL_FILES",
    "ONNX_FILE",
    "VOCAB_FILE",
    "WEIGHTS_FILE",
    "ModelTagger",
    "repair_iob2",
    "resolve_device",
]

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
# Dynamic int8 quantization of the Linear layers when running on CPU and ``quantize`` is None.
QUANTIZE_ON_CPU = False


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> cuda when available, else cpu; ``"cpu"``, ``"cuda"`` and ``"cuda:N"`` as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in DEVICES and not device.startswith("cuda:"):
        raise ModelError(f"unknown device {device!r}; use one of {', '.join(DEVICES)} (or cuda:N)")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"device {device!r} was asked for but CUDA is not available; use device 'cpu'")
    return torch.device(device)


def _quantize(model: torch.nn.Module) -> torch.nn.Module | None:
    """Dynamic int8 quantization of the Linear layers, or None where this torch no longer offers it."""
    quantize_dynamic = getattr(getattr(torch, "ao", None), "quantization", None)
    quantize_dynamic = getattr(quantize_dynamic, "quantize_dynamic", None)
    if quantize_dynamic is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eager-mode quantization is deprecated in favour of torchao
        quantized: torch.nn.Module = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return quantized


class ModelTagger(SpanTagger):
    """Tags normalized report text with a trained model. Example::

    tagger = ModelTagger.from_pretrained("models/default")
    spans = tagger.tag("一、总体情况\\n...")
    """

    name = "model"

    def __init__(
        self,
        model: ModernBertForTokenClassification,
        vocab: CharVocab,
        *,
        window: int = 512,
        stride: int = 384,
        batch_size: int = 32,
        metadata: dict[str, Any] | None = None,
        version: str = "unsaved",
    ) -> None:
        check_window(window, stride)
        if batch_size < 1:
            raise ModelError(f"batch_size must be at least 1, got {batch_size}")
        id2label: dict[Any, str] = dict(model.config.id2label or {})
        labels = [id2label.get(i) for i in range(len(id2label))]
        check_labels(labels, LABELS_VERSION, "the model")
        self.model = model
        self.vocab = vocab
        self.window = window
        self.stride = stride
        self.batch_size = batch_size
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.version = version
        self.quantized = False
        self.cascade = False  # gxie.tagging.cascade: plain prose skips the model (the loader sets it)

    @property
    def device(self) -> torch.device:
        """The device the model runs on."""
        return next(self.model.parameters()).device if not self.quantized else torch.device("cpu")

    @classmethod
    def from_config(
        cls,
        *,
        num_layers: int = 2,
        hidden: int = 128,
        heads: int = 4,
        intermediate: int = 256,
        local_attention: int = 64,
        global_every: int = 3,
        window: int = 512,
        stride: int = 384,
        dropout: float = 0.0,
        seed: int = 0,
        vocab: CharVocab | None = None,
        batch_size: int = 32,
    ) -> ModelTagger:
        """A fresh, randomly initialised model (seeded). Layer ``i`` attends globally when
        ``i % global_every == 0`` and within ``local_attention`` characters otherwise; ``global_every=0``:
        every layer attends locally (inference then runs in long windows, see ``inference_windows``)."""
        vocab = vocab or CharVocab.default()
        if hidden % heads:
            raise ModelError(f"hidden size {hidden} must be a multiple of the number of heads {heads}")
        config = ModernBertConfig(
            vocab_size=len(vocab),
            hidden_size=hidden,
            intermediate_size=intermediate,
            num_hidden_layers=num_layers,
            num_attention_heads=heads,
            local_attention=local_attention,
            layer_types=[
                "full_attention" if global_every and i % global_every == 0 else "sliding_attention"
                for i in range(num_layers)
            ],
            max_position_embeddings=max(window, 512 if global_every else LOCAL_INFERENCE_WINDOW),
            pad_token_id=vocab.pad_id,
            bos_token_id=vocab.cls_id,
            eos_token_id=vocab.sep_id,
            cls_token_id=vocab.cls_id,
            sep_token_id=vocab.sep_id,
            embedding_dropout=dropout,
            attention_dropout=dropout,
            mlp_dropout=dropout,
            classifier_dropout=dropout,
            id2label=dict(enumerate(TAGS)),
            label2id={t: i for i, t in enumerate(TAGS)},
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = ModernBertForTokenClassification(config)
        meta = {"vocab": {"recipe": vocab.recipe, "size": len(vocab)}}
        return cls(model.eval(), vocab, window=window, stride=stride, batch_size=batch_size, metadata=meta)

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        device: str = "auto",
        quantize: bool | None = None,
        batch_size: int = 32,
    ) -> ModelTagger:
        """Load a model directory written by :meth:`save_pretrained` (local files only, no download).

        On CUDA the model runs in bfloat16 (float16 where bfloat16 is unsupported). On CPU ``quantize``
        (default: ``QUANTIZE_ON_CPU``) applies dynamic int8 quantization to the Linear layers.
        """
        model_dir = read_model_dir(path)
        path, meta = model_dir.path, model_dir.meta
        try:
            config = ModernBertConfig.from_json_file(str(path / CONFIG_FILE))
        except (OSError, ValueError, TypeError) as exc:
            raise ModelError(f"cannot read {path / CONFIG_FILE}: {exc}") from exc
        vocab = CharVocab.load(path / VOCAB_FILE, model_dir.vocab_recipe)
        if config.vocab_size != len(vocab):
            raise ModelError(
                f"{path}: config.json says vocab_size {config.vocab_size} but {VOCAB_FILE} has "
                f"{len(vocab)} tokens; the files come from different models"
            )
        model = ModernBertForTokenClassification(config)
        _load_weights(model, path / WEIGHTS_FILE)
        tagger = cls(
            model.eval(),
            vocab,
            window=model_dir.window,
            stride=model_dir.stride,
            batch_size=batch_size,
            metadata=meta,
            version=model_dir.version,
        )
        tagger.to(device, quantize=quantize)
        return tagger

    def to(self, device: str = "auto", *, quantize: bool | None = None) -> ModelTagger:
        """Move the model for inference: half precision on CUDA, optional int8 quantization on CPU."""
        if self.quantized:
            raise ModelError("this model is already quantized; load it again to move it")
        target = resolve_device(device)
        module: torch.nn.Module = self.model
        if target.type == "cuda":
            if quantize:
                raise ModelError("quantize=True works on CPU only; use device='cpu' or quantize=False")
            half = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            module.to(device=target, dtype=half)
            return self
        module.to(device=target, dtype=torch.float32)
        if QUANTIZE_ON_CPU if quantize is None else quantize:
            quantized = _quantize(self.model)
            if quantized is None:
                if quantize:
                    raise ModelError("this torch has no torch.ao.quantization.quantize_dynamic; use quantize=False")
                log.info("dynamic quantization unavailable in this torch; running in float32")
            else:
                self.model = quantized  # type: ignore[assignment]
                self.quantized = True
        return self

    def _inference_windows(self) -> tuple[int, int]:
        """``(window, stride)`` for inference (``gxie.tagging.windows.inference_windows``)."""
        config = self.model.config
        types = list(getattr(config, "layer_types", None) or [])
        return inference_windows(types, int(config.local_attention), self.window, self.stride)

    def save_pretrained(
        self,
        path: str | Path,
        *,
        training: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        onnx: bool = True,
    ) -> Path:
        """Write the model directory (``MODEL_FILES``) and, with ``onnx``, its ONNX graphs (``model.onnx``
        and the int8 ``model.int8.onnx``, gxie.tagging.onnx_export; where the ``onnx`` package is missing
        a warning says how to write them later). ``training`` and ``metrics`` are recorded in
        ``gxie_config.json``. The model version becomes a hash of the weights."""
        if self.quantized:
            raise ModelError("a quantized model cannot be saved; load it with quantize=False, then save")
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {
            k: (v.detach().float() if v.is_floating_point() else v.detach()).cpu().contiguous()
            for k, v in self.model.state_dict().items()
        }
        self.model.config.to_json_file(str(path / CONFIG_FILE))
        save_file(state, str(path / WEIGHTS_FILE), metadata={"format": "pt"})
        # safetensors creates the file owner-only; give it the permissions of an ordinary file
        (path / WEIGHTS_FILE).chmod((path / CONFIG_FILE).stat().st_mode & 0o777)
        self.version = hashlib.sha256((path / WEIGHTS_FILE).read_bytes()).hexdigest()[:12]
        self.vocab.save(path / VOCAB_FILE)
        if training is not None:
            self.metadata["training"] = training
        if metrics is not None:
            self.metadata["metrics"] = metrics
        meta = {
            **self.metadata,
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "labels": list(TAGS),
            "labels_version": LABELS_VERSION,
            "window": self.window,
            "stride": self.stride,
            **dict(zip(("inference_window", "inference_stride"), self._inference_windows(), strict=True)),
            "gxie_version": __version__,
            "model_version": self.version,
            "vocab": {"recipe": self.vocab.recipe, "size": len(self.vocab)},
        }
        self.metadata = meta
        text = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True)
        (path / GXIE_CONFIG_FILE).write_text(text + "\n", encoding="utf-8")
        if onnx:
            _write_onnx(path)
        return path

    def merged(self, texts: Sequence[str], within: Within = None) -> Merger:
        """The windows' argmax tags and the probabilities the model gave them, merged per character
        (``SpanTagger.merged``)."""
        ids = [self.vocab.encode(t) for t in texts]
        merger = Merger([len(seq) for seq in ids])
        was_training = self.model.training
        self.model.eval()
        device = self.device
        try:
            with torch.inference_mode():
                regions = planned_regions(texts, self.cascade, within)
                plan = plan_batches(ids, self.window, self.stride, self.batch_size, self.vocab.pad_id, spans=regions)
                for batch in plan:
                    input_ids = torch.from_numpy(batch.input_ids).to(device)
                    mask = torch.from_numpy(batch.attention_mask).to(device)
                    logits = self.model(input_ids=input_ids, attention_mask=mask).logits
                    top_prob, top = torch.softmax(logits.float(), dim=-1).max(dim=-1)
                    merger.add(batch, top.cpu().numpy(), top_prob.cpu().numpy())
        finally:
            self.model.train(was_training)
        return merger


def _write_onnx(path: Path) -> None:
    """Write the ONNX graphs of the model saved in ``path``; warn (do not fail) without the onnx package."""
    from gxie.tagging.onnx_export import export_onnx, onnx_available

    if not onnx_available():
        log.warning(
            "the 'onnx' package is not installed, so %s has no %s and runs with backend 'torch' only; "
            "install it (`pip install onnx`) and run `gxie export-onnx %s`",
            path,
            ONNX_FILE,
            path,
        )
        return
    export_onnx(path)


def _load_weights(model: torch.nn.Module, path: Path) -> None:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(path))
    except (OSError, SafetensorError) as exc:
        raise ModelError(f"cannot read the weights {path}: {exc}; re-save the model") from exc
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelError(f"the weights {path} do not fit config.json: {exc}") from exc

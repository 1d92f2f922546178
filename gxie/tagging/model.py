"""The character-level tagging model: a small ModernBERT token classifier over a character vocabulary.

A model is a directory written by :meth:`ModelTagger.save_pretrained` and read back, locally only, by
:meth:`ModelTagger.from_pretrained`. Long texts are tagged in overlapping windows; windows of many texts
share one forward pass; each character takes its prediction from the window where it is farthest from an
edge (gxie.tagging.windows); argmax tags decode into spans whose score is the lowest probability of
their characters.
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
from gxie.labels import LABELS_VERSION, TAGS, tags_to_spans
from gxie.tagging.vocab import CharVocab
from gxie.tagging.windows import check_window, plan_windows
from gxie.types import Span

log = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
VOCAB_FILE = "tokenizer.json"
GXIE_CONFIG_FILE = "gxie_config.json"
MODEL_FILES: tuple[str, ...] = (CONFIG_FILE, WEIGHTS_FILE, VOCAB_FILE, GXIE_CONFIG_FILE)
FORMAT = "gxie-char-tagger"
FORMAT_VERSION = 1
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


class ModelTagger:
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
        _check_labels(labels, LABELS_VERSION, "the model")
        self.model = model
        self.vocab = vocab
        self.window = window
        self.stride = stride
        self.batch_size = batch_size
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.version = version
        self.quantized = False

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
        ``i % global_every == 0`` and within ``local_attention`` characters otherwise."""
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
            layer_types=["full_attention" if i % global_every == 0 else "sliding_attention" for i in range(num_layers)],
            max_position_embeddings=max(window, 512),
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
        path = Path(path)
        if not path.is_dir():
            raise ModelError(
                f"model directory {path} does not exist (or is not a directory); "
                "pass a directory written by ModelTagger.save_pretrained or `gxie train`"
            )
        for name in MODEL_FILES:
            if not (path / name).is_file():
                raise ModelError(
                    f"model directory {path} lacks {name}; a model directory holds "
                    f"{', '.join(MODEL_FILES)}. Re-save or re-train the model"
                )
        meta = _read_json(path / GXIE_CONFIG_FILE)
        if meta.get("format") != FORMAT:
            raise ModelError(f"{path / GXIE_CONFIG_FILE} is not a gxie model config (format {FORMAT!r})")
        _check_labels(meta.get("labels"), meta.get("labels_version"), str(path))
        try:
            config = ModernBertConfig.from_json_file(str(path / CONFIG_FILE))
        except (OSError, ValueError, TypeError) as exc:
            raise ModelError(f"cannot read {path / CONFIG_FILE}: {exc}") from exc
        vocab_meta = meta.get("vocab")
        vocab_meta = vocab_meta if isinstance(vocab_meta, dict) else {}
        vocab = CharVocab.load(path / VOCAB_FILE, str(vocab_meta.get("recipe", "unknown")))
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
            window=int(meta.get("window", 512)),
            stride=int(meta.get("stride", 384)),
            batch_size=batch_size,
            metadata=meta,
            version=str(meta.get("model_version", "unknown")),
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

    def save_pretrained(
        self,
        path: str | Path,
        *,
        training: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> Path:
        """Write the model directory (``MODEL_FILES``); ``training`` and ``metrics`` are recorded in
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
            "gxie_version": __version__,
            "model_version": self.version,
            "vocab": {"recipe": self.vocab.recipe, "size": len(self.vocab)},
        }
        self.metadata = meta
        text = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True)
        (path / GXIE_CONFIG_FILE).write_text(text + "\n", encoding="utf-8")
        return path

    def tag(self, text: str) -> list[Span]:
        """Spans of one normalized text, sorted by start."""
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans of several normalized texts; their windows are batched together."""
        return [tags_to_spans(t, tags, scores) for t, (tags, scores) in zip(texts, self.predict(texts), strict=True)]

    def predict(self, texts: Sequence[str]) -> list[tuple[list[str], list[float]]]:
        """Per text, one tag per character (argmax, made valid IOB2 by :func:`repair_iob2`) and the
        probability the model gave the argmax tag."""
        ids = [self.vocab.encode(t) for t in texts]
        jobs = [(i, w) for i, seq in enumerate(ids) for w in plan_windows(len(seq), self.window, self.stride)]
        jobs.sort(key=lambda job: job[1].start - job[1].end)  # longest first: little padding per batch
        best = [torch.zeros(len(seq), dtype=torch.long) for seq in ids]
        prob = [torch.zeros(len(seq), dtype=torch.float32) for seq in ids]
        was_training = self.model.training
        self.model.eval()
        device = self.device
        try:
            with torch.inference_mode():
                for b in range(0, len(jobs), self.batch_size):
                    batch = jobs[b : b + self.batch_size]
                    width = max(w.end - w.start for _, w in batch)
                    input_ids = torch.full((len(batch), width), self.vocab.pad_id, dtype=torch.long)
                    mask = torch.zeros((len(batch), width), dtype=torch.long)
                    for row, (i, w) in enumerate(batch):
                        input_ids[row, : w.end - w.start] = torch.tensor(ids[i][w.start : w.end])
                        mask[row, : w.end - w.start] = 1
                    logits = self.model(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits
                    top_prob, top = torch.softmax(logits.float(), dim=-1).max(dim=-1)
                    top_prob, top = top_prob.cpu(), top.cpu()
                    for row, (i, w) in enumerate(batch):
                        lo, hi = w.keep_start - w.start, w.keep_end - w.start
                        best[i][w.keep_start : w.keep_end] = top[row, lo:hi]
                        prob[i][w.keep_start : w.keep_end] = top_prob[row, lo:hi]
        finally:
            self.model.train(was_training)
        return [(repair_iob2([TAGS[k] for k in b.tolist()]), p.tolist()) for b, p in zip(best, prob, strict=True)]


def repair_iob2(tags: list[str]) -> list[str]:
    """Turn an ``I-X`` that does not continue an ``X`` entity into ``B-X`` (in place; returns ``tags``).

    This is how gxie.labels.tags_to_spans decodes such a tag anyway, so the spans do not change; the
    repaired tags are valid IOB2, and strict scores measure the spans the tagger really returns.
    """
    previous = "O"
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tags[i] = "B-" + tag[2:]
        previous = tag
    return tags


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}; re-save the model") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path} must hold a JSON object, found {type(data).__name__}")
    return data


def _check_labels(labels: object, labels_version: object, where: str) -> None:
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

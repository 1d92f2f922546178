"""Training configuration: dataclasses that check themselves; YAML keys map 1:1 onto their fields.

A YAML file has top-level fields and three sections, ``model``, ``data`` and ``optim`` (see
training/configs/default.yaml). Unknown keys, wrong types and out-of-range values raise ConfigError
naming the key, the bad value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from gxie.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def _require(ok: bool, key: str, value: object, allowed: str) -> None:
    if not ok:
        raise ConfigError(f"bad value {value!r} for {key}; allowed: {allowed}. Fix the config file or override")


@dataclass
class ModelSection:
    """Architecture of a new model (ignored with ``init_from``, whose architecture is kept)."""

    layers: int = 2
    hidden: int = 128
    heads: int = 4
    intermediate: int = 256
    local_attention: int = 64
    global_every: int = 3  # layer i attends globally when i % global_every == 0; 0: no layer does
    window: int = 512  # characters per window, in training and inference
    stride: int = 384  # inference stride between windows
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for key in ("layers", "hidden", "heads", "intermediate", "local_attention"):
            _require(getattr(self, key) >= 1, f"model.{key}", getattr(self, key), "an integer >= 1")
        _require(self.global_every >= 0, "model.global_every", self.global_every, "an integer >= 0 (0: none global)")
        _require(self.hidden % self.heads == 0, "model.hidden", self.hidden, "a multiple of model.heads")
        _require(self.local_attention % 2 == 0, "model.local_attention", self.local_attention, "an even number")
        _require(self.window >= 8, "model.window", self.window, "an integer >= 8")
        _require(0 < self.stride <= self.window, "model.stride", self.stride, "1 .. model.window")
        _require(0.0 <= self.dropout < 1.0, "model.dropout", self.dropout, "0 <= dropout < 1")


@dataclass
class DataSection:
    """Where the labelled texts come from: the synthetic generator and extra labelled files."""

    n_train: int = 1000
    n_dev: int = 100
    n_test: int = 200
    seed: int = 1
    templates: list[str] | None = None  # None: every template gxie.training.synth knows
    layouts: list[str] | None = None  # None: every layout
    noise_levels: list[str] | None = None  # None: every noise level (weighted by the generator)
    eval_agency_pool: str = "heldout"  # dev/test reports name agencies the training reports never do
    extra: list[str] = field(default_factory=list)  # JSONL files / datasets dirs added to train
    extra_dev: list[str] = field(default_factory=list)  # ... added to dev
    extra_test: list[str] = field(default_factory=list)  # ... added to test
    unk_prob: float = 0.01  # share of training characters replaced by [UNK] (robustness to rare chars)

    def __post_init__(self) -> None:
        for key in ("n_train", "n_dev", "n_test"):
            _require(getattr(self, key) >= 0, f"data.{key}", getattr(self, key), "an integer >= 0")
        _require(0.0 <= self.unk_prob < 0.5, "data.unk_prob", self.unk_prob, "0 <= unk_prob < 0.5")


@dataclass
class OptimSection:
    """Optimisation: AdamW with linear warm-up and decay, gradient clipping."""

    lr: float = 2e-3
    warmup_ratio: float = 0.1
    epochs: float = 3.0
    max_steps: int | None = None  # when set, overrides epochs
    batch_size: int = 16
    grad_clip: float = 1.0
    weight_decay: float = 0.01

    def __post_init__(self) -> None:
        _require(0.0 < self.lr < 1.0, "optim.lr", self.lr, "0 < lr < 1")
        _require(0.0 <= self.warmup_ratio < 1.0, "optim.warmup_ratio", self.warmup_ratio, "0 <= ratio < 1")
        _require(self.epochs > 0, "optim.epochs", self.epochs, "a number > 0")
        _require(self.max_steps is None or self.max_steps >= 1, "optim.max_steps", self.max_steps, ">= 1 or null")
        _require(self.batch_size >= 1, "optim.batch_size", self.batch_size, "an integer >= 1")
        _require(self.grad_clip > 0, "optim.grad_clip", self.grad_clip, "a number > 0")
        _require(self.weight_decay >= 0, "optim.weight_decay", self.weight_decay, "a number >= 0")


@dataclass
class TrainConfig:
    """Everything one training run needs. Example: ``load_config("training/configs/tiny.yaml")``."""

    seed: int = 13
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    optim: OptimSection = field(default_factory=OptimSection)
    eval_every: int = 200  # optimizer steps between dev evaluations
    early_stopping_patience: int = 3  # evaluations without a better dev F1 before stopping; 0: never stop
    output_dir: str = "models/trained"
    init_from: str | None = None  # fine-tune this model directory (same label set) instead of a new model
    device: str = "cpu"
    threads: int | None = None  # torch CPU threads; None leaves torch's default

    def __post_init__(self) -> None:
        _require(self.eval_every >= 1, "eval_every", self.eval_every, "an integer >= 1")
        _require(self.early_stopping_patience >= 0, "early_stopping_patience", self.early_stopping_patience, ">= 0")
        _require(
            self.device in DEVICES or self.device.startswith("cuda:"),
            "device",
            self.device,
            ", ".join(DEVICES),
        )
        _require(self.threads is None or self.threads >= 1, "threads", self.threads, "an integer >= 1 or null")
        _require(bool(self.output_dir), "output_dir", self.output_dir, "a directory path")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what a YAML file holds)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "config") -> TrainConfig:
        """Build from plain data, refusing unknown keys and values of the wrong type."""
        return _build(cls, data, "", source)


def load_config(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Read a YAML config (defaults when ``path`` is None) and apply dotted overrides such as
    ``{"optim.lr": 1e-3, "data.n_train": 50}``."""
    import yaml

    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read the training config {path}: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a mapping of config keys, found {type(loaded).__name__}")
        data = loaded or {}
    for dotted, value in (overrides or {}).items():
        target = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            child = target.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"cannot override {dotted!r}: {part!r} is not a section")
            target = child
        target[leaf] = value
    return TrainConfig.from_dict(data, source)


def parse_override(text: str) -> tuple[str, Any]:
    """``"optim.lr=1e-3"`` -> ``("optim.lr", 0.001)``; the value is read as YAML."""
    import yaml

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r} must look like KEY=VALUE, e.g. optim.lr=1e-3 or data.n_train=50")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"override {text!r}: cannot read the value {raw!r}: {exc}") from exc
    return key.strip(), value


def _build(cls: type[Any], data: Mapping[str, Any], prefix: str, source: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: {prefix.rstrip('.') or 'the config'} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in data if k not in names]
    if unknown:
        raise ConfigError(
            f"{source}: unknown config key {prefix + str(unknown[0])!r}; allowed keys"
            f"{' in ' + prefix.rstrip('.') if prefix else ''}: {', '.join(names)}"
        )
    values: dict[str, Any] = {}
    for name, value in data.items():
        hint = hints[name]
        key = prefix + name
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            values[name] = _build(hint, value or {}, key + ".", source)
        else:
            values[name] = _coerce(value, hint, key, source)
    return cls(**values)


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, key, source)
            except ConfigError as exc:
                errors.append(str(exc))
        if len(errors) == 1:
            raise ConfigError(errors[0])
        raise ConfigError(f"{source}: bad value {value!r} for {key}; expected {hint}")
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {key} must be a list, got {value!r}")
        return [_coerce(v, args[0], f"{key}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: {key} must be a mapping, got {value!r}")
        return {_coerce(k, args[0], key, source): _coerce(v, args[1], f"{key}.{k}", source) for k, v in value.items()}
    if hint is float and isinstance(value, str):
        try:  # YAML 1.1 reads 2e-3 (no dot) as a string
            return float(value)
        except ValueError:
            pass
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # e.g. template ids written as 2019
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(f"{source}: {key} must be {hint.__name__}, got {value!r}")
    return value

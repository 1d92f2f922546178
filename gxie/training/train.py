"""The training loop: plain torch, AdamW with linear warm-up and decay, gradient clipping, dev evaluation
every ``eval_every`` steps (seqeval strict IOB2 micro-F1), early stopping, the best weights kept, a final
test evaluation, and a model directory with a model card.
"""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gxie.errors import ConfigError
from gxie.tagging.model import ModelTagger, resolve_device
from gxie.training.card import environment, write_card
from gxie.training.config import TrainConfig
from gxie.training.data import Example, Normalizer, Splits, WindowSampler, default_normalizer, prepare_splits
from gxie.training.metrics import Evaluation, evaluate_tags

log = logging.getLogger(__name__)
BREAKDOWN_KEYS = ("noise", "layout", "template")  # test scores are also reported per value of these


@dataclass
class TrainResult:
    """What a run produced: the saved directory, the tagger with the best weights, scores and timings."""

    output_dir: Path
    tagger: ModelTagger
    dev: Evaluation | None
    test: Evaluation | None
    test_by: dict[str, dict[str, float]]
    best_step: int
    steps: int
    seconds: dict[str, float]
    losses: list[float] = field(repr=False)


def build_tagger(config: TrainConfig) -> ModelTagger:
    """A new model from ``config.model``, or the model of ``config.init_from`` (which must use this gxie's
    labels; its architecture, window and vocabulary are kept), on CPU in float32."""
    if config.init_from:
        return ModelTagger.from_pretrained(config.init_from, device="cpu", quantize=False)
    m = config.model
    return ModelTagger.from_config(
        num_layers=m.layers,
        hidden=m.hidden,
        heads=m.heads,
        intermediate=m.intermediate,
        local_attention=m.local_attention,
        global_every=m.global_every,
        window=m.window,
        stride=m.stride,
        dropout=m.dropout,
        seed=config.seed,
    )


def train(
    config: TrainConfig,
    *,
    normalizer: Normalizer | None = None,
    command: str | None = None,
) -> TrainResult:
    """Train (or fine-tune) a tagger as ``config`` says and save it to ``config.output_dir``.

    Example: ``train(load_config("training/configs/tiny.yaml"))``. ``normalizer`` defaults to
    gxie.text.normalize.normalize; ``command`` is recorded in the model card.
    """
    started = time.perf_counter()
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    device = resolve_device(config.device)
    tagger = build_tagger(config)  # fails early on a bad init_from, before any data is generated

    splits = prepare_splits(config.data, normalizer or default_normalizer())
    if not splits.train:
        raise ConfigError("the training split is empty: set data.n_train > 0 or pass labelled data (--data)")
    data_seconds = time.perf_counter() - started
    log.info("data ready in %.1fs: %s", data_seconds, {k: v["texts"] for k, v in splits.summary["splits"].items()})

    module: torch.nn.Module = tagger.model
    module.to(device=device, dtype=torch.float32)
    sampler = WindowSampler(splits.train, tagger.vocab, tagger.window, unk_prob=config.data.unk_prob, seed=config.seed)
    loop = _Loop(config, tagger, sampler, splits.dev)
    loop.run()
    train_seconds = time.perf_counter() - started - data_seconds

    if loop.best_state is not None:
        tagger.model.load_state_dict(loop.best_state)
    test, test_by = None, {}
    if splits.test:
        predicted = [tags for tags, _ in tagger.predict([e.text for e in splits.test])]
        test = evaluate_tags([e.tags for e in splits.test], predicted)
        test_by = _breakdown(splits.test, predicted)
        log.info("test micro-F1 %.4f", test.micro.f1)
    seconds = {
        "data": round(data_seconds, 1),
        "training": round(train_seconds, 1),
        "total": round(time.perf_counter() - started, 1),
    }
    result = TrainResult(
        Path(config.output_dir),
        tagger,
        loop.best_dev,
        test,
        test_by,
        loop.best_step,
        loop.step,
        seconds,
        loop.losses,
    )
    _save(result, config, splits, command)
    result.seconds["total"] = round(time.perf_counter() - started, 1)
    return result


class _Loop:
    """One optimisation run with periodic dev evaluation and early stopping."""

    def __init__(self, config: TrainConfig, tagger: ModelTagger, sampler: WindowSampler, dev: list[Example]):
        self.config, self.tagger, self.sampler, self.dev = config, tagger, sampler, dev
        opt = config.optim
        windows = sampler.windows_per_epoch()
        per_epoch = math.ceil(windows / opt.batch_size)
        self.total = opt.max_steps or max(1, math.ceil(opt.epochs * per_epoch))
        self.warmup = int(self.total * opt.warmup_ratio)
        model = tagger.model
        decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "norm" not in n]
        no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "norm" not in n)]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": opt.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=opt.lr,
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.step = 0
        self.losses: list[float] = []
        self.best_f1 = -1.0
        self.best_step = 0
        self.best_dev: Evaluation | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.bad_evals = 0
        log.info(
            "training %d steps (%d windows per epoch, batch %d)",
            self.total,
            per_epoch * opt.batch_size,
            opt.batch_size,
        )

    def _lr_factor(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        return max(0.0, (self.total - step) / max(1, self.total - self.warmup))

    def run(self) -> None:
        model, device = self.tagger.model, self.tagger.device
        epoch, tick = 0, time.perf_counter()
        while self.step < self.total:
            for batch in self.sampler.epoch(epoch, self.config.optim.batch_size):
                model.train()
                out = model(
                    input_ids=batch.input_ids.to(device),
                    attention_mask=batch.attention_mask.to(device),
                    labels=batch.labels.to(device),
                )
                out.loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), self.config.optim.grad_clip)
                self.optimizer.step()
                self.scheduler.step()
                self.optimizer.zero_grad(set_to_none=True)
                self.step += 1
                self.losses.append(out.loss.detach().item())
                if self.step % 50 == 0:
                    loss, rate = sum(self.losses[-50:]) / 50, 50 / (time.perf_counter() - tick)
                    log.info("step %d/%d loss %.4f (%.2f steps/s)", self.step, self.total, loss, rate)
                    tick = time.perf_counter()
                last = self.step >= self.total
                if (self.step % self.config.eval_every == 0 or last) and self._evaluate():
                    return
                if last:
                    return
            epoch += 1

    def _evaluate(self) -> bool:
        """Score the dev split; keep the weights when they are the best so far. True: stop early."""
        if not self.dev:
            self.best_step, self.best_state = self.step, None  # no dev data: the last weights are kept
            return False
        predicted = [tags for tags, _ in self.tagger.predict([e.text for e in self.dev])]
        ev = evaluate_tags([e.tags for e in self.dev], predicted)
        log.info("step %d dev micro-F1 %.4f (best %.4f)", self.step, ev.micro.f1, max(self.best_f1, 0.0))
        if ev.micro.f1 > self.best_f1:
            self.best_f1, self.best_step, self.best_dev = ev.micro.f1, self.step, ev
            self.best_state = copy.deepcopy({k: v.detach().cpu() for k, v in self.tagger.model.state_dict().items()})
            self.bad_evals = 0
            return False
        self.bad_evals += 1
        patience = self.config.early_stopping_patience
        if patience and self.bad_evals >= patience:
            log.info("early stop at step %d: no better dev F1 in %d evaluations", self.step, patience)
            return True
        return False


def _breakdown(examples: Sequence[Example], predicted: Sequence[Sequence[str]]) -> dict[str, dict[str, float]]:
    """Micro-F1 per value of each BREAKDOWN_KEYS field the examples carry (e.g. per noise level)."""
    out: dict[str, dict[str, float]] = {}
    for key in BREAKDOWN_KEYS:
        values = sorted({e.meta[key] for e in examples if key in e.meta})
        for value in values:
            idx = [i for i, e in enumerate(examples) if e.meta.get(key) == value]
            ev = evaluate_tags([examples[i].tags for i in idx], [predicted[i] for i in idx])
            out.setdefault(key, {})[value] = round(ev.micro.f1, 4)
    return out


def _save(result: TrainResult, config: TrainConfig, splits: Splits, command: str | None) -> None:
    metrics: dict[str, Any] = {
        "dev": result.dev.to_dict() if result.dev else None,
        "test": result.test.to_dict() if result.test else None,
        "test_micro_f1_by": result.test_by,
    }
    training = {
        "data": splits.summary,
        "config": config.to_dict(),
        "steps": result.steps,
        "best_step": result.best_step,
        "seconds": result.seconds,
        "final_loss": round(sum(result.losses[-50:]) / max(1, len(result.losses[-50:])), 5),
        "environment": environment(str(result.tagger.device)),
    }
    result.tagger.save_pretrained(result.output_dir, training=training, metrics=metrics)
    write_card(result.output_dir, result.tagger, command=command)
    log.info("model saved to %s (version %s)", result.output_dir, result.tagger.version)

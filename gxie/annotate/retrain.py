"""Retrain on labelled reports and promote the new model only if it is not worse.

One round: labelled reports (Label Studio exports or records files) are split with the frozen split
(gxie.annotate.split); the train side, repeated ``repeat`` times, is mixed with the synthetic reports of
the training config and fine-tunes the current model (gxie.training.train). The previous and the new
model are then scored on the frozen test side (seqeval, strict IOB2), on the train side, and optionally on
fresh synthetic reports; the new model replaces ``promote_to`` only when its frozen-test F1 is at least
the previous one's plus ``min_gain`` and it lost no more than ``max_synthetic_drop`` on synthetic reports.
Either way ``retrain_report.json`` and ``retrain_report.md`` say what happened and why.

Example::

    >>> from gxie.annotate.retrain import retrain  # doctest: +SKIP
    >>> outcome = retrain(["export.json"], init_from="models/default", work_dir="runs/round1")  # doctest: +SKIP
    >>> outcome.promoted, outcome.reason  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gxie.annotate.importer import import_export, is_export, read_export, write_records
from gxie.annotate.split import frozen_split
from gxie.errors import ConfigError

if TYPE_CHECKING:
    from gxie.tagging.model import ModelTagger
    from gxie.training.data import Example, LabelledText
    from gxie.training.metrics import Evaluation

log = logging.getLogger(__name__)
FINETUNE_CONFIG = Path(__file__).resolve().parents[2] / "annotations" / "finetune.yaml"
REPORT_JSON, REPORT_MD = "retrain_report.json", "retrain_report.md"
SYNTHETIC_CHECK_SEED = 777_001  # fresh held-out synthetic reports no training config uses


@dataclass
class RetrainOutcome:
    """What a round did: the decision, why, the scores, and where the candidate and the report are."""

    promoted: bool
    reason: str
    candidate_dir: Path
    report_path: Path
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # set -> {"previous": f1, "candidate": f1}


def load_labelled(paths: Sequence[str | Path], *, allow_problems: bool = False) -> list[LabelledText]:
    """Labelled reports from Label Studio exports and records files (JSONL or ``datasets`` directories).

    A region that disagrees with its text stops the round (ConfigError listing every task) unless
    ``allow_problems``, which leaves those tasks out with a warning."""
    from gxie.training.data import load_records, record_from_dict

    out: list[LabelledText] = []
    for path in map(Path, paths):
        if path.is_dir() or not is_export(path):
            out += load_records(path)
            continue
        result = import_export(read_export(path))
        log.info("%s: %s", path, result.summary())
        if result.problems and not allow_problems:
            raise ConfigError(
                f"{path}: {len(result.problems)} task(s) disagree with their text; fix them in Label Studio "
                "and export again, or pass --allow-problems to leave them out:\n  " + "\n  ".join(result.problems)
            )
        for problem in result.problems:
            log.warning("left out: %s", problem)
        out += [record_from_dict(r, f"{path}[task {r['task_id']}]") for r in result.records]
    return out


def retrain(
    data: Sequence[str | Path],
    *,
    init_from: str | Path,
    work_dir: str | Path,
    config: str | Path | None = FINETUNE_CONFIG,
    overrides: Mapping[str, Any] | None = None,
    promote_to: str | Path | None = None,
    split_path: str | Path | None = None,
    test_share: float = 0.3,
    repeat: int = 3,
    min_gain: float = 0.0,
    synthetic_check: int = 0,
    max_synthetic_drop: float = 0.01,
    allow_problems: bool = False,
) -> RetrainOutcome:
    """Fine-tune ``init_from`` on the labelled reports in ``data`` and promote it to ``promote_to`` (None:
    never) when it is not worse; everything is written under ``work_dir`` (``candidate/``, ``data/``,
    the report). ``split_path`` defaults to ``split.json`` beside the first data file."""
    from gxie.tagging.model import ModelTagger
    from gxie.training.config import load_config
    from gxie.training.train import train

    if repeat < 1:
        raise ConfigError(f"repeat must be at least 1, got {repeat}")
    records = load_labelled(data, allow_problems=allow_problems)
    if len(records) < 2:
        raise ConfigError(
            f"{len(records)} labelled report(s) in {', '.join(map(str, data))}; a round needs at least two "
            "(one to train on, one to judge with): label more reports"
        )
    work = Path(work_dir)
    split_file = Path(split_path) if split_path else Path(data[0]).with_name("split.json")
    train_part, test_part = frozen_split(records, split_file, test_share=test_share)
    if not train_part or not test_part:
        raise ConfigError(
            f"the frozen split {split_file} puts {len(train_part)} of these reports on the train side and "
            f"{len(test_part)} on the test side; both need one: label more reports"
        )
    train_file = write_records([_as_row(r) for r in train_part for _ in range(repeat)], work / "data" / "train.jsonl")
    write_records([_as_row(r) for r in test_part], work / "data" / "test.jsonl")

    settings = {**(overrides or {}), "init_from": str(init_from), "output_dir": str(work / "candidate")}
    cfg = load_config(config, settings)
    cfg.data.extra = [*cfg.data.extra, str(train_file)]
    result = train(cfg, command=f"gxie annotate retrain --init-from {init_from}")
    previous = ModelTagger.from_pretrained(init_from, device="cpu", quantize=False)

    sets = {"frozen_test": _examples(test_part), "labelled_train": _examples(train_part)}
    if synthetic_check:
        sets["synthetic_check"] = _examples(_synthetic(synthetic_check))
    evaluations = {name: _compare(previous, result.tagger, ex) for name, ex in sets.items()}
    scores = {name: {k: round(e.micro.f1, 4) for k, e in pair.items()} for name, pair in evaluations.items()}
    promoted, reason = decide(scores, min_gain, max_synthetic_drop)
    target = Path(promote_to) if promote_to else None
    if promoted and target is None:
        promoted, reason = False, reason + "; not promoted: no model directory to promote to was given"

    report = {
        "decision": "promoted" if promoted else "refused",
        "reason": reason,
        "previous": {"path": str(init_from), "version": previous.version},
        "candidate": {"path": str(result.output_dir), "version": result.tagger.version, "steps": result.steps},
        "promoted_to": str(target) if promoted else None,
        "split": {"file": str(split_file), "train": [r.id for r in train_part], "test": [r.id for r in test_part]},
        "rules": {"min_gain": min_gain, "max_synthetic_drop": max_synthetic_drop, "repeat": repeat},
        "micro_f1": scores,
        "evaluations": {n: {k: e.to_dict() for k, e in pair.items()} for n, pair in evaluations.items()},
    }
    report_path = _write_report(report, work, result.output_dir)
    if promoted and target is not None:
        _replace_model(result.output_dir, target)
    log.info("%s: %s", report["decision"], reason)
    return RetrainOutcome(promoted, reason, result.output_dir, report_path, scores)


def _as_row(record: LabelledText) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": record.id,
        "text": record.text,
        "spans": [[s.start, s.end, s.label] for s in record.spans],
    }
    return {**row, **record.meta}


def _examples(records: Sequence[LabelledText]) -> list[Example]:
    from gxie.training.data import default_normalizer, to_example

    normalize = default_normalizer()
    return [to_example(r, normalize) for r in records]


def _synthetic(n: int) -> list[LabelledText]:
    from gxie.training.data import synthetic_records

    return synthetic_records(n, SYNTHETIC_CHECK_SEED, agency_pool="heldout")


def _compare(previous: ModelTagger, candidate: ModelTagger, examples: list[Example]) -> dict[str, Evaluation]:
    from gxie.training.metrics import evaluate_tagger

    return {"previous": evaluate_tagger(previous, examples), "candidate": evaluate_tagger(candidate, examples)}


def decide(scores: dict[str, dict[str, float]], min_gain: float = 0.0, max_drop: float = 0.01) -> tuple[bool, str]:
    """Promote or not, and why, from micro-F1 ``scores`` (``{set: {"previous": f1, "candidate": f1}}``)."""
    test = scores["frozen_test"]
    before, after = test["previous"], test["candidate"]
    if after < before + min_gain:
        worse = "worse" if after < before else f"not better by {min_gain}"
        return False, f"frozen-test micro-F1 {after:.4f} is {worse} than the previous model's {before:.4f}"
    synth = scores.get("synthetic_check")
    if synth and synth["candidate"] < synth["previous"] - max_drop:
        return False, (
            f"synthetic-check micro-F1 fell from {synth['previous']:.4f} to {synth['candidate']:.4f} "
            f"(more than {max_drop}): the new model forgot what it knew"
        )
    return True, f"frozen-test micro-F1 {before:.4f} -> {after:.4f}"


def _write_report(report: dict[str, Any], work: Path, candidate: Path) -> Path:
    text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    lines = [
        f"# Retraining round: {report['decision']}",
        "",
        report["reason"] + ".",
        "",
        f"Previous model `{report['previous']['path']}` ({report['previous']['version']}); candidate "
        f"`{report['candidate']['path']}` ({report['candidate']['version']}, {report['candidate']['steps']} steps).",
        f"Frozen split `{report['split']['file']}`: {len(report['split']['train'])} reports trained on, "
        f"{len(report['split']['test'])} judged on.",
        "",
        "| reports | previous micro-F1 | candidate micro-F1 |",
        "|---|---|---|",
        *(f"| {n} | {s['previous']:.4f} | {s['candidate']:.4f} |" for n, s in report["micro_f1"].items()),
        "",
    ]
    for folder in (work, candidate):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / REPORT_JSON).write_text(text, encoding="utf-8")
        (folder / REPORT_MD).write_text("\n".join(lines), encoding="utf-8")
    return work / REPORT_JSON


def _replace_model(source: Path, target: Path) -> None:
    """Copy the model directory ``source`` over ``target`` (a copy beside it, then two renames)."""
    staging, old = target.with_name(target.name + ".incoming"), target.with_name(target.name + ".replaced")
    for leftover in (staging, old):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(source, staging)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)

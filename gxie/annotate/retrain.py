"""Retrain on labelled reports and promote the new model only if it is better beyond doubt.

One round: labelled reports (Label Studio exports or records files) are split with the frozen split
(gxie.annotate.split; only reports a person labelled may judge, and at least ``min_test_reports`` must);
the train side, repeated ``repeat`` times, is mixed with the synthetic reports of the training config (a
preset shipped in the package, gxie/training/presets, or a YAML file) and fine-tunes the current model
(gxie.training.train). The previous and the new model are then scored on the frozen test side (seqeval,
strict IOB2, counted per report), on the train side, and optionally on fresh synthetic reports. The gate
(gxie.annotate.gate) promotes the new model only when the bootstrap interval of the frozen-test F1
difference new − old lies at or above ``min_gain`` and the new model lost no more than
``max_synthetic_drop`` on synthetic reports; the replaced model is kept in ``<model>.rollback/``
(gxie.annotate.rollback). Either way ``retrain_report.json`` and ``retrain_report.md`` say what happened
and why.

Example::

    >>> from gxie.annotate.retrain import retrain  # doctest: +SKIP
    >>> outcome = retrain(["export.json"], init_from="models/current", work_dir="runs/round1",
    ...                   promote_to="models/current", preset="quick")  # doctest: +SKIP
    >>> outcome.promoted, outcome.reason  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gxie.annotate.gate import (
    CONFIDENCE,
    RESAMPLES,
    Interval,
    SpanCounts,
    bootstrap_difference,
    check_min_gain,
    decide,
    span_counts,
)
from gxie.annotate.importer import import_export, is_export, read_export, write_records
from gxie.annotate.rollback import promote
from gxie.annotate.split import frozen_split
from gxie.errors import ConfigError

if TYPE_CHECKING:
    from gxie.tagging.model import ModelTagger
    from gxie.training.data import Example, LabelledText
    from gxie.training.metrics import Evaluation

log = logging.getLogger(__name__)
PRESETS_DIR = Path(__file__).resolve().parents[1] / "training" / "presets"  # package data of gxie.training
PRESETS = ("quick", "full")
DEFAULT_PRESET = "full"
REPORT_JSON, REPORT_MD = "retrain_report.json", "retrain_report.md"
SYNTHETIC_CHECK_SEED = 777_001  # fresh held-out synthetic reports no training config uses
MIN_TEST_REPORTS = 5  # fewer human-labelled test reports than this cannot tell two models apart


@dataclass(frozen=True)
class Labelled:
    """A labelled report and whether a person labelled it (only those may judge a model)."""

    record: LabelledText
    human: bool

    @property
    def text(self) -> str:
        """The report text (what the frozen split keys on)."""
        return self.record.text


@dataclass
class RetrainOutcome:
    """What a round did: the decision, why, the scores, and where the candidate and the report are."""

    promoted: bool
    reason: str
    candidate_dir: Path
    report_path: Path
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # set -> {"previous": f1, "candidate": f1}
    interval: Interval | None = None
    candidate_version: str = ""
    promoted_to: Path | None = None
    rollback_path: Path | None = None  # where the replaced model was kept


def preset_path(name: str) -> Path:
    """The YAML file of a fine-tuning preset shipped inside the package (``quick`` or ``full``)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}, or pass --config FILE")
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"the preset file {path} is missing from this installation of gxie; reinstall gxie")
    return path


def load_labelled(paths: Sequence[str | Path], *, allow_problems: bool = False) -> list[Labelled]:
    """Labelled reports from Label Studio exports and records files (JSONL or ``datasets`` directories).

    A record is ``human`` when a person made it: export annotations not created from a prediction, and
    records files' rows that say ``"human": true`` (as ``gxie annotate import`` writes them); ``datasets``
    directories never. A region that disagrees with its text stops the round (ConfigError listing every
    task) unless ``allow_problems``, which leaves those tasks out with a warning."""
    from gxie.training.data import load_records, record_from_dict

    out: list[Labelled] = []
    for path in map(Path, paths):
        if path.is_dir():
            out += [Labelled(r, False) for r in load_records(path)]
            continue
        if not is_export(path):
            records = load_records(path)
            flags = _human_flags(path)
            human = flags if len(flags) == len(records) else [False] * len(records)
            out += [Labelled(r, h) for r, h in zip(records, human, strict=True)]
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
        out += [
            Labelled(record_from_dict(r, f"{path}[task {r['task_id']}]"), bool(r.get("human"))) for r in result.records
        ]
    return out


def retrain(
    data: Sequence[str | Path],
    *,
    init_from: str | Path,
    work_dir: str | Path,
    config: str | Path | None = None,
    preset: str = DEFAULT_PRESET,
    overrides: Mapping[str, Any] | None = None,
    promote_to: str | Path | None = None,
    split_path: str | Path | None = None,
    test_share: float = 0.3,
    min_test_reports: int = MIN_TEST_REPORTS,
    repeat: int = 3,
    min_gain: float = 0.0,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    synthetic_check: int = 0,
    max_synthetic_drop: float = 0.01,
    allow_problems: bool = False,
) -> RetrainOutcome:
    """Fine-tune ``init_from`` on the labelled reports in ``data`` (training config: the YAML file
    ``config``, else the package preset ``preset``) and promote it to ``promote_to`` (None: never) when
    the gate says it is better; everything is written under ``work_dir`` (``candidate/``, ``data/``, the
    report). ``split_path`` defaults to ``split.json`` beside the first data file."""
    from gxie.tagging.model import ModelTagger
    from gxie.training.config import load_config
    from gxie.training.train import train

    check_min_gain(min_gain)
    if repeat < 1:
        raise ConfigError(f"repeat must be at least 1, got {repeat}")
    if min_test_reports < 1:
        raise ConfigError(f"--min-test-reports must be at least 1, got {min_test_reports}")
    config_path = Path(config) if config is not None else preset_path(preset)
    labelled = load_labelled(data, allow_problems=allow_problems)
    humans = sum(item.human for item in labelled)
    work = Path(work_dir)
    split_file = Path(split_path) if split_path else Path(data[0]).with_name("split.json")

    def acceptable(train: list[Labelled], test: list[Labelled]) -> None:
        if len(test) < min_test_reports:
            raise ConfigError(
                f"the frozen split {split_file} gives {len(test)} human-labelled test report(s); the gate needs "
                f"at least {min_test_reports} (--min-test-reports) to tell two models apart. {humans} of the "
                f"{len(labelled)} labelled reports were labelled by a person: label more reports (only reports "
                "a person labelled or corrected in Label Studio can judge), or lower --min-test-reports. The "
                "split file was not changed"
            )
        if not train:
            raise ConfigError(
                f"the frozen split {split_file} leaves no labelled report to train on ({len(test)} judge): "
                "label more reports"
            )

    train_items, test_items = frozen_split(
        labelled,
        split_file,
        eligible=lambda item: item.human,
        test_share=test_share,
        min_test=min_test_reports,
        accept=acceptable,
    )
    train_part = [item.record for item in train_items]
    test_part = [item.record for item in test_items]
    train_file = write_records([_as_row(r) for r in train_part for _ in range(repeat)], work / "data" / "train.jsonl")
    write_records([_as_row(r) for r in test_part], work / "data" / "test.jsonl")

    settings = {**(overrides or {}), "init_from": str(init_from), "output_dir": str(work / "candidate")}
    cfg = load_config(config_path, settings)
    cfg.data.extra = [*cfg.data.extra, str(train_file)]
    result = train(cfg, command=f"gxie annotate retrain --init-from {init_from}")
    previous = ModelTagger.from_pretrained(init_from, device="cpu", quantize=False)

    sets = {"frozen_test": _examples(test_part), "labelled_train": _examples(train_part)}
    if synthetic_check:
        sets["synthetic_check"] = _examples(_synthetic(synthetic_check))
    evaluations, per_report = {}, {}
    for name, examples in sets.items():
        evaluations[name], per_report[name] = _compare(previous, result.tagger, examples)
    scores = {name: {k: round(e.micro.f1, 4) for k, e in pair.items()} for name, pair in evaluations.items()}
    counts = per_report["frozen_test"]
    interval = bootstrap_difference(counts["previous"], counts["candidate"], resamples=resamples, confidence=confidence)
    promoted, reason = decide(interval, min_gain, scores.get("synthetic_check"), max_synthetic_drop)
    target = Path(promote_to) if promote_to else None
    if promoted and target is None:
        promoted, reason = False, reason + "; not promoted: no model directory to promote to was given"

    report = {
        "decision": "promoted" if promoted else "refused",
        "reason": reason,
        "previous": {"path": str(init_from), "version": previous.version},
        "candidate": {"path": str(result.output_dir), "version": result.tagger.version, "steps": result.steps},
        "promoted_to": str(target) if promoted else None,
        "config": str(config_path),
        "seconds": result.seconds,
        "split": {
            "file": str(split_file),
            "train": [r.id for r in train_part],
            "test": [r.id for r in test_part],
            "human_labelled": humans,
        },
        "rules": {
            "min_gain": min_gain,
            "max_synthetic_drop": max_synthetic_drop,
            "repeat": repeat,
            "min_test_reports": min_test_reports,
        },
        "micro_f1": scores,
        "interval": interval.to_dict(),
        "per_report": {e.id: {k: vars(c[i]) for k, c in counts.items()} for i, e in enumerate(sets["frozen_test"])},
        "evaluations": {n: {k: e.to_dict() for k, e in pair.items()} for n, pair in evaluations.items()},
    }
    _write_report(report, work, result.output_dir)
    kept_path = None
    if promoted and target is not None:
        kept = promote(result.output_dir, target, reason=f"replaced by {result.tagger.version}: {reason}")
        kept_path = kept.path if kept else None
        report["rollback"] = str(kept_path) if kept_path else None
        _write_report(report, work, target)
    report_path = work / REPORT_JSON
    log.info("%s: %s", report["decision"], reason)
    return RetrainOutcome(
        promoted,
        reason,
        result.output_dir,
        report_path,
        scores,
        interval,
        result.tagger.version,
        target if promoted else None,
        kept_path,
    )


def _human_flags(path: Path) -> list[bool]:
    """The ``human`` field of each row of a JSON Lines records file (False where absent)."""
    flags = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                flags.append(isinstance(row, dict) and row.get("human") is True)
    return flags


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


def _compare(
    previous: ModelTagger, candidate: ModelTagger, examples: list[Example]
) -> tuple[dict[str, Evaluation], dict[str, list[SpanCounts]]]:
    """Both models' scores on ``examples``: seqeval's evaluation and strict span counts per report."""
    from gxie.training.metrics import evaluate_tags

    gold = [e.tags for e in examples]
    evaluations, counts = {}, {}
    for name, tagger in (("previous", previous), ("candidate", candidate)):
        predicted = [tags for tags, _ in tagger.predict([e.text for e in examples])] if examples else []
        evaluations[name] = evaluate_tags(gold, predicted)
        counts[name] = [span_counts(g, p) for g, p in zip(gold, predicted, strict=True)]
    return evaluations, counts


def _write_report(report: dict[str, Any], *folders: Path) -> None:
    """Write the round's report as JSON and Markdown into each folder."""
    text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    lines = [
        f"# Retraining round: {report['decision']}",
        "",
        report["reason"] + ".",
        "",
        f"Previous model `{report['previous']['path']}` ({report['previous']['version']}); candidate "
        f"`{report['candidate']['path']}` ({report['candidate']['version']}, {report['candidate']['steps']} steps, "
        f"config `{report['config']}`, {report['seconds'].get('total')} s).",
        f"Frozen split `{report['split']['file']}`: {len(report['split']['train'])} reports trained on, "
        f"{len(report['split']['test'])} judged on ({report['split']['human_labelled']} labelled by a person).",
        "",
        "| reports | previous micro-F1 | candidate micro-F1 |",
        "|---|---|---|",
        *(f"| {n} | {s['previous']:.4f} | {s['candidate']:.4f} |" for n, s in report["micro_f1"].items()),
        "",
    ]
    if report.get("rollback"):
        lines += [f"The replaced model is kept in `{report['rollback']}` (`gxie annotate rollback` restores it).", ""]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / REPORT_JSON).write_text(text, encoding="utf-8")
        (folder / REPORT_MD).write_text("\n".join(lines), encoding="utf-8")

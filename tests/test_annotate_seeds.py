"""Retraining on the labelled seed reports: a better model is promoted, a worse one is refused.

The "annotator's corrections" are the rules tagger's spans on the original seed texts: they rebuild the
hand-made gold grids of tests/gold exactly (checked here), so they are what a careful annotator leaves
after fixing the model's predictions. Helpers here are shared with test_annotate_integration.py.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from gxie.annotate.retrain import REPORT_MD, retrain
from gxie.annotate.split import load_split
from gxie.annotate.tasks import build_tasks, original_spans, to_results
from gxie.cli import main
from gxie.pipeline import finish, get_tagger, prepare
from tests.conftest import ROOT, gold_files, load_gold

SpanTuple = tuple[int, int, str]
# A seconds-long fine-tuning of the tiny model: a few synthetic reports mixed in, enough steps to learn.
TINY_FINETUNE: dict[str, Any] = {
    "data.n_train": 4,
    "optim.max_steps": 200,
    "optim.lr": 5e-3,
    "optim.batch_size": 8,
    "eval_every": 1000,
    "threads": 1,
}


@functools.cache
def tiny_base_model() -> Path:
    """A tiny model trained for seconds on synthetic reports only: the 'current model' of the tests."""
    from gxie.training.config import load_config
    from gxie.training.train import train

    folder = Path(tempfile.mkdtemp(prefix="gxie-tiny-"))
    atexit.register(shutil.rmtree, folder, True)
    overrides = {"output_dir": str(folder / "model"), "data.n_dev": 0, "data.n_test": 0, "threads": 1}
    return train(load_config(ROOT / "training" / "configs" / "tiny.yaml", overrides)).output_dir


def corrected_spans(path: Path) -> tuple[str, list[SpanTuple]]:
    """The original text of ``path`` and the spans an annotator leaves after correcting the predictions."""
    prepared = prepare(path)
    spans, _ = original_spans(prepared, get_tagger("rules").tag(prepared.normalized.text))
    return prepared.document.text, spans


def check_against_gold(seeds_dir: Path) -> None:
    """The corrections rebuild every seed's hand-made gold grid."""
    rules = get_tagger("rules")
    for gold_path in gold_files():
        gold = load_gold(gold_path)
        prepared = prepare(seeds_dir / gold["file"])
        flat = finish(prepared, rules.tag(prepared.normalized.text), rules).to_flat()
        assert flat == gold["flat"], gold["file"]


def labelled_export(paths: list[Path], model: Path, out: Path) -> Path:
    """A Label Studio JSON export as the server writes it: tasks pre-annotated by ``model``, each with
    one submitted annotation holding the corrections (regions in UTF-16 units)."""
    built = build_tasks(paths, tagger=_tagger(model))
    export = []
    for k, (path, task) in enumerate(zip(paths, built.tasks, strict=True), 1):
        text, spans = corrected_spans(path)
        annotation = {"id": 100 + k, "result": to_results(text, spans), "was_cancelled": False, "ground_truth": False}
        export.append({"id": k, "data": task["data"], "annotations": [annotation], "predictions": [k]})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    return out


def model_version(folder: Path) -> str:
    return str(json.loads((folder / "gxie_config.json").read_text(encoding="utf-8"))["model_version"])


def _tagger(model: Path) -> Any:
    from gxie.tagging.model import ModelTagger

    return ModelTagger.from_pretrained(model, device="cpu")


def test_too_few_human_labelled_test_reports_are_refused_before_training(
    seeds_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = tmp_path / "models" / "current"
    shutil.copytree(tiny_base_model(), current)
    export = labelled_export(sorted(seeds_dir.glob("*.txt")), current, tmp_path / "annotations" / "export.json")
    args = ["annotate", "retrain", "--data", str(export), "--init-from", str(current), "--work-dir"]
    assert main([*args, str(tmp_path / "round"), "--min-test-reports", "5"]) == 2
    err = capsys.readouterr().err
    assert "gives 4 human-labelled test report(s); the gate needs at least 5 (--min-test-reports)" in err
    assert "5 of the 5 labelled reports were labelled by a person" in err and "split file was not changed" in err
    assert not (tmp_path / "annotations" / "split.json").exists() and not (tmp_path / "round").exists()
    made_by_model = json.loads(export.read_text(encoding="utf-8"))
    for task in made_by_model:  # annotations Label Studio made from predictions in bulk never judge
        task["annotations"][0]["last_action"] = "prediction"
    export.write_text(json.dumps(made_by_model), encoding="utf-8")
    assert main([*args, str(tmp_path / "round"), "--min-test-reports", "1"]) == 2
    assert "gives 0 human-labelled test report(s); the gate needs at least 1" in capsys.readouterr().err


@pytest.mark.slow
def test_fine_tuning_on_labelled_seeds_is_promoted_and_a_worse_model_is_refused(
    seeds_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_against_gold(seeds_dir)
    current = tmp_path / "models" / "current"
    shutil.copytree(tiny_base_model(), current)
    base_version = model_version(current)
    export = labelled_export(sorted(seeds_dir.glob("*.txt")), current, tmp_path / "annotations" / "export.json")

    work = tmp_path / "round1"
    first = retrain(
        [export],
        init_from=current,
        work_dir=work,
        promote_to=current,
        overrides=TINY_FINETUNE,
        synthetic_check=2,
        min_test_reports=2,
    )
    test, trained = first.scores["frozen_test"], first.scores["labelled_train"]
    assert first.promoted, first.reason
    assert set(first.scores) == {"frozen_test", "labelled_train", "synthetic_check"}
    assert test["candidate"] > test["previous"] and trained["candidate"] > trained["previous"]
    assert first.interval is not None and first.interval.low > 0 and first.interval.reports >= 2
    assert model_version(current) == model_version(first.candidate_dir) == first.candidate_version
    assert first.rollback_path is not None and model_version(first.rollback_path) == base_version
    report = json.loads(first.report_path.read_text(encoding="utf-8"))
    assert report["decision"] == "promoted" and report["micro_f1"] == first.scores
    assert report["interval"] == first.interval.to_dict() and report["rollback"] == str(first.rollback_path)
    assert len(report["split"]["train"]) + len(report["split"]["test"]) == 5 and len(report["split"]["test"]) >= 2
    assert set(report["per_report"]) == set(report["split"]["test"])
    assert (current / REPORT_MD).read_text(encoding="utf-8").startswith("# Retraining round: promoted")
    assert "fine-tuned from `" in (current / "README.md").read_text(encoding="utf-8")
    split = load_split(tmp_path / "annotations" / "split.json")

    # A destructive learning rate stands in for bad training: the result is worse and stays out.
    promoted_version = model_version(current)
    args = ["annotate", "retrain", "--data", str(export), "--init-from", str(current), "--work-dir"]
    args += [str(tmp_path / "round2"), "--synthetic-check", "0", "--min-test-reports", "2"]
    args += [f"--set={k}={v}" for k, v in {**TINY_FINETUNE, "optim.lr": 0.9, "optim.max_steps": 40}.items()]
    assert main(args) == 1
    out = capsys.readouterr().out
    lines = out.rstrip().splitlines()
    candidate = tmp_path / "round2" / "candidate"
    assert "not promoted: frozen-test micro-F1" in out and lines[-4].endswith("no better")
    assert lines[-2:] == [
        f"candidate model (not promoted): {candidate}",
        f"use it with: gxie extract --model {candidate} FILE",
    ]
    assert model_version(current) == promoted_version
    refused = json.loads((tmp_path / "round2" / "retrain_report.json").read_text(encoding="utf-8"))
    assert refused["decision"] == "refused" and refused["interval"]["difference"] < 0
    assert refused["micro_f1"]["frozen_test"]["candidate"] < refused["micro_f1"]["frozen_test"]["previous"]
    assert load_split(tmp_path / "annotations" / "split.json") == split  # the judging reports did not move

    assert main(["annotate", "rollback", str(current)]) == 0  # back to the model before the first round
    assert model_version(current) == base_version

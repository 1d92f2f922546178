"""What to label next: the model's doubt next to the table checks, near-duplicates, and --exclude."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from gxie.annotate.dedup import MinHashIndex, signature, similarity
from gxie.annotate.pick import labelled_in, pick
from gxie.annotate.select import WEIGHTS, Doubt, DoubtRecorder, Priority, doubt_of, with_doubt
from gxie.cli import main
from gxie.labels import spans_to_tags
from gxie.pipeline import get_tagger
from gxie.training.synth import generate

TEXT = "一、总体情况\n（一）主动公开 12\n说明"
TAGS = ["B-SEC", *["I-SEC"] * 5, "O", "B-ROW", *["I-ROW"] * 6, "O", "B-NUM", "I-NUM", "O", "O", "O"]


def test_doubt_names_doubtful_labels_and_text_the_model_almost_labelled() -> None:
    probs = [0.99] * len(TEXT)
    probs[9] = 0.55  # inside the ROW span: its weakest character
    probs[18], probs[19] = 0.4, 0.5  # "说明", left unlabelled with little certainty
    probs[16] = 0.3  # a doubtful NUM character: cells are judged by the table checks, not here
    doubt = doubt_of(TEXT, TAGS, probs)
    assert doubt.labels == (("ROW", "（一）主动公开", 0.55),)
    assert doubt.stretches == (("说明", 0.4),)
    assert doubt.mean_uncertainty == round(sum(1 - p for p in probs) / len(probs), 4)
    assert doubt_of(TEXT, TAGS, [0.99] * len(TEXT)) == Doubt((), (), 0.01)
    with pytest.raises(ValueError, match="differ in length: 20, 20, 3"):
        doubt_of(TEXT, TAGS, [0.5] * 3)

    base = Priority(
        "r.txt", 4.0, ["1 relation(s) fail on uncertain cells: R1 (column total)"], {"uncertain_relation": 1}
    )
    raised = with_doubt(base, doubt)
    assert raised.score == 4.0 + WEIGHTS["doubtful_label"] + WEIGHTS["doubtful_text"]
    assert raised.counts == {"uncertain_relation": 1, "doubtful_label": 1, "doubtful_text": 1}
    assert raised.reasons[1:] == [
        "1 heading/label span(s) the model doubts (p < 0.9): ROW '（一）主动公开' 0.55",
        "1 stretch(es) of text the model almost labelled (p < 0.6 on O): '说明' 0.40",
        f"mean character uncertainty 1 − p = {doubt.mean_uncertainty:.4f}",
    ]
    assert with_doubt(base, Doubt()) == base
    unreadable = Priority("scan.pdf", 0.0, ["cannot be annotated"], annotatable=False)
    assert with_doubt(unreadable, doubt) is unreadable


class FakeModel:
    """The rules' spans as a model's argmax tags, with probability 0.5 on every ROW character of the
    texts containing ``doubtful`` (0.99 elsewhere): a model unsure of one report's row labels."""

    name = "model"
    version = "fake"

    def __init__(self, doubtful: str) -> None:
        self.doubtful = doubtful
        self.rules = get_tagger("rules")

    def predict(self, texts: Sequence[str]) -> list[tuple[list[str], list[float]]]:
        out = []
        for text in texts:
            tags = spans_to_tags(len(text), self.rules.tag(text))
            low = self.doubtful in text
            out.append((tags, [0.5 if low and t.endswith("ROW") else 0.99 for t in tags]))
        return out

    def tag_many(self, texts: Sequence[str]) -> list[Any]:
        raise AssertionError("DoubtRecorder decodes the spans from predict itself")


@pytest.fixture()
def reports(tmp_path: Path) -> list[Path]:
    """Three generated reports, the third also as a copy with CRLF line ends and extra spaces."""
    folder = tmp_path / "reports"
    folder.mkdir()
    texts = [r.text for r in generate(3, seed=11, templates=("2021",), noise_levels=("clean",))]
    paths = [folder / f"r{k}.txt" for k in range(3)]
    for path, text in zip(paths, texts, strict=True):
        path.write_text(text, encoding="utf-8")
    copy = folder / "r2_copy.txt"
    copy.write_bytes(("  " + texts[2].replace("\n", " \r\n") + "\r\n").encode("utf-8"))
    return [*paths, copy]


def test_minhash_finds_the_same_report_in_other_whitespace_and_nothing_else(reports: list[Path]) -> None:
    texts = [p.read_bytes().decode("utf-8") for p in reports]
    sigs = [signature(t) for t in texts]
    assert similarity(sigs[2], sigs[3]) == 1.0  # whitespace is ignored
    assert max(similarity(sigs[i], sigs[j]) for i in range(3) for j in range(3) if i != j) < 0.8
    index = MinHashIndex()
    index.add("r0", sigs[0])
    index.add("r2", sigs[2])
    assert index.nearest(sigs[3]) == ("r2", 1.0)
    assert index.nearest(sigs[1]) is None
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\], got 0"):
        MinHashIndex(0)


def test_a_report_the_model_doubts_ranks_first_and_a_copy_is_left_out(reports: list[Path]) -> None:
    doubtful = reports[1].read_text(encoding="utf-8")[:40]
    plain = pick(reports, tagger=get_tagger("rules"))
    picked = pick(reports, tagger=FakeModel(doubtful))
    first = picked.kept[0]
    assert Path(first.source).name == "r1.txt"
    rules_r1 = next(p for p in plain.kept if p.source == first.source)
    n = first.counts["doubtful_label"]
    assert n >= 10 and first.score == pytest.approx(rules_r1.score + n * WEIGHTS["doubtful_label"])
    assert any(r.startswith(f"{n} heading/label span(s) the model doubts (p < 0.9): ROW ") for r in first.reasons)
    assert [Path(s).name for s, _ in picked.left_out] == ["r2_copy.txt"]
    assert picked.left_out[0][1] == f"near-duplicate (similarity ≈1.00) of {reports[2]}, ranked above it"
    assert [t["data"]["path"] for t in picked.tasks] == [p.source for p in picked.kept]
    assert picked.tasks[0]["data"]["priority"] == first.score
    assert f"priority {first.score:g}" in picked.tasks[0]["data"]["attention"].splitlines()[0]
    assert "heading/label span(s) the model doubts" in picked.tasks[0]["data"]["attention"]


def export_of(reports: list[Path]) -> list[dict[str, Any]]:
    """An export with r0 labelled, r1 skipped by its annotator and r2 not labelled yet."""
    from gxie.batch.discover import file_sha256

    def task(k: int, annotations: list[dict[str, Any]]) -> dict[str, Any]:
        text = reports[k].read_text(encoding="utf-8")
        data = {"text": text, "source": reports[k].name, "content_hash": file_sha256(reports[k])}
        return {"id": k + 1, "data": data, "annotations": annotations}

    return [
        task(0, [{"id": 1, "result": [], "was_cancelled": False}]),
        task(1, [{"id": 2, "result": [], "was_cancelled": True}]),
        task(2, []),
    ]


def test_exclude_leaves_out_only_tasks_with_a_real_annotation(
    reports: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps(export_of(reports)), encoding="utf-8")
    labelled = labelled_in([export])
    assert (len(labelled.hashes), list(labelled.texts), labelled.eligible) == (1, ["export.json task 1 (r0.txt)"], 2)
    crlf = reports[0].with_name("r0_crlf.txt")  # the labelled report again, in other bytes
    crlf.write_bytes(reports[0].read_bytes().replace(b"\n", b"\r\n"))
    folder = str(reports[0].parent)
    ranking, tasks = tmp_path / "ranking.json", tmp_path / "tasks.json"
    args = ["annotate", "select", folder, "--tagger", "rules", "--exclude", str(export)]
    assert main([*args, "-o", str(ranking), "--tasks", str(tasks)]) == 0
    out = capsys.readouterr().out
    ranked = json.loads(ranking.read_text(encoding="utf-8"))
    kept = [Path(r["source"]).name for r in ranked if r["rank"]]
    assert sorted(kept) == ["r1.txt", "r2.txt"]  # skipped and unlabelled tasks stay eligible
    left = {Path(r["source"]).name: r["left_out"] for r in ranked if not r["rank"]}
    assert left == {
        "r0.txt": "already labelled (the same file is in an export with an annotation)",
        "r0_crlf.txt": "near-duplicate (similarity ≈1.00) of labelled export.json task 1 (r0.txt)",
        "r2_copy.txt": f"near-duplicate (similarity ≈1.00) of {reports[2]}, ranked above it",
    }
    assert [r["score"] for r in ranked if r["rank"]] == sorted((r["score"] for r in ranked if r["rank"]), reverse=True)
    assert [t["data"]["source"] for t in json.loads(tasks.read_text(encoding="utf-8"))] == kept
    for name in kept:  # every ranking line says why
        line = next(k for k, text in enumerate(out.splitlines()) if text.endswith(name))
        assert out.splitlines()[line + 1].startswith("            ")
    assert f"   -  left out  {crlf}: near-duplicate" in out
    top = tmp_path / "top.json"
    assert main([*args, "--top", "1", "-o", str(top)]) == 0
    assert f"   ...  1 more report(s) below the top 1 (ranked in {top})" in capsys.readouterr().out
    assert [(r["rank"], r["kept"]) for r in json.loads(top.read_text(encoding="utf-8")) if r["rank"]] == [
        (1, True),
        (2, False),
    ]

    again = tmp_path / "again.json"
    assert main(["annotate", "tasks", folder, "--tagger", "rules", "--exclude", str(export), "-o", str(again)]) == 0
    assert sorted(t["data"]["source"] for t in json.loads(again.read_text(encoding="utf-8"))) == [
        "r0_crlf.txt",
        "r1.txt",
        "r2.txt",
        "r2_copy.txt",
    ]
    assert "1 report(s) already labelled were left out (2 unlabelled or skipped task(s)" in capsys.readouterr().err


def test_the_recorder_passes_taggers_without_probabilities_through() -> None:
    rules = get_tagger("rules")
    recorder = DoubtRecorder(rules)
    assert (recorder.name, recorder.version) == (rules.name, rules.version)
    assert recorder.tag(TEXT) == rules.tag(TEXT) and recorder.doubt_for(TEXT) is None
    model = DoubtRecorder(FakeModel("总体"))
    spans = model.tag(TEXT)
    assert [s.label for s in spans] == [s.label for s in rules.tag(TEXT)]
    assert model.doubt_for(TEXT) == doubt_of(TEXT, *FakeModel("总体").predict([TEXT])[0])

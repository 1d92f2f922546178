"""Training: config, data preparation, metrics, a seconds-long run of a tiny model, fine-tuning, CLI."""

from __future__ import annotations

import json
import random
from array import array
from pathlib import Path

import pytest
import torch

from gxie.cli import train as cli
from gxie.errors import ConfigError, ModelError
from gxie.tagging.model import GXIE_CONFIG_FILE, MODEL_FILES, ModelTagger
from gxie.tagging.modeldir import INT8_FILE, ONNX_FILE
from gxie.tagging.vocab import CharVocab
from gxie.training.config import TrainConfig, load_config, parse_override
from gxie.training.data import (
    IGNORE,
    LabelledText,
    WindowSampler,
    identity_normalizer,
    load_records,
    record_from_dict,
    to_example,
)
from gxie.training.metrics import evaluate_tags
from gxie.training.train import TrainResult, train
from gxie.types import NormalizedText, Span

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "training" / "configs" / "tiny.yaml"
DEFAULT = ROOT / "training" / "configs" / "default.yaml"
ROWS = ("规章", "规范性文件", "行政许可", "1.属于国家秘密", "(二)部分公开")


def make_record(i: int, rng: random.Random) -> dict[str, object]:
    """A small table-like report with gold spans over its raw text."""
    pieces: list[tuple[str, str | None]] = [
        ("一、总体情况", "SEC"),
        ("\n本年度认真落实条例要求。\n", None),
        ("收到和处理政府信息公开申请情况", "CAP"),
        ("\n信息内容\t", None),
        ("本年新制作数量", "COL"),
        ("\t", None),
        ("本年新公开数量", "COL"),
        ("\n", None),
    ]
    for row in rng.sample(ROWS, 3):
        pieces.append((row, "ROW"))
        for _ in range(2):
            value = rng.choice(["无", str(rng.randint(0, 999)), str(rng.randint(0, 9))])
            pieces += [("\t", None), (value, "EMPTY" if value == "无" else "NUM")]
        pieces.append(("\n", None))
    text, spans = "", []
    for piece, label in pieces:
        if label:
            spans.append([len(text), len(text) + len(piece), label])
        text += piece
    return {"id": f"r{i}", "text": text, "spans": spans, "noise": "clean" if i % 2 else "light"}


def write_records(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    path.write_text("".join(json.dumps(make_record(i, rng), ensure_ascii=False) + "\n" for i in range(n)))
    return path


def tiny_config(tmp: Path, **overrides: object) -> TrainConfig:
    """tiny.yaml on local records only (no synthetic generator), writing into ``tmp``."""
    data = {
        "data.n_train": 0,
        "data.n_dev": 0,
        "data.n_test": 0,
        "data.extra": [str(write_records(tmp / "train.jsonl", 24, 1))],
        "data.extra_dev": [str(write_records(tmp / "dev.jsonl", 4, 2))],
        "data.extra_test": [str(write_records(tmp / "test.jsonl", 4, 3))],
        "output_dir": str(tmp / "model"),
    }
    return load_config(TINY, {**data, **overrides})


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    tmp = tmp_path_factory.mktemp("train")
    return train(tiny_config(tmp, **{"optim.max_steps": 40}), command="pytest")


# -- config ----------------------------------------------------------------------------------------


def test_bundled_configs_load() -> None:
    tiny, default = load_config(TINY), load_config(DEFAULT)
    assert tiny.model.window == 64 and tiny.optim.max_steps == 30
    assert default.output_dir == "models/default" and default.optim.lr == pytest.approx(2e-3)
    local = load_config(DEFAULT.parent / "local_converted.yaml")  # the all-local experiment on converted text
    assert local.model.global_every == 0 and local.data.extra == ["data/convert_records.jsonl"]


def test_unknown_keys_are_refused_with_the_allowed_ones(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("seed: 1\noptim:\n  lrate: 0.1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "'optim.lrate'" in str(info.value) and "lr, warmup_ratio" in str(info.value)
    with pytest.raises(ConfigError, match=r"unknown config key 'epochs'.*allowed keys: seed, model"):
        TrainConfig.from_dict({"epochs": 3})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"optim": {"lr": 0}}, "optim.lr"),
        ({"model": {"stride": 600}}, "model.stride"),
        ({"model": {"hidden": 100, "heads": 3}}, "multiple of model.heads"),
        ({"data": {"n_train": -1}}, "data.n_train"),
        ({"threads": 0}, "threads"),
        ({"device": "tpu"}, "device"),
        ({"seed": "x"}, "seed must be int"),
        ({"data": {"layouts": "tab_rows"}}, "must be a list"),
    ],
)
def test_bad_values_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict(data)


def test_overrides() -> None:
    assert parse_override("data.n_train=50") == ("data.n_train", 50)
    assert load_config(TINY, dict([parse_override("optim.lr=1e-3")])).optim.lr == 0.001  # YAML 1.1 reads a str
    config = load_config(TINY, dict([parse_override("data.layouts=[tab_rows, markdown]"), ("seed", 5)]))
    assert config.data.layouts == ["tab_rows", "markdown"] and config.seed == 5
    assert TrainConfig.from_dict({"optim": {"lr": "2e-3"}}).optim.lr == pytest.approx(0.002)  # YAML 1.1 string
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_override("optim.lr")


# -- data ------------------------------------------------------------------------------------------


def test_records_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    rows = [
        {"id": "a", "text": "规章\t0", "spans": [[0, 2, "ROW"]]},
        {"id": "b", "text": "x", "spans": [[0, 1, "ROWS"]]},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(ConfigError, match=r"bad.jsonl:2: .*'ROWS'; allowed: SEC, CAP"):
        load_records(path)
    with pytest.raises(ConfigError, match="does not fit a text of 1 characters"):
        record_from_dict({"text": "x", "spans": [[0, 2, "NUM"]]}, "here")
    with pytest.raises(ConfigError, match="does not exist"):
        load_records(tmp_path / "missing.jsonl")


def test_datasets_directory_records(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    rows = [make_record(i, random.Random(i)) for i in range(3)]
    for row in rows:
        row["spans"] = [{"start": s, "end": e, "label": lab} for s, e, lab in row["spans"]]  # type: ignore[attr-defined]
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "ds"))
    records = load_records(tmp_path / "ds")
    assert [r.id for r in records] == ["r0", "r1", "r2"]
    assert records[0].spans[0] == Span(0, 6, "SEC", "一、总体情况")


def squeeze(text: str) -> NormalizedText:
    """A test normalizer: drops zero-width spaces, turns CRLF into LF and full-width digits half-width."""
    out, starts, ends = [], array("l"), array("l")
    i = 0
    while i < len(text):
        if text[i] == "\u200b":
            i += 1
            continue
        width = 2 if text.startswith("\r\n", i) else 1
        out.append("\n" if width == 2 else chr(ord(text[i]) - 0xFEE0) if "０" <= text[i] <= "９" else text[i])
        starts.append(i)
        ends.append(i + width)
        i += width
    return NormalizedText("".join(out), text, starts, ends)


def test_spans_follow_normalization() -> None:
    raw = "\u200b规\u200b章\t１２\r\n无"
    record = LabelledText(
        "x", raw, (Span(0, 4, "ROW", raw[0:4]), Span(5, 7, "NUM", "１２"), Span(9, 10, "EMPTY", "无"))
    )
    example = to_example(record, squeeze)
    assert example.text == "规章\t12\n无"
    assert example.tags == ("B-ROW", "I-ROW", "O", "B-NUM", "I-NUM", "O", "B-EMPTY")
    adjacent = LabelledText("y", "1234", (Span(0, 2, "NUM", "12"), Span(2, 4, "NUM", "34")))
    assert to_example(adjacent, identity_normalizer).tags == ("B-NUM", "I-NUM", "B-NUM", "I-NUM")


def test_unlabelled_characters_are_left_out_of_the_loss_and_the_scores() -> None:
    """A converted text's numbers the alignment could not follow are ``X``: no loss, and O when scored."""
    row = {"id": "c", "text": "规章 3 4\n9", "spans": [[0, 2, "ROW"], [3, 4, "NUM"]], "unlabelled": [[5, 6], [7, 8]]}
    example = to_example(record_from_dict(row, "t"), identity_normalizer)
    assert example.tags == ("B-ROW", "I-ROW", "O", "B-NUM", "O", "X", "O", "X")
    (batch,) = WindowSampler([example], CharVocab.default(), 16, unk_prob=0.0, seed=0).epoch(0, 1)
    labels = batch.labels[0].tolist()
    assert labels[5] == labels[7] == IGNORE and labels[4] != IGNORE and labels[3] != IGNORE
    # a model that tags the unlabelled numbers NUM loses nothing for it
    pred = ["B-ROW", "I-ROW", "O", "B-NUM", "O", "B-NUM", "O", "B-NUM"]
    assert evaluate_tags([example.tags], [pred]).micro.f1 == 1.0
    for bad in ([[5]], [[5, 99]], [[6, 5]], [["a", 6]]):
        with pytest.raises(ConfigError, match="unlabelled range"):
            record_from_dict({**row, "unlabelled": bad}, "t")


def test_window_sampler_is_seeded_and_covers_every_character() -> None:
    rng = random.Random(0)
    examples = [to_example(record_from_dict(make_record(i, rng), "t"), identity_normalizer) for i in range(5)]
    vocab = CharVocab.default()
    noisy = WindowSampler(examples, vocab, 16, unk_prob=0.3, seed=4)
    first = [b.input_ids.tolist() for b in noisy.epoch(0, 4)]
    assert first == [b.input_ids.tolist() for b in noisy.epoch(0, 4)]
    assert first != [b.input_ids.tolist() for b in noisy.epoch(1, 4)]
    quiet = WindowSampler(examples, vocab, 16, unk_prob=0.0, seed=4)
    found = set()
    separators = torch.tensor([vocab.index["\t"], vocab.index["\n"]])
    for clean, masked in zip(quiet.epoch(0, 4), noisy.epoch(0, 4), strict=True):
        assert ((clean.labels == IGNORE) == (clean.attention_mask == 0)).all()
        assert torch.equal(clean.labels, masked.labels)
        changed = clean.input_ids != masked.input_ids
        assert (masked.input_ids[changed] == vocab.unk_id).all()
        assert not changed[torch.isin(clean.input_ids, separators)].any()  # [UNK] never hides a separator
        for row in clean.input_ids.tolist():
            found |= {vocab.tokens[t] for t in row if t != vocab.pad_id}
    assert found == {c for e in examples for c in e.text}
    assert sum((b.input_ids == vocab.unk_id).sum().item() for b in noisy.epoch(0, 4)) > 0


# -- metrics ---------------------------------------------------------------------------------------


def test_strict_iob2_scores() -> None:
    gold = [["B-NUM", "I-NUM", "O", "B-ROW", "I-ROW"], ["B-EMPTY", "O"]]
    pred = [["I-NUM", "I-NUM", "O", "B-ROW", "I-ROW"], ["B-EMPTY", "B-NUM"]]
    ev = evaluate_tags(gold, pred)
    # strict: "I-NUM I-NUM" is no entity; ROW and EMPTY are right; the stray B-NUM is a false positive
    assert (ev.micro.precision, ev.micro.recall) == pytest.approx((2 / 3, 2 / 3))
    assert ev.per_label["NUM"].f1 == 0.0 and ev.per_label["ROW"].f1 == 1.0
    assert ev.micro.support == 3 and ev.n_texts == 2 and ev.n_chars == 7
    assert evaluate_tags([["O", "O"]], [["O", "O"]]).micro.f1 == 1.0


# -- training --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_tiny_training_learns_and_writes_a_model(trained: TrainResult) -> None:
    losses = trained.losses
    assert len(losses) == 40 == trained.steps
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
    assert trained.dev is not None and trained.test is not None
    assert 0.0 <= trained.test.micro.f1 <= 1.0 and trained.test.per_label
    assert set(trained.test_by) == {"noise"} and set(trained.test_by["noise"]) == {"clean", "light"}
    out = trained.output_dir
    assert {p.name for p in out.iterdir()} == {*MODEL_FILES, "README.md", ONNX_FILE, INT8_FILE}
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Test micro-F1" in card and "| NUM | numeric cell |" in card and "command: `pytest`" in card
    meta = json.loads((out / GXIE_CONFIG_FILE).read_text(encoding="utf-8"))
    assert meta["metrics"]["test"]["micro"]["f1"] == pytest.approx(trained.test.micro.f1)
    assert meta["training"]["data"]["splits"]["train"]["texts"] == 24
    reloaded = ModelTagger.from_pretrained(out, device="cpu", quantize=False)
    texts = [str(make_record(0, random.Random(9))["text"]), "规章\t12\n" * 30]
    assert reloaded.predict(texts) == trained.tagger.predict(texts)


@pytest.mark.slow
def test_training_is_deterministic(tmp_path: Path) -> None:
    results = []
    for k in range(2):
        (tmp_path / str(k)).mkdir()
        no_eval = {"optim.max_steps": 4, "data.extra_dev": [], "data.extra_test": []}
        results.append(train(tiny_config(tmp_path / str(k), **no_eval)))
    assert results[0].losses == results[1].losses
    assert results[0].tagger.version == results[1].tagger.version  # bitwise identical weights


@pytest.mark.slow
def test_fine_tuning_keeps_the_model_and_refuses_other_labels(trained: TrainResult, tmp_path: Path) -> None:
    tuned = train(
        tiny_config(tmp_path, **{"init_from": str(trained.output_dir), "optim.max_steps": 2, "model.hidden": 64})
    )
    assert tuned.tagger.model.config.hidden_size == trained.tagger.model.config.hidden_size  # architecture kept
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in MODEL_FILES:
        (bad / name).write_bytes((trained.output_dir / name).read_bytes())
    meta = json.loads((bad / GXIE_CONFIG_FILE).read_text(encoding="utf-8"))
    meta["labels"] = [*meta["labels"], "B-DATE", "I-DATE"]
    (bad / GXIE_CONFIG_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="B-DATE"):
        train(tiny_config(tmp_path, **{"init_from": str(bad), "output_dir": str(tmp_path / "never")}))
    assert not (tmp_path / "never").exists()


@pytest.mark.slow
def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tiny_config(tmp_path)  # writes the record files
    output = str(tmp_path / "cli-model")
    args = ["--config", str(TINY), "--data", config.data.extra[0], "--max-steps", "2", "--output", output]
    args += ["--seed", "3", "--set", "data.n_train=0", "--set", "data.n_dev=0", "--set", "data.n_test=0"]
    assert cli.main(args) == 0
    assert "model written to" in capsys.readouterr().out
    meta = json.loads((tmp_path / "cli-model" / GXIE_CONFIG_FILE).read_text(encoding="utf-8"))
    assert meta["training"]["config"]["seed"] == 3 and meta["training"]["config"]["data"]["extra"] == config.data.extra
    assert cli.main(["--config", str(TINY), "--set", "optim.lrate=1"]) == 2
    assert "unknown config key 'optim.lrate'" in capsys.readouterr().err

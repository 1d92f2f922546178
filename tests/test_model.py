"""The character tagging model: vocabulary, windows, inference, save/load (tiny random models, CPU)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from gxie.errors import ModelError
from gxie.labels import TAGS, tags_to_spans
from gxie.tagging.base import Tagger
from gxie.tagging.model import GXIE_CONFIG_FILE, MODEL_FILES, ModelTagger, repair_iob2, resolve_device
from gxie.tagging.modeldir import INT8_FILE, ONNX_FILE
from gxie.tagging.vocab import UNK, CharVocab
from gxie.tagging.windows import plan_windows, training_starts, window_starts

TEXTS = [
    "一、总体情况\n本年度共收到申请12件。\n",
    "",
    "信息内容\t本年新制作数量\t本年新公开数量\n规章\t0\t0\n规范性文件\t3\t无\n" * 6,
    "x",
    "行政许可\t+7\t-4\t380479.6元\n" * 11,
    "ＡＢＣ　（一）予以公开\t１２\n",
]


@pytest.fixture(scope="module")
def tagger() -> ModelTagger:
    """A tiny random model with 32-character windows, so short texts already need several windows."""
    return ModelTagger.from_config(
        num_layers=1, hidden=32, heads=2, intermediate=64, local_attention=8, window=32, stride=24, seed=3
    )


@pytest.fixture(scope="module")
def saved(tagger: ModelTagger, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tagger.save_pretrained(tmp_path_factory.mktemp("model") / "m")


def copy_model(saved: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(saved, target)
    return target


# -- vocabulary ------------------------------------------------------------------------------------


def test_vocab_covers_report_characters() -> None:
    vocab = CharVocab.default()
    for char in "政府信息公开年度报告一二三、。，；：（）《》“”—…·%0123456789abcXYZ+-./ＡＢ０１２！\t\n \xa0\u3000":
        assert char in vocab, repr(char)
    assert 7000 < len(vocab) < 9000
    assert len(set(vocab.tokens)) == len(vocab)


def test_unknown_characters_encode_as_unk() -> None:
    vocab = CharVocab.default()
    ids = vocab.encode("a𠀀b\U0001f600[UNK]")
    assert ids[1] == ids[3] == vocab.unk_id == vocab.index[UNK]
    assert len(ids) == len("a𠀀b\U0001f600[UNK]")  # "[UNK]" typed in a text stays five characters
    assert vocab.unk_id not in ids[:1] + ids[2:3] + ids[4:]


def test_tokenizer_json_gives_one_token_per_character(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    vocab = CharVocab.default()
    vocab.save(tmp_path / "tokenizer.json")
    text = "一、总体情况\t 0\n\xa0𠀀x\u3000Ａ [PAD]"
    encoding = Tokenizer.from_file(str(tmp_path / "tokenizer.json")).encode(text, add_special_tokens=False)
    assert encoding.ids == vocab.encode(text)
    assert encoding.offsets == [(i, i + 1) for i in range(len(text))]
    assert CharVocab.load(tmp_path / "tokenizer.json") == vocab


# -- windows ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "starts"),
    [
        (0, []),  # empty text: no window
        (1, [0]),
        (300, [0]),  # shorter than a window
        (512, [0]),  # exactly one window
        (513, [0, 1]),  # one character more: the last window is aligned to the end
        (896, [0, 384]),  # window + stride: the second window ends at the text's end
        (1280, [0, 384, 768]),  # window + 2 strides: exact multiple of the stride
        (1000, [0, 384, 488]),
    ],
)
def test_window_starts(length: int, starts: list[int]) -> None:
    assert window_starts(length, 512, 384) == starts


@pytest.mark.parametrize(
    ("window", "stride", "lengths"),
    [
        (8, 8, range(27)),
        (8, 5, range(27)),
        (8, 4, range(27)),
        (8, 1, range(27)),
        (7, 3, range(24)),
        (512, 384, [0, 1, 511, 512, 513, 895, 896, 897, 1000, 1280, 1281]),
    ],
)
def test_plan_windows_partition_and_prefer_the_middle(window: int, stride: int, lengths: list[int]) -> None:
    for length in lengths:
        plan = plan_windows(length, window, stride)
        kept = [i for w in plan for i in range(w.keep_start, w.keep_end)]
        assert kept == list(range(length))  # every character: exactly one prediction, in order
        for w in plan:
            assert 0 <= w.start <= w.keep_start <= w.keep_end <= w.end <= length
            assert w.end - w.start == min(window, length)  # full windows, last one end-aligned

        def room(i: int, start: int, end: int, length: int = length) -> float:
            left = float("inf") if start == 0 else i - start  # a text edge is no window edge
            right = float("inf") if end == length else end - 1 - i
            return min(left, right)

        for w in plan:
            for i in range(w.keep_start, w.keep_end):
                best = max(room(i, v.start, v.end) for v in plan if v.start <= i < v.end)
                assert room(i, w.start, w.end) == best


def test_training_starts_cover_the_text() -> None:
    assert training_starts(1000, 400, 100) == [0, 300, 600]
    assert training_starts(0, 400, 3) == []
    assert training_starts(50, 400, 399) == [0]
    for shift in range(0, 10):
        starts = training_starts(37, 10, shift)
        covered = {i for s in starts for i in range(s, s + 10)}
        assert covered == set(range(37)) and all(s + 10 <= 37 for s in starts)
    with pytest.raises(ValueError, match="shift"):
        training_starts(100, 10, 10)


def test_window_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="stride"):
        window_starts(10, 8, 9)
    with pytest.raises(ValueError, match="stride"):
        window_starts(10, 8, 0)


# -- inference -------------------------------------------------------------------------------------


def test_tagger_protocol_and_outputs(tagger: ModelTagger) -> None:
    assert isinstance(tagger, Tagger)
    assert tagger.name == "model"
    for text, (tags, scores) in zip(TEXTS, tagger.predict(TEXTS), strict=True):
        assert len(tags) == len(scores) == len(text)
        assert set(tags) <= set(TAGS)
        assert all(1 / len(TAGS) <= s <= 1.0 for s in scores)
    assert tagger.tag("") == []


def test_merged_predictions_come_from_the_window_farthest_from_an_edge(tagger: ModelTagger) -> None:
    text = TEXTS[2]
    ids = tagger.vocab.encode(text)
    expected = torch.empty(len(text), dtype=torch.long)
    with torch.inference_mode():
        for w in plan_windows(len(text), tagger.window, tagger.stride):
            logits = tagger.model(input_ids=torch.tensor([ids[w.start : w.end]])).logits[0]
            expected[w.keep_start : w.keep_end] = logits.argmax(-1)[w.keep_start - w.start : w.keep_end - w.start]
    tags, _ = tagger.predict([text])[0]
    assert tags == repair_iob2([TAGS[k] for k in expected.tolist()])


def test_a_window_longer_than_the_text_equals_one_forward_pass(tagger: ModelTagger) -> None:
    text = TEXTS[0]
    with torch.inference_mode():
        logits = tagger.model(input_ids=torch.tensor([tagger.vocab.encode(text)])).logits[0]
    tags, scores = tagger.predict([text])[0]
    assert tags == repair_iob2([TAGS[k] for k in logits.argmax(-1).tolist()])
    assert scores == pytest.approx(torch.softmax(logits, -1).max(-1).values.tolist(), abs=1e-5)


def test_repair_iob2_keeps_the_decoded_spans() -> None:
    raw = ["I-NUM", "I-NUM", "O", "I-ROW", "B-ROW", "I-ROW", "I-COL", "B-NUM", "I-EMPTY", "O"]
    repaired = repair_iob2(list(raw))
    assert repaired == ["B-NUM", "I-NUM", "O", "B-ROW", "B-ROW", "I-ROW", "B-COL", "B-NUM", "B-EMPTY", "O"]
    text = "0123456789"
    assert tags_to_spans(text, repaired) == tags_to_spans(text, raw)


def test_tag_many_equals_tag(tagger: ModelTagger) -> None:
    tagger.batch_size = 3  # windows of different texts share batches
    try:
        many = tagger.tag_many(TEXTS)
    finally:
        tagger.batch_size = 32
    for text, spans in zip(TEXTS, many, strict=True):
        one = tagger.tag(text)
        assert [(s.start, s.end, s.label, s.text) for s in spans] == [(s.start, s.end, s.label, s.text) for s in one]
        assert [s.score for s in spans] == pytest.approx([s.score for s in one], abs=1e-5)
        for s in spans:
            assert text[s.start : s.end] == s.text


def test_unknown_characters_are_tagged_as_unk(tagger: ModelTagger) -> None:
    assert tagger.predict(["规章\t𠀀\n"]) == tagger.predict(["规章\t\U0002a6a5\n"])


# -- save / load -----------------------------------------------------------------------------------


def test_save_load_round_trip(tagger: ModelTagger, saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == sorted((*MODEL_FILES, ONNX_FILE, INT8_FILE))
    loaded = ModelTagger.from_pretrained(saved, device="cpu", quantize=False)
    assert loaded.predict(TEXTS) == tagger.predict(TEXTS)
    assert loaded.tag_many(TEXTS) == tagger.tag_many(TEXTS)
    assert loaded.version == tagger.version and len(loaded.version) == 12
    assert (loaded.window, loaded.stride) == (32, 24)
    meta = json.loads((saved / GXIE_CONFIG_FILE).read_text(encoding="utf-8"))
    assert meta["labels"] == list(TAGS) and meta["model_version"] == loaded.version


def test_quantized_model_loads_predicts_and_refuses_to_save(saved: Path, tmp_path: Path) -> None:
    quantized = ModelTagger.from_pretrained(saved, device="cpu", quantize=True)
    assert quantized.quantized
    assert [len(tags) for tags, _ in quantized.predict(TEXTS)] == [len(t) for t in TEXTS]
    with pytest.raises(ModelError, match="quantized"):
        quantized.save_pretrained(tmp_path / "q")


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        ModelTagger.from_pretrained(tmp_path / "nowhere")


@pytest.mark.parametrize("name", MODEL_FILES)
def test_missing_file_is_refused_by_name(saved: Path, tmp_path: Path, name: str) -> None:
    model_dir = copy_model(saved, tmp_path)
    (model_dir / name).unlink()
    with pytest.raises(ModelError, match=f"lacks {name}"):
        ModelTagger.from_pretrained(model_dir, device="cpu")


def test_mismatched_label_list_is_refused(saved: Path, tmp_path: Path) -> None:
    model_dir = copy_model(saved, tmp_path)
    meta = json.loads((model_dir / GXIE_CONFIG_FILE).read_text(encoding="utf-8"))
    meta["labels"] = ["O", "B-NUM", "I-NUM"]
    (model_dir / GXIE_CONFIG_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError) as info:
        ModelTagger.from_pretrained(model_dir, device="cpu")
    message = str(info.value)
    assert "['O', 'B-NUM', 'I-NUM']" in message and str(list(TAGS)) in message


def test_other_labels_version_is_refused(saved: Path, tmp_path: Path) -> None:
    model_dir = copy_model(saved, tmp_path)
    meta = json.loads((model_dir / GXIE_CONFIG_FILE).read_text(encoding="utf-8"))
    meta["labels_version"] = "0"
    (model_dir / GXIE_CONFIG_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="labels version '0'"):
        ModelTagger.from_pretrained(model_dir, device="cpu")


def test_weights_of_another_model_are_refused(saved: Path, tmp_path: Path) -> None:
    model_dir = copy_model(saved, tmp_path)
    other = ModelTagger.from_config(num_layers=1, hidden=64, heads=2, intermediate=64, window=32, stride=24)
    other.save_pretrained(tmp_path / "other")
    shutil.copy(tmp_path / "other" / "model.safetensors", model_dir / "model.safetensors")
    with pytest.raises(ModelError, match=r"do not fit config\.json"):
        ModelTagger.from_pretrained(model_dir, device="cpu")


def test_devices() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ModelError, match="unknown device 'tpu'"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(ModelError, match="CUDA is not available"):
            resolve_device("cuda")


# -- the bundled default model ---------------------------------------------------------------------

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "default"


@pytest.fixture(scope="module")
def default_model() -> ModelTagger:
    if not (DEFAULT_MODEL / GXIE_CONFIG_FILE).is_file():
        pytest.skip(f"no bundled model at {DEFAULT_MODEL}: train it with training/configs/default.yaml")
    return ModelTagger.from_pretrained(DEFAULT_MODEL, device="cpu")


@pytest.mark.model
def test_default_model_is_small_safetensors_with_its_card(default_model: ModelTagger) -> None:
    assert sum(p.stat().st_size for p in DEFAULT_MODEL.iterdir()) < 25 * 2**20
    assert not default_model.quantized  # int8 changed some spans in our check, so CPU runs in float32
    assert (DEFAULT_MODEL / "README.md").is_file()
    assert default_model.metadata["metrics"]["test"]["micro"]["f1"] >= 0.98


@pytest.mark.model
def test_default_model_tags_a_real_report(default_model: ModelTagger, seeds_dir: Path) -> None:
    from gxie.text.normalize import normalize

    text = normalize((seeds_dir / "001_aef540c5387e68ec.txt").read_text(encoding="utf-8")).text
    spans = default_model.tag(text)
    found = {(s.label, s.text) for s in spans}
    assert ("SEC", "一、总体情况") in found
    assert ("ROW", "行政许可") in found and ("COL", "信息内容") in found
    assert sum(s.label == "NUM" for s in spans) >= 40
    assert all(text[s.start : s.end] == s.text and 0 < s.score <= 1 for s in spans)

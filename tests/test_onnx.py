"""The ONNX backend: same tags as torch, provider selection, lazy sessions, model directories anywhere."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gxie.errors import ModelError
from gxie.labels import TAGS, tags_to_spans
from gxie.tagging import onnx as onnx_backend
from gxie.tagging.base import Tagger
from gxie.tagging.decode import repair_iob2, spans_of_ids
from gxie.tagging.modeldir import INT8_FILE, ONNX_FILE
from gxie.tagging.onnx import CPU_BATCH, CPU_PROVIDER, CUDA_PROVIDER, GPU_BATCH, OnnxTagger, select_providers
from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "sample_report.txt"
PROSE = (
    "一、总体情况\n"
    + "本年度，我局认真贯彻落实《中华人民共和国政府信息公开条例》，持续推进政务公开标准化规范化建设。" * 4
    + "\n规章\t12\t无\n规范性文件\t3\t0\n"
    + "我局将继续加强政务公开工作，进一步提升公开质量，切实保障人民群众的知情权、参与权和监督权。" * 5
    + "\n"
)
TEXTS = [
    "一、总体情况\n本年度共收到申请12件。\n",
    "",
    "信息内容\t本年新制作数量\t本年新公开数量\n规章\t0\t0\n规范性文件\t3\t无\n" * 6,
    "x",
    "行政许可\t+7\t-4\t380479.6元\n" * 11,
    "ＡＢＣ　（一）予以公开\t１２\n",
]


def differing_tags(a: list[tuple[list[str], list[float]]], b: list[tuple[list[str], list[float]]]) -> int:
    """How many characters get another tag (the texts must be the same)."""
    assert [len(t) for t, _ in a] == [len(t) for t, _ in b]
    return sum(x != y for (ta, _), (tb, _) in zip(a, b, strict=True) for x, y in zip(ta, tb, strict=True))


# -- providers -------------------------------------------------------------------------------------


def test_provider_selection() -> None:
    cpu_only, with_cuda = [CPU_PROVIDER], [CUDA_PROVIDER, CPU_PROVIDER]
    assert select_providers("cpu", with_cuda) == [CPU_PROVIDER]
    assert select_providers("auto", cpu_only) == [CPU_PROVIDER]
    assert select_providers("auto", with_cuda) == [CUDA_PROVIDER, CPU_PROVIDER]
    assert select_providers("cuda", with_cuda) == [CUDA_PROVIDER, CPU_PROVIDER]
    assert select_providers("cuda:1", with_cuda) == [CUDA_PROVIDER, CPU_PROVIDER]
    with pytest.raises(ModelError, match=r"device 'cuda' was asked for.*onnxruntime-gpu"):
        select_providers("cuda", cpu_only)
    with pytest.raises(ModelError, match="unknown device 'tpu'"):
        select_providers("tpu", with_cuda)


def test_cuda_device_creates_a_cuda_session(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    created: list[list[str]] = []

    class FakeSession:
        def __init__(self, path: str, sess_options: object, providers: list[str]) -> None:
            created.append(providers)

        def get_inputs(self) -> list[object]:
            return [type("I", (), {"name": n})() for n in ("input_ids", "attention_mask")]

        def get_modelmeta(self) -> object:
            return type("M", (), {"custom_metadata_map": {}})()

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: [CUDA_PROVIDER, CPU_PROVIDER])
    monkeypatch.setattr(onnxruntime, "InferenceSession", FakeSession)
    tagger = OnnxTagger(ROOT / "models" / "default", device="cuda")
    assert tagger.providers == [CUDA_PROVIDER, CPU_PROVIDER]
    assert tagger.onnx_file.name == ONNX_FILE  # int8 is a CPU format: CUDA runs the float graph
    assert tagger.batch_size == GPU_BATCH  # windows share forward passes on the device
    assert tagger.session is not None and created == [[CUDA_PROVIDER, CPU_PROVIDER]]
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: [CPU_PROVIDER])
    with pytest.raises(ModelError, match="CUDAExecutionProvider"):
        OnnxTagger(ROOT / "models" / "default", device="cuda")


# -- the tagger ------------------------------------------------------------------------------------


def test_windows_per_forward_pass() -> None:
    # on the CPU one window per pass (fastest on one thread), unless asked; a bad number is refused
    assert OnnxTagger(ROOT / "models" / "default", device="cpu").batch_size == CPU_BATCH == 1
    assert OnnxTagger(ROOT / "models" / "default", device="cpu", batch_size=4).batch_size == 4
    with pytest.raises(ModelError, match="batch_size must be at least 1, got 0"):
        OnnxTagger(ROOT / "models" / "default", device="cpu", batch_size=0)


def test_a_texts_tags_do_not_depend_on_the_texts_tagged_with_it() -> None:
    # int8 scales each forward pass's activations by its own range: windows of other texts sharing a pass
    # changed a text's tags (batches of 8 did); one window per pass on the CPU, so a report reads the same
    # alone or in any chunk
    from gxie.training.synth import generate

    texts = [r.text for r in generate(4, 21, noise_levels=("clean", "heavy"))]
    tagger = OnnxTagger(ROOT / "models" / "default", device="cpu")
    alone = tagger.predict([texts[0]])[0]
    together = tagger.predict(texts)[0]
    assert alone[0] == together[0] and np.array_equal(np.asarray(alone[1]), np.asarray(together[1]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(TAGS) - 1), st.sampled_from(" 规1\t"), st.floats(0.05, 1.0)), max_size=40))
def test_spans_come_straight_from_the_tag_ids(chars: list[tuple[int, str, float]]) -> None:
    """``spans_of_ids`` (what ``tag_many`` returns) is ``tags_to_spans`` of the repaired tags ``predict``
    gives: an I- after O or another entity starts a span, blank spans are dropped, the score is the lowest
    probability in the span, to the float32 bit."""
    ids = np.array([k for k, _, _ in chars], dtype=np.int64)
    text = "".join(ch for _, ch, _ in chars)
    prob = np.array([p for _, _, p in chars], dtype=np.float32)
    want = tags_to_spans(text, repair_iob2([TAGS[k] for k in ids.tolist()]), prob.tolist())
    assert spans_of_ids(text, ids, prob) == want
    assert all(type(s.start) is int and type(s.score) is float for s in spans_of_ids(text, ids, prob))


def test_tag_many_gives_the_spans_of_predict() -> None:
    tagger = OnnxTagger(ROOT / "models" / "default")
    spans = tagger.tag_many(TEXTS)
    predicted = tagger.predict(TEXTS)
    assert spans == [tags_to_spans(t, tags, scores) for t, (tags, scores) in zip(TEXTS, predicted, strict=True)]
    assert any(s.label == "NUM" for s in spans[2]) and spans[1] == []


def test_session_is_created_on_first_use_and_not_pickled() -> None:
    tagger = OnnxTagger(ROOT / "models" / "default", device="cpu")
    assert isinstance(tagger, Tagger) and tagger._session is None
    assert tagger.predict(["", ""]) == [([], []), ([], [])] and tagger._session is None  # nothing to run
    spans = tagger.tag("规章\t12\t无\n" * 3)
    assert tagger._session is not None and spans
    clone = pickle.loads(pickle.dumps(tagger))
    assert clone._session is None and clone.tag("规章\t12\t无\n" * 3) == spans


def test_missing_or_bad_onnx_file_is_explained(tmp_path: Path) -> None:
    model = tmp_path / "m"
    shutil.copytree(ROOT / "models" / "default", model)
    (model / ONNX_FILE).unlink()
    with pytest.raises(ModelError, match=rf"lacks {ONNX_FILE}.*gxie export-onnx"):
        OnnxTagger(model)
    (model / ONNX_FILE).write_bytes(b"not a graph")
    with pytest.raises(ModelError, match="onnxruntime cannot load"):
        OnnxTagger(model, device="cpu", quantize=False).tag("规章\t12\n")
    (model / INT8_FILE).unlink()
    with pytest.raises(ModelError, match="quantize=False"):
        OnnxTagger(model, quantize=True, device="cpu")


def test_export_needs_the_onnx_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from gxie.tagging import onnx_export

    monkeypatch.setattr(onnx_export, "onnx_available", lambda: False)
    with pytest.raises(ModelError, match="pip install onnx"):
        onnx_export.export_onnx(ROOT / "models" / "default", tmp_path / "m.onnx")


def test_window_override_is_checked() -> None:
    with pytest.raises(ModelError, match="stride"):
        OnnxTagger(ROOT / "models" / "default", window=64, stride=128)
    with pytest.raises(ModelError, match="at most 512"):
        OnnxTagger(ROOT / "models" / "default", window=1024, device="cpu").tag("规章\t1\n" * 300)


# -- the cascade -----------------------------------------------------------------------------------


def test_cascade_skips_only_plain_prose() -> None:
    from gxie.tagging.cascade import is_prose, model_regions

    sentence = "本年度，我局认真贯彻落实《中华人民共和国政府信息公开条例》，持续推进政务公开标准化规范化建设。"
    assert is_prose(sentence * 2) and not is_prose(sentence[:40] + "。")
    kept = (
        "一、总体情况",
        "规章\t12\t无",
        "（一）主动公开情况。" + sentence,
        "| 规章 | 12 | 无 | " + sentence + " |",
        "本年度共收到申请12件" * 6,
    )
    for line in kept:
        assert not is_prose(line), line
    regions = model_regions(PROSE, context=8)
    first = PROSE.index("\n") + 1
    table = PROSE.index("规章")
    assert regions == [(0, first + 8), (table - 8, PROSE.index("我局将继续") + 8)]
    assert model_regions("", context=8) == [] and model_regions(PROSE, context=10**6) == [(0, len(PROSE))]
    with pytest.raises(ValueError, match="context"):
        model_regions(PROSE, context=-1)


def test_characters_outside_the_regions_are_tagged_o() -> None:
    tagger = OnnxTagger(ROOT / "models" / "default", device="cpu", cascade=True)
    ((tags, scores),) = tagger.predict([PROSE])
    from gxie.tagging.cascade import model_regions

    inside = {i for a, b in model_regions(PROSE) for i in range(a, b)}
    outside = [i for i in range(len(PROSE)) if i not in inside]
    assert outside and all(tags[i] == "O" and scores[i] == 1.0 for i in outside)
    assert any(t != "O" for t in tags)


# -- same tags as torch ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layers", "global_every", "local", "window", "stride"),
    # the last: every layer local, the torch windows overlapping by the model's reach on both sides (2 * 16)
    [(2, 2, 8, 32, 24), (3, 3, 16, 48, 40), (1, 1, 8, 40, 40), (2, 1, 64, 512, 384), (2, 0, 16, 48, 16)],
)
def test_random_models_tag_like_torch(
    tmp_path: Path, layers: int, global_every: int, local: int, window: int, stride: int
) -> None:
    """Small random models whose windows, blocks and padding fall everywhere: identical tags, close scores."""
    pytest.importorskip("torch")
    from gxie.tagging.model import ModelTagger

    torch_tagger = ModelTagger.from_config(
        num_layers=layers,
        hidden=32,
        heads=2,
        intermediate=48,
        local_attention=local,
        global_every=global_every,
        window=window,
        stride=stride,
        seed=layers,
        batch_size=3,
    )
    saved = torch_tagger.save_pretrained(tmp_path / "m")
    onnx_tagger = OnnxTagger(saved, device="cpu", batch_size=3, quantize=False, cascade=False)
    texts = [*TEXTS, "第二十条第（一）项\n" + "行政许可\t12\t无\n" * 40, PROSE]
    want, got = torch_tagger.predict(texts), onnx_tagger.predict(texts)
    assert differing_tags(want, got) == 0
    worst = max(abs(x - y) for (_, a), (_, b) in zip(want, got, strict=True) for x, y in zip(a, b, strict=True))
    assert worst < 1e-4
    assert onnx_tagger.tag_many(texts) == [onnx_tagger.tag(t) for t in texts]
    assert onnx_tagger.version == torch_tagger.version
    torch_tagger.cascade = onnx_tagger.cascade = True  # the cascade plans the same windows on both backends
    assert differing_tags(torch_tagger.predict(texts), onnx_tagger.predict(texts)) == 0


def test_a_model_with_only_local_attention_runs_in_long_windows_with_the_same_tags(tmp_path: Path) -> None:
    """Every layer local: each character sees at most layers * local/2 characters on either side, so
    inference runs in 2,048-character windows overlapping by twice that and tags exactly as the training
    windows (512, stride 384) do."""
    pytest.importorskip("torch")
    from gxie.tagging.model import ModelTagger
    from gxie.training.synth import generate

    torch_tagger = ModelTagger.from_config(
        num_layers=2, hidden=32, heads=2, intermediate=48, local_attention=64, global_every=0, seed=5, batch_size=4
    )
    saved = torch_tagger.save_pretrained(tmp_path / "m")
    onnx_tagger = OnnxTagger(saved, device="cpu", quantize=False, cascade=False)
    assert (torch_tagger.window, torch_tagger.stride) == (512, 384)
    assert (onnx_tagger.window, onnx_tagger.stride) == (2048, 2048 - 2 * 64)
    texts = [r.text for r in generate(3, 5)]  # 5,000-6,500 characters: several long windows each
    assert min(map(len, texts)) > 2 * 2048
    want, got = torch_tagger.predict(texts), onnx_tagger.predict(texts)
    assert differing_tags(want, got) == 0
    worst = max(abs(x - y) for (_, a), (_, b) in zip(want, got, strict=True) for x, y in zip(a, b, strict=True))
    assert worst < 1e-4


@pytest.mark.slow
def test_default_model_tags_like_torch_on_seeds_and_generated_reports(seeds_dir: Path) -> None:
    """fp32 ONNX vs torch on the five real reports and four generated ones: 0 characters tagged differently."""
    pytest.importorskip("torch")
    from gxie.tagging.model import ModelTagger
    from gxie.text.normalize import normalize
    from gxie.training.synth import generate

    raw = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    raw += [r.text for r in generate(4, 90_001, agency_pool="heldout")]
    texts = [normalize(t).text for t in raw]
    model = ROOT / "models" / "default"
    want = ModelTagger.from_pretrained(model, device="cpu", quantize=False).predict(texts)
    got = OnnxTagger(model, device="cpu", quantize=False, cascade=False).predict(texts)
    assert len(texts) == 9 and sum(map(len, texts)) > 20_000
    assert differing_tags(want, got) == 0


# -- any model directory, everywhere ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained here (seconds): a model directory that is not the bundled one."""
    pytest.importorskip("torch")
    from gxie.training.train import train
    from tests.test_training import tiny_config

    tmp = tmp_path_factory.mktemp("tiny")
    return train(tiny_config(tmp, **{"optim.max_steps": 6}), command="pytest").output_dir


def test_model_directory_through_the_api(tiny_model: Path) -> None:
    from gxie import extract
    from gxie.pipeline import get_tagger

    version = json.loads((tiny_model / "gxie_config.json").read_text(encoding="utf-8"))["model_version"]
    report = extract(SAMPLE, model=tiny_model)
    assert report.tagger == f"model:{version}" and report.versions["tagger"] == f"model:{version}"
    bundled = extract(SAMPLE)
    assert bundled.tagger != report.tagger and bundled.status == "ok"
    assert isinstance(get_tagger("model", "cpu", model=tiny_model), OnnxTagger)
    torch_report = extract(SAMPLE, model=str(tiny_model), backend="torch", device="cpu")
    fp32 = extract(SAMPLE, tagger=get_tagger("model", "cpu", model=tiny_model, quantize=False))
    assert torch_report.tagger == report.tagger and torch_report.to_flat() == fp32.to_flat()
    with pytest.raises(ValueError, match=r"pass model="):
        extract(SAMPLE, tagger=str(tiny_model))
    with pytest.raises(ValueError, match="rules tagger does not use"):
        extract(SAMPLE, tagger="rules", model=tiny_model)
    with pytest.raises(ModelError, match="unknown backend 'tf'"):
        extract(SAMPLE, model=tiny_model, backend="tf")


def test_model_directory_through_the_cli(tiny_model: Path, tmp_path: Path) -> None:
    version = json.loads((tiny_model / "gxie_config.json").read_text(encoding="utf-8"))["model_version"]
    cmd = [sys.executable, "-m", "gxie", "extract", str(SAMPLE), "--model", str(tiny_model), "-q"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode in (0, 1), done.stderr
    assert [r["tagger"] for r in json.loads(done.stdout)] == [f"model:{version}"]
    out = tmp_path / "out"
    done = subprocess.run([*cmd, "--backend", "torch", "-o", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["tagger"] for r in rows] == [f"model:{version}"]
    done = subprocess.run([*cmd, "--tagger", "rules"], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "do not go with --tagger rules" in " ".join(done.stderr.split())
    done = subprocess.run([*cmd[:5], "--model", str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert done.returncode == 1 and "does not exist" in done.stderr


def test_export_command_writes_the_graphs(tiny_model: Path, tmp_path: Path) -> None:
    from gxie.cli import main

    model = tmp_path / "m"
    shutil.copytree(tiny_model, model)
    for name in (ONNX_FILE, INT8_FILE):
        (model / name).unlink()
    assert main(["export-onnx", str(model)]) == 0
    assert (model / ONNX_FILE).is_file() and (model / INT8_FILE).is_file()
    assert OnnxTagger(model, device="cpu").predict(TEXTS) == OnnxTagger(tiny_model, device="cpu").predict(TEXTS)
    assert main(["export-onnx", str(tmp_path / "nowhere")]) == 1


def test_onnx_backend_module_imports_no_torch() -> None:
    code = (
        "import sys; import gxie.tagging.onnx, gxie.tagging.decode, gxie.tagging.loader, gxie.pipeline; "
        "print(sorted(m for m in ('torch', 'transformers', 'tokenizers', 'onnx') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
    assert onnx_backend.DEFAULT_THREADS == 1


def test_a_resumed_run_with_nothing_left_loads_nothing(tmp_path: Path) -> None:
    from gxie.batch.run import run_batch

    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SAMPLE, inputs / "a.txt")
    first = OnnxTagger(ROOT / "models" / "default", device="cpu", cascade=False)  # no rules first: the model runs
    assert run_batch([inputs], tmp_path / "out", tagger=first, progress=False, timeout=0).by_status == {"ok": 1}
    assert first._session is not None
    again = OnnxTagger(ROOT / "models" / "default", device="cpu")
    summary = run_batch([inputs], tmp_path / "out", tagger=again, workers=2, progress=False)
    assert summary.skipped == 1 and again._session is None  # no forward pass, no session, no worker pool

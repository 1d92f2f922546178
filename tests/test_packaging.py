"""A built wheel carries the formats and the bundled model, and finds them outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

MODEL_FILES = ("config.json", "model.safetensors", "model.onnx", "model.int8.onnx", "gxie_config.json", "README.md")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return next(out.glob("gxie-*.whl"))


@pytest.mark.slow
def test_wheel_contains_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in ("gxie/templates/template_2019.json", "gxie/templates/template_2021.json", "gxie/templates/aliases.json"):
        assert f in names
    for f in ("gxie/training/presets/quick.yaml", "gxie/training/presets/full.yaml"):  # gxie annotate retrain
        assert f in names
    for f in MODEL_FILES:
        assert f"gxie/bundled_models/default/{f}" in names, f"{f} missing from the wheel"
    assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in names), "no pickled weights may ship"


@pytest.mark.slow
@pytest.mark.model
def test_installed_package_finds_model_and_extracts(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    sample = ROOT / "examples" / "sample_report.txt"
    code = (
        "import gxie, sys; from gxie.pipeline import default_model_dir; "
        "assert str(default_model_dir()).startswith(sys.argv[1]), default_model_dir(); "
        "r = gxie.extract(sys.argv[2]); print(r.status, r.tagger, "
        "*sorted(m for m in ('torch', 'transformers', 'tokenizers', 'onnx') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", code, str(target), str(sample)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[0] == "ok" and run.stdout.split()[1].startswith("model:")
    assert run.stdout.split()[2:] == [], "the model tagger must run without torch, transformers, tokenizers, onnx"


def test_extract_with_the_model_imports_no_torch(tmp_path: Path) -> None:
    """``import gxie; gxie.extract(...)`` with the default (model) tagger: torch and transformers are not
    imported, and a run where importing them fails still works (what `pip install gxie` gives)."""
    sample = ROOT / "examples" / "sample_report.txt"
    code = (
        "import sys\n"
        "for name in ('torch', 'transformers', 'tokenizers'):\n"
        "    sys.modules[name] = None  # any import of them raises ImportError\n"
        "import gxie\n"
        "r = gxie.extract(sys.argv[1])\n"
        "print(r.status, r.tagger, *sorted(m for m, v in sys.modules.items() if v is not None and "
        "m.split('.')[0] in ('torch', 'transformers', 'tokenizers', 'onnx')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", code, str(sample)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    status, tagger, *heavy = run.stdout.split()
    assert status == "ok" and tagger.startswith("model:") and heavy == []


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "gxie").rglob("__init__.py")
        if "__pycache__" not in str(p)
    }
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"

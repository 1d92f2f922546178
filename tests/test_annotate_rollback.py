"""Promotion keeps the replaced model in <model>.rollback/<timestamp>/, and `gxie annotate rollback` restores it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gxie.annotate.rollback import ENTRY_FILE, entries, model_version, promote, rollback, rollback_dir
from gxie.cli import main
from gxie.errors import ConfigError


def fake_model(folder: Path, version: str) -> Path:
    """A directory that records a model version the way gxie_config.json does, and some weights."""
    folder.mkdir(parents=True)
    (folder / "gxie_config.json").write_text(json.dumps({"model_version": version}), encoding="utf-8")
    (folder / "model.safetensors").write_bytes(version.encode() * 10)
    return folder


def test_promotions_are_kept_and_rolled_back_one_by_one(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "models" / "current", "v1")
    assert promote(fake_model(tmp_path / "c2", "v2"), model, reason="better") is not None
    kept = promote(fake_model(tmp_path / "c3", "v3"), model)
    assert kept is not None and kept.version == "v2" and kept.path.parent == tmp_path / "models" / "current.rollback"
    assert model_version(model) == "v3" and (model / "model.safetensors").read_bytes() == b"v3" * 10
    assert not (tmp_path / "models" / "current.incoming").exists()
    assert [(e.version, e.reason, e.rolled_back) for e in entries(model)] == [
        ("v1", "better", False),
        ("v2", "replaced by v3", False),
    ]
    assert rollback(model).version == "v2"  # undo the last promotion
    assert model_version(model) == "v2" and not (model / ENTRY_FILE).exists()
    assert [(e.version, e.rolled_back) for e in entries(model)] == [("v1", False), ("v3", True)]
    assert rollback(model).version == "v1"  # and the one before (v3, set aside by a rollback, is skipped)
    assert model_version(model) == "v1"
    redo = next(e for e in entries(model) if e.version == "v3")
    assert rollback(model, to=redo.name).version == "v3"  # a rollback can itself be undone
    assert model_version(model) == "v3"
    assert sorted(e.version for e in entries(model)) == ["v1", "v2"]


def test_nothing_to_roll_back_and_unknown_entries_are_refused(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "m", "v1")
    with pytest.raises(ConfigError, match=r"nothing to roll back to: .*m\.rollback holds no model replaced"):
        rollback(model)
    promote(fake_model(tmp_path / "c", "v2"), model)
    with pytest.raises(ConfigError, match=r"no kept model called 'nope' in .*m\.rollback; kept: \d{8}T\d{12}"):
        rollback(model, to="nope")
    with pytest.raises(ConfigError, match=r"cannot promote .*absent: it is not a model directory"):
        promote(tmp_path / "absent", model)
    assert promote(fake_model(tmp_path / "c0", "v0"), tmp_path / "fresh") is None  # nothing to keep
    assert model_version(tmp_path / "fresh") == "v0" and not rollback_dir(tmp_path / "fresh").exists()


def test_cli_rollback_lists_and_restores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = fake_model(tmp_path / "m", "v1")
    promote(fake_model(tmp_path / "c", "v2"), model, reason="gate passed")
    assert main(["annotate", "rollback", str(model), "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0] == f"{model}: serving v2; 1 kept in {rollback_dir(model)}"
    assert listed[1].endswith("  v1: gate passed")
    assert main(["annotate", "rollback", str(model)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{model}: v2 -> v1 (restored from ") and f"v2 is kept in {rollback_dir(model)}" in out
    assert main(["annotate", "rollback", str(model)]) == 2
    assert "nothing to roll back to" in capsys.readouterr().err

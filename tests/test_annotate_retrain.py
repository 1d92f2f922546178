"""Retraining needs nothing from the repository: presets ship in the package; the card says what was done."""

from __future__ import annotations

import pytest

from gxie.annotate.retrain import PRESETS, preset_path
from gxie.errors import ConfigError
from gxie.training.card import render_card
from gxie.training.config import load_config


def test_presets_are_package_data_and_valid_configs() -> None:
    for name in PRESETS:
        path = preset_path(name)
        assert path.parent.name == "presets" and path.parent.parent.name == "training"
        cfg = load_config(path, {"init_from": "models/current", "output_dir": "out"})
        assert (cfg.data.n_dev, cfg.data.n_test, cfg.early_stopping_patience) == (0, 0, 0)  # the gate judges
    assert load_config(preset_path("quick")).optim.max_steps == 120  # bounded: minutes on 2 cores
    with pytest.raises(ConfigError, match="unknown preset 'fast'; use one of quick, full, or pass --config FILE"):
        preset_path("fast")


def test_the_card_says_fine_tuned_from_init_from() -> None:
    meta = {"model_version": "abc", "training": {"config": {"init_from": "models/current"}}}
    card = render_card(meta)
    assert "single characters, fine-tuned from `models/current` (its architecture, vocabulary and labels kept)." in card
    assert "from scratch" not in card
    scratch = render_card({"model_version": "abc", "training": {"config": {"init_from": None}}})
    assert "single characters, trained from scratch; no pretrained weights." in scratch

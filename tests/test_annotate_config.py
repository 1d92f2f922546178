"""The Label Studio labeling config: generated from gxie.labels, and the committed file is not stale."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from gxie.annotate.config import FROM_NAME, REPO_CONFIG, TASK_FIELDS, TO_NAME, labeling_config
from gxie.cli.annotate import add_arguments, run
from gxie.labels import ENTITY_DESCRIPTIONS, ENTITY_TYPES


def test_committed_config_is_up_to_date() -> None:
    assert REPO_CONFIG.read_text(encoding="utf-8") == labeling_config(), (
        "annotations/labeling_config.xml is stale: regenerate it with "
        "`gxie annotate config -o annotations/labeling_config.xml`"
    )


def test_config_has_one_label_per_entity_type_on_character_spans() -> None:
    root = ET.fromstring(labeling_config())
    labels = root.find(f"Labels[@name='{FROM_NAME}']")
    assert labels is not None and labels.get("toName") == TO_NAME
    assert [(e.get("value"), e.get("hint")) for e in labels] == [(e, ENTITY_DESCRIPTIONS[e]) for e in ENTITY_TYPES]
    text = root.find(f"Text[@name='{TO_NAME}']")
    assert text is not None
    assert (text.get("value"), text.get("granularity")) == ("$text", "symbol")
    style = root.find("Style")
    assert style is not None and "white-space: pre-wrap" in (style.text or "")
    used = {v[1:] for e in root.iter() for k, v in e.attrib.items() if k == "value" and v.startswith("$")}
    assert used == set(TASK_FIELDS)


def test_cli_writes_the_config(tmp_path: Path) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "config.xml"
    assert run(parser.parse_args(["config", "-o", str(out)])) == 0
    assert out.read_text(encoding="utf-8") == labeling_config()

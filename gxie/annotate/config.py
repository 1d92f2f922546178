"""The Label Studio labeling config, generated from the label inventory (gxie.labels).

Character-level spans (``granularity="symbol"``) over the original report text, shown with its
whitespace (``white-space: pre-wrap``: without it Label Studio collapses runs of spaces on screen and in
the region texts it saves). Above the text: what needs attention (failed checks, uncertain readings);
below it: the grid gxie rebuilt from the model's tags, so an annotator sees why a report was picked.

The file ``annotations/labeling_config.xml`` is this function's output; a test fails when it is stale.
Regenerate it with ``gxie annotate config -o annotations/labeling_config.xml``.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from gxie.labels import ENTITY_DESCRIPTIONS, ENTITY_TYPES, LABELS_VERSION

FROM_NAME = "label"  # the Labels control
TO_NAME = "text"  # the Text object holding the report
REPO_CONFIG = Path(__file__).resolve().parents[2] / "annotations" / "labeling_config.xml"
COLORS: dict[str, str] = {
    "SEC": "#d62728",
    "CAP": "#9467bd",
    "ROW": "#1f77b4",
    "COL": "#17becf",
    "NUM": "#2ca02c",
    "EMPTY": "#ff7f0e",
}
TASK_FIELDS: tuple[str, ...] = ("text", "source", "attention", "grid")  # the task data the config shows


def labeling_config() -> str:
    """The labeling config XML for gxie's labels (one ``<Label>`` per entity type, in inventory order)."""
    missing = [e for e in ENTITY_TYPES if e not in COLORS]
    if missing:
        raise ValueError(f"no colour for label(s) {', '.join(missing)}; add them to gxie.annotate.config.COLORS")
    labels = "\n".join(
        f"    <Label value={quoteattr(e)} background={quoteattr(COLORS[e])} hint={quoteattr(ENTITY_DESCRIPTIONS[e])}/>"
        for e in ENTITY_TYPES
    )
    return f"""<!-- Generated from gxie.labels (labels version {LABELS_VERSION}); do not edit -->
<View>
  <Style>.htx-text {{ white-space: pre-wrap; }}</Style>
  <Header value="$source"/>
  <Text name="attention" value="$attention" selectionEnabled="false"/>
  <Labels name="{FROM_NAME}" toName="{TO_NAME}" showInline="true">
{labels}
  </Labels>
  <Text name="{TO_NAME}" value="${TO_NAME}" granularity="symbol" saveTextResult="yes"/>
  <Header value="Grid rebuilt from the model's tags"/>
  <Text name="grid" value="$grid" selectionEnabled="false"/>
</View>
"""


def write_labeling_config(path: str | Path = REPO_CONFIG) -> Path:
    """Write :func:`labeling_config` to ``path`` (default ``annotations/labeling_config.xml``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(labeling_config(), encoding="utf-8")
    return path

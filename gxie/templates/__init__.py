"""The two official report formats (2019 and 2021) as versioned data, with label variants.

``template_2019.json`` / ``template_2021.json`` are the formats exactly as in the shared schema (ids
are the output contract); ``aliases.json`` holds the label variants seen in real reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from gxie.errors import TemplateError

TEMPLATE_IDS: tuple[str, ...] = ("2019", "2021")
TEMPLATES_VERSION = "1"
SECTION4_ROWS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation_direct", "未经复议直接起诉"),
    ("litigation_after_review", "复议后起诉"),
)
SECTION4_COLUMNS: tuple[tuple[str, str], ...] = (
    ("maintained", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)


@dataclass(frozen=True)
class ColumnDef:
    id: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowDef:
    id: str
    label: str
    parents: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Block:
    """One grid: a 第二十条 item of section 二, the section 三 table, or the section 四 table."""

    table: str  # "section2" | "section3" | "section4"
    item: str | None  # the 第二十条 item of a section 二 block: "一", "五", "六", "八", "九"
    caption: str | None
    rows: tuple[RowDef, ...]
    columns: tuple[ColumnDef, ...]  # value columns only (the "信息内容" label column is left out)

    def keys(self) -> list[str]:
        return [f"{self.table}.{r.id}.{c.id}" for r in self.rows for c in self.columns]


@dataclass(frozen=True)
class Template:
    id: str
    doc_no: str
    sections: tuple[tuple[str, str], ...]  # (id, official title)
    section2: tuple[Block, ...]
    section3: Block
    section4: Block

    @property
    def blocks(self) -> tuple[Block, ...]:
        return (*self.section2, self.section3, self.section4)

    def flat_keys(self) -> list[str]:
        """Every cell key of this format, in table order (the column order of flat outputs)."""
        return [key for block in self.blocks for key in block.keys()]  # noqa: SIM118 (Block.keys is a method)

    def outcome_rows(self) -> tuple[str, ...]:
        """The leaf outcome rows of section 三 that relation R3 adds up (granted ... the （六） row(s))."""
        ids = [r.id for r in self.section3.rows]
        return tuple(ids[ids.index("granted") : ids.index("total_processed")])


def _aliases() -> dict[str, Any]:
    text = resources.files("gxie.templates").joinpath("aliases.json").read_text(encoding="utf-8")
    return json.loads(text)


def _row(raw: dict[str, Any], aliases: dict[str, list[str]]) -> RowDef:
    return RowDef(raw["id"], raw["label"], tuple(raw.get("parent", ())), tuple(aliases.get(raw["id"], ())))


def _col(raw: dict[str, Any], aliases: dict[str, list[str]]) -> ColumnDef:
    return ColumnDef(raw["id"], raw["label"], tuple(aliases.get(raw["id"], ())))


@cache
def load_template(template_id: str) -> Template:
    """Load a format by id (``"2019"`` or ``"2021"``).

    >>> load_template("2021").section3.rows[0].id
    'new_received'
    """
    if template_id not in TEMPLATE_IDS:
        raise TemplateError(f"unknown template {template_id!r}; known templates are {', '.join(TEMPLATE_IDS)}")
    name = f"template_{template_id}.json"
    try:
        raw = json.loads(resources.files("gxie.templates").joinpath(name).read_text(encoding="utf-8"))
        al = _aliases()
        row_al, col_al, s2col_al = al["rows"], al["section3_columns"], al["section2_columns"]
        tables = raw["tables"]
        section2 = tuple(
            Block(
                "section2",
                b["caption"].split("（")[1].split("）")[0],
                b["caption"],
                tuple(_row(r, row_al) for r in b["rows"]),
                tuple(_col(c, s2col_al) for c in b["columns"] if c["id"] != "content"),
            )
            for b in tables["section2"]["blocks"]
        )
        s3 = tables["section3"]
        section3 = Block(
            "section3",
            None,
            s3["title"],
            tuple(_row(r, row_al) for r in s3["rows"]),
            tuple(_col(c, col_al) for c in s3["columns"]),
        )
        s4_al = al["section4_columns"]
        section4 = Block(
            "section4",
            None,
            tables["section4"]["title"],
            tuple(RowDef(i, label, (), tuple(row_al.get(i, ()))) for i, label in SECTION4_ROWS),
            tuple(ColumnDef(i, label, tuple(s4_al.get(i, ()))) for i, label in SECTION4_COLUMNS),
        )
        sections = tuple((s["id"], s["title"]) for s in raw["sections"])
        return Template(raw["template_id"], raw["notice"]["doc_no"], sections, section2, section3, section4)
    except (KeyError, IndexError, ValueError) as exc:
        raise TemplateError(f"template file {name} is malformed: {exc!r}") from exc


def all_flat_keys() -> list[str]:
    """The union of both formats' keys, 2019 order first (for tables mixing formats)."""
    keys: dict[str, None] = {}
    for tid in TEMPLATE_IDS:
        keys.update(dict.fromkeys(load_template(tid).flat_keys()))
    return list(keys)

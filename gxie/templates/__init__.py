"""The two official report formats (2019 and 2021) as versioned data, with label variants.

``template_2019.json`` / ``template_2021.json`` are the formats as in the shared schema (ids are the output
contract) plus what gxie evaluates: each relation R1, R2, R3, R5 as a ``check`` (which cells add up to
which, per column or row) and section 四 as a ``grid`` of blocks x columns. ``aliases.json`` holds the
label variants seen in real reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

from gxie.errors import TemplateError

TEMPLATE_IDS: tuple[str, ...] = ("2019", "2021")
TEMPLATES_VERSION = "1"
RELATION_TABLES: tuple[str, ...] = ("section3", "section4")  # the tables relations are written for
RELATION_AXES: tuple[str, ...] = ("column", "row")


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
        return list(self._keys)

    @cached_property
    def _keys(self) -> tuple[str, ...]:  # templates are loaded once; the keys are asked for per table read
        return tuple(f"{self.table}.{r.id}.{c.id}" for r in self.rows for c in self.columns)


@dataclass(frozen=True)
class Relation:
    """A relation as data: in ``table``, per column (``each="column"``) or per row, ``parts`` add up to ``whole``.

    >>> load_template("2021").relation("R1_column_identity").whole
    ('total_processed', 'carried_forward')
    """

    id: str  # e.g. "R1_column_identity", as in the shared schema
    table: str  # "section3" | "section4"
    each: str  # "column" | "row": one check per column or row of the table, scope "<scope> <its id>"
    scope: str  # the word naming one check's scope: "column", "row", "block"
    parts: tuple[str, ...]  # ids along the other axis
    whole: tuple[str, ...]
    only_read: bool = False  # True: a column or row none of whose cells was read gets no check

    @cache  # noqa: B019 (templates are loaded once and live as long as the process)
    def keys(self, scope_id: str) -> tuple[str, ...]:
        """The flat keys of the check for column or row ``scope_id``: parts first, then the whole."""
        if self.each == "column":
            return tuple(f"{self.table}.{i}.{scope_id}" for i in (*self.parts, *self.whole))
        return tuple(f"{self.table}.{scope_id}.{i}" for i in (*self.parts, *self.whole))


@dataclass(frozen=True)
class Template:
    id: str
    doc_no: str
    sections: tuple[tuple[str, str], ...]  # (id, official title)
    section2: tuple[Block, ...]
    section3: Block
    section4: Block
    relations: tuple[Relation, ...] = ()  # the relations gxie evaluates (R1, R2, R3, R5), in check order

    @property
    def blocks(self) -> tuple[Block, ...]:
        return (*self.section2, self.section3, self.section4)

    def flat_keys(self) -> list[str]:
        """Every cell key of this format, in table order (the column order of flat outputs)."""
        return [key for block in self.blocks for key in block.keys()]  # noqa: SIM118 (Block.keys is a method)

    def table_keys(self, table: str) -> list[str]:
        """Every cell key of one table (``"section2"``, ``"section3"`` or ``"section4"``), in table order."""
        return [key for block in self.blocks if block.table == table for key in block.keys()]  # noqa: SIM118

    def table(self, name: str) -> Block:
        """The grid of a table relations are written for: ``"section3"`` or ``"section4"``."""
        if name not in RELATION_TABLES:
            raise TemplateError(f"no single grid for table {name!r}; relations are written for {RELATION_TABLES}")
        return self.section3 if name == "section3" else self.section4

    def relation(self, relation_id: str) -> Relation:
        """The relation with id ``relation_id`` (e.g. ``"R2_total_column"``)."""
        for r in self.relations:
            if r.id == relation_id:
                return r
        known = ", ".join(r.id for r in self.relations)
        raise TemplateError(f"format {self.id} has no relation {relation_id!r}; it has {known}")

    def row_relation(self, table: str) -> Relation | None:
        """The relation checked along each row of ``table`` (R2 for section 三), or None when it has none."""
        return next((r for r in self.relations if r.table == table and r.each == "row"), None)

    def outcome_rows(self) -> tuple[str, ...]:
        """The leaf outcome rows of section 三 that relation R3 adds up (granted ... the （六） row(s))."""
        return self.relation("R3_outcome_total").parts


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
        s4 = tables["section4"]
        section4 = Block(
            "section4",
            None,
            s4["title"],
            tuple(_row(r, row_al) for r in s4["grid"]["rows"]),
            tuple(_col(c, al["section4_columns"]) for c in s4["grid"]["columns"]),
        )
        sections = tuple((s["id"], s["title"]) for s in raw["sections"])
        relations = tuple(_relation(r["id"], r["check"]) for r in raw["arithmetic_relations"] if "check" in r)
        template = Template(
            raw["template_id"], raw["notice"]["doc_no"], sections, section2, section3, section4, relations
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise TemplateError(f"template file {name} is malformed: {exc!r}") from exc
    _check_relations(template, name)
    return template


def _relation(rid: str, raw: dict[str, Any]) -> Relation:
    return Relation(
        rid,
        raw["table"],
        raw["each"],
        raw["scope"],
        tuple(raw["parts"]),
        tuple(raw["whole"]),
        bool(raw.get("only_read", False)),
    )


def _check_relations(t: Template, name: str) -> None:
    """Every relation names a table with a grid, an axis, and ids that exist along the other axis."""
    for r in t.relations:
        if r.table not in RELATION_TABLES or r.each not in RELATION_AXES:
            raise TemplateError(
                f"template file {name}: relation {r.id} has table {r.table!r} and each {r.each!r}; "
                f"allowed are tables {', '.join(RELATION_TABLES)} and each {', '.join(RELATION_AXES)}"
            )
        block = t.table(r.table)
        other = block.rows if r.each == "column" else block.columns
        ids = {x.id for x in other}
        unknown = [i for i in (*r.parts, *r.whole) if i not in ids]
        if unknown or not r.parts or not r.whole:
            raise TemplateError(
                f"template file {name}: relation {r.id} adds up {list(r.parts)} to {list(r.whole)}; "
                f"both must be non-empty and name {'rows' if r.each == 'column' else 'columns'} of {r.table} "
                f'(unknown: {", ".join(unknown) or "none"}); fix its "check" entry'
            )


def all_flat_keys() -> list[str]:
    """The union of both formats' keys, 2019 order first (for tables mixing formats)."""
    keys: dict[str, None] = {}
    for tid in TEMPLATE_IDS:
        keys.update(dict.fromkeys(load_template(tid).flat_keys()))
    return list(keys)

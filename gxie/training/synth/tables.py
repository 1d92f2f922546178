"""The three report tables as grids of labelled cells, before any layout renders them.

A :class:`Grid` is a list of rows of equal width; a cell covered by a merged neighbour (or padding a
short row) is ``merged``. Label wording varies the way real reports do: "1、" for "1.", half-width
brackets, explanations inside labels, 社会组织, 规范性文件 / 行政规范性文件, extra local rows
(其他主动公开文件, ROW-labelled but not in the gold grid), split labels, rare typos.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace

from gxie.templates import Block, RowDef, Template
from gxie.training.synth.noise import LOOKALIKES
from gxie.training.synth.values import Value, Written

HEADER_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
EMPTY_MARKERS: tuple[str, ...] = ("无", "—", "-", "/", "／", "——")
ZERO_MODES: tuple[str, ...] = ("zero", "blank", "nbsp", "marker", "mixed")

_ROW_NOTES: dict[str, tuple[str, ...]] = {
    "regulations": ("（仅设区的市级以上人民政府填报）", "（本机关制定的规章）"),
    "normative_documents": ("（以本机关名义印发的规范性文件）", "（含本年度新制发和修订的文件）"),
    "other_admin_services": ("（行政许可以外的对外管理服务事项）", "（含行政确认、行政给付、行政奖励等）"),
    "procurement": ("（以政府集中采购方式采购的项目）",),
}
_COL_NOTES: dict[str, tuple[str, ...]] = {
    "prev_year_items": ("（截至上年末的事项数）", "（{prev}年底事项数）"),
    "change": ("（减少的以负数表示）", "（{year}年新增或减少的事项数）"),
    "decisions": ("（{year}年办件量）", "（本年度办理件数）"),
    "items": ("（以集中采购方式采购的项目个数）",),
    "total_amount": ("（已支付金额）", "（单位：元）"),
}
_EXTRA_ROWS: dict[str, tuple[str, ...]] = {
    "一": ("其他主动公开文件", "其他主动公开文件（本机关正式印发的其他公开文件）"),
    "五": ("其他对外管理服务事项",),
    "六": ("行政检查", "行政征收"),
}


@dataclass(frozen=True)
class TCell:
    """One table cell: printed ``text``, its entity label (None: O), and for grid values the flat key
    and gold value. ``merged``: covered by a merged cell or padding (no cell of its own)."""

    text: str = ""
    label: str | None = None
    key: str | None = None
    value: Value | None = None
    merged: bool = False
    level: int = 0


MERGED = TCell(merged=True)


@dataclass
class Grid:
    """A table: ``header_rows`` leading header rows, ``label_cols`` leading label columns."""

    table: str
    rows: list[list[TCell]]
    header_rows: int
    label_cols: int
    breaks: tuple[int, ...] = field(default=())

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


@dataclass(frozen=True)
class Style:
    """How one report writes labels and empty cells."""

    digit_mark: str  # "." in the template; "、", "．", ". " in reports
    half_parens: bool  # (一) instead of （一）
    paren_space: bool  # "(一) 予以公开"
    note_parens_half: bool
    explain: bool  # explanations inside section 二 labels
    short_partial: bool  # （二）部分公开 without its explanation
    quotes: str  # the quotes around 三安全一稳定
    typo_rate: float
    split_top: bool  # "一、" | "本年新收政府信息公开申请数量" as two cells
    social_org: bool  # 社会组织 for 社会公益组织
    total_in_top_row: bool
    note_in_table: bool
    groups_own_row: bool
    s4_transposed: bool
    zeros: str
    marker: str
    pad_rate: float  # share of value cells printed with a space or NBSP beside the number
    year: int


def draw_style(rng: random.Random, year: int) -> Style:
    """Draw the label and empty-cell conventions of one report."""
    zeros = rng.choices(ZERO_MODES, (70, 8, 6, 7, 9))[0]
    return Style(
        digit_mark=rng.choices((".", "、", "．", ". "), (60, 20, 8, 12))[0],
        half_parens=rng.random() < 0.35,
        paren_space=rng.random() < 0.3,
        note_parens_half=rng.random() < 0.3,
        explain=rng.random() < 0.2,
        short_partial=rng.random() < 0.15,
        quotes=rng.choices(("“”", '""', "「」", ""), (80, 10, 4, 6))[0],
        typo_rate=rng.choice((0.0, 0.0, 0.0, 0.02, 0.06)),
        split_top=rng.random() < 0.15,
        social_org=rng.random() < 0.2,
        total_in_top_row=rng.random() < 0.6,
        note_in_table=rng.random() < 0.85,
        groups_own_row=rng.random() < 0.15,
        s4_transposed=rng.random() < 0.12,
        zeros=zeros,
        marker=rng.choice(EMPTY_MARKERS),
        pad_rate=rng.choice((0.0, 0.0, 0.0, 0.1, 0.4)),
        year=year,
    )


def _typo(text: str, rng: random.Random, rate: float) -> str:
    if rate and rng.random() < rate:
        spots = [i for i, c in enumerate(text) if c in LOOKALIKES]
        if spots:
            i = rng.choice(spots)
            return text[:i] + LOOKALIKES[text[i]] + text[i + 1 :]
    return text


def label_text(label: str, style: Style, rng: random.Random) -> str:
    """A template label as this report writes it."""
    t = re.sub(r"^(\d)\.", lambda m: m.group(1) + style.digit_mark, label)
    if style.short_partial:
        t = t.replace("（区分处理的，只计这一情形，不计其他情形）", "")
    if style.note_parens_half:
        t = re.sub(r"（([^（）]{4,})）", r"(\1)", t)
        t = t.replace("，", ", " if style.paren_space else ",")
    m = re.match(r"^（([一二三四五六七])）", t)
    if m and style.half_parens:
        t = f"({m.group(1)}){' ' if style.paren_space else ''}" + t[m.end() :]
    t = t.replace("“三安全一稳定”", f"{style.quotes[:1]}三安全一稳定{style.quotes[1:]}")
    return _typo(t, rng, style.typo_rate)


def value_cell(key: str | None, w: Written, style: Style, rng: random.Random) -> TCell:
    """A value cell: the number, or for a zero a blank / NBSP / empty marker per the report's style."""
    mode = style.zeros
    if mode == "mixed":
        mode = "blank" if rng.random() < 0.35 else "zero"
    if w.value == 0 and mode != "zero":
        if mode == "marker":
            return TCell(style.marker, "EMPTY", key)
        return TCell("\xa0" if mode == "nbsp" else "", None, key)
    text = w.text
    if style.pad_rate and rng.random() < style.pad_rate:
        pad = rng.choice((" ", "\xa0"))
        text = pad + text if rng.random() < 0.5 else text + pad
    return TCell(text, "NUM", key, w.value)


def _s2_col_label(block: Block, cid: str, label: str, style: Style, rng: random.Random) -> str:
    if cid == "change" and rng.random() < 0.2:
        label = "本年增减"
    elif cid == "amount_10k_yuan" and rng.random() < 0.3:
        label = "本年收费金额(单位:万元)" if style.note_parens_half else "本年收费金额（万元）"
    if style.explain and cid in _COL_NOTES:
        note = rng.choice(_COL_NOTES[cid]).format(year=style.year, prev=style.year - 1)
        label += (" " if rng.random() < 0.4 else "") + note
    return _typo(label, rng, style.typo_rate)


def _s2_row_label(row: RowDef, template: Template, style: Style, rng: random.Random) -> str:
    label = row.label
    if row.id == "normative_documents" and rng.random() < 0.2:
        label = "行政规范性文件" if template.id == "2019" else "规范性文件"
    if style.explain and row.id in _ROW_NOTES:
        label += rng.choice(_ROW_NOTES[row.id])
    return _typo(label, rng, style.typo_rate)


def section2_grid(template: Template, values: dict[str, Written], style: Style, rng: random.Random) -> Grid:
    """Section 二: one grid holding every 第二十条 block (caption row, header row, body rows)."""
    width = 1 + max(len(b.columns) for b in template.section2)
    rows: list[list[TCell]] = []
    captions = rng.random() < 0.9
    half = rng.random() < 0.3

    def pad(cells: list[TCell]) -> list[TCell]:
        return cells + [MERGED] * (width - len(cells))

    for block in template.section2:
        if captions:
            cap = block.caption or ""
            if half:
                cap = cap.replace("（", "(").replace("）", ")")
            rows.append(pad([TCell(cap, "CAP")]))
        cols = [_s2_col_label(block, c.id, c.label, style, rng) for c in block.columns]
        rows.append(pad([TCell("信息内容", "COL"), *(TCell(c, "COL") for c in cols)]))
        for row in block.rows:
            label = TCell(_s2_row_label(row, template, style, rng), "ROW")
            cells = [value_cell(f"section2.{row.id}.{c.id}", values[f"section2.{row.id}.{c.id}"], style, rng)
                     for c in block.columns]  # fmt: skip
            rows.append(pad([label, *cells]))
        extra = _EXTRA_ROWS.get(block.item or "", ())
        if extra and (template.id == "2019") == (block.item == "一") and rng.random() < 0.12:
            cells = [value_cell(None, Written(v, str(v)), style, rng)
                     for v in (rng.choice((0, 0, rng.randint(1, 40))) for _ in block.columns)]  # fmt: skip
            rows.append(pad([TCell(_typo(rng.choice(extra), rng, style.typo_rate), "ROW"), *cells]))
    return Grid("section2", rows, 0, 1)


def _s3_header(template: Template, style: Style) -> list[list[TCell]]:
    cols = template.section3.columns
    names = ["社会组织" if c.id == "social_welfare" and style.social_org else c.label for c in cols]
    note = HEADER_NOTE.replace("（", "(").replace("）", ")") if style.note_parens_half else HEADER_NOTE
    first = TCell(note, "CAP") if style.note_in_table else MERGED
    total = TCell("总计", "COL")
    r0 = [first, MERGED, MERGED, TCell("申请人情况", "COL"), *[MERGED] * 5]
    r0.append(total if style.total_in_top_row else MERGED)
    r1 = [MERGED] * 3 + [TCell(names[0], "COL"), TCell("法人或其他组织", "COL"), *[MERGED] * 4]
    r1.append(MERGED if style.total_in_top_row else total)
    r2 = [MERGED] * 4 + [TCell(n, "COL") for n in names[1:6]] + [MERGED]
    return [r0, r1, r2]


def section3_grid(template: Template, values: dict[str, Written], style: Style, rng: random.Random) -> Grid:
    """Section 三: three header rows (申请人情况 / 法人或其他组织 / ...) and one row per template row."""
    rows = _s3_header(template, style)
    seen: set[str] = set()
    cols = [c.id for c in template.section3.columns]
    for row in template.section3.rows:
        slots = [MERGED, MERGED, MERGED]
        for depth, parent in enumerate(row.parents):
            if parent not in seen:
                seen.add(parent)
                group = TCell(label_text(parent, style, rng), "ROW", level=depth)
                if style.groups_own_row:
                    rows.append([*([MERGED] * depth), group, *([MERGED] * (9 - depth))])
                else:
                    slots[depth] = group
        text = label_text(row.label, style, rng)
        level = len(row.parents)
        m = re.match(r"^([一二三四]、)(.+)$", text)
        if level == 0 and m and style.split_top:
            slots[0], slots[1] = TCell(m.group(1), "ROW"), TCell(m.group(2), "ROW")
        else:
            slots[level] = TCell(text, "ROW", level=level)
        cells = [value_cell(f"section3.{row.id}.{c}", values[f"section3.{row.id}.{c}"], style, rng) for c in cols]
        rows.append(slots + cells)
    return Grid("section3", rows, 3, 3)


def section4_grid(template: Template, values: dict[str, Written], style: Style, rng: random.Random) -> Grid:
    """Section 四: the 15-cell row under three header rows, or (``s4_transposed``) three labelled rows."""
    blocks, columns = template.section4.rows, template.section4.columns
    col_labels = [c.label for c in columns]
    if style.s4_transposed:
        rows = [[TCell("", None), *(TCell(c, "COL") for c in col_labels)]]
        for block in blocks:
            cells = [value_cell(f"section4.{block.id}.{c.id}", values[f"section4.{block.id}.{c.id}"], style, rng)
                     for c in columns]  # fmt: skip
            rows.append([TCell(block.label, "ROW"), *cells])
        return Grid("section4", rows, 1, 1)
    sub = [TCell(c, "COL") for c in col_labels]
    r0 = [TCell("行政复议", "COL"), *[MERGED] * 4, TCell("行政诉讼", "COL"), *[MERGED] * 9]
    r1 = [*sub, TCell("未经复议直接起诉", "COL"), *[MERGED] * 4, TCell("复议后起诉", "COL"), *[MERGED] * 4]
    r2 = [*[MERGED] * 5, *sub, *sub]
    cells = [value_cell(f"section4.{b.id}.{c.id}", values[f"section4.{b.id}.{c.id}"], style, rng)
             for b in blocks for c in columns]  # fmt: skip
    return Grid("section4", [r0, r1, r2, cells], 3, 0)


def truncate(grid: Grid, rng: random.Random) -> Grid:
    """Cut a grid in the middle of its body (the report stops or moves on there)."""
    body = len(grid.rows) - grid.header_rows
    cut_row = grid.header_rows + (rng.randint(1, body - 1) if body > 1 else 0)
    keep = rng.randint(0, grid.width - 1)
    rows = [*grid.rows[:cut_row], grid.rows[cut_row][:keep]]
    return replace(grid, rows=rows, breaks=tuple(b for b in grid.breaks if b < cut_row))

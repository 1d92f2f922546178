"""Which format a report's tables follow, decided from the tables themselves (never from the year alone)."""

from __future__ import annotations

from gxie.confidence import FORMAT_BY_YEAR, HEADER_MATCH
from gxie.grid.rows import RowHit, next_boundary, values_between
from gxie.templates.lexicon import best_label
from gxie.text.cells import Item

# Evidence for each format: row ids and column ids that exist in one format only.
ROWS_2019 = {"other_admin_services", "procurement"}
ROWS_2021 = {"other_no_correction", "other_fee_unpaid", "other_other"}
COLS_2019 = {
    "new_made",
    "new_published",
    "total_published",
    "prev_year_items",
    "change",
    "items",
    "total_amount",
}
COLS_2021 = {"issued", "repealed", "in_force", "amount_10k_yuan"}
WIDTH_2019_ADMIN = 3  # cells of 其他对外管理服务事项 in the 2019 format (the 2021 format has no such row)
LOCAL_ROW = 0.5  # evidence of a 2019-only row printed without its 2019 cells
STRONG_EVIDENCE = 2.0  # table evidence from which the report's year does not weigh in
YEAR_WEIGHT = 0.75  # the report year's weight where the tables say little: below one column header
# Header words of section 二's columns found in one format only (their full wording, so that a label
# wrapped in a narrow cell, 本年处理决 / 定数量, is no evidence)
HEADER_WORDS = {
    "2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量", "采购总金额"),
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"),
}
# Number of value columns of section 二 rows in each format (3 vs 1 for 行政许可 …).
WIDTH = {
    "2019": {"licensing": 3, "punishment": 3, "coercion": 3, "fees": 2},
    "2021": {"licensing": 1, "punishment": 1, "coercion": 1, "fees": 1},
}


def detect_template(stream: list[Item], hits: list[RowHit], year: int | None) -> tuple[str, float, list[str]]:
    """(template id, confidence, evidence) for the tables in ``stream``."""
    score = {"2019": 0.0, "2021": 0.0}
    evidence: list[str] = []
    for h in hits:
        if h.kind != "row":
            continue
        if h.row == "other_admin_services":
            # kept by many 2021 reports as a local row: the 2019 format's only where it holds its 3 cells
            vals = values_between(stream, h.index + 1, next_boundary(stream, h.index))
            full = len([v for v in vals if v.kind != "BLANK"]) == WIDTH_2019_ADMIN
            score["2019"] += 2 if full else LOCAL_ROW
            evidence.append(f"row {h.row}" + ("" if full else " (as a local row)"))
        elif h.row in ROWS_2019:
            score["2019"] += 2
            evidence.append(f"row {h.row}")
        elif h.row in ROWS_2021:
            score["2021"] += 2
            evidence.append(f"row {h.row}")
        elif h.row == "other":
            n = len(
                [v for v in values_between(stream, h.index + 1, next_boundary(stream, h.index)) if v.kind != "BLANK"]
            )
            if n:
                score["2019"] += 0.5  # （六）其他处理 printed as one row: 2019, or a 2021 report that merged it
        for tid, widths in WIDTH.items():
            if h.row in widths:
                vals = values_between(stream, h.index + 1, next_boundary(stream, h.index))
                if len([v for v in vals if v.kind != "BLANK"]) == widths[h.row]:
                    score[tid] += 1
    seen: set[str] = set()
    for it in stream:
        # a header line whose cells the tagger did not split (cells joined by one space) still names its
        # columns: each format's own header words count once each
        named = [(tid, w) for tid, words in HEADER_WORDS.items() for w in words if w in it.text]
        for tid, w in named:
            if w not in seen:
                seen.add(w)
                score[tid] += 1
                evidence.append(f"header {w}")
        if it.kind != "COL" or named:
            continue
        m = best_label(it.text, ("col",), threshold=HEADER_MATCH)
        if m is None or m.entry.table != "section2":
            continue
        if m.entry.id in COLS_2019:
            score["2019"] += 1
            evidence.append(f"column {m.entry.id}")
        elif m.entry.id in COLS_2021:
            score["2021"] += 1
            evidence.append(f"column {m.entry.id}")
        elif m.entry.id == "decisions" and "本年" in it.text:
            score["2021"] += 1
    if year is not None and sum(score.values()) < STRONG_EVIDENCE:
        # little evidence in the tables: the format in force for the report's year weighs in, no more
        # than one header would (2019 format for reports up to 2020, the 2021 format from 2021 on)
        score["2021" if year >= 2021 else "2019"] += YEAR_WEIGHT
        evidence.append(f"little table evidence; report year {year} weighs in")
    if score["2019"] == score["2021"]:
        tid = "2021" if (year or 0) >= 2021 else "2019"
        return tid, FORMAT_BY_YEAR, [*evidence, f"no table evidence either way; chose by report year {year}"]
    tid = max(score, key=lambda k: score[k])
    total = score["2019"] + score["2021"]
    return tid, round(score[tid] / total, 3), evidence

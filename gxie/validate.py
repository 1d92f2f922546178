"""The arithmetic relations (勾稽关系) R1, R2, R3, R5 evaluated on the cells that were read.

A blank cell that is present in the table counts as 0; a check that needs a cell that was not read at
all is recorded as not evaluable (``passed=None``), never as failed.
"""

from __future__ import annotations

from collections.abc import Mapping

from gxie.templates import Template
from gxie.types import Cell, Check, Number

R1, R2, R3, R5 = "R1_column_identity", "R2_total_column", "R3_outcome_total", "R5_section4_totals"
RULES: tuple[str, ...] = (R1, R2, R3, R5)
TOLERANCE = 1e-6


def _check(rule: str, scope: str, cells: Mapping[str, Cell], parts: list[str], whole: list[str]) -> Check:
    keys = tuple(parts + whole)
    if any(k not in cells for k in keys):
        return Check(rule, scope, keys, None, None, None)

    def total(ks: list[str]) -> Number:
        s = sum((cells[k].value or 0) for k in ks)
        return round(s, 6) if isinstance(s, float) else s

    expected, found = total(parts), total(whole)
    return Check(rule, scope, keys, expected, found, abs(expected - found) <= TOLERANCE)


def run_checks(template: Template, cells: Mapping[str, Cell]) -> list[Check]:
    """Every relation of ``template`` on ``cells`` (keyed by flat key)."""
    s3 = template.section3
    cols = [c.id for c in s3.columns]
    applicant = cols[:-1]
    out: list[Check] = []
    for c in cols:
        out.append(
            _check(
                R1,
                f"column {c}",
                cells,
                [f"section3.new_received.{c}", f"section3.carried_over.{c}"],
                [f"section3.total_processed.{c}", f"section3.carried_forward.{c}"],
            )
        )
    for r in s3.rows:
        if any(f"section3.{r.id}.{c}" in cells for c in cols):
            out.append(
                _check(
                    R2, f"row {r.id}", cells, [f"section3.{r.id}.{c}" for c in applicant], [f"section3.{r.id}.total"]
                )
            )
    outcomes = template.outcome_rows()
    for c in cols:
        out.append(
            _check(R3, f"column {c}", cells, [f"section3.{r}.{c}" for r in outcomes], [f"section3.total_processed.{c}"])
        )
    for b in template.section4.rows:
        parts = [f"section4.{b.id}.{c}" for c in ("maintained", "corrected", "other", "pending")]
        out.append(_check(R5, f"block {b.id}", cells, parts, [f"section4.{b.id}.total"]))
    return out

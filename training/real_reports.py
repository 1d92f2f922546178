"""The real reports of ``../shared/real`` (saved web pages with hand-made gold), read at run time.

Their text never enters the repository: scripts and tests read it from the shared folder beside the
checkout (or ``$GXIE_REAL``). ``gold_flat`` turns a ``<id>.gold.json`` into the flat ``{key: value}`` form
that ``Report.to_flat()`` gives, so a report can be scored key by key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REAL_DIR = Path(os.environ.get("GXIE_REAL", REPO.parent / "shared" / "real"))
SECTION4_COLUMNS = ("maintained", "corrected", "other", "pending", "total")


@dataclass(frozen=True)
class RealReport:
    """One real report: its id, the saved page's path, its format and its gold grid (flat keys)."""

    id: str
    path: Path
    template: str
    flat: dict[str, Any]


def gold_flat(gold: dict[str, Any]) -> dict[str, Any]:
    """The gold grid as ``{flat key: value}`` (amounts ``{"value", "unit"}`` give their value in the
    column's unit, as the output contract has it).

    >>> gold_flat({"section2": {"fees": {"amount_10k_yuan": {"value": 1.5, "unit": "万元"}}},
    ...            "section3": {"columns": ["total"], "rows": {"granted": [2]}},
    ...            "section4": {"review": [1, 0, 0, 0, 1]}})["section4.review.total"]
    1
    """
    flat: dict[str, Any] = {}
    for row, cols in gold["section2"].items():
        for col, value in cols.items():
            flat[f"section2.{row}.{col}"] = _amount(value, col)
    s3 = gold["section3"]
    for row, values in s3["rows"].items():
        for col, value in zip(s3["columns"], values, strict=True):
            flat[f"section3.{row}.{col}"] = value
    for block in ("review", "litigation_direct", "litigation_after_review"):
        for col, value in zip(SECTION4_COLUMNS, gold["section4"][block], strict=True):
            flat[f"section4.{block}.{col}"] = value
    return flat


def _amount(value: Any, col: str) -> Any:
    if not isinstance(value, dict):
        return value
    amount, unit = value["value"], value.get("unit")
    if col == "total_amount" and unit == "万元":
        amount = amount * 10000
    elif col == "amount_10k_yuan" and unit == "元":
        amount = amount / 10000
    if isinstance(amount, float) and amount.is_integer():
        return int(amount)
    return amount


def real_reports(real_dir: Path = REAL_DIR) -> list[RealReport]:
    """Every ``<id>.html`` of ``real_dir`` that has a ``<id>.gold.json``, in id order; [] when absent."""
    out = []
    for gold_path in sorted(real_dir.glob("*.gold.json")):
        rid = gold_path.name.removesuffix(".gold.json")
        page = real_dir / f"{rid}.html"
        if page.is_file():
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
            out.append(RealReport(rid, page, gold["template"], gold_flat(gold)))
    return out

"""The hand-checked gold files are well-formed and agree with themselves and with their fixture texts.

Gold files: ``tests/gold/*.json`` (the five seed reports, texts in ../shared/seeds) and
``tests/variants/*.json`` (hand-written layout variants, texts beside them). The format is described in
``tests/variants/README.md``. The arithmetic relations are re-evaluated here on the gold numbers, so a
listed failed check must really fail and every other evaluable check must hold.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gxie.templates import TEMPLATE_IDS, Template, load_template
from gxie.types import STATUSES
from tests.conftest import GOLD as GOLD_DIR
from tests.conftest import VARIANTS as VARIANTS_DIR
from tests.conftest import require_seeds

REQUIRED = ("file", "template", "status", "agency", "year", "date_issued", "flat", "failed_checks", "notes")
VARIANT_REQUIRED = ("variant", "description", "consistent")
OPTIONAL = ("absent", "extra")
R1_ROWS = ("new_received", "carried_over", "total_processed", "carried_forward")
RULE_SCOPES = {
    "R1_column_identity": "column",
    "R2_total_column": "row",
    "R3_outcome_total": "column",
    "R5_section4_totals": "block",
}
# Rows some reports add to the 第二十条 tables that no template has; their numbers are not gold values.
LOCAL_EXTRA_ROWS = ("其他主动公开文件",)
# One table cell holding a number (sign, decimals and a unit allowed) or several numbers split by spaces.
NUMBER_CELL = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*(万元|万|元|萬元|萬)?")
NUMBER_RUN = re.compile(r"\d+(?: \d+)+")
CELL_SEPARATORS = re.compile(r"[\t|\n\u3000]| {2,}")

GOLD_FILES = sorted(GOLD_DIR.glob("*.json"))
VARIANT_FILES = sorted(VARIANTS_DIR.glob("*.json"))
ALL_FILES = GOLD_FILES + VARIANT_FILES


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _covered(key: str, absent: list[str]) -> bool:
    """True when ``key`` is inside one of the absent prefixes (a table, a row or a single cell)."""
    return any(key == p or key.startswith(p + ".") for p in absent)


def evaluate_checks(template: Template, flat: dict[str, Any], absent: list[str]) -> list[tuple[str, str]]:
    """Failed (rule, scope) pairs of R1/R2/R3/R5 on gold numbers.

    A null cell counts as 0 (a blank cell in the table); a check needing an absent cell is not evaluable.
    """

    def value(key: str) -> float | None:
        return None if _covered(key, absent) else (flat[key] or 0)

    def fails(needed: list[str], check: Any) -> bool:
        values = [value(k) for k in needed]
        return None not in values and not check(values)

    rows = [r.id for r in template.section3.rows]
    cols = [c.id for c in template.section3.columns]
    leaves = list(template.outcome_rows())
    failed: list[tuple[str, str]] = []
    for col in cols:
        keys = [f"section3.{r}.{col}" for r in R1_ROWS]
        if fails(keys, lambda v: v[0] + v[1] == v[2] + v[3]):
            failed.append(("R1_column_identity", f"column {col}"))
    for row in rows:
        keys = [f"section3.{row}.{c}" for c in cols]  # the 6 applicant columns, then total
        if fails(keys, lambda v: sum(v[:-1]) == v[-1]):
            failed.append(("R2_total_column", f"row {row}"))
    for col in cols:
        keys = [f"section3.{r}.{col}" for r in [*leaves, "total_processed"]]
        if fails(keys, lambda v: sum(v[:-1]) == v[-1]):
            failed.append(("R3_outcome_total", f"column {col}"))
    for block in (r.id for r in template.section4.rows):
        keys = [f"section4.{block}.{c.id}" for c in template.section4.columns]  # 4 parts, then total
        if fails(keys, lambda v: sum(v[:-1]) == v[-1]):
            failed.append(("R5_section4_totals", f"block {block}"))
    return failed


def _scope_ids(template: Template, kind: str) -> set[str]:
    if kind == "column":
        return {c.id for c in template.section3.columns}
    if kind == "row":
        return {r.id for r in template.section3.rows}
    return {r.id for r in template.section4.rows}


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_gold_fields_and_values(path: Path) -> None:
    gold = _load(path)
    required = REQUIRED + (VARIANT_REQUIRED if path.parent == VARIANTS_DIR else ())
    assert set(required) <= set(gold), f"missing fields {set(required) - set(gold)}"
    unknown = set(gold) - set(required) - set(OPTIONAL)
    assert not unknown, f"unknown fields {unknown}; allowed optional fields: {', '.join(OPTIONAL)}"
    assert gold["template"] in TEMPLATE_IDS
    assert gold["status"] in STATUSES
    assert isinstance(gold["agency"], str) and gold["agency"]
    assert isinstance(gold["year"], int) and 2008 <= gold["year"] <= 2030
    if gold["date_issued"] is not None:
        assert date.fromisoformat(gold["date_issued"]).year in (gold["year"], gold["year"] + 1)
    keys = load_template(gold["template"]).flat_keys()
    assert list(gold["flat"]) == keys, "flat must hold exactly the template's keys, in template order"
    for key, value in gold["flat"].items():
        assert value is None or (isinstance(value, int | float) and not isinstance(value, bool)), (key, value)
    assert isinstance(gold["notes"], str) and gold["notes"].strip()


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_absent_and_extra_are_consistent(path: Path) -> None:
    gold = _load(path)
    flat, absent = gold["flat"], gold.get("absent", [])
    for prefix in absent:
        covered = [k for k in flat if _covered(k, [prefix])]
        assert covered, f"absent entry {prefix!r} names no cell of template {gold['template']}"
        assert all(flat[k] is None for k in covered), f"cells under absent {prefix!r} must be null"
    for key, value in gold.get("extra", {}).items():
        assert key not in flat, f"extra key {key!r} is a template key; put it in flat"
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_failed_checks_are_real_and_complete(path: Path) -> None:
    gold = _load(path)
    template = load_template(gold["template"])
    listed = []
    for check in gold["failed_checks"]:
        assert set(check) == {"rule", "scope"}, check
        rule, scope = check["rule"], check["scope"]
        assert rule in RULE_SCOPES, f"unknown rule {rule!r}; allowed: {', '.join(RULE_SCOPES)}"
        kind, _, ident = scope.partition(" ")
        allowed = _scope_ids(template, kind)
        assert kind == RULE_SCOPES[rule] and ident in allowed, f"bad scope {scope!r} for {rule}"
        listed.append((rule, scope))
    computed = evaluate_checks(template, gold["flat"], gold.get("absent", []))
    assert sorted(listed) == sorted(computed), "failed_checks must list exactly the checks that fail"


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_status_matches_content(path: Path) -> None:
    gold = _load(path)
    values = [v for v in gold["flat"].values() if v is not None]
    if gold["status"] == "failed":
        assert not values, "a failed report has no table values"
    elif gold["status"] == "ok":
        assert not gold["failed_checks"] and not gold.get("absent"), "ok means complete and consistent"
    else:
        assert gold["failed_checks"] or gold.get("absent"), "partial needs a failed check or an absent part"
    if "consistent" in gold:
        assert gold["consistent"] is (not gold["failed_checks"])
        if gold["consistent"]:
            template = load_template(gold["template"])
            assert evaluate_checks(template, gold["flat"], gold.get("absent", [])) == []


def _text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    if path.suffix != ".html":
        return raw
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup.get_text("\n")


def printed_numbers(text: str) -> list[tuple[str, str]]:
    """(number, unit) of every number-only cell between the first 第二十条 caption and the 五、 heading."""
    start = re.search(r"第二十[条條]", text)
    assert start, "no 第二十条 table caption in the fixture"
    end = re.compile(r"^五、", re.M).search(text, start.start())
    region = text[start.start() : end.start() if end else len(text)]
    lines = [line for line in region.split("\n") if not any(r in line for r in LOCAL_EXTRA_ROWS)]
    found: list[tuple[str, str]] = []
    for piece in CELL_SEPARATORS.split("\n".join(lines)):
        cell = piece.strip(" \xa0")
        if NUMBER_RUN.fullmatch(cell):
            found += [(n, "") for n in cell.split(" ")]
        elif match := NUMBER_CELL.fullmatch(cell):
            found.append((match.group(1), (match.group(2) or "").replace("萬", "万")))
    return found


def expected_numbers(gold: dict[str, Any]) -> list[tuple[str, float]]:
    """Non-null gold values in the order the fixture prints them."""
    template = load_template(gold["template"])
    keys = template.flat_keys()
    if gold.get("variant") == "column_by_column":
        rows = [r.id for r in template.section3.rows]
        cols = [c.id for c in template.section3.columns]
        first = keys.index(f"section3.{rows[0]}.{cols[0]}")
        keys[first : first + len(rows) * len(cols)] = [f"section3.{r}.{c}" for c in cols for r in rows]
    ordered = [(k, gold["flat"][k]) for k in keys if gold["flat"][k] is not None]
    if gold.get("extra"):
        at = next(i for i, (k, _) in enumerate(ordered) if k.startswith("section3.total_processed."))
        ordered[at:at] = list(gold["extra"].items())
    return ordered


def _fixture_path(path: Path, gold: dict[str, Any]) -> Path:
    if path.parent == VARIANTS_DIR:
        return VARIANTS_DIR / gold["file"]
    return require_seeds() / gold["file"]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_gold_numbers_are_the_printed_numbers(path: Path) -> None:
    gold = _load(path)
    fixture = _fixture_path(path, gold)
    assert fixture.is_file(), f"fixture {fixture} named by {path.name} does not exist"
    printed = printed_numbers(_text(fixture))
    wanted = expected_numbers(gold)
    assert len(printed) == len(wanted), f"{len(printed)} number cells printed, {len(wanted)} gold values"
    for (key, value), (number, unit) in zip(wanted, printed, strict=True):
        scale = 10000 if unit.startswith("万") and key == "section2.procurement.total_amount" else 1
        assert float(number) * scale == pytest.approx(value), f"{key}: gold {value}, printed {number}{unit}"


def test_variants_cover_both_formats_and_are_listed() -> None:
    readme = (VARIANTS_DIR / "README.md").read_text(encoding="utf-8")
    by_variant: dict[str, set[str]] = {}
    for path in VARIANT_FILES:
        gold = _load(path)
        assert path.stem == Path(gold["file"]).stem, f"{path.name} names fixture {gold['file']}"
        assert gold["file"] in readme, f"{gold['file']} is not listed in tests/variants/README.md"
        by_variant.setdefault(gold["variant"], set()).add(gold["template"])
    single_format = {"single_other_row": {"2021"}, "old_table_new_year": {"2019"}}
    for variant, templates in by_variant.items():
        assert templates == single_format.get(variant, set(TEMPLATE_IDS)), (variant, templates)
    assert len(by_variant) >= 21

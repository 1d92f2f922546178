"""gxie.types: frozen results, the generic to_data / from_data converter, Issue and IssueCode, statuses."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, fields
from typing import Any

import pytest

from gxie.report import Report
from gxie.types import STATUSES, Cell, Check, Document, Grid, Issue, IssueCode, Page, Section, Span, from_data, to_data

CELLS = (
    Cell("section3", "new_received", "natural_person", 0, "0", (23, 24), 0.98),
    Cell("section2", "fees", "amount_10k_yuan", 180.16, "180.16 万元", (39, 48), 0.9),
    Cell("section4", "review", "total", None, "无", None, 0.75),
)


def full_report() -> Report:
    """A report with every field set to something other than its default, nested types of every kind."""
    return Report(
        source="reports/某区司法局.txt",
        template="2021",
        agency="某区司法局",
        year=2021,
        date_issued="2022-01-20",
        status="partial",
        sections=(Section("一", "一、总体情况", (0, 6), True), Section(None, "附件", (70, 72), False)),
        issues=(
            Issue("warning", IssueCode.SOURCE_INCONSISTENCY, "R1 fails as printed"),
            Issue("info", IssueCode.LABELS_AFTER_NUMBERS, "section3: numbers first"),
        ),
        checks=(
            Check("R1_column_identity", "column total", ("a.b.c", "a.b.d"), 12, 11, False, True),
            Check("R5_section4_totals", "block review", ("section4.review.total",), None, None, None),
            Check("R2_total_column", "row fees", ("x.y.z",), 0.3, 0.30000000000000004, True),
        ),
        cells=CELLS,
        tagger="rules:1",
        input_kind="text",
        content_hash="ab" * 32,
        versions={"gxie": "0.1.0", "schema": "1", "templates": "1", "labels": "1", "tagger": "rules:1"},
        timings={"read": 0.01, "grid": 0.03},
        text="一、总体情况\n",
    )


def test_report_round_trips_every_field_through_json() -> None:
    report = full_report()
    assert all(getattr(report, f.name) != f.default for f in fields(Report))  # nothing left at a default
    d = json.loads(json.dumps(report.to_dict(include_text=True)))
    back = Report.from_dict(d)
    assert back == report
    assert type(back.sections) is tuple and type(back.sections[0]) is Section and back.sections[0].span == (0, 6)
    assert type(back.issues[0].code) is IssueCode and back.issues[0].code is IssueCode.SOURCE_INCONSISTENCY
    assert back.checks[0].cells == ("a.b.c", "a.b.d") and back.checks[1].passed is None
    assert [type(c.value) for c in back.cells] == [int, float, type(None)]
    assert back.cells[2].span is None


def test_to_dict_writes_plain_json_data_in_field_order() -> None:
    d = full_report().to_dict(include_text=True)
    assert list(d) == ["schema_version", *(f.name for f in fields(Report))]
    assert d["issues"][0] == {"level": "warning", "code": "source_inconsistency", "message": "R1 fails as printed"}
    assert type(d["issues"][0]["code"]) is str
    assert d["sections"][1] == {"id": None, "title": "附件", "span": [70, 72], "standard": False}
    assert d["checks"][0]["cells"] == ["a.b.c", "a.b.d"]
    assert d["cells"][1]["span"] == [39, 48]


@pytest.mark.parametrize(
    "value",
    [
        Page(2, 10, 20),
        Span(3, 5, "NUM", "12", 0.5),
        CELLS[1],
        Check("R2_total_column", "row granted", ("a", "b"), 3, 3, True),
        Section("三", "三、收到和处理政府信息公开申请情况", (5, 22), True),
        Issue("error", IssueCode.NEEDS_OCR, "no text layer"),
        Document("t", "a.pdf", "pdf", "utf-8", (Page(1, 0, 1),), True, (Issue("error", IssueCode.NEEDS_OCR, "x"),)),
        Grid("2019", 0.5, {CELLS[0].key: CELLS[0]}, (Issue("warning", IssueCode.UNCERTAIN_ROW, "row"),)),
    ],
    ids=lambda v: type(v).__name__,
)
def test_every_result_type_round_trips(value: Any) -> None:
    assert from_data(type(value), json.loads(json.dumps(to_data(value)))) == value


@pytest.mark.parametrize(
    ("value", "attribute"),
    [
        (full_report(), "status"),
        (CELLS[0], "value"),
        (Issue("info", IssueCode.OCR, "read by OCR"), "message"),
        (Grid("2021", 1.0), "template"),
        (Document("t", "a.txt", "text"), "issues"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_results_are_frozen(value: Any, attribute: str) -> None:
    with pytest.raises(FrozenInstanceError):
        setattr(value, attribute, None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"year": "2021"}, "field 'year' is '2021'; expected int"),
        ({"year": True}, "field 'year' is True; expected int"),
        ({"sections": None}, "field 'sections' is None; expected a list"),
        ({"versions": []}, r"field 'versions' is \[\]; expected an object"),
        ({"cells": [{**to_data(CELLS[0]), "span": [1]}]}, r"field 'cells\[0\].span' is \[1\]; expected a list of 2"),
        ({"cells": [{**to_data(CELLS[0]), "value": "3"}]}, r"'cells\[0\].value' is '3'; expected int or float or null"),
        ({"issues": [{"level": "warning", "code": "oops", "message": "m"}]}, r"'issues\[0\].code' is 'oops'; allowed"),
        ({"issues": [{"level": "loud", "code": "ocr", "message": "m"}]}, "allowed are error, warning, info"),
    ],
)
def test_from_dict_names_the_field_the_bad_value_and_what_is_allowed(change: dict[str, Any], message: str) -> None:
    d = {**full_report().to_dict(), **change}
    with pytest.raises(ValueError, match=r"report dict for source 'reports/某区司法局\.txt'.*" + message):
        Report.from_dict(d)


def test_fields_with_defaults_may_be_absent() -> None:
    d = full_report().to_dict()
    del d["timings"]
    for check in d["checks"]:
        del check["source_inconsistency"]
    back = Report.from_dict(d)
    assert back.timings == {} and back.text is None
    assert [c.source_inconsistency for c in back.checks] == [False, False, False]


def test_issue_code_is_its_string_everywhere() -> None:
    code = IssueCode.UNCERTAIN_ROW
    assert code == "uncertain_row" and str(code) == "uncertain_row" and f"{code}: x" == "uncertain_row: x"
    assert json.dumps({"code": code}) == '{"code": "uncertain_row"}'
    assert Issue("warning", "uncertain_row", "m") == Issue("warning", code, "m")  # type: ignore[arg-type]
    assert type(Issue("warning", "uncertain_row", "m").code) is IssueCode  # type: ignore[arg-type]


def test_issue_with_an_unknown_code_says_where_codes_are_listed() -> None:
    with pytest.raises(ValueError, match=r"unknown issue code 'nope'; the codes are listed in gxie.types.IssueCode"):
        Issue("warning", "nope", "m")  # type: ignore[arg-type]


def test_issue_codes_carry_a_description_and_whether_they_make_a_report_uncertain() -> None:
    assert {c.value for c in IssueCode if c.uncertain} == {
        "implausible_value",
        "uncertain_row",
        "duplicate_row",
        "format_uncertain",
        "uncertain_reading",
    }
    assert all(c.description and "\n" not in c.description for c in IssueCode)
    assert len({c.value for c in IssueCode}) == len(IssueCode)


def test_statuses_and_failed_report() -> None:
    assert STATUSES == ("ok", "partial", "failed")
    report = Report.failed("a.xyz", IssueCode.UNSUPPORTED_FORMAT, "cannot read .xyz", versions={"schema": "1"})
    assert (report.status, report.template, report.agency, report.year) == ("failed", None, None, None)
    assert (report.cells, report.checks, report.sections) == ((), (), ())
    assert report.issues == (Issue("error", IssueCode.UNSUPPORTED_FORMAT, "cannot read .xyz"),)
    assert (report.tagger, report.versions, report.timings, report.text) == ("", {"schema": "1"}, {}, None)


def test_report_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Report("a.txt", "2021")  # type: ignore[misc]


def test_cell_fields_are_the_ones_finish_copies() -> None:
    """``pipeline.finish`` rebuilds each cell positionally (fast) to map its span onto the original text; a
    field added to ``Cell`` must be copied there too."""
    assert [f.name for f in fields(Cell)] == ["table", "row", "col", "value", "raw", "span", "confidence"]


def test_quick_init_classes_stay_frozen_equal_hashable_and_picklable() -> None:
    import pickle
    from dataclasses import replace

    from gxie.grid.candidates import Token
    from gxie.text.cells import Item, LayoutCell

    made = [
        Span(1, 3, "NUM", "12"),
        Cell("section3", "granted", "total", 4, "4", (5, 6), 0.99),
        Item("NUM", 1, 3, "12", 0),
        LayoutCell(1, 3, "12", 0),
        Token("value", 1, 3, "12", 0),
    ]
    for value in made:
        again = pickle.loads(pickle.dumps(value))
        assert again == value and hash(again) == hash(value)
        assert replace(value) == value
        with pytest.raises(FrozenInstanceError):
            value.start = 9  # type: ignore[misc,union-attr]
    assert Span(1, 3, "NUM", "12").score == 1.0 and Token("value", 1, 3, "12", 0).match is None
    assert Span(start=1, end=3, label="NUM", text="12", score=0.5) == Span(1, 3, "NUM", "12", 0.5)
    with pytest.raises(TypeError, match="label"):
        Span(1, 3)  # type: ignore[call-arg]


def test_quick_init_refuses_what_it_cannot_build() -> None:
    from dataclasses import dataclass as dc
    from dataclasses import field as fd

    from gxie.types import quick_init

    @dc
    class Loose:
        x: int

    @dc(frozen=True)
    class Listed:
        xs: list[int] = fd(default_factory=list)

    for cls in (Loose, Listed, Issue):
        with pytest.raises(TypeError, match="quick_init"):
            quick_init(cls)

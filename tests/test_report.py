"""The Report contract (to_dict / from_dict), and gxie.export's flat dict and long cell table of one report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from gxie._version import __version__
from gxie.export import CELL_COLUMNS, to_csv, to_frame
from gxie.report import Report
from gxie.templates import all_flat_keys, load_template
from gxie.types import SCHEMA_VERSION, Cell, Check, Issue, IssueCode, Section
from gxie.versions import current_versions

TEXT = "一、总体情况\n本年新收政府信息公开申请数量\t0\n本年收费金额（单位：万元）\t180.16 万元\n行政复议\t无\n"
CONTRACT_KEYS = [
    "schema_version",
    "source",
    "template",
    "agency",
    "year",
    "date_issued",
    "status",
    "sections",
    "issues",
    "checks",
    "cells",
    "tagger",
    "input_kind",
    "content_hash",
    "versions",
    "timings",
]


def make_report(**changes: object) -> Report:
    """A small 2021-format report built by hand: an int 0, a float in 万元, an explicit empty marker."""
    fields: dict[str, object] = {
        "source": "reports/某区司法局.txt",
        "status": "partial",
        "template": "2021",
        "agency": "某区司法局",
        "year": 2021,
        "date_issued": "2022-01-20",
        "sections": (Section("一", "一、总体情况", (0, 6), True), Section(None, "附件", (70, 72), False)),
        "cells": (
            Cell("section3", "new_received", "natural_person", 0, "0", (23, 24), 0.98),
            Cell("section2", "fees", "amount_10k_yuan", 180.16, "180.16 万元", (39, 48), 0.9),
            Cell("section4", "review", "total", None, "无", (54, 55), 0.75),
            Cell("section3", "total_processed", "total", 12, "12", None, 0.5),
        ),
        "checks": (
            Check("R1_column_identity", "column total", ("section3.new_received.total",), 12, 11, False, True),
            Check("R2_row_total", "row granted", ("section3.granted.total",), 3, 3, True),
            Check("R5_section4_total", "review", ("section4.review.total",), None, None, None),
        ),
        "issues": (Issue("warning", IssueCode.SOURCE_INCONSISTENCY, "R1 fails as printed"),),
        "tagger": "rules:1",
        "input_kind": "text",
        "content_hash": "ab" * 32,
        "versions": current_versions("rules:1"),
        "timings": {"read": 0.01, "normalize": 0.002, "tag": 0.5, "grid": 0.03},
        "text": TEXT,
    }
    fields.update(changes)
    return Report(**fields)  # type: ignore[arg-type]


def test_to_dict_has_exactly_the_contract_fields_in_order() -> None:
    d = make_report().to_dict()
    assert list(d) == CONTRACT_KEYS
    assert d["schema_version"] == SCHEMA_VERSION == "1"
    assert d["sections"][0] == {"id": "一", "title": "一、总体情况", "span": [0, 6], "standard": True}
    assert d["sections"][1]["id"] is None
    assert d["cells"][0] == {
        "table": "section3",
        "row": "new_received",
        "col": "natural_person",
        "value": 0,
        "raw": "0",
        "span": [23, 24],
        "confidence": 0.98,
    }
    assert d["cells"][3]["span"] is None
    assert d["issues"] == [{"level": "warning", "code": "source_inconsistency", "message": "R1 fails as printed"}]
    assert d["checks"][0] == {
        "rule": "R1_column_identity",
        "scope": "column total",
        "cells": ["section3.new_received.total"],
        "expected": 12,
        "found": 11,
        "passed": False,
        "source_inconsistency": True,
    }
    assert d["versions"] == {
        "gxie": __version__,
        "schema": "1",
        "templates": "1",
        "labels": "1",
        "tagger": "rules:1",
    }
    assert d["timings"] == {"read": 0.01, "normalize": 0.002, "tag": 0.5, "grid": 0.03}


def test_text_only_with_include_text() -> None:
    report = make_report()
    assert "text" not in report.to_dict()
    assert report.to_dict(include_text=True)["text"] == TEXT
    assert "本年新收" not in repr(report)  # the whole input text would flood a repr


def test_without_text_is_what_the_json_row_decodes_to() -> None:
    report = make_report()
    bare = report.without_text()
    assert bare.text is None and bare == replace(report, text=None)
    assert Report.from_dict(report.to_dict()) == bare
    assert bare.without_text() is bare  # a report without text is kept as it is


def test_json_keeps_ints_floats_and_nulls_and_chinese() -> None:
    text = make_report().to_json(indent=None)
    assert '"value": 0,' in text and '"value": 180.16,' in text and '"value": null,' in text
    assert "某区司法局" in text  # not \\u escaped
    values = [c["value"] for c in json.loads(text)["cells"]]
    assert [type(v) for v in values] == [int, float, type(None), int]


def test_to_json_writes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    returned = make_report().to_json(path)
    assert path.read_text(encoding="utf-8") == returned + "\n"
    assert json.loads(returned)["agency"] == "某区司法局"


@pytest.mark.parametrize("include_text", [False, True])
def test_from_dict_round_trips_through_json(include_text: bool) -> None:
    report = make_report() if include_text else make_report(text=None)
    back = Report.from_dict(json.loads(json.dumps(report.to_dict(include_text=include_text))))
    assert back == report
    assert back.cells[0].span == (23, 24) and back.checks[0].cells == ("section3.new_received.total",)


def test_from_dict_round_trips_a_failed_report() -> None:
    report = Report.failed(
        "a.xyz", IssueCode.UNSUPPORTED_FORMAT, "cannot read .xyz", tagger="rules:1", versions=current_versions()
    )
    assert Report.from_dict(report.to_dict()) == report
    assert report.status == "failed" and report.template is None and report.cells == ()
    assert report.issues == (Issue("error", IssueCode.UNSUPPORTED_FORMAT, "cannot read .xyz"),)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": "0"}, "schema_version '0'"),
        ({"status": "done"}, "field 'status' is 'done'; allowed are ok, partial, failed"),
    ],
)
def test_from_dict_rejects_other_versions_and_statuses(change: dict[str, str], message: str) -> None:
    d = {**make_report().to_dict(), **change}
    with pytest.raises(ValueError, match=message):
        Report.from_dict(d)


def test_from_dict_names_a_missing_field() -> None:
    d = make_report().to_dict()
    del d["cells"]
    with pytest.raises(ValueError, match=r"reports/某区司法局\.txt.*'cells'"):
        Report.from_dict(d)


def test_to_flat_has_every_key_of_the_format_in_order_with_nulls() -> None:
    flat = make_report().to_flat()
    assert list(flat) == load_template("2021").flat_keys()
    assert flat["section3.new_received.natural_person"] == 0
    assert type(flat["section3.new_received.natural_person"]) is int
    assert flat["section2.fees.amount_10k_yuan"] == 180.16
    assert flat["section3.total_processed.total"] == 12
    assert flat["section4.review.total"] is None  # written as 无
    found = {c.key for c in make_report().cells}
    assert all(v is None for k, v in flat.items() if k not in found)


def test_to_flat_without_a_format_lists_both_formats_keys_null() -> None:
    flat = make_report(template=None, cells=(), status="failed").to_flat()
    assert list(flat) == all_flat_keys()
    assert set(flat.values()) == {None}


def test_to_flat_keeps_a_cell_outside_the_format_at_the_end() -> None:
    merged = Cell("section3", "other", "total", 2, "2", (60, 61), 0.8)  # （六） printed as one row in 2021
    report = make_report()
    flat = replace(report, cells=(*report.cells, merged)).to_flat()
    assert list(flat)[:-1] == load_template("2021").flat_keys()
    assert list(flat.items())[-1] == ("section3.other.total", 2)


def test_failed_checks_and_cell_lookup() -> None:
    report = make_report()
    assert [c.rule for c in report.failed_checks] == ["R1_column_identity"]  # passed None is not failed
    assert report.failed_checks == (report.checks[0],)
    assert report.cell("section2.fees.amount_10k_yuan") == report.cells[1]
    assert report.cell("section2.fees.issued") is None


def test_to_frame_is_the_long_cell_table() -> None:
    df = to_frame(make_report())
    assert list(df.columns) == list(CELL_COLUMNS)
    assert df["key"].tolist() == [c.key for c in make_report().cells]
    assert df["value"].tolist()[:2] == [0, 180.16] and type(df["value"].iloc[0]) is int
    assert df["value"].iloc[2] is None
    assert df["span_start"].iloc[0] == 23 and df["span_end"].iloc[0] == 24
    assert df["span_start"].isna().tolist() == [False, False, False, True]
    assert str(df["span_start"].dtype) == "Int64"


def test_to_csv_text_and_file(tmp_path: Path) -> None:
    report = make_report()
    text = to_csv(report)
    assert text.splitlines() == [
        ",".join(CELL_COLUMNS),
        "section3,new_received,natural_person,section3.new_received.natural_person,0,0,23,24,0.98",
        "section2,fees,amount_10k_yuan,section2.fees.amount_10k_yuan,180.16,180.16 万元,39,48,0.9",
        "section4,review,total,section4.review.total,,无,54,55,0.75",
        "section3,total_processed,total,section3.total_processed.total,12,12,,,0.5",
    ]
    path = tmp_path / "cells.csv"
    assert to_csv(report, path) == text
    assert path.read_bytes() == text.encode("utf-8")  # plain UTF-8: no byte-order mark by default
    assert to_csv(report, path, excel=True) == text
    assert path.read_bytes() == b"\xef\xbb\xbf" + text.encode("utf-8")  # a BOM, so Excel reads the Chinese right


def test_current_versions() -> None:
    assert current_versions() == {"gxie": __version__, "schema": "1", "templates": "1", "labels": "1"}
    assert current_versions("model:default@abc")["tagger"] == "model:default@abc"


def test_trusted_cells_are_the_sure_ones_in_no_failed_check() -> None:
    """The published rule: confidence >= 0.9 (0.9 itself included) and no failed check involving the cell."""
    report = make_report()
    person, fees = "section3.new_received.natural_person", "section2.fees.amount_10k_yuan"
    assert [c.key for c in report.trusted_cells] == [person, fees]
    broken = Check("R1_column_identity", "column natural_person", (person,), 1, 0, False)
    assert [c.key for c in make_report(checks=(*report.checks, broken)).trusted_cells] == [fees]

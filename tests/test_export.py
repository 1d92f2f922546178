"""gxie.export: the JSON Lines journal (append, torn lines), tidy tables and their CSV/XLSX/Parquet files."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gxie.errors import MissingExtraError
from gxie.export import (
    LONG_COLUMNS,
    REPORT_COLUMNS,
    JsonlWriter,
    Written,
    latest_reports,
    long_rows,
    long_table,
    read_jsonl,
    wide_table,
    write_csv,
    write_jsonl,
    write_long_csv,
    write_rows_csv,
    write_table,
    write_tables,
)
from gxie.report import Report
from gxie.templates import all_flat_keys
from gxie.types import Cell, Check, Issue, IssueCode
from gxie.versions import current_versions


def report(
    source: str, *, agency: str = "某县人民政府办公室", template: str | None = "2019", **extra: object
) -> Report:
    cells = (
        Cell("section3", "new_received", "total", 0, "0", (10, 11), 0.99),
        Cell("section2", "procurement", "total_amount", 380479.6, "380479.6元", (20, 30), 0.9),
        Cell("section4", "review", "total", 3, "3", (40, 41), 0.95),
    )
    fields: dict[str, object] = {
        "source": source,
        "status": "ok",
        "template": template,
        "agency": agency,
        "year": 2020,
        "date_issued": None,
        "sections": (),
        "cells": cells if template else (),
        "checks": (Check("R1_column_identity", "column total", ("section3.new_received.total",), 0, 0, True),),
        "issues": (),
        "tagger": "rules:1",
        "input_kind": "text",
        "content_hash": f"hash-of-{source}",
        "versions": current_versions("rules:1"),
    }
    fields.update(extra)
    return Report(**fields)  # type: ignore[arg-type]


def failed(source: str, message: str = "cannot read this file") -> Report:
    return Report.failed(
        source,
        IssueCode.READ_ERROR,
        message,
        tagger="rules:1",
        content_hash=f"hash-of-{source}",
        versions=current_versions(),
    )


# --- JSON Lines ----------------------------------------------------------------------------------------


def test_jsonl_round_trip_and_append(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    assert write_jsonl([report("a.txt"), failed("b.pdf")], path) == 2
    assert write_jsonl([report("c.docx").to_dict()], path, append=True) == 1
    rows = list(read_jsonl(path))
    assert [r["source"] for r in rows] == ["a.txt", "b.pdf", "c.docx"]
    assert Report.from_dict(rows[0]) == report("a.txt")
    assert "某县人民政府办公室" in path.read_text(encoding="utf-8")  # ensure_ascii=False
    write_jsonl([failed("d.txt")], path)  # append=False starts the file afresh
    assert [r["source"] for r in read_jsonl(path)] == ["d.txt"]


def torn(path: Path) -> bytes:
    """Two complete lines, then a third cut off in the middle of a Chinese character (a killed run)."""
    write_jsonl([report("a.txt"), report("b.txt")], path)
    third = (json.dumps(report("c.txt").to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
    cut = third.index("人民".encode()) + 1
    with open(path, "ab") as f:
        f.write(third[:cut])
    return third[:cut]


def test_read_jsonl_skips_a_torn_last_line_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "results.jsonl"
    torn(path)
    with caplog.at_level(logging.WARNING, logger="gxie.export"):
        rows = list(read_jsonl(path))
    assert [r["source"] for r in rows] == ["a.txt", "b.txt"]
    assert "torn last line 3" in caplog.text


def test_appending_cuts_a_torn_line_off_first(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "results.jsonl"
    fragment = torn(path)
    with caplog.at_level(logging.WARNING, logger="gxie.export"):
        write_jsonl([report("d.txt")], path, append=True)
    assert "cutting off a torn last line" in caplog.text
    assert fragment not in path.read_bytes()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gxie.export"):
        assert [r["source"] for r in read_jsonl(path)] == ["a.txt", "b.txt", "d.txt"]
    assert caplog.text == ""


def test_appending_keeps_a_complete_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(report("a.txt").to_dict(), ensure_ascii=False), encoding="utf-8")
    write_jsonl([report("b.txt")], path, append=True)
    assert [r["source"] for r in read_jsonl(path)] == ["a.txt", "b.txt"]


def test_a_bad_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_jsonl([report("a.txt")], path)
    with open(path, "a", encoding="utf-8") as f:
        f.write("{not json\n")
    write_jsonl([report("b.txt")], path, append=True)
    with pytest.raises(ValueError, match=r"line 2 is not valid JSON"):
        list(read_jsonl(path))


def test_latest_reports_keeps_the_last_row_per_content(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    unreadable = Report.failed(  # no content hash
        "c.txt", IssueCode.READ_ERROR, "permission denied", versions=current_versions()
    )
    retried = report("a.txt", status="partial")
    write_jsonl([report("a.txt"), unreadable, failed("b.txt"), retried, report("c.txt")], path)
    latest = latest_reports(path)
    assert [(r.source, r.status) for r in latest] == [
        ("b.txt", "failed"),
        ("a.txt", "partial"),
        ("c.txt", "ok"),
    ]


def test_latest_reports_takes_the_runs_own_reports_for_its_rows(tmp_path: Path) -> None:
    """The rows a run just wrote are taken from its reports instead of decoded again: the same reports, and
    reports whose lines are not the journal's last ones, byte for byte, are never used."""
    path = tmp_path / "results.jsonl"
    older, mine = [report("a.txt"), report("b.txt")], [report("b.txt", status="partial"), report("c.txt")]
    write_jsonl(older, path)
    with JsonlWriter(path, append=True) as out:
        written = [Written.of(r, os.path.abspath(r.source), out.write(r)) for r in mine]
    decoded = latest_reports(path)
    taken = latest_reports(path, written)
    assert taken == decoded and [r.source for r in taken] == ["a.txt", "b.txt", "c.txt"]
    assert taken[1] is mine[0] and taken[2] is mine[1] and taken[0] is not older[0]
    out_of_step = latest_reports(path, [written[1], replace(written[0], report=report("d.txt"))])  # one row off
    assert out_of_step == decoded and all(r is not mine[1] for r in out_of_step)
    too_many = latest_reports(path, [written[0], *written])  # more rows than the run's own
    assert too_many == decoded and all(r is not mine[0] for r in too_many)
    with open(path, "ab") as f:  # a torn last line after them: every row decoded, the torn one skipped
        f.write(b'{"source": "e.t')
    assert latest_reports(path, written) == decoded


# --- tables --------------------------------------------------------------------------------------------


def test_wide_table_columns_and_values() -> None:
    bad = failed("b.pdf", "b.pdf is empty")
    bad = replace(bad, issues=(*bad.issues, Issue("warning", IssueCode.EXTRA_ROW, "not an error")))
    mixed = report("c.txt", template="2021", year=None)
    mixed = replace(mixed, cells=(*mixed.cells[:2], Cell("section4", "review", "total", 2.5, "2.5", None, 0.5)))
    df = wide_table([report("a.txt"), bad, mixed])
    assert list(df.columns) == [*REPORT_COLUMNS, *all_flat_keys()]
    assert df["source"].tolist() == ["a.txt", "b.pdf", "c.txt"]
    assert df["n_issues"].tolist() == [0, 2, 0]
    assert df["n_failed_checks"].tolist() == [0, 0, 0]
    assert df["error"].tolist() == [None, "b.pdf is empty", None]
    assert df["year"].iloc[0] == 2020 and df["year"].isna().tolist() == [False, True, True]
    assert str(df["year"].dtype) == "Int64"
    new = df["section3.new_received.total"]
    assert str(new.dtype) == "Int64" and new.isna().tolist() == [False, True, False]
    assert df["section2.procurement.total_amount"].dtype == "float64"
    review = df["section4.review.total"].tolist()  # ints and floats mixed: each keeps its type
    assert review == [3, None, 2.5] and type(review[0]) is int
    assert df["section2.regulations.issued"].isna().all()


def test_long_table_has_one_row_per_cell() -> None:
    df = long_table([report("a.txt"), failed("b.pdf"), report("c.txt")])
    assert list(df.columns) == list(LONG_COLUMNS)
    assert df["source"].tolist() == ["a.txt"] * 3 + ["c.txt"] * 3
    assert df["key"].tolist()[:3] == [
        "section3.new_received.total",
        "section2.procurement.total_amount",
        "section4.review.total",
    ]
    assert df["value"].tolist()[:3] == [0, 380479.6, 3] and type(df["value"].iloc[0]) is int


def test_empty_tables_still_have_their_columns() -> None:
    assert list(wide_table([]).columns) == [*REPORT_COLUMNS, *all_flat_keys()]
    assert list(long_table([]).columns) == list(LONG_COLUMNS)


def test_csv_has_no_bom_and_keeps_zero_as_zero(tmp_path: Path) -> None:
    path = write_table(wide_table([report("a.txt"), failed("b.pdf")]), tmp_path / "reports.csv")
    data = path.read_bytes()
    assert data.startswith(b"source,status,")  # plain UTF-8: no byte-order mark
    header, first, _ = data.decode("utf-8").splitlines()
    assert header.split(",")[: len(REPORT_COLUMNS)] == list(REPORT_COLUMNS)
    row = dict(zip(header.split(","), first.split(","), strict=True))
    assert row["agency"] == "某县人民政府办公室"
    assert row["section3.new_received.total"] == "0"  # not 0.0
    assert row["section2.procurement.total_amount"] == "380479.6"
    assert row["section3.granted.total"] == ""
    back = pd.read_csv(path, encoding="utf-8")
    assert back["agency"].tolist()[0] == "某县人民政府办公室" and back["status"].tolist() == ["ok", "failed"]


def test_excel_csv_adds_a_bom_and_nothing_else(tmp_path: Path) -> None:
    table = long_table([report("a.txt")])
    plain = write_table(table, tmp_path / "plain.csv").read_bytes()
    excel = write_table(table, tmp_path / "excel.csv", excel_csv=True).read_bytes()
    assert excel == b"\xef\xbb\xbf" + plain
    assert b"\r" not in plain and plain.count(b"\n") == 4
    stream = io.StringIO()
    write_csv(table, stream, excel=True)
    assert stream.getvalue().encode("utf-8") == excel
    written = write_tables([report("a.txt")], tmp_path / "out", ["csv"], excel_csv=True)
    assert [p.read_bytes()[:10] for p in written] == [b"\xef\xbb\xbfsource,"] * 2


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_xlsx_and_parquet_read_back(tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("openpyxl" if suffix == ".xlsx" else "pyarrow")
    control = failed("b.pdf", "bad byte \x0b in the text layer")  # openpyxl refuses control characters
    reports = [report("a.txt"), control]
    wide = write_table(wide_table(reports), tmp_path / f"reports{suffix}")
    long = write_table(long_table(reports), tmp_path / f"cells{suffix}")
    read = pd.read_excel if suffix == ".xlsx" else pd.read_parquet
    back = read(wide)
    assert list(back.columns) == [*REPORT_COLUMNS, *all_flat_keys()]
    assert back["agency"].tolist()[0] == "某县人民政府办公室"
    assert back["section3.new_received.total"].tolist()[0] == 0
    assert back["section2.procurement.total_amount"].tolist()[0] == 380479.6
    kept = "bad byte  in the text layer" if suffix == ".xlsx" else "bad byte \x0b in the text layer"
    assert back["error"].tolist()[1] == kept
    cells = read(long)
    assert list(cells.columns) == list(LONG_COLUMNS)
    assert cells["raw"].tolist() == ["0", "380479.6元", "3"]


def test_write_tables_names_files_by_table_and_format(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    written = write_tables([report("a.txt")], tmp_path, ["csv", "xlsx"])
    assert [p.name for p in written] == ["reports.csv", "cells.csv", "reports.xlsx", "cells.xlsx"]
    assert all(p.is_file() for p in written)
    with pytest.raises(ValueError, match=r"unknown table format\(s\) 'json'; allowed: csv, parquet, xlsx"):
        write_tables([], tmp_path, ["json"])


@pytest.mark.parametrize("excel", [False, True])
def test_csv_tables_are_the_csv_of_their_frames(tmp_path: Path, excel: bool) -> None:
    # write_tables writes CSV from the rows, without pandas: byte for byte the CSV of the frames, on ints,
    # money, blanks, failed reports, a cell outside the formats and text that needs quoting
    odd = Cell("section9", "local", "x", Decimal("1.5"), '1,5 "x"', None, 0.5)
    varied = [
        report("a.txt"),
        failed("b,c.txt", 'cannot read "b": line\nbreak'),
        report("d.txt", template=None, agency=None),
        report("e.txt", cells=(*report("e.txt").cells, odd, Cell("section3", "granted", "total", None, "", None, 0.9))),
    ]
    written = write_tables(varied, tmp_path, ["csv"], excel_csv=excel)
    assert [p.name for p in written] == ["reports.csv", "cells.csv"]
    for path, frame in zip(written, (wide_table(varied), long_table(varied)), strict=True):
        expected = tmp_path / f"pandas-{path.name}"
        write_csv(frame, expected, excel=excel)
        assert path.read_bytes() == expected.read_bytes(), path.name


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=6),
            st.one_of(st.none(), st.integers(-(10**20), 10**20), st.floats(allow_nan=False, allow_infinity=False)),
            st.one_of(st.none(), st.tuples(st.integers(0, 99), st.integers(0, 99))),
            st.floats(0, 1),
        ),
        max_size=6,
    ),
    st.text(max_size=8),
    st.booleans(),
)
def test_the_long_csv_is_the_csv_of_its_rows(
    cells: list[tuple[str, float | None, tuple[int, int] | None, float]], source: str, excel: bool
) -> None:
    """``write_long_csv`` formats each cell's line itself: byte for byte what the csv module writes for the
    rows of ``long_rows``, on any text (quotes, commas, line breaks), number and blank."""
    made = tuple(Cell("section3", "granted", f"c{k}", v, raw, span, p) for k, (raw, v, span, p) in enumerate(cells))
    reports = [report(source, cells=made), report("b.txt"), failed("c.txt")]
    expected, got = io.StringIO(), io.StringIO()
    write_rows_csv(*long_rows(reports), expected, excel=excel)
    write_long_csv(reports, got, excel=excel)
    assert got.getvalue() == expected.getvalue()


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown suffix '\.txt'; use one of \.csv, \.parquet, \.xlsx"):
        write_table(wide_table([]), tmp_path / "reports.txt")


@pytest.mark.parametrize(("suffix", "package"), [(".parquet", "pyarrow"), (".xlsx", "openpyxl")])
def test_a_missing_extra_names_the_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, package: str
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == package else real(name, *a))
    with pytest.raises(MissingExtraError, match=rf"'{package}'.*pip install 'gxie\[export\]'"):
        write_table(wide_table([]), tmp_path / f"reports{suffix}")
    assert not (tmp_path / f"reports{suffix}").exists()


# --- column types in Parquet and XLSX ------------------------------------------------------------------

CELL_TYPES = {
    "source": "string",
    "table": "string",
    "row": "string",
    "col": "string",
    "key": "string",
    "value": "double",
    "raw": "string",
    "span_start": "int64",
    "span_end": "int64",
    "confidence": "double",
}
REPORT_TYPES = {
    "source": "string",
    "status": "string",
    "template": "string",
    "agency": "string",
    "year": "int64",
    "date_issued": "string",
    "n_issues": "int64",
    "n_failed_checks": "int64",
    "error": "string",
}
MONEY_KEYS = {"section2.procurement.total_amount", "section2.fees.amount_10k_yuan"}


def with_a_fraction() -> Report:
    """A report whose 四 review total is printed as 2.5: a count column holding a fraction."""
    odd = report("c.txt", template="2021", year=None)
    cells = list(odd.cells)
    cells[2] = Cell("section4", "review", "total", 2.5, "2.5", None, 0.5)
    return replace(odd, cells=tuple(cells))


def test_parquet_types_are_fixed_by_column(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    reports = [report("a.txt"), failed("b.pdf"), with_a_fraction()]
    wide = write_table(wide_table(reports), tmp_path / "reports.parquet")
    long = write_table(long_table(reports), tmp_path / "cells.parquet")
    expected = {
        **REPORT_TYPES,
        **{k: "double" if k in MONEY_KEYS else "int64" for k in all_flat_keys()},
        "section4.review.total": "double",  # 2.5 is kept, so this count column is double in this file
    }
    assert {f.name: str(f.type) for f in pq.read_schema(wide)} == expected
    assert [f.name for f in pq.read_schema(wide)] == [*REPORT_COLUMNS, *all_flat_keys()]
    assert {f.name: str(f.type) for f in pq.read_schema(long)} == CELL_TYPES
    table = pq.read_table(wide)
    assert table.column("section3.new_received.total").to_pylist() == [0, None, 0]
    assert table.column("year").to_pylist() == [2020, None, None]
    assert table.column("section4.review.total").to_pylist() == [3.0, None, 2.5]
    assert table.column("date_issued").to_pylist() == [None, None, None]
    cells = pq.read_table(long)
    assert cells.column("value").to_pylist() == [0.0, 380479.6, 3.0, 0.0, 380479.6, 2.5]
    assert cells.column("span_start").to_pylist() == [10, 20, 40, 10, 20, None]
    back = pd.read_parquet(wide)
    assert str(back["section3.new_received.total"].dtype) == "Int64" and str(back["year"].dtype) == "Int64"
    assert back["section3.new_received.total"].tolist()[0] == 0
    assert str(back["section2.procurement.total_amount"].dtype) == "float64"
    assert str(pd.read_parquet(long)["span_start"].dtype) == "Int64"


def test_parquet_types_do_not_depend_on_the_data(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    empty = write_table(wide_table([]), tmp_path / "reports.parquet")
    only_failed = write_table(wide_table([failed("b.pdf")]), tmp_path / "failed.parquet")
    cells = write_table(long_table([]), tmp_path / "cells.parquet")
    expected = {**REPORT_TYPES, **{k: "double" if k in MONEY_KEYS else "int64" for k in all_flat_keys()}}
    assert {f.name: str(f.type) for f in pq.read_schema(empty)} == expected
    assert {f.name: str(f.type) for f in pq.read_schema(only_failed)} == expected
    assert {f.name: str(f.type) for f in pq.read_schema(cells)} == CELL_TYPES
    other = pd.DataFrame({"flag": [True, None], "note": [None, None], "n": [1, None], "x": [1, 2.5]}, dtype=object)
    path = write_table(other, tmp_path / "other.parquet")
    assert {f.name: str(f.type) for f in pq.read_schema(path)} == {
        "flag": "bool",
        "note": "string",
        "n": "int64",
        "x": "double",
    }
    assert pq.read_table(path).to_pylist() == [
        {"flag": True, "note": None, "n": 1, "x": 1.0},
        {"flag": None, "note": None, "n": None, "x": 2.5},
    ]


def test_xlsx_cells_keep_their_own_type(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    reports = [report("a.txt"), failed("b.pdf"), with_a_fraction()]
    wide = write_table(wide_table(reports), tmp_path / "reports.xlsx")
    long = write_table(long_table(reports), tmp_path / "cells.xlsx")

    def columns(path: Path) -> dict[str, list[object]]:
        rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
        return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}

    table = columns(wide)
    new = table["section3.new_received.total"]
    assert new == [0, None, 0] and [type(v) for v in new] == [int, type(None), int]
    review = table["section4.review.total"]
    assert review == [3, None, 2.5] and [type(v) for v in review] == [int, type(None), float]
    assert table["year"] == [2020, None, None] and type(table["year"][0]) is int
    assert table["n_issues"] == [0, 1, 0] and type(table["n_issues"][1]) is int
    assert table["section2.procurement.total_amount"] == [380479.6, None, 380479.6]
    cells = columns(long)
    assert cells["value"] == [0, 380479.6, 3, 0, 380479.6, 2.5]
    assert [type(v) for v in cells["value"]] == [int, float, int, int, float, float]
    assert cells["span_start"] == [10, 20, 40, 10, 20, None] and type(cells["span_start"][0]) is int

"""Reports as tidy tables: CSV, Parquet or XLSX (the JSON Lines journal: ``gxie.jsonl``, its names kept here too).

Tables keep ints as ints: a column whose values are all ints is pandas ``Int64`` (nullable), all floats
``float64``, and a column mixing ints and floats stays ``object`` so that ``0`` is written as ``0``, not
``0.0``, in CSV and XLSX (each spreadsheet cell keeps its own type). Parquet holds one type per column
and gets a fixed schema that does not depend on the data (``arrow_schema``): counts ``int64``, money
columns and the cells table's ``value`` (counts and money mixed) ``float64``, text ``string``.
CSV is plain UTF-8 (``write_csv``); ``excel=True`` adds the byte-order mark Excel needs to read Chinese.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gxie.errors import MissingExtraError
from gxie.grid.values import WAN_YUAN_COLUMNS, YUAN_COLUMNS
from gxie.jsonl import (  # noqa: F401 - the JSON Lines names, importable from here as before
    JOURNAL_FIELD,
    JsonlWriter,
    Written,
    journal_path,
    latest_reports,
    read_jsonl,
    write_jsonl,
)
from gxie.report import Report
from gxie.templates import all_flat_keys
from gxie.types import Cell

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# Column order of ``to_frame`` / ``to_csv`` (one report) and, after ``source``, of ``long_table``: one row per cell.
CELL_COLUMNS: tuple[str, ...] = (
    "table",
    "row",
    "col",
    "key",
    "value",
    "raw",
    "span_start",
    "span_end",
    "confidence",
)
# Column order of ``wide_table``: these report columns, then every flat key (``all_flat_keys()`` order).
REPORT_COLUMNS: tuple[str, ...] = (
    "source",
    "status",
    "template",
    "agency",
    "year",
    "date_issued",
    "n_issues",
    "n_failed_checks",
    "error",
)
# Column order of ``long_table``: one row per cell.
LONG_COLUMNS: tuple[str, ...] = ("source", *CELL_COLUMNS)
TABLE_FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx")
TABLE_SUFFIXES: tuple[str, ...] = tuple(f".{fmt}" for fmt in TABLE_FORMATS)
TABLE_NAMES: tuple[str, ...] = ("reports", "cells")  # write_tables: reports.<fmt> (wide), cells.<fmt> (long)
_EXTRA_PACKAGES = {"parquet": ("pyarrow", "Writing Parquet"), "xlsx": ("openpyxl", "Writing XLSX")}
EXCEL_MAX_ROWS = 1_048_576
# Parquet types of the fixed columns; flat-key columns are int64, or float64 for money (MONEY_COLUMNS).
ARROW_TYPES: dict[str, str] = {
    **dict.fromkeys(("source", "status", "template", "agency", "date_issued", "error"), "string"),
    **dict.fromkeys(("year", "n_issues", "n_failed_checks", "span_start", "span_end"), "int64"),
    **dict.fromkeys(("table", "row", "col", "key", "raw"), "string"),
    "value": "float64",  # counts and money in one column: float64 holds every count exactly (up to 2**53)
    "confidence": "float64",
}
MONEY_COLUMNS: frozenset[str] = frozenset(YUAN_COLUMNS | WAN_YUAN_COLUMNS)  # template column ids


def _tidy(values: list[Any]) -> pd.Series:
    import pandas as pd

    present = [v for v in values if v is not None]
    if present and all(type(v) is int for v in present):
        return pd.Series(values, dtype="Int64")
    if present and all(type(v) is float for v in present):
        return pd.Series(values, dtype="float64")
    return pd.Series(values, dtype=object)


def cell_frame(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """A DataFrame from rows of Python values, typed per column without turning ints into floats."""
    import pandas as pd

    data = {name: _tidy([row[i] for row in rows]) for i, name in enumerate(columns)}
    return pd.DataFrame(data, columns=list(columns))


def cell_records(cells: Iterable[Cell]) -> list[tuple[Any, ...]]:
    """One tuple per cell in ``CELL_COLUMNS`` order (span split into start and end)."""
    return [
        (
            c.table,
            c.row,
            c.col,
            c.key,
            c.value,
            c.raw,
            c.span[0] if c.span is not None else None,
            c.span[1] if c.span is not None else None,
            c.confidence,
        )
        for c in cells
    ]


def to_frame(report: Report) -> pd.DataFrame:
    """The report's cells as a pandas long table, columns ``CELL_COLUMNS``; ``value`` keeps ints as ints.

    >>> to_frame(extract("report.txt"))["key"].iloc[0]  # doctest: +SKIP
    'section2.regulations.issued'
    """
    return cell_frame(CELL_COLUMNS, cell_records(report.cells))


def to_csv(report: Report, path: str | Path | None = None, *, excel: bool = False) -> str:
    """The report's long cell table as CSV text; also written to ``path`` when given (UTF-8; with a
    byte-order mark for Excel when ``excel``). One writer for every CSV: ``write_csv``.

    >>> to_csv(extract("report.txt"), "cells.csv", excel=True).splitlines()[0]  # doctest: +SKIP
    'table,row,col,key,value,raw,span_start,span_end,confidence'
    """
    frame = to_frame(report)
    buffer = io.StringIO()
    write_csv(frame, buffer)
    if path is not None:
        write_csv(frame, path, excel=excel)
    return buffer.getvalue()


def _error_text(report: Report) -> str | None:
    errors = [m.message for m in report.issues if m.level == "error"]
    return "; ".join(errors) if errors else None


def wide_table(reports: Iterable[Report]) -> pd.DataFrame:
    """One row per report: ``REPORT_COLUMNS`` then every flat key of both formats (null when absent).

    ``error`` joins the texts of the report's error-level issues. Cell keys outside both formats, if a
    report has any, follow at the end so that no value is dropped.
    """
    return cell_frame(*wide_rows(reports))


def wide_rows(reports: Iterable[Report]) -> tuple[list[str], list[list[Any]]]:
    """The columns and rows of ``wide_table`` as Python values."""
    keys = all_flat_keys()
    extra: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    for r in reports:
        row: dict[str, Any] = {
            "source": r.source,
            "status": r.status,
            "template": r.template,
            "agency": r.agency,
            "year": r.year,
            "date_issued": r.date_issued,
            "n_issues": len(r.issues),
            "n_failed_checks": len(r.failed_checks),
            "error": _error_text(r),
        }
        for c in r.cells:
            row[c.key] = c.value
        extra.update(dict.fromkeys(k for k in row if k not in REPORT_COLUMNS))
        rows.append(row)
    known = set(keys)
    columns = [*REPORT_COLUMNS, *keys, *(k for k in extra if k not in known)]
    return columns, [[row.get(name) for name in columns] for row in rows]


def long_table(reports: Iterable[Report]) -> pd.DataFrame:
    """One row per cell of every report, columns ``LONG_COLUMNS``."""
    return cell_frame(*long_rows(reports))


def long_rows(reports: Iterable[Report]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The columns and rows of ``long_table`` as Python values."""
    rows: list[tuple[Any, ...]] = []
    for r in reports:
        rows.extend((r.source, *cell) for cell in cell_records(r.cells))
    return list(LONG_COLUMNS), rows


def write_table(df: pd.DataFrame, path: str | Path, *, excel_csv: bool = False) -> Path:
    """Write a table by the suffix of ``path``: .csv (``write_csv``), .parquet or .xlsx (gxie[export]).

    >>> write_table(wide_table(reports), "out/reports.parquet")  # doctest: +SKIP
    PosixPath('out/reports.parquet')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(
            f"cannot write a table to {str(path)!r}: unknown suffix {suffix or '(none)'!r}; "
            f"use one of {', '.join(TABLE_SUFFIXES)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        write_csv(df, path, excel=excel_csv)
    elif suffix == ".parquet":
        require_extra(*_EXTRA_PACKAGES["parquet"])
        import pyarrow.parquet as pq

        pq.write_table(to_arrow(df), path)
    else:
        require_extra(*_EXTRA_PACKAGES["xlsx"])
        if len(df) + 1 > EXCEL_MAX_ROWS:
            raise ValueError(
                f"cannot write {len(df)} rows to {str(path)!r}: an Excel sheet holds at most "
                f"{EXCEL_MAX_ROWS - 1} data rows; write .csv or .parquet instead"
            )
        _for_excel(df).to_excel(path, index=False, engine="openpyxl")
    return path


def write_csv(df: pd.DataFrame, target: str | Path | TextIO, *, excel: bool = False) -> None:
    """Write ``df`` as CSV (UTF-8, ``\\n`` line ends, no index) to a path or an open text stream.

    ``excel=True`` starts the text with a byte-order mark: Excel reads a CSV without one in the local
    code page and garbles Chinese. Every CSV gxie writes is opened by ``_csv_stream``: here, and for the
    batch tables written straight from rows, ``write_rows_csv``.

    >>> write_csv(long_table(reports), "cells.csv", excel=True)  # doctest: +SKIP
    """
    with _csv_stream(target, excel) as handle:
        df.to_csv(handle, index=False, lineterminator="\n")


@contextmanager
def _csv_stream(target: str | Path | TextIO, excel: bool) -> Iterator[TextIO]:
    """``target`` as a text stream for CSV: a path opened as UTF-8 with no newline translation (closed
    after), or the stream itself; with ``excel``, the byte-order mark written first."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8", newline="") as handle, _csv_stream(handle, excel) as stream:
            yield stream
        return
    if excel:
        target.write("\ufeff")
    yield target


def check_table_formats(formats: Sequence[str]) -> None:
    """Raise for an unknown table format, or ``MissingExtraError`` when its package is not installed."""
    unknown = [f for f in formats if f not in TABLE_FORMATS]
    if unknown:
        raise ValueError(
            f"unknown table format(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(TABLE_FORMATS)}"
        )
    for fmt in formats:
        if fmt in _EXTRA_PACKAGES:
            require_extra(*_EXTRA_PACKAGES[fmt])


def write_tables(
    reports: Sequence[Report], out_dir: str | Path, formats: Sequence[str], *, excel_csv: bool = False
) -> list[Path]:
    """Write ``reports.<fmt>`` (``wide_table``) and ``cells.<fmt>`` (``long_table``) for each format.

    ``excel_csv`` gives the CSV files a byte-order mark (``write_csv``).

    >>> [p.name for p in write_tables(reports, "out", ["csv"])]  # doctest: +SKIP
    ['reports.csv', 'cells.csv']
    """
    check_table_formats(formats)
    table_rows: dict[str, tuple[list[str], Sequence[Sequence[Any]]]] = {}  # each built once, for all formats
    frames: dict[str, pd.DataFrame] = {}

    def rows(name: str) -> tuple[list[str], Sequence[Sequence[Any]]]:
        if name not in table_rows:
            table_rows[name] = (wide_rows if name == TABLE_NAMES[0] else long_rows)(reports)
        return table_rows[name]

    def frame(name: str) -> pd.DataFrame:
        if name not in frames:
            frames[name] = cell_frame(*rows(name))
        return frames[name]

    written: list[Path] = []
    for fmt in formats:
        for name in TABLE_NAMES:
            path = Path(out_dir) / f"{name}.{fmt}"
            if fmt != "csv":
                write_table(frame(name), path, excel_csv=excel_csv)
            elif name == TABLE_NAMES[0]:  # CSV straight from the rows: what a frame of them gives
                path.parent.mkdir(parents=True, exist_ok=True)
                write_rows_csv(*rows(name), path, excel=excel_csv)
            else:  # one line per cell, formatted straight from the cells
                path.parent.mkdir(parents=True, exist_ok=True)
                write_long_csv(reports, path, excel=excel_csv)
            written.append(path)
    return written


def write_rows_csv(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], target: str | Path | TextIO, *, excel: bool = False
) -> None:
    """Write rows of Python values as the CSV ``write_csv(cell_frame(columns, rows), target)`` writes, byte
    for byte, without building the frame: blanks (None) empty, numbers as Python writes them."""
    import csv

    with _csv_stream(target, excel) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def write_long_csv(reports: Iterable[Report], target: str | Path | TextIO, *, excel: bool = False) -> None:
    """The long table (``long_rows``) as CSV, byte for byte what ``write_rows_csv(*long_rows(reports), target)``
    writes, without building its rows: each cell one formatted line, every text field escaped as ``csv``
    escapes it (``_csv_field``, once per distinct text), numbers written as ``csv`` writes them (``str``)."""
    import csv

    field = _csv_field
    keys: dict[tuple[str, str, str], str] = {}
    with _csv_stream(target, excel) as handle:
        csv.writer(handle, lineterminator="\n").writerow(LONG_COLUMNS)
        for r in reports:
            source = field(r.source)
            lines = []
            for c in r.cells:
                where = keys.get((c.table, c.row, c.col))
                if where is None:
                    parts = (c.table, c.row, c.col, c.key)
                    where = keys[c.table, c.row, c.col] = ",".join(field(x) for x in parts)
                value = "" if c.value is None else str(c.value)
                start, end = ("", "") if c.span is None else (str(c.span[0]), str(c.span[1]))
                lines.append(f"{source},{where},{value},{field(c.raw)},{start},{end},{c.confidence}\n")
            handle.write("".join(lines))


@lru_cache(maxsize=65536)
def _csv_field(text: str) -> str:
    """``text`` as one field of a CSV line the way ``csv.writer`` (minimal quoting) writes it among others."""
    import csv

    if not text:
        return ""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text])
    return buffer.getvalue()[:-1]


def require_extra(package: str, purpose: str) -> None:
    """Raise ``MissingExtraError`` when ``package`` of the ``gxie[export]`` extra is not importable."""
    import importlib.util

    if importlib.util.find_spec(package) is None:
        raise MissingExtraError(package, "export", purpose)


def arrow_schema(df: pd.DataFrame) -> pa.Schema:
    """The Parquet schema of a table, fixed by column name so that it does not change with the data.

    ``ARROW_TYPES`` for the report and cell columns; a flat key (``section3.granted.total``) is ``int64``,
    or ``float64`` for money (``MONEY_COLUMNS``) and for a count column that holds a fraction; any other
    column by its values (bool, int64, float64, else ``string``, also when it holds none).

    >>> arrow_schema(wide_table([])).field("section3.granted.total").type  # doctest: +SKIP
    DataType(int64)
    """
    import pandas as pd
    import pyarrow as pa

    fields = []
    for name in df.columns:
        present = [v for v in df[name].tolist() if not pd.isna(v)]
        kind = ARROW_TYPES.get(name) or _kind_of_key(name) or _kind_of_values(present)
        if kind == "int64" and any(type(v) is not int for v in present):
            kind = "float64"  # a count written as a fraction (1.5) keeps its value
        fields.append(pa.field(name, pa.type_for_alias(kind)))
    return pa.schema(fields)


def to_arrow(df: pd.DataFrame) -> pa.Table:
    """``df`` as a pyarrow table in ``arrow_schema(df)``; int64 columns are pandas ``Int64`` in its
    metadata, so ``pandas.read_parquet`` gives them back as ints, not floats."""
    import pyarrow as pa

    schema = arrow_schema(df)
    pandas_types = {pa.int64(): "Int64", pa.float64(): "float64", pa.bool_(): "boolean", pa.string(): "object"}
    typed = df.astype({f.name: pandas_types[f.type] for f in schema})
    return pa.Table.from_pandas(typed, schema=schema, preserve_index=False)


def _kind_of_key(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) != 3 or not parts[0].startswith("section"):
        return None
    return "float64" if parts[2] in MONEY_COLUMNS else "int64"


def _kind_of_values(present: list[Any]) -> str:
    if present and all(isinstance(v, bool) for v in present):
        return "bool"
    if present and all(type(v) is int for v in present):
        return "int64"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "float64"
    return "string"


def _for_excel(df: pd.DataFrame) -> pd.DataFrame:
    """Drop the control characters openpyxl refuses (PDF text can hold some)."""
    import pandas as pd
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out = df.copy()
    for name in out.columns:
        if out[name].dtype == object:
            cleaned = [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in out[name]]
            out[name] = pd.Series(cleaned, index=out.index, dtype=object)
    return out

"""Reports as flat dicts, tables and files: a crash-safe JSON Lines journal, and tidy tables as CSV, Parquet or XLSX.

Tables keep ints as ints: a column whose values are all ints is pandas ``Int64`` (nullable), all floats
``float64``, and a column mixing ints and floats stays ``object`` so that ``0`` is written as ``0``, not
``0.0``, in CSV and XLSX (each spreadsheet cell keeps its own type). Parquet holds one type per column
and gets a fixed schema that does not depend on the data (``arrow_schema``): counts ``int64``, money
columns and the cells table's ``value`` (counts and money mixed) ``float64``, text ``string``.
CSV is plain UTF-8 (``write_csv``); ``excel=True`` adds the byte-order mark Excel needs to read Chinese.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from gxie.errors import MissingExtraError
from gxie.grid.values import WAN_YUAN_COLUMNS, YUAN_COLUMNS
from gxie.report import Report
from gxie.templates import all_flat_keys
from gxie.types import Cell

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

logger = logging.getLogger(__name__)

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
_TAIL_CHUNK = 1 << 16
# A batch journal's row is ``Report.to_dict()`` plus this object: {"path": resolved input path, "attempt": n}.
JOURNAL_FIELD = "batch"


class JsonlWriter:
    """Append reports to a JSON Lines file one line at a time, each flushed and fsynced.

    A run killed mid-write leaves at most one torn last line; opening in append mode cuts such a line off
    (and keeps a complete last line that only lacks its newline).

    >>> with JsonlWriter("results.jsonl") as out:  # doctest: +SKIP
    ...     out.write(report)
    """

    def __init__(self, path: str | Path, append: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if append and self.path.exists():
            _repair_tail(self.path)
        self._file = open(self.path, "ab" if append else "wb")  # noqa: SIM115 - closed in close()

    def write(self, report: Report | Mapping[str, Any]) -> bytes:
        """Write one report (or its ``to_dict()``) as one line and push it to disk; returns the line's bytes."""
        record = report.to_dict() if isinstance(report, Report) else dict(report)
        line = (json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())
        return line

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _repair_tail(path: Path) -> None:
    """Make ``path`` end with a newline: complete a valid last line, cut off a torn one."""
    with open(path, "rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        start = size
        tail = b""
        while start > 0 and b"\n" not in tail:
            step = min(_TAIL_CHUNK, start)
            start -= step
            f.seek(start)
            tail = f.read(step) + tail
        cut = start + tail.rfind(b"\n") + 1 if b"\n" in tail else 0
        f.seek(cut)
        fragment = f.read()
        try:
            json.loads(fragment.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            logger.warning("%s: cutting off a torn last line (%d bytes) before appending", path, len(fragment))
            f.truncate(cut)
        else:
            f.seek(size)
            f.write(b"\n")


def write_jsonl(reports: Iterable[Report | Mapping[str, Any]], path: str | Path, append: bool = False) -> int:
    """Write one ``to_dict()`` per line (fsynced per line) and return how many lines were written."""
    n = 0
    with JsonlWriter(path, append=append) as out:
        for report in reports:
            out.write(report)
            n += 1
    return n


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the dicts of a JSON Lines file; a torn last line is skipped with a logged warning.

    A bad line anywhere else raises ``ValueError``: that file was damaged, not just cut short.
    """
    path = Path(path)
    previous: tuple[int, bytes] | None = None
    for line in _raw_lines(path):
        if previous is not None:
            yield _parse_line(path, *previous, last=False)
        previous = line
    if previous is not None:
        parsed = _parse_last(path, *previous)
        if parsed is not None:
            yield parsed


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, bytes)`` of each line of ``path`` that is not blank."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if raw.strip():
                yield number, raw


def _parse_last(path: Path, number: int, raw: bytes) -> dict[str, Any] | None:
    """The last line's dict, or None (with a logged warning) when it is torn."""
    try:
        return _parse_line(path, number, raw, last=True)
    except _TornLine as exc:
        logger.warning("%s: skipping a torn last line %d (%s)", path, number, exc)
        return None


class _TornLine(ValueError):
    pass


def _parse_line(path: Path, number: int, raw: bytes, last: bool) -> dict[str, Any]:
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        if last:
            raise _TornLine(str(exc)) from exc
        raise ValueError(
            f"{path}: line {number} is not valid JSON ({exc}); the file is damaged in the middle, "
            "not just cut off at its end. Remove or fix that line and run again."
        ) from exc
    if not isinstance(record, dict):
        raise ValueError(f"{path}: line {number} holds a {type(record).__name__}, expected a JSON object")
    return record


def journal_path(row: Mapping[str, Any]) -> str:
    """The file a journal row is about: its ``batch.path`` (resolved when written), else its absolute ``source``.

    >>> journal_path({"source": "a.txt", "batch": {"path": "/data/in/a.txt", "attempt": 1}})
    '/data/in/a.txt'
    """
    info = row.get(JOURNAL_FIELD)
    if isinstance(info, Mapping) and isinstance(info.get("path"), str):
        return str(info["path"])
    return os.path.abspath(str(row.get("source")))


@dataclass(frozen=True)
class Written:
    """A journal row a run wrote: its ``report`` (without text), the file it is about (``journal_path``)
    and the ``line`` as written (``JsonlWriter.write``)."""

    report: Report
    path: str
    line: bytes


def latest_reports(path: str | Path, recent: Sequence[Written] = ()) -> list[Report]:
    """The reports of a batch's ``results.jsonl``: the latest row per content and per file.

    A later row supersedes an earlier one with the same content hash (a retried file, a ``--no-resume``
    run) or about the same file (``journal_path``: a file edited since, or unreadable before, named by a
    relative or an absolute path); the order follows the latest rows. ``recent``: the rows a run just
    wrote, in order. When the journal ends with exactly their lines, byte for byte, their reports are
    taken as they are instead of decoded again; otherwise every row is decoded.
    """
    path = Path(path)
    lines = list(_raw_lines(path))
    first = len(lines) - len(recent)
    tail = lines[first:] if first >= 0 else []
    if not recent or len(tail) != len(recent) or any(w.line != raw for w, (_, raw) in zip(recent, tail, strict=True)):
        first = len(lines)
    rows: dict[int, Report | dict[str, Any]] = {}
    by_hash: dict[str, int] = {}
    by_path: dict[str, int] = {}
    for index, (number, raw) in enumerate(lines):
        item: Report | dict[str, Any] | None
        if index >= first:
            written = recent[index - first]
            item, content_hash, where = written.report, written.report.content_hash, written.path
        else:
            item = (
                _parse_line(path, number, raw, last=False) if index + 1 < len(lines) else _parse_last(path, number, raw)
            )
            if item is None:
                continue
            content_hash, where = item.get("content_hash"), journal_path(item)
        for old in (by_hash.get(content_hash) if content_hash else None, by_path.get(where)):
            if old is not None:
                rows.pop(old, None)
        rows[index] = item
        by_path[where] = index
        if content_hash:
            by_hash[content_hash] = index
    return [item if isinstance(item, Report) else Report.from_dict(item) for item in rows.values()]


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
    code page and garbles Chinese. Every CSV gxie writes goes through here.

    >>> write_csv(long_table(reports), "cells.csv", excel=True)  # doctest: +SKIP
    """
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            write_csv(df, handle, excel=excel)
        return
    if excel:
        target.write("\ufeff")
    df.to_csv(target, index=False, lineterminator="\n")


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
    tables: dict[str, tuple[list[str], Sequence[Sequence[Any]]]] = {
        TABLE_NAMES[0]: wide_rows(reports),
        TABLE_NAMES[1]: long_rows(reports),
    }
    frames: dict[str, pd.DataFrame] = {}
    written: list[Path] = []
    for fmt in formats:
        for name, (columns, rows) in tables.items():
            path = Path(out_dir) / f"{name}.{fmt}"
            if fmt == "csv":  # straight from the rows: the CSV a frame of them gives (write_rows_csv)
                path.parent.mkdir(parents=True, exist_ok=True)
                write_rows_csv(columns, rows, path, excel=excel_csv)
            else:
                if name not in frames:
                    frames[name] = cell_frame(columns, rows)
                write_table(frames[name], path, excel_csv=excel_csv)
            written.append(path)
    return written


def write_rows_csv(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], target: str | Path, *, excel: bool = False
) -> None:
    """Write rows of Python values as the CSV ``write_csv(cell_frame(columns, rows), target)`` writes, byte
    for byte, without building the frame: blanks (None) empty, numbers as Python writes them."""
    import csv

    with open(target, "w", encoding="utf-8", newline="") as handle:
        if excel:
            handle.write("\ufeff")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


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

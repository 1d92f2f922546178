"""The finished result of one extraction: ``Report``, and its JSON, flat-dict and table forms.

``Report.to_dict()`` is the output contract of /work/shared/schema/README.md; ``Report.from_dict`` reads it
back (to resume a batch from its ``results.jsonl``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gxie._version import __version__
from gxie.labels import LABELS_VERSION
from gxie.templates import TEMPLATES_VERSION, all_flat_keys, load_template
from gxie.types import Cell, Check, Message, Section, Status

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = "1"
STATUSES: tuple[str, ...] = ("ok", "partial", "failed")
# Column order of ``Report.to_frame()`` / ``Report.to_csv()``: one row per cell.
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


def current_versions(tagger_version: str | None = None) -> dict[str, str]:
    """The ``versions`` entry of a report made now: gxie, schema, templates, labels (and tagger if given).

    >>> current_versions("rules:1")["schema"]
    '1'
    """
    versions = {
        "gxie": __version__,
        "schema": SCHEMA_VERSION,
        "templates": TEMPLATES_VERSION,
        "labels": LABELS_VERSION,
    }
    if tagger_version is not None:
        versions["tagger"] = tagger_version
    return versions


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


@dataclass
class Report:
    """Everything gxie found in one report: metadata, sections, table cells, checks and issues.

    >>> report.to_flat()["section3.total_processed.total"]  # doctest: +SKIP
    12
    """

    source: str  # file path or "<string>"
    status: Status  # "ok" | "partial" | "failed"
    template: str | None  # "2019" | "2021" | None when no table was found
    agency: str | None
    year: int | None
    date_issued: str | None  # ISO "2021-01-27"
    sections: list[Section]
    cells: list[Cell]  # span points into the ORIGINAL input text
    checks: list[Check]
    issues: list[Message]
    tagger: str  # e.g. "model:default@<hash>" or "rules:1"
    input_kind: str | None  # "text" | "html" | "docx" | "pdf" | "image" | None
    content_hash: str | None  # sha256 of the input bytes (or of the text for strings)
    versions: dict[str, str]  # gxie, schema, templates, labels, tagger
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    text: str | None = field(default=None, repr=False)  # original input text

    @classmethod
    def failed(
        cls,
        source: str,
        code: str,
        message: str,
        *,
        tagger: str = "",
        input_kind: str | None = None,
        content_hash: str | None = None,
        versions: dict[str, str] | None = None,
    ) -> Report:
        """A report for an input that could not be processed, carrying one error ``Message``.

        >>> Report.failed("a.xyz", "unsupported_format", "cannot read .xyz").status
        'failed'
        """
        return cls(
            source=source,
            status="failed",
            template=None,
            agency=None,
            year=None,
            date_issued=None,
            sections=[],
            cells=[],
            checks=[],
            issues=[Message("error", code, message)],
            tagger=tagger,
            input_kind=input_kind,
            content_hash=content_hash,
            versions=versions if versions is not None else current_versions(),
        )

    @property
    def failed_checks(self) -> list[Check]:
        """The checks that were evaluated and did not hold (``passed is False``)."""
        return [c for c in self.checks if c.passed is False]

    def cell(self, key: str) -> Cell | None:
        """The cell with flat key ``key`` (e.g. ``"section4.review.total"``), or None when not found."""
        for c in self.cells:
            if c.key == key:
                return c
        return None

    def to_dict(self, include_text: bool = False) -> dict[str, Any]:
        """The JSON-able output contract (``schema_version`` "1"); ``text`` only with ``include_text``."""
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "template": self.template,
            "agency": self.agency,
            "year": self.year,
            "date_issued": self.date_issued,
            "status": self.status,
            "sections": [
                {"id": s.id, "title": s.title, "span": list(s.span), "standard": s.standard} for s in self.sections
            ],
            "issues": [m.to_dict() for m in self.issues],
            "checks": [c.to_dict() for c in self.checks],
            "cells": [
                {
                    "table": c.table,
                    "row": c.row,
                    "col": c.col,
                    "value": c.value,
                    "raw": c.raw,
                    "span": list(c.span) if c.span is not None else None,
                    "confidence": c.confidence,
                }
                for c in self.cells
            ],
            "tagger": self.tagger,
            "input_kind": self.input_kind,
            "content_hash": self.content_hash,
            "versions": dict(self.versions),
            "timings": dict(self.timings),
        }
        if include_text:
            out["text"] = self.text
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        """Rebuild a report from ``to_dict()`` output (e.g. one line of a batch's ``results.jsonl``)."""
        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"report dict has schema_version {version!r}; this gxie reads schema_version "
                f"{SCHEMA_VERSION!r} only. Re-run the extraction with this gxie version."
            )
        status = d["status"]
        if status not in STATUSES:
            raise ValueError(f"report dict has status {status!r}; allowed are {', '.join(STATUSES)}")
        try:
            return cls(
                source=d["source"],
                status=status,
                template=d["template"],
                agency=d["agency"],
                year=d["year"],
                date_issued=d["date_issued"],
                sections=[
                    Section(s["id"], s["title"], (s["span"][0], s["span"][1]), s["standard"]) for s in d["sections"]
                ],
                cells=[
                    Cell(
                        c["table"],
                        c["row"],
                        c["col"],
                        c["value"],
                        c["raw"],
                        (c["span"][0], c["span"][1]) if c["span"] is not None else None,
                        c["confidence"],
                    )
                    for c in d["cells"]
                ],
                checks=[
                    Check(
                        c["rule"],
                        c["scope"],
                        tuple(c["cells"]),
                        c["expected"],
                        c["found"],
                        c["passed"],
                        c.get("source_inconsistency", False),
                    )
                    for c in d["checks"]
                ],
                issues=[Message(m["level"], m["code"], m["message"]) for m in d["issues"]],
                tagger=d["tagger"],
                input_kind=d["input_kind"],
                content_hash=d["content_hash"],
                versions=dict(d["versions"]),
                timings=dict(d.get("timings", {})),
                text=d.get("text"),
            )
        except (KeyError, IndexError, TypeError) as exc:
            raise ValueError(
                f"report dict for source {d.get('source')!r} is missing or has a malformed field: {exc!r}"
            ) from exc

    def to_flat(self) -> dict[str, Any]:
        """``{flat key: value}`` for every key of the report's format, in table order; null when not found.

        With no format (``template`` None) every key of both formats is present, all null. A cell whose key
        the format does not list (e.g. a single （六） row printed in a 2021 report) follows at the end.
        """
        keys = load_template(self.template).flat_keys() if self.template is not None else all_flat_keys()
        flat: dict[str, Any] = dict.fromkeys(keys)
        for c in self.cells:
            flat[c.key] = c.value
        return flat

    def to_frame(self) -> pd.DataFrame:
        """The cells as a pandas long table, columns ``CELL_COLUMNS``; ``value`` keeps ints as ints."""
        from gxie.export import cell_frame

        return cell_frame(CELL_COLUMNS, cell_records(self.cells))

    def to_json(self, path: str | Path | None = None, indent: int | None = 2) -> str:
        """The ``to_dict()`` JSON text (UTF-8, Chinese unescaped); also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def to_csv(self, path: str | Path | None = None, *, excel: bool = False) -> str:
        """The long cell table as CSV text; also written to ``path`` (UTF-8; with a BOM for Excel when
        ``excel``) when given. One writer for every CSV: ``gxie.export.write_csv``.

        >>> report.to_csv("cells.csv", excel=True).splitlines()[0]  # doctest: +SKIP
        'table,row,col,key,value,raw,span_start,span_end,confidence'
        """
        from gxie.export import write_csv

        frame = self.to_frame()
        buffer = io.StringIO()
        write_csv(frame, buffer)
        if path is not None:
            write_csv(frame, path, excel=excel)
        return buffer.getvalue()

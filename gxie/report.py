"""The finished result of one extraction: ``Report``, with its JSON (``to_dict``/``from_dict``/``to_json``)
and flat (``to_flat``) forms, the output contract of the shared schema README.

It sits above the templates (``to_flat`` lists every key of the report's format) and below everything
that makes or writes reports; tables (pandas, CSV, Parquet, XLSX) are ``gxie.export``'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gxie.confidence import TRUSTED
from gxie.templates import all_flat_keys, load_template
from gxie.types import SCHEMA_VERSION, Cell, Check, Issue, IssueCode, Section, Status, from_data, to_data


@dataclass(frozen=True, kw_only=True)
class Report:
    """Everything gxie found in one report, fields in the order of the JSON output contract (``to_dict``).

    >>> report.cell("section3.total_processed.total").value  # doctest: +SKIP
    12
    """

    source: str  # file path or "<string>"
    template: str | None  # "2019" | "2021" | None when no table was found
    agency: str | None
    year: int | None
    date_issued: str | None  # ISO "2021-01-27"
    status: Status
    sections: tuple[Section, ...]
    issues: tuple[Issue, ...]
    checks: tuple[Check, ...]
    cells: tuple[Cell, ...]  # span points into the ORIGINAL input text
    tagger: str  # e.g. "model:default@<hash>" or "rules:1"
    input_kind: str | None  # "text" | "html" | "docx" | "pdf" | "image" | None
    content_hash: str | None  # sha256 of the input bytes (or of the text for strings)
    versions: dict[str, str]  # gxie, schema, templates, labels, tagger
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    text: str | None = field(default=None, repr=False)  # original input text; in to_dict only on request

    @classmethod
    def failed(
        cls,
        source: str,
        code: IssueCode,
        message: str,
        *,
        versions: dict[str, str],
        tagger: str = "",
        input_kind: str | None = None,
        content_hash: str | None = None,
    ) -> Report:
        """A report for an input that could not be processed, carrying one error ``Issue``.

        >>> Report.failed("a.xyz", IssueCode.UNSUPPORTED_FORMAT, "cannot read .xyz", versions={}).status
        'failed'
        """
        return cls(
            source=source,
            template=None,
            agency=None,
            year=None,
            date_issued=None,
            status="failed",
            sections=(),
            issues=(Issue("error", code, message),),
            checks=(),
            cells=(),
            tagger=tagger,
            input_kind=input_kind,
            content_hash=content_hash,
            versions=versions,
        )

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        """The checks that were evaluated and did not hold (``passed is False``)."""
        return tuple(c for c in self.checks if c.passed is False)

    @property
    def trusted_cells(self) -> tuple[Cell, ...]:
        """The cells a user may take without review: confidence >= ``gxie.confidence.TRUSTED`` (0.9) and in
        no failed check. On every converter and set of the benchmarks these were right (docs/converted_text.md);
        every other cell needs a look."""
        doubted = {k for c in self.failed_checks for k in c.cells}
        return tuple(c for c in self.cells if c.confidence >= TRUSTED and c.key not in doubted)

    def without_text(self) -> Report:
        """This report without its input ``text`` (itself when it holds none): what ``from_dict(to_dict())``
        gives, and all a batch keeps (the journal and the tables hold no text)."""
        return self if self.text is None else replace(self, text=None)

    def cell(self, key: str) -> Cell | None:
        """The cell with flat key ``key`` (e.g. ``"section4.review.total"``), or None when not found."""
        return next((c for c in self.cells if c.key == key), None)

    def to_dict(self, include_text: bool = False) -> dict[str, Any]:
        """The JSON-able output contract (``schema_version`` first); ``text`` only with ``include_text``.

        >>> report.to_dict()["issues"]  # doctest: +SKIP
        [{'level': 'warning', 'code': 'missing_table', 'message': 'section4: table not found (15 cells null)'}]
        """
        data = to_data(self)
        if not include_text:
            del data["text"]
        return {"schema_version": SCHEMA_VERSION, **data}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        """Rebuild a report from ``to_dict()`` output (e.g. one line of a batch's ``results.jsonl``).

        >>> Report.from_dict(report.to_dict()) == report.without_text()  # doctest: +SKIP
        True
        """
        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"report dict has schema_version {version!r}; this gxie reads schema_version "
                f"{SCHEMA_VERSION!r} only. Re-run the extraction with this gxie version."
            )
        try:
            return from_data(cls, {k: v for k, v in d.items() if k != "schema_version"})
        except ValueError as exc:
            raise ValueError(
                f"report dict for source {d.get('source')!r} is missing or has a malformed field: {exc}. "
                "It must be Report.to_dict() output, unedited; re-run the extraction to get it again."
            ) from None

    def to_flat(self) -> dict[str, Any]:
        """``{flat key: value}`` for every key of the report's format, in table order; null when not found.

        With no format (``template`` None) every key of both formats is present, all null. A cell whose key
        the format does not list (e.g. a single （六） row printed in a 2021 report) follows at the end.

        >>> report.to_flat()["section3.total_processed.total"]  # doctest: +SKIP
        12
        """
        keys = load_template(self.template).flat_keys() if self.template is not None else all_flat_keys()
        flat: dict[str, Any] = dict.fromkeys(keys)
        for c in self.cells:
            flat[c.key] = c.value
        return flat

    def to_json(self, path: str | Path | None = None, indent: int | None = 2) -> str:
        """The ``to_dict()`` JSON text (UTF-8, Chinese unescaped); also written to ``path`` when given.

        >>> report.to_json("report.json")  # doctest: +SKIP
        """
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

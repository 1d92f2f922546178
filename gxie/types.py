"""Typed values passed between gxie's stages: read -> normalize -> tag -> rebuild grid -> validate."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["ok", "partial", "failed"]
Level = Literal["error", "warning", "info"]
Number = int | float


@dataclass(frozen=True)
class Message:
    """A problem or remark about one report: machine-readable ``code``, human-readable ``text``."""

    level: Level
    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"level": self.level, "code": self.code, "message": self.text}


@dataclass(frozen=True)
class Page:
    """One page (PDF) of a document: ``[start, end)`` offsets into ``Document.text``."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """What a reader returns: the text of the input file and where it came from.

    ``text`` is "the original input text" of the output contract: every span gxie reports points into it.
    """

    text: str
    source: str
    kind: str  # "text", "html", "docx", "pdf", "image"
    encoding: str | None = None
    pages: tuple[Page, ...] = ()
    needs_ocr: bool = False
    messages: tuple[Message, ...] = ()


@dataclass(frozen=True)
class NormalizedText:
    """Normalized text plus, for each of its characters, the ``[start, end)`` range it came from.

    ``starts[i]``/``ends[i]`` give the range in ``original`` that produced normalized character ``i``.
    """

    text: str
    original: str
    starts: array = field(repr=False)
    ends: array = field(repr=False)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the normalized text back onto the original text."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) is outside the normalized text (length {len(self.text)})")
        if start == end:
            pos = self.starts[start] if start < len(self.text) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


@dataclass(frozen=True)
class Span:
    """A labelled character span ``[start, end)`` of the normalized text (label from gxie.labels)."""

    start: int
    end: int
    label: str
    text: str
    score: float = 1.0


@dataclass(frozen=True)
class Cell:
    """One cell of a fixed table.

    ``span`` points into the normalized text while the grid is rebuilt and into the original input
    text in a finished ``Report``. ``value`` is None for a blank cell or an explicit empty marker.
    """

    table: str  # "section2" | "section3" | "section4"
    row: str
    col: str
    value: Number | None
    raw: str
    span: tuple[int, int] | None
    confidence: float

    @property
    def key(self) -> str:
        return f"{self.table}.{self.row}.{self.col}"


@dataclass(frozen=True)
class Check:
    """One arithmetic relation evaluated on the cells that were read."""

    rule: str  # e.g. "R1_column_identity"
    scope: str  # e.g. "column natural_person"
    cells: tuple[str, ...]  # flat keys involved
    expected: Number | None
    found: Number | None
    passed: bool | None  # None: not evaluable (a cell it needs was not read)
    source_inconsistency: bool = False  # True: the printed numbers themselves do not add up

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "scope": self.scope,
            "cells": list(self.cells),
            "expected": self.expected,
            "found": self.found,
            "passed": self.passed,
            "source_inconsistency": self.source_inconsistency,
        }


@dataclass(frozen=True)
class Section:
    """A section heading found in the report (standard or not)."""

    id: str | None  # "一".."六" when it is recognised as that section, else None
    title: str
    span: tuple[int, int]
    standard: bool  # True when the heading wording is the official one

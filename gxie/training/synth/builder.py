"""A text builder that records the gold label of every piece it appends.

The report is written piece by piece; each labelled piece is passed through the report's noise *before*
it is appended, so spans always point at the text as it finally reads. A span never holds a tab or a
newline and never starts or ends with whitespace (whitespace around a cell's text is O).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gxie.labels import ENTITY_TYPES, check_entity
from gxie.training.synth.values import Value
from gxie.types import Span

_EDGE_SPACE = " \u3000\xa0"


class PieceNoise(Protocol):
    """What the builder asks of a noise model (see gxie.training.synth.noise.Noise)."""

    def prose(self, text: str) -> str: ...

    def label(self, text: str) -> str: ...

    def number(self, text: str) -> str: ...

    def marker(self, text: str) -> str: ...

    def sep(self, text: str, glue: bool) -> str: ...

    def rule(self, before_label: bool) -> str: ...


@dataclass(frozen=True)
class GoldCell:
    """A grid cell that was printed: its flat key, gold value (None for an EMPTY marker) and span."""

    key: str
    value: Value | None
    start: int
    end: int


class Builder:
    """Append text piece by piece; labelled pieces become spans over the final text."""

    def __init__(self, noise: PieceNoise) -> None:
        self.noise = noise
        self._parts: list[str] = []
        self._pos = 0
        self.spans: list[Span] = []
        self.cells: list[GoldCell] = []

    @property
    def pos(self) -> int:
        """Length of the text written so far."""
        return self._pos

    def _append(self, text: str) -> None:
        if text:
            self._parts.append(text)
            self._pos += len(text)

    def _tail(self) -> str:
        """The last two characters written."""
        tail = ""
        for part in reversed(self._parts):
            tail = part[-2:] + tail
            if len(tail) >= 2:
                break
        return tail[-2:]

    def raw(self, text: str) -> None:
        """Append O text exactly as given (whitespace, layout characters)."""
        self._append(text)

    def prose(self, text: str) -> None:
        """Append O text (prose, debris, page footers) through the prose noise."""
        self._append(self.noise.prose(text))

    def sep(self, text: str, *, glue: bool = False) -> None:
        """Append a cell separator; ``glue`` allows heavy noise to drop it (label glued to a number)."""
        self._append(self.noise.sep(text, glue))

    def newline(self, count: int = 1) -> None:
        """End the current line; ``count`` > 1 leaves blank lines."""
        self._append("\n" * count)

    def ensure_blank_line(self) -> None:
        """Make sure the text ends with an empty line (or is empty)."""
        if self._pos == 0:
            return
        if not self._tail().endswith("\n"):
            self._append("\n")
        if not self._tail().endswith("\n\n"):
            self._append("\n")

    def ensure_newline(self) -> None:
        """Make sure the text ends with a line break (or is empty)."""
        if self._pos and not self._tail().endswith("\n"):
            self._append("\n")

    def span(self, text: str, label: str, *, key: str | None = None, value: Value | None = None) -> None:
        """Append one labelled piece (a heading, caption, label cell, number or empty marker).

        NUM and EMPTY pieces of a grid cell pass ``key`` (and NUM its gold ``value``) so the report
        knows which cells were printed.
        """
        if label not in ENTITY_TYPES:
            check_entity(label)
        if label == "NUM":
            noisy = self.noise.number(text)
        elif label == "EMPTY":
            noisy = self.noise.marker(text)
        else:
            noisy = self.noise.label(text)
        if "\n" in noisy or "\t" in noisy:
            raise ValueError(f"a {label} piece may not hold a tab or newline, got {noisy!r}; split it first")
        core = noisy.strip(_EDGE_SPACE)
        if not core:
            self._append(noisy)
            return
        start = self._pos
        if len(core) == len(noisy):
            self._parts.append(core)
        else:
            start += len(noisy) - len(noisy.lstrip(_EDGE_SPACE))
            self._parts.append(noisy)
        end = start + len(core)
        self._pos += len(noisy)
        self.spans.append(Span(start, end, label, core))
        if key is not None:
            self.cells.append(GoldCell(key, value if label == "NUM" else None, start, end))

    def text(self) -> str:
        """The text written so far."""
        return "".join(self._parts)

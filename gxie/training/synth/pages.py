"""What every layout family writes: page breaks inside tables (:class:`Pages`) and one cell (:func:`emit`)."""

from __future__ import annotations

import random

from gxie.training.synth.builder import Builder
from gxie.training.synth.tables import TCell


class Pages:
    """Page numbering of one report, for footers and running headers printed inside tables."""

    def __init__(self, rng: random.Random, title: str) -> None:
        self.rng = rng
        self.page = rng.randint(2, 4)
        self.total = self.page + rng.randint(3, 8)
        self.style = rng.choice(("— {n} —", "- {n} -", "第 {n} 页", "第{n}页 共{t}页", "{n}", "－{n}－"))
        self.header = title if rng.random() < 0.3 else ""

    def page_break(self, b: Builder, table: bool = True) -> None:
        """Print the end of one page and the start of the next (O text); inside a table the next
        page may start with 续表."""
        r = self.rng
        b.ensure_newline()
        if r.random() < 0.5:
            b.newline()
        indent = " " * r.choice((0, 0, 20, 30))
        b.prose(indent + self.style.format(n=self.page, t=self.total))
        b.newline(r.choice((1, 2)))
        self.page += 1
        if self.header:
            b.prose(self.header)
            b.newline(r.choice((1, 2)))
        if table and r.random() < 0.2:
            b.prose(r.choice(("续表", "（续表）", "续上表")))
            b.newline()


def emit(b: Builder, cell: TCell) -> None:
    """Write one cell: a labelled span, or O text for blanks."""
    if cell.label is not None and cell.text.strip(" \xa0\u3000"):
        b.span(cell.text, cell.label, key=cell.key, value=cell.value)
    else:
        b.raw(cell.text)

"""Assemble one synthetic report: agency, values, tables, prose, layout and noise -> text + gold."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from gxie.templates import load_template
from gxie.training.synth import narrative as nar
from gxie.training.synth.agencies import make_agency
from gxie.training.synth.builder import Builder, GoldCell
from gxie.training.synth.layouts import LAYOUT_FAMILIES, render
from gxie.training.synth.noise import Noise
from gxie.training.synth.pages import Pages
from gxie.training.synth.prose import (
    CUSTOM_HEADINGS,
    OTHER_HEADINGS,
    OVERVIEW_HEADINGS,
    PROBLEM_HEADINGS,
    SUBHEADINGS,
)
from gxie.training.synth.tables import (
    HEADER_NOTE,
    Grid,
    Style,
    draw_style,
    section2_grid,
    section3_grid,
    section4_grid,
    truncate,
)
from gxie.training.synth.values import (
    Value,
    Written,
    break_relation,
    section2_values,
    section3_values,
    section4_values,
    write_count,
)
from gxie.types import Span

LAYOUT_WEIGHTS: dict[str, int] = {
    "tab_rows": 22,
    "html_rows": 13,
    "markdown": 10,
    "cell_lines_nbsp": 10,
    "cell_lines_dropped": 10,
    "word_indent": 7,
    "pdf_text": 16,
    "mixed": 12,
}
NOISE_WEIGHTS: dict[str, int] = {"clean": 40, "light": 30, "heavy": 15, "traditional": 15}


@dataclass(frozen=True)
class SynthReport:
    """One generated report with its exact gold.

    ``spans`` point into ``text`` (the raw text, before any normalization); ``flat`` holds every key
    of the template's grid (None for blank, absent, truncated or explicitly empty cells); ``cells``
    ties each printed grid cell (NUM or EMPTY span) to its flat key.
    """

    id: str
    text: str
    spans: tuple[Span, ...]
    flat: dict[str, Value | None]
    template: str
    layout: str
    noise: str
    year: int
    agency: str
    broken: tuple[str, ...]
    truncated: bool
    cells: tuple[GoldCell, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What to generate for one report (drawn by :func:`gxie.training.synth.corpus.generate`)."""

    template: str
    layout: str
    noise: str
    agency_pool: str = "train"
    broken_share: float = 0.05
    truncated_share: float = 0.04
    debris_share: float = 0.25


class _Stop(Exception):
    """The report text ends here (a truncated report)."""


def _year(template: str, rng: random.Random) -> int:
    if template == "2019":
        return rng.choices((2019, 2020, 2021, 2022), (45, 45, 6, 4))[0]
    return rng.choices((2020, 2021, 2022, 2023, 2024, 2025), (2, 24, 24, 20, 18, 12))[0]


class _Writer:
    """Writes the prose side of a report in one consistent paragraph style."""

    def __init__(self, b: Builder, rng: random.Random, pdf: bool, pages: Pages) -> None:
        self.b, self.rng, self.pages = b, rng, pages
        self.wrap = rng.randint(26, 40) if pdf else 0
        self.blank = rng.random() < 0.6
        self.indent = "\u3000\u3000" if rng.random() < 0.3 else ""
        self.heading_blank = self.blank or rng.random() < 0.3

    def _gap(self, blank: bool) -> None:
        if blank:
            self.b.ensure_blank_line()
        else:
            self.b.ensure_newline()

    def para(self, text: str) -> None:
        self._gap(self.blank)
        text = self.indent + text
        if not self.wrap:
            self.b.prose(text)
            self.b.newline()
            return
        for i in range(0, len(text), self.wrap):
            self.b.prose(text[i : i + self.wrap])
            self.b.newline()
        if self.rng.random() < 0.12:
            self.pages.page_break(self.b, table=False)

    def heading(self, text: str, label: str = "SEC") -> None:
        self._gap(self.heading_blank)
        self.b.span(text, label)
        self.b.newline()

    def line(self, text: str) -> None:
        self._gap(self.blank)
        self.b.prose(text)
        self.b.newline()


class _Assembler:
    """Draws everything about one report from its rng, then writes it section by section."""

    def __init__(self, rid: str, rng: random.Random, plan: Plan) -> None:
        self.rid, self.rng, self.plan = rid, rng, plan
        self.template = load_template(plan.template)
        self.agency = make_agency(rng, plan.agency_pool)
        self.year = _year(plan.template, rng)
        self.style: Style = draw_style(rng, self.year)
        self.numbering = nar.draw_numbering(rng)
        self.title_style = rng.choice(nar.TITLE_STYLES)
        self.b = Builder(Noise(plan.noise, rng))
        title = nar.report_title(self.agency, self.year, rng)
        self.title = title
        self.pages = Pages(rng, "".join(title))
        self.w = _Writer(self.b, rng, plan.layout == "pdf_text", self.pages)
        self.truncated = False
        cut = rng.random() < plan.truncated_share
        self.trunc_table = rng.choices(("section2", "section3", "section4"), (2, 5, 3))[0] if cut else None
        self.trunc_stop = rng.random() < 0.5
        self._values()
        self.ctx = nar.context(self.agency, self.year, rng)
        self.ctx.update(napp=self.napp, nreview=self.nreview, nlit=self.nlit)
        self.verbosity = rng.uniform(1.6, 3.8)

    def _values(self) -> None:
        t, rng, scale = self.template, self.rng, self.agency.scale
        ints = {**section3_values(t, rng, scale), **section4_values(rng, scale)}
        self.broken = break_relation(ints, t, rng) if rng.random() < self.plan.broken_share else ()
        self.napp = ints["section3.new_received.total"]
        self.nreview = ints["section4.review.total"]
        self.nlit = ints["section4.litigation_direct.total"] + ints["section4.litigation_after_review.total"]
        written: dict[str, Written] = {k: write_count(v, rng) for k, v in ints.items()}
        written.update(section2_values(t, rng, scale))
        self.values = written

    # -- tables -------------------------------------------------------------------------------
    def _family(self) -> str:
        if self.plan.layout == "mixed":
            return self.rng.choice(LAYOUT_FAMILIES)
        return self.plan.layout

    def _grid(self, table: str) -> Grid:
        rng, style = self.rng, self.style
        if table == "section2":
            grid = section2_grid(self.template, self.values, style, rng)
        elif table == "section3":
            grid = section3_grid(self.template, self.values, style, rng)
        else:
            grid = section4_grid(self.template, self.values, style, rng)
        body = len(grid.rows) - grid.header_rows
        if body > 4 and rng.random() < (0.3 if table == "section3" else 0.12):
            grid = replace(grid, breaks=(grid.header_rows + rng.randint(2, body - 2),))
        return grid

    def table(self, table: str, title: str | None = None) -> bool:
        """Write one table (with its title or header note); True when it was cut and the report
        jumps to the next section."""
        rng, b = self.rng, self.b
        grid = self._grid(table)
        if table == "section3" and not self.style.note_in_table and rng.random() < 0.5:
            note = HEADER_NOTE.replace("（", "(").replace("）", ")") if self.style.note_parens_half else HEADER_NOTE
            self.w.heading(note, "CAP")
        after = title is not None and rng.random() < 0.3
        if title and not after:
            self.w.heading(title, "CAP")
        cut = table == self.trunc_table
        if cut:
            grid = truncate(grid, rng)
            self.truncated = True
        family = self._family()
        if family in ("cell_lines_nbsp", "markdown") or self.w.blank:
            b.ensure_blank_line()
        else:
            b.ensure_newline()
        render(grid, family, b, rng, self.pages)
        b.ensure_newline()
        if cut:
            if self.trunc_stop:
                raise _Stop
            return True
        if title and after:
            self.w.heading(title, "CAP")
        return False

    # -- sections -----------------------------------------------------------------------------
    def _review(self) -> str:
        return "review_some" if self.nreview + self.nlit else "review_none"

    def heading(self, i: int, title: str) -> None:
        self.w.heading(nar.numbering(i, self.numbering) + title)

    def para(self, topic: str, low: int = 2, high: int = 4) -> None:
        """Sentences on ``topic`` (scaled by the report's verbosity), cut into paragraphs."""
        rng, v = self.rng, self.verbosity
        sentences = nar.sentences(topic, self.ctx, rng, max(1, round(low * v)), max(1, round(high * v)))
        while sentences:
            k = rng.randint(2, 6)
            self.w.para("".join(sentences[:k]))
            sentences = sentences[k:]

    def subsections(self) -> None:
        rng = self.rng
        picks = sorted(rng.sample(range(len(SUBHEADINGS)), rng.randint(2, len(SUBHEADINGS))))
        style = rng.choice(("（{c}）", "({c})", "{d}.", "{d}、"))
        inline = rng.random() < 0.4
        for n, i in enumerate(picks):
            title, topic = SUBHEADINGS[i]
            mark = style.format(c=nar.NUMERALS[n], d=n + 1)
            if inline:
                self.w.para(f"{mark}{title}。" + nar.paragraph(topic, self.ctx, rng, 3, 7))
            else:
                self.w.line(mark + title)
                self.para(topic, 3, 7)
            if rng.random() < 0.4:
                self.para(topic, 2, 5)

    def standard(self) -> None:
        rng, t = self.rng, self.template
        self.heading(0, nar.section_title(t, "一", rng))
        self.para("overall", 3, 7)
        if rng.random() < 0.75:
            self.subsections()
        else:
            self.para("overall", 3, 7)
        titled = rng.random() < 0.15
        for n, (sid, table, topic) in enumerate(
            (("二", "section2", "active"), ("三", "section3", "apply"), ("四", "section4", self._review())),
            start=1,
        ):
            self.heading(n, nar.section_title(t, sid, rng))
            if rng.random() < 0.5:
                self.para(topic, 1, 4)
            self.table(table, nar.table_title(table, n, self.year, rng, self.title_style) if titled else None)
        self.heading(4, nar.section_title(t, "五", rng))
        self.para("problems", 2, 5)
        self.para("improve", 3, 7)
        self.heading(5, nar.section_title(t, "六", rng))
        self.para("other", 1, 2)

    def custom(self) -> None:
        rng = self.rng
        heads = rng.sample(CUSTOM_HEADINGS, rng.randint(2, 4))
        overview = rng.randint(0, len(heads))
        i = 0
        for k in range(len(heads) + 1):
            if k == overview:
                self.heading(i, rng.choice(OVERVIEW_HEADINGS))
                self.para("overall", 1, 3)
                for n, table in enumerate(("section2", "section3", "section4"), start=1):
                    if rng.random() < 0.5:
                        self.para(("active", "apply", self._review())[n - 1], 1, 2)
                    if self.table(table, nar.table_title(table, n, self.year, rng, self.title_style)):
                        break
                i += 1
            if k < len(heads):
                self.heading(i, heads[k][0])
                self.para(heads[k][1], 3, 7)
                if rng.random() < 0.5:
                    self.para(heads[k][1], 2, 5)
                i += 1
        self.heading(i, rng.choice(PROBLEM_HEADINGS))
        self.para("problems", 2, 4)
        self.para("improve", 1, 3)
        if rng.random() < 0.6:
            self.heading(i + 1, rng.choice(OTHER_HEADINGS))
            self.para("other", 1, 2)

    def build(self) -> SynthReport:
        rng, b, w = self.rng, self.b, self.w
        debris = self.plan.debris_share
        if rng.random() < debris:
            for line in nar.debris(True, self.ctx, rng):
                w.line(line)
        for line in self.title:
            b.ensure_newline()
            b.prose(line)
            b.newline()
        self.w.para(nar.paragraph("intro", self.ctx, rng, 1, 2))
        try:
            if rng.random() < 0.15:
                self.custom()
            else:
                self.standard()
            w.line(self.agency.name)
            w.line(nar.issue_date(self.year, rng))
            if rng.random() < 0.15:
                w.line("（此件公开发布）")
        except _Stop:
            pass
        if rng.random() < debris:
            for line in nar.debris(False, self.ctx, rng):
                w.line(line)
        return self._result()

    def _result(self) -> SynthReport:
        flat: dict[str, Value | None] = dict.fromkeys(self.template.flat_keys())
        cells = []
        seen: set[str] = set()
        for cell in self.b.cells:
            if cell.key in seen:
                raise RuntimeError(f"grid cell {cell.key} was printed twice in report {self.rid}")
            seen.add(cell.key)
            flat[cell.key] = cell.value
            cells.append(cell)
        return SynthReport(
            id=self.rid,
            text=self.b.text(),
            spans=tuple(self.b.spans),
            flat=flat,
            template=self.template.id,
            layout=self.plan.layout,
            noise=self.plan.noise,
            year=self.year,
            agency=self.agency.name,
            broken=self.broken,
            truncated=self.truncated,
            cells=tuple(cells),
        )


def build_report(rid: str, rng: random.Random, plan: Plan) -> SynthReport:
    """Generate one report following ``plan``, drawing everything else from ``rng``."""
    return _Assembler(rid, rng, plan).build()

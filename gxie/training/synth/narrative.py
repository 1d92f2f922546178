"""Prose, headings, titles, dates, signatures and web-page debris of a synthetic report."""

from __future__ import annotations

import random
from typing import Any

from gxie.templates import Template
from gxie.training.synth.agencies import Agency
from gxie.training.synth.prose import (
    ACTIONS,
    COUNT_ITEMS,
    COUNT_UNITS,
    COUNT_VERBS,
    DEBRIS_AFTER,
    DEBRIS_BEFORE,
    HEADING_VARIANTS,
    OPENERS,
    OUTCOMES,
    SENTENCES,
    TABLE_TITLES,
)

NUMERALS = "一二三四五六七八九十"
_CN_DIGITS = "〇一二三四五六七八九"
_POOL_ONLY = ("intro", "other", "review_none", "review_some")  # topics whose sentences are never composed


class _Fill(dict[str, Any]):
    """A format mapping that draws a fresh random number for each {n}, {s} or {p}."""

    def __init__(self, rng: random.Random, ctx: dict[str, Any]) -> None:
        super().__init__(ctx)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        r = self.rng
        if key == "n":
            return str(int(10 + 3000 * r.random() ** 2))
        if key == "s":
            return str(r.randint(1, 30))
        if key == "p":
            return str(r.randint(85, 100))
        raise KeyError(f"prose placeholder {{{key}}} is unknown; add it to the report context")


def context(agency: Agency, year: int, rng: random.Random) -> dict[str, Any]:
    """The values prose placeholders refer to (the report adds its table totals: napp, nreview, nlit)."""
    return {
        "year": year,
        "prev": year - 1,
        "next": year + 1,
        "agency": agency.name,
        "short": agency.short,
        "place": agency.place,
        "m": rng.randint(1, 3),
        "d": f"{rng.randint(1, 28):02d}",
        "code": str(rng.randint(10**9, 10**10 - 1)),
        "zip": str(rng.randint(100000, 899999)),
        "icp": rng.choice(("东", "西", "南", "北", "中")),
    }


def fill(text: str, ctx: dict[str, Any], rng: random.Random) -> str:
    """Fill a pool sentence's placeholders."""
    return text.format_map(_Fill(rng, ctx))


def composed(ctx: dict[str, Any], rng: random.Random) -> str:
    """A sentence assembled from parts: an action and its outcome, or a count of published items."""
    opener = fill(rng.choice(OPENERS), ctx, rng)
    if rng.random() < 0.3:
        n = int(3 + 800 * rng.random() ** 2)
        return f"{opener}{rng.choice(COUNT_VERBS)}{rng.choice(COUNT_ITEMS)}{n}{rng.choice(COUNT_UNITS)}。"
    return f"{opener}{rng.choice(ACTIONS)}，{rng.choice(OUTCOMES)}。"


def paragraph(topic: str, ctx: dict[str, Any], rng: random.Random, low: int = 2, high: int = 4) -> str:
    """A paragraph of ``low``..``high`` sentences on ``topic`` (see :func:`sentences`)."""
    return "".join(sentences(topic, ctx, rng, low, high))


def sentences(topic: str, ctx: dict[str, Any], rng: random.Random, low: int, high: int) -> list[str]:
    """``low``..``high`` sentences on ``topic`` (see gxie.training.synth.prose), about half of them from
    the topic's pool and the rest composed."""
    pool = SENTENCES[topic]
    k = rng.randint(low, high)
    fixed = topic in _POOL_ONLY
    used: set[tuple[str, int]] = ctx.setdefault("_used", set())
    fresh = [i for i in range(len(pool)) if (topic, i) not in used] or list(range(len(pool)))
    own = sorted(rng.sample(fresh, min(len(fresh), k if fixed else max(1, k - k // 2))))
    used.update((topic, i) for i in own)
    out = [fill(pool[i], ctx, rng) for i in own]
    while len(out) < k and not fixed:
        out.insert(rng.randint(0, len(out)), composed(ctx, rng))
    return out


def numbering(i: int, style: str) -> str:
    """A top-level heading number: 一、 (or the report's variant: 一. / 一． / "一 ")."""
    return NUMERALS[i] + style


def draw_numbering(rng: random.Random) -> str:
    """The punctuation a report puts after its section numbers."""
    return rng.choices(("、", ".", "．", " ", "、"), (80, 5, 4, 4, 7))[0]


def section_title(template: Template, sid: str, rng: random.Random, official: float = 0.75) -> str:
    """The title of standard section ``sid`` (official wording or a variant), without its number."""
    titles = dict(template.sections)
    if rng.random() < official:
        return titles[sid].split("、", 1)[1]
    return rng.choice(HEADING_VARIANTS[sid])


def report_title(agency: Agency, year: int, rng: random.Random) -> list[str]:
    """The title as one or two lines."""
    sp = " " if rng.random() < 0.2 else ""
    name = rng.choice(("政府信息公开工作年度报告", "政府信息公开工作年度报告", "政府信息公开年度报告"))
    form = rng.random()
    if form < 0.45:
        return [f"{agency.name}{sp}{year}{sp}年{name}"]
    if form < 0.8:
        return [agency.name, f"{year}{sp}年{name}"]
    return [f"{year}年度{agency.name}{name}"]


TITLE_STYLES: tuple[str, ...] = ("（{n}） ", "（{n}）", "表{n} ", "（{c}）", "")


def table_title(table: str, n: int, year: int, rng: random.Random, style: str) -> str:
    """A table title line such as （2） 收到和处理政府信息公开申请情况（2020年度）; ``style`` is one
    of ``TITLE_STYLES`` (the numbering a report uses for all its table titles)."""
    base = rng.choice(TABLE_TITLES[table])
    suffix = rng.choice((f"（{year}年度）", "", ""))
    return style.format(n=n, c=NUMERALS[n - 1]) + base + suffix


def cn_date(year: int, month: int, day: int) -> str:
    """二〇二一年一月二十五日."""
    y = "".join(_CN_DIGITS[int(c)] for c in str(year))

    def num(v: int) -> str:
        if v <= 10:
            return "十" if v == 10 else _CN_DIGITS[v]
        tens, ones = divmod(v, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")

    return f"{y}年{num(month)}月{num(day)}日"


def issue_date(year: int, rng: random.Random) -> str:
    """The date a report was issued (early in the following year)."""
    y, m, d = year + 1, rng.choices((1, 2, 3), (60, 30, 10))[0], rng.randint(1, 28)
    form = rng.random()
    if form < 0.7:
        return f"{y}年{m}月{d}日"
    if form < 0.85:
        return cn_date(y, m, d)
    if form < 0.95:
        return f"{y}年{m}月"
    return f"{y}-{m:02d}-{d:02d}"


def debris(before: bool, ctx: dict[str, Any], rng: random.Random) -> list[str]:
    """Web-page lines around the report: menus, breadcrumbs, related links, copyright, phones."""
    pool = DEBRIS_BEFORE if before else DEBRIS_AFTER
    k = rng.randint(2, min(6, len(pool)))
    picks = sorted(rng.sample(range(len(pool)), k))
    return [fill(pool[i], ctx, rng) for i in picks]

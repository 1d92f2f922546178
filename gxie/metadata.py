"""Report metadata: agency, report year, date of issue, and the section headings found."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gxie.confidence import SECTION_TITLE_MATCH
from gxie.templates import TEMPLATE_IDS, load_template
from gxie.templates.lexicon import edit_similarity, label_core
from gxie.types import NormalizedText, Section, Span

_TITLE = re.compile(r"政府信息公开.{0,12}(?:年度报告|年报|工作报告)|政务公开.{0,8}年度报告")
_YEAR = re.compile(r"(20\d{2})\s*年")
_DATE = re.compile(r"^\s*(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
_CN_DATE = re.compile(
    r"^\s*([二〇○零一三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日\s*$"
)
_CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_SECTION_NUMBERS = "一二三四五六"
_AGENCY_TRIM = re.compile(r"^(?:关于)|[\s:：]+")
TITLE_SEARCH_LINES = 12
DATE_SEARCH_CHARS = 1500


@dataclass(frozen=True)
class Metadata:
    agency: str | None
    year: int | None
    date_issued: str | None
    title: str | None


def _cn_number(s: str) -> int:
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return int("".join(str(_CN_DIGITS[c]) for c in s))


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


def find_metadata(text: str) -> Metadata:
    """Agency, report year and date of issue from a normalized report text."""
    lines = _lines(text[:4000])
    title, agency, year = None, None, None
    for i, line in enumerate(lines[:TITLE_SEARCH_LINES]):
        m = _TITLE.search(line)
        if not m:
            continue
        title = line
        y = _YEAR.search(line)
        if y:
            year = int(y.group(1))
            head = _AGENCY_TRIM.sub("", line[: y.start()])
        else:
            head = _AGENCY_TRIM.sub("", line[: m.start()])
        if head:
            agency = head
        elif i > 0 and len(lines[i - 1]) <= 30 and not re.search(r"[。，,;；]", lines[i - 1]):
            agency = _AGENCY_TRIM.sub("", lines[i - 1])
        if not y and i + 1 < len(lines):
            y2 = re.match(r"^[(（]?\s*(20\d{2})\s*年", lines[i + 1])
            year = int(y2.group(1)) if y2 else None
        break
    if year is None:
        y = re.search(r"(20\d{2})\s*年度?(?:政府信息公开|政务公开)", text[:3000])
        year = int(y.group(1)) if y else None
    return Metadata(agency or None, year, _find_date(text), title)


def _find_date(text: str) -> str | None:
    found = None
    for line in text[-DATE_SEARCH_CHARS:].split("\n"):
        m = _DATE.match(line)
        if m:
            found = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
            continue
        c = _CN_DATE.match(line)
        if c:
            found = (_cn_number(c.group(1)), _cn_number(c.group(2)), _cn_number(c.group(3)))
    if found is None or not (1 <= found[1] <= 12 and 1 <= found[2] <= 31):
        return None
    return f"{found[0]:04d}-{found[1]:02d}-{found[2]:02d}"


def find_sections(norm: NormalizedText, spans: list[Span]) -> list[Section]:
    """The section headings (SEC spans) with their id, official-ness and span in the original text."""
    official: dict[str, list[str]] = {}
    for tid in TEMPLATE_IDS:
        for number, heading in load_template(tid).sections:
            official.setdefault(number, []).append(label_core(heading))
    out = []
    for s in spans:
        if s.label != "SEC":
            continue
        title = s.text.strip()
        first = title[:1]
        sid = first if first in _SECTION_NUMBERS and title[1:2] in ("、", ",", ".", " ") else None
        core = label_core(title)
        standard = sid is not None and any(_similar(core, o) for o in official[sid])
        out.append(Section(sid, title, norm.original_span(s.start, s.end), standard))
    return out


def _similar(core: str, official: str) -> bool:
    return edit_similarity(core, official) >= SECTION_TITLE_MATCH or (len(core) >= 6 and core in official)

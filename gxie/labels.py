"""The label inventory: one list shared by the rules tagger, the model, training data and Label Studio.

Character-level IOB2 over the *normalized* text (see gxie.text.normalize). Conventions:

- ``SEC``   a top-level section heading: the heading line from its numbering to the end of its title,
            e.g. ``一、总体情况``, ``四、政府信息公开行政复议、行政诉讼情况``, and non-standard top-level
            headings such as ``一、加强组织领导，严格抓好责任落实``. Sub-headings inside a section are O.
- ``CAP``   a table caption or title: ``第二十条第（一）项``, ``（2） 收到和处理政府信息公开申请情况（2020年度）``
            (also when printed after its table), and the header note
            ``（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）``.
- ``ROW``   the text of one row-label cell, numbering and any explanation inside it included:
            ``规章``, ``行政许可``, ``1.属于国家秘密``, ``（二）部分公开（区分处理的，只计这一情形，不计其他情形）``,
            group labels (``三、本年度办理结果``, ``（三）不予公开``) too. A label split over two cells
            (``一、`` | ``本年新收政府信息公开申请数量``) is two ROW spans.
- ``COL``   the text of one column-header cell: ``信息内容``, ``本年新制作数量``, ``自然人``, ``申请人情况``,
            ``法人或其他组织``, ``总计``, ``行政复议``, ``未经复议直接起诉``, ``结果维持``...
- ``NUM``   the value of one numeric table cell, sign, decimals, thousands separators and unit included:
            ``0``, ``+7``, ``-4``, ``380479.6元``, ``180.16 万元``, ``375万``. Numbers in prose are O.
- ``EMPTY`` an explicit empty marker standing in a table cell: ``无``, ``—``, ``-``, ``/``.

Everything else is O: prose, page footers and headers inside tables, web-page debris, whitespace and
cell separators between spans. Whitespace *inside* one cell's text belongs to its span.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gxie.types import Span

LABELS_VERSION = "1"
ENTITY_TYPES: tuple[str, ...] = ("SEC", "CAP", "ROW", "COL", "NUM", "EMPTY")
TAGS: tuple[str, ...] = ("O", *(f"{p}-{e}" for e in ENTITY_TYPES for p in ("B", "I")))
UNLABELLED = "X"  # training data only: a character whose tag is unknown (no loss, scored as O)
TAG2ID: dict[str, int] = {t: i for i, t in enumerate(TAGS)}
ENTITY_DESCRIPTIONS: dict[str, str] = {
    "SEC": "section heading",
    "CAP": "table caption or title",
    "ROW": "row label",
    "COL": "column label",
    "NUM": "numeric cell",
    "EMPTY": "explicit empty marker",
}


def check_entity(label: str) -> str:
    """Return ``label`` if it is a known entity type, else raise naming the allowed ones."""
    if label not in ENTITY_TYPES:
        raise ValueError(f"unknown label {label!r}; allowed labels are {', '.join(ENTITY_TYPES)}")
    return label


def spans_to_tags(length: int, spans: Iterable[Span]) -> list[str]:
    """Character-level IOB2 tags for a text of ``length`` characters; spans must not overlap."""
    tags = ["O"] * length
    for span in sorted(spans, key=lambda s: s.start):
        check_entity(span.label)
        if not 0 <= span.start < span.end <= length:
            raise ValueError(f"span [{span.start}, {span.end}) does not fit a text of length {length}")
        if any(t != "O" for t in tags[span.start : span.end]):
            raise ValueError(f"span [{span.start}, {span.end}) {span.label} overlaps another span")
        tags[span.start] = f"B-{span.label}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{span.label}"
    return tags


def tags_to_spans(text: str, tags: Sequence[str], scores: Sequence[float] | None = None) -> list[Span]:
    """Decode IOB2 tags into spans. An ``I-X`` that does not continue an ``X`` span starts a new one,
    so a model that forgets a ``B-`` still yields the span (lenient decoding)."""
    if len(tags) != len(text):
        raise ValueError(f"{len(tags)} tags for a text of {len(text)} characters")
    spans: list[Span] = []
    start, label = -1, ""

    def close(end: int) -> None:
        if start >= 0:
            score = 1.0 if scores is None else float(min(scores[start:end]))
            spans.append(Span(start, end, label, text[start:end], score))

    for i, tag in enumerate(tags):
        prefix, _, ent = tag.partition("-")
        if prefix == "B" or (prefix == "I" and ent != label):
            close(i)
            start, label = i, ent
        elif prefix == "O":
            close(i)
            start, label = -1, ""
    close(len(tags))
    return [s for s in spans if s.text.strip()]

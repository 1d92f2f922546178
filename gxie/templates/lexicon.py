"""Row and column labels of both formats, and fuzzy matching of (possibly damaged) label text to them.

Matching works on a label's *core*: numbering (一、 （一） 1. 1、), explanations in brackets, quotes,
punctuation and spaces removed; then exact match, prefix match or edit-distance similarity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist

from gxie.confidence import (
    BARE_TOTAL_LABEL,
    PREFIX_MATCH,
    SPLIT_LABEL_MATCH,
    WRAPPED_PREFIX_BASE,
    WRAPPED_PREFIX_SPAN,
)
from gxie.templates import TEMPLATE_IDS, _aliases, load_template
from gxie.types import quick_init

NUMBERING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.,]|[(（]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]"
    r"|\d{1,2}\s*[.、,．]|\d{1,2}\s"
    # an opening bracket and a numeral whose closing bracket was lost (``（六其他处理``): none follows
    r"|[(（][一二三四五六七八九十]{1,2}(?=[^\s)）一二三四五六七八九十])(?![^)）]*[)）]))\s*"
)
_OPENERS = frozenset("(（[【")
_CLOSERS = frozenset(")）]】")
_NOISE = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]")
GROUP_PREFIX = "group:"


@lru_cache(maxsize=65536)
def label_core(text: str) -> str:
    """The comparable core of a label: no numbering, bracketed explanations, punctuation or spaces. Cached:
    the same cell texts come back in every report.

    >>> label_core("（二）部分公开（区分处理的，只计这一情形，不计其他情形）")
    '部分公开'
    """
    s = NUMBERING.sub("", text.strip(), count=1)
    return _NOISE.sub("", _without_brackets(s))


def _without_brackets(s: str) -> str:
    """``s`` without its bracketed parts (nested ones too; any opener closes with any closer) and without an
    unclosed bracket's tail. One pass with a stack: removing innermost pairs by regex until nothing changed
    took one pass per nesting level."""
    out: list[str] = []
    opened: list[int] = []  # where each open bracket sits in ``out``
    for ch in s:
        if ch in _OPENERS:
            opened.append(len(out))
            out.append(ch)
        elif ch in _CLOSERS and opened:
            del out[opened.pop() :]
        else:
            out.append(ch)
    return "".join(out[: opened[0]] if opened else out)


def numbering(text: str) -> str:
    """The numbering prefix of a label ('（一）', '1.', '一、') or ''."""
    m = NUMBERING.match(text)
    return m.group(0).strip() if m else ""


def edit_similarity(a: str, b: str) -> float:
    """1 - Levenshtein(a, b) / max(len): 1.0 for equal strings, 0.0 for nothing in common."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    return float(Levenshtein.normalized_similarity(a, b))


@dataclass(frozen=True)
class Entry:
    """One target a label can match: a row, a group label, or a column (``kind``)."""

    kind: str  # "row" | "group" | "extra" (a local row outside the formats) | "col"
    table: str  # "section2" | "section3" | "section4" | "" for groups
    id: str
    cores: tuple[str, ...]


@cache
def entries() -> tuple[Entry, ...]:
    """Every row, group and column label of both formats with its alias cores."""
    al = _aliases()
    rows: dict[tuple[str, str], set[str]] = {}
    cols: dict[tuple[str, str], set[str]] = {}
    for tid in TEMPLATE_IDS:
        t = load_template(tid)
        for block in t.blocks:
            for r in block.rows:
                rows.setdefault((block.table, r.id), set()).update(
                    label_core(x) for x in (r.label, *r.aliases) if label_core(x)
                )
            for c in block.columns:
                cols.setdefault((block.table, c.id), set()).update(
                    label_core(x) for x in (c.label, *c.aliases) if label_core(x)
                )
    out = [Entry("row", tb, rid, tuple(sorted(v))) for (tb, rid), v in rows.items()]
    out += [Entry("group", "", gid, tuple(label_core(x) for x in v)) for gid, v in al["group_rows"].items()]
    out += [Entry("extra", "", xid, tuple(label_core(x) for x in v)) for xid, v in al["extra_rows"].items()]
    out += [Entry("col", tb, cid, tuple(sorted(v))) for (tb, cid), v in cols.items()]
    # Headers that group columns but are not value columns themselves.
    extra = {
        "content": ["信息内容"],
        "applicant": ["申请人情况"],
        "legal_entity": ["法人或其他组织"],
        "litigation": ["行政诉讼"],
        "review_group": ["行政复议"],
        "direct_group": ["未经复议直接起诉"],
        "after_review_group": ["复议后起诉"],
    }
    out += [Entry("col", "header", k, tuple(label_core(x) for x in v)) for k, v in extra.items()]
    return tuple(out)


@lru_cache(maxsize=1024)
def in_label_wording(text: str) -> bool:
    """``text`` (a few characters, e.g. ``请人无``) occurs in the wording of some label of either format.

    >>> in_label_wording("请人无"), in_label_wording("数量无")
    (True, False)
    """
    return any(text in core for entry in entries() for core in entry.cores)


def core_score(core: str, target: str) -> float:
    """Similarity of a label core to one alias core (prefix matches count: labels carry explanations)."""
    if core == target:
        return 1.0
    if len(target) >= 3 and core.startswith(target):
        return PREFIX_MATCH
    if len(core) >= 4 and target.startswith(core):  # the first line of a label wrapped in its cell
        return WRAPPED_PREFIX_BASE + WRAPPED_PREFIX_SPAN * len(core) / len(target)
    return edit_similarity(core, target)


@quick_init
@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float


def match_label(text: str, kinds: tuple[str, ...] = ("row", "group", "extra", "col")) -> list[Match]:
    """All entries of the given kinds scored against ``text``, best first.

    Bare ``总计``/``其他`` are column labels; with numbering (（七）总计, 3.其他) they are rows.
    Cached: the same label strings come back in every report.
    """
    return list(_match_label(text, kinds))


@cache
def _targets() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Every alias core of ``entries()`` in one flat tuple, and the index of the entry each belongs to."""
    cores: list[str] = []
    owner: list[int] = []
    for i, e in enumerate(entries()):
        cores.extend(e.cores)
        owner.extend([i] * len(e.cores))
    return tuple(cores), tuple(owner)


@cache
def _target_blocks() -> tuple[np.ndarray, list[int], dict[str, tuple[int, ...]]]:
    """For ``_targets()``: the first index of each entry's run of alias cores (entries with cores only), those
    entries, and the indices of the cores by their first character (the only ones a prefix rule can hit)."""
    cores, owner = _targets()
    starts = [k for k in range(len(cores)) if k == 0 or owner[k] != owner[k - 1]]
    by_first: dict[str, list[int]] = {}
    for k, target in enumerate(cores):
        if target:
            by_first.setdefault(target[0], []).append(k)
    return np.array(starts, dtype=np.intp), [owner[k] for k in starts], {c: tuple(v) for c, v in by_first.items()}


def _scores(core: str) -> list[float]:
    """``max(core_score(core, t) for t in e.cores)`` for every entry ``e`` (-1 for an entry without cores):
    the edit similarities of all alias cores in one call (``rapidfuzz.process.cdist``), the prefix cases of
    ``core_score`` on the cores that start with ``core``'s first character (no other can be equal or a
    prefix either way), the maximum per entry in one ``reduceat``."""
    cores, _ = _targets()
    starts, owners, by_first = _target_blocks()
    sims = cdist([core], cores, scorer=Levenshtein.normalized_similarity, dtype=np.float64)[0]
    for k in by_first.get(core[:1], ()) if core else range(len(cores)):
        target = cores[k]
        if core == target:
            sims[k] = 1.0
        elif len(target) >= 3 and core.startswith(target):
            sims[k] = PREFIX_MATCH
        elif len(core) >= 4 and target.startswith(core):
            sims[k] = WRAPPED_PREFIX_BASE + WRAPPED_PREFIX_SPAN * len(core) / len(target)
    best = [-1.0] * len(entries())
    for entry, top in zip(owners, np.maximum.reduceat(sims, starts).tolist(), strict=True):
        best[entry] = top
    return best


@lru_cache(maxsize=65536)
def _match_label(text: str, kinds: tuple[str, ...]) -> tuple[Match, ...]:
    core = label_core(text)
    if not core:
        return ()
    num = numbering(text)
    out: list[Match] = []
    scores = _scores(core)
    bare = core in ("总计", "其他")
    for e, score in zip(entries(), scores, strict=True):
        if score <= 0.0 or e.kind not in kinds:
            continue
        if bare and ((e.kind == "col" and num) or (e.kind == "row" and not num)):
            score *= BARE_TOTAL_LABEL
        out.append(Match(e, score))
    out.sort(key=lambda m: -m.score)
    return tuple(out)


def best_label(
    text: str, kinds: tuple[str, ...] = ("row", "group", "extra", "col"), threshold: float = 0.0
) -> Match | None:
    """The best match above ``threshold``, or None."""
    found = match_label(text, kinds)
    return found[0] if found and found[0].score >= threshold else None


# A numbering right after a space or a closing bracket. (A leading ``\s*`` here was tried from every
# space of a run: quadratic.)
_INNER_NUMBERING = re.compile(
    r"(?<=[\s)）])(?:[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）]|\d{1,2}[.、．](?!\d))"
)


def split_label(text: str, threshold: float = SPLIT_LABEL_MATCH) -> list[tuple[int, int]]:
    """Split a cell that holds two labels (``三、本年度办理结果 （一）予以公开``) into their ranges.

    Returns ``[(0, len(text))]`` when the text is one label (or cannot be split into good ones).
    """
    if len(text) > 120:
        return [(0, len(text))]
    cuts = [m.start() for m in _INNER_NUMBERING.finditer(text)]
    if not cuts:
        return [(0, len(text))]
    bounds = [0, *cuts, len(text)]
    pieces = []
    for a, b in pairwise(bounds):
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        pieces.append((a + lead, a + len(piece.rstrip())))
    for a, b in pieces:
        m = best_label(text[a:b], ("row", "group", "extra"))
        if m is None or m.score < threshold:
            return [(0, len(text))]
    return pieces

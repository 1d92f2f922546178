"""OCR of page images (scans, photos, image-only PDF pages) into report text with box positions.

Needs the ``gxie[ocr]`` extra (``rapidocr`` with its bundled PP-OCR models, run offline by
``onnxruntime``). Each page is recognized; boxes over stacked lines are read again line by line
(``gxie.ocr.stacked``), missed values and slashes read as ones get a second look (``gxie.ocr.recover``);
the page's skew is measured from the text boxes and undone, its ruled tables found from their rules,
numbers run together outside them spaced as on the page (``gxie.ocr.spacing``), and the boxes rebuilt
into text: table rows as tab-joined lines, other text line by line (see ``gxie.ocr.layout``). The
result is a :class:`ScannedDocument`: a ``Document`` whose ``boxes`` tie every recognized piece of
``text`` to its place on its page.

Example::

    from gxie.ocr import boxes_at, ocr_images
    from gxie.ocr.images import decode_image

    doc = ocr_images(decode_image(open("scan.png", "rb").read(), "scan.png"), "scan.png", kind="image")
    report = gxie.extract(doc)
    cell = report.cells[0]
    boxes_at(doc, *cell.span)  # [Box(page=1, x0=611.0, y0=943.0, x1=642.0, y1=987.0, ...)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from gxie.errors import NeedsOCRError
from gxie.ocr import engine
from gxie.ocr.engine import Word, recognize
from gxie.ocr.images import PageImage
from gxie.ocr.layout import Placed, page_layout
from gxie.ocr.recover import fix_slashes, recover_missed
from gxie.ocr.rulings import Table, deskew, find_tables, rotation, skew_degrees, text_height
from gxie.ocr.spacing import split_run_together
from gxie.ocr.stacked import split_stacked
from gxie.types import Document, Issue, IssueCode, Page

INSTALL_HINT = 'pip install "gxie[ocr]"'
LOW_SCORE = 0.8  # a box recognized with a lower score is counted in the low-confidence message
BLANK_CONTRAST = 16  # grey levels: a page whose darkest and lightest pixels are closer holds no ink


@dataclass(frozen=True)
class Box:
    """A recognized text box: page number, pixel box ``(x0, y0)-(x1, y1)`` on the page image as given
    (before deskewing), its ``[start, end)`` in ``Document.text`` and the engine's score."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class ScanPage:
    """How one page was read: size in pixels, resolution, the skew undone and the ruled tables found."""

    number: int
    width: int
    height: int
    dpi: float
    skew_degrees: float
    tables: int


@dataclass(frozen=True)
class ScannedDocument(Document):
    """A ``Document`` read by OCR: ``boxes`` in text order and ``scans`` (one per OCR'd page)."""

    boxes: tuple[Box, ...] = ()
    scans: tuple[ScanPage, ...] = ()


@dataclass(frozen=True)
class PageText:
    """One page's OCR text, its boxes (offsets into ``text``) and how it was read."""

    text: str
    boxes: tuple[Box, ...]
    scan: ScanPage


def require_ocr(what: str) -> None:
    """Raise ``NeedsOCRError`` naming the extra to install when the OCR engine is missing."""
    if not engine.ocr_available():  # looked up at call time, so tests can switch the extra off
        raise NeedsOCRError(
            f"{what} needs OCR, which comes with the 'gxie[ocr]' extra (rapidocr + onnxruntime, models "
            f"included, runs offline); install it with: {INSTALL_HINT}"
        )


def ocr_page(page: PageImage) -> PageText:
    """Recognize one page image and rebuild its text (see the module docstring). A page without ink (its
    pixels all within ``BLANK_CONTRAST`` grey levels) is not worth the seconds OCR takes: no text."""
    if page.pixels.size == 0 or int(np.ptp(page.pixels)) < BLANK_CONTRAST:
        h, w = page.pixels.shape[:2]
        return PageText("", (), ScanPage(page.number, w, h, page.dpi, 0.0, 0))
    words = recognize(page.pixels)
    char_h = text_height(words)
    if words and page.pixels.ndim == 2:
        words = split_stacked(page.pixels, words, char_h)
        words = fix_slashes(page.pixels, words + recover_missed(page.pixels, words, char_h))
    angle = skew_degrees(words)
    gray = page.pixels
    placed: list[Placed]
    if angle:
        matrix = rotation(gray.shape, angle)
        gray = deskew(gray, matrix)
        placed = [_placed(w, matrix) for w in words]
    else:
        placed = [Placed(w, w.x0, w.y0, w.x1, w.y1) for w in words]
    tables = find_tables(gray, char_h)
    placed = _respaced(page.pixels, placed, tables, char_h)
    text, pieces = page_layout(placed, tables, char_h)
    boxes = tuple(
        Box(page.number, p.word.x0, p.word.y0, p.word.x1, p.word.y1, p.start, p.end, round(p.word.score, 4))
        for p in sorted(pieces, key=lambda p: p.start)
    )
    h, w = page.pixels.shape[:2]
    return PageText(text, boxes, ScanPage(page.number, w, h, page.dpi, round(angle, 3), len(tables)))


def _respaced(gray: np.ndarray, placed: list[Placed], tables: Sequence[Table], char_h: float) -> list[Placed]:
    """``placed`` with numbers run together re-spaced (``gxie.ocr.spacing``) in boxes outside ruled tables
    (inside, the rules keep each value in a box of its own)."""
    outside = [i for i, p in enumerate(placed) if not any(t.contains((p.x0 + p.x1) / 2, p.cy) for t in tables)]
    words = split_run_together(gray, [placed[i].word for i in outside], char_h)
    out = list(placed)
    for i, word in zip(outside, words, strict=True):
        if word is not placed[i].word:
            out[i] = replace(placed[i], word=word)
    return out


def _placed(word: Word, matrix: np.ndarray) -> Placed:
    pts = np.asarray(word.quad, dtype=float)
    moved = pts @ matrix[:, :2].T + matrix[:, 2]
    return Placed(
        word, float(moved[:, 0].min()), float(moved[:, 1].min()), float(moved[:, 0].max()), float(moved[:, 1].max())
    )


def assemble(texts: Sequence[tuple[int, str]], scanned: Sequence[PageText], source: str, kind: str) -> ScannedDocument:
    """Join pages into one ``ScannedDocument``: ``texts`` are ``(page number, text)`` of every page in
    order (text-layer pages included), ``scanned`` the OCR results of the pages that needed OCR."""
    by_number = {p.scan.number: p for p in scanned}
    pages: list[Page] = []
    boxes: list[Box] = []
    parts: list[str] = []
    start = 0
    for number, text in texts:
        ocr = by_number.get(number)
        body = ocr.text if ocr is not None else text
        if ocr is not None:
            boxes += [_shift(b, start) for b in ocr.boxes]
        pages.append(Page(number, start, start + len(body)))
        parts.append(body)
        start += len(body) + 1
    issues = _issues(source, scanned, boxes)
    return ScannedDocument(
        text="\n".join(parts),
        source=source,
        kind=kind,
        pages=tuple(pages),
        issues=issues,
        boxes=tuple(boxes),
        scans=tuple(p.scan for p in scanned),
    )


def _shift(box: Box, offset: int) -> Box:
    return Box(box.page, box.x0, box.y0, box.x1, box.y1, box.start + offset, box.end + offset, box.score)


def _issues(source: str, scanned: Sequence[PageText], boxes: Sequence[Box]) -> tuple[Issue, ...]:
    listed = ", ".join(str(p.scan.number) for p in scanned)
    low = sum(1 for b in boxes if b.score < LOW_SCORE)
    text = f"{source}: page(s) {listed} read by OCR ({len(boxes)} text boxes"
    text += f", {low} read with a score below {LOW_SCORE})" if low else ")"
    out = [Issue("info", IssueCode.OCR, text)]
    empty = [str(p.scan.number) for p in scanned if not p.boxes]
    if empty:
        out.append(
            Issue("warning", IssueCode.OCR_EMPTY_PAGE, f"{source}: OCR found no text on page(s) {', '.join(empty)}")
        )
    return tuple(out)


def ocr_images(images: Iterable[PageImage], source: str, *, kind: str = "image") -> ScannedDocument:
    """OCR page images into one ``ScannedDocument`` (pages in the given order). ``images`` may be an iterator
    (``decode_image``): each page is read and let go before the next is taken."""
    require_ocr(f"reading {source}")
    scanned = [ocr_page(im) for im in images]
    return assemble([(p.scan.number, p.text) for p in scanned], scanned, source, kind)


def boxes_at(document: Document, start: int, end: int) -> list[Box]:
    """The OCR boxes overlapping ``[start, end)`` of ``document.text`` (empty for a non-OCR document)."""
    boxes: Sequence[Box] = getattr(document, "boxes", ())
    return [b for b in boxes if b.start < end and start < b.end]

"""PDF with a text layer: pages in order, ruled tables one row per tab-joined line among the page's text.

Text outside the tables is read line by line; each table found by pdfplumber is placed where it starts
on the page. Lines wrapped inside a table cell are joined without a break (a wrapped Chinese label reads
as one). Pages with no characters are scans: with the ``gxie[ocr]`` extra they are rendered and read by
OCR (``gxie.ocr``; the result is a ``ScannedDocument`` with box positions); without it a PDF with no
characters at all comes back with ``needs_ocr=True`` and scanned pages among text pages are skipped with
a warning. A text layer that looks like poor OCR (``gxie.readers.text_layer``) is read again by gxie's OCR
when the extra is installed, and the better text kept; the report says which layer it used and why.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from itertools import islice
from typing import Any

from gxie.errors import ReadError
from gxie.limits import DEFAULT_LIMITS, Limits, exceeded
from gxie.readers.rows import row_line
from gxie.types import Document, Issue, IssueCode, Page

EOF_WINDOW = 2048  # a complete PDF ends with %%EOF within its last bytes; a truncated one does not
HEADER_WINDOW = 1024


def _outside(bboxes: list[tuple[float, float, float, float]]) -> Callable[[dict[str, Any]], bool]:
    """A pdfplumber filter keeping every object whose centre lies outside all table boxes."""

    def keep(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in bboxes)

    return keep


def page_text(page: Any) -> str:
    """One pdfplumber page as text: its lines and its tables' rows, top to bottom."""
    tables = page.find_tables()
    rest = page.filter(_outside([t.bbox for t in tables])) if tables else page
    items: list[tuple[float, float, str]] = [
        (line["top"], line["x0"], line["text"]) for line in rest.extract_text_lines(return_chars=False)
    ]
    for table in tables:
        rows = (["" if c is None else c.replace("\n", "") for c in row] for row in table.extract())
        lines = [row_line(cells) for cells in rows if cells]
        if lines:
            items.append((table.bbox[1], table.bbox[0], "\n".join(lines)))
    items.sort(key=lambda item: (item[0], item[1]))
    return "\n".join(text for _, _, text in items)


def _check_envelope(data: bytes, source: str) -> None:
    if b"%PDF-" not in data[:HEADER_WINDOW]:
        raise ReadError(f"{source} is not a PDF (no %PDF- header); check the file and its suffix")
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise ReadError(
            f"{source} has no %%EOF end marker: the PDF looks truncated or corrupt; download or export it again"
        )


def _open_error(source: str, exc: BaseException) -> ReadError:
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    if "Password" in type(cause).__name__ or "Encrypt" in type(cause).__name__:
        return ReadError(
            f"{source} is encrypted and needs a password ({type(cause).__name__}); "
            "save an unprotected copy and read that"
        )
    return ReadError(
        f"{source} could not be read as PDF ({type(cause).__name__}: {cause}); the file looks truncated "
        "or corrupt: download or export it again"
    )


def _check_pages(doc: Any, source: str, max_pages: int) -> None:
    """Refuse a PDF of more than ``max_pages`` pages, counting no further than one past the limit (the
    page tree's /Count can lie; a huge tree is never walked to its end)."""
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdftypes import resolve1

    counted = sum(1 for _ in islice(PDFPage.create_pages(doc), max_pages + 1))
    if counted <= max_pages:
        return
    try:
        declared = resolve1(resolve1(doc.catalog["Pages"])["Count"])
    except Exception:  # a broken page tree: the count found is all there is
        declared = None
    if isinstance(declared, int) and declared > max_pages:
        raise exceeded(source, "the number of pages", declared, "max_pages", max_pages)
    raise exceeded(source, "the number of pages (counted up to one past the limit)", counted, "max_pages", max_pages)


def read_pdf(data: bytes, source: str, *, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read a PDF report from its bytes; pages become ``Document.pages`` ranges of the text.

    More than ``limits.max_pages`` pages raises ``LimitExceededError`` before any page is read; pages
    without text are rendered and read by OCR one at a time, within ``limits.max_pixels`` each."""
    import pdfplumber
    from pdfminer.pdfexceptions import PDFException
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    _check_envelope(data, source)
    texts: list[str] = []
    empty_pages: list[int] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            _check_pages(pdf.doc, source, limits.max_pages)
            for number, page in enumerate(pdf.pages, start=1):
                if not page.chars:
                    empty_pages.append(number)
                    texts.append("")
                else:
                    texts.append(page_text(page))
                page.close()  # drops the page's parsed objects: memory stays one page's worth
    except (PdfminerException, MalformedPDFException, PDFException, PSException) as exc:
        raise _open_error(source, exc) from exc
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:  # pdfminer on broken objects
        raise _open_error(source, exc) from exc
    if not texts:
        raise ReadError(f"{source} has no pages; the PDF looks truncated or corrupt")
    if empty_pages:
        from gxie.ocr.engine import ocr_available

        if ocr_available():
            return _with_ocr(data, source, texts, empty_pages, limits)
    if len(empty_pages) == len(texts):
        message = (
            f"{source} has no text layer (none of its {len(texts)} page(s) contains text; it is probably "
            f"a scan): reading it needs OCR, which comes with the 'gxie[ocr]' extra: pip install \"gxie[ocr]\""
        )
        return _no_text(source, len(texts), message)
    if not empty_pages:
        return _triaged(data, source, texts, limits)
    listed = ", ".join(map(str, empty_pages))
    issues = (
        Issue(
            "warning",
            IssueCode.PAGE_WITHOUT_TEXT,
            f"{source}: page(s) {listed} have no text layer and were skipped; they need OCR "
            f"(install the 'gxie[ocr]' extra: pip install \"gxie[ocr]\")",
        ),
    )
    return Document(text="\n".join(texts), source=source, kind="pdf", pages=_pages(texts), issues=issues)


def _pages(texts: list[str]) -> tuple[Page, ...]:
    pages: list[Page] = []
    start = 0
    for number, text in enumerate(texts, start=1):
        pages.append(Page(number, start, start + len(text)))
        start += len(text) + 1  # the "\n" between pages
    return tuple(pages)


def _no_text(source: str, count: int, message: str) -> Document:
    return Document(
        text="",
        source=source,
        kind="pdf",
        pages=tuple(Page(number, 0, 0) for number in range(1, count + 1)),
        needs_ocr=True,
        issues=(Issue("error", IssueCode.NEEDS_OCR, message),),
    )


def _with_ocr(data: bytes, source: str, texts: list[str], empty_pages: list[int], limits: Limits) -> Document:
    """OCR the pages without a text layer (rendered at 300 dpi, one at a time) and put their text in page
    order."""
    from gxie.ocr import assemble

    scanned = _ocr_pages(data, source, empty_pages, limits)
    blank = [p.scan.number for p in scanned if not p.boxes]
    if len(blank) == len(texts):
        message = (
            f"{source} has no text layer and OCR ('gxie[ocr]') found no text on any of its {len(texts)} "
            "page(s): blank pages or pictures without text; check that this is the report"
        )
        return _no_text(source, len(texts), message)
    note = Issue(
        "warning",
        IssueCode.PAGE_WITHOUT_TEXT,
        f"{source}: page(s) {', '.join(map(str, blank))} have no text layer and OCR found no text on them",
    )
    if len(blank) == len(scanned):  # OCR added nothing: the text pages alone, as without OCR
        return Document(text="\n".join(texts), source=source, kind="pdf", pages=_pages(texts), issues=(note,))
    doc = assemble(list(enumerate(texts, start=1)), scanned, source, "pdf")
    return replace(doc, issues=(*doc.issues, note)) if blank else doc


def _ocr_pages(data: bytes, source: str, numbers: list[int], limits: Limits) -> list[Any]:
    """The ``gxie.ocr.PageText`` of each of the pages ``numbers`` (rendered at 300 dpi, one at a time)."""
    from gxie.ocr import ocr_page
    from gxie.ocr.images import render_pdf_pages

    return [ocr_page(image) for image in render_pdf_pages(data, numbers, source, max_pixels=limits.max_pixels)]


def _triaged(data: bytes, source: str, texts: list[str], limits: Limits) -> Document:
    """The text layer, or, when it looks like poor OCR (``gxie.readers.text_layer``) and gxie's OCR is
    installed and reads the pages better, the OCR text of every page (one it finds no text on is left
    empty, and named); either way a poor layer is reported with why."""
    from gxie.ocr import assemble
    from gxie.ocr.engine import ocr_available
    from gxie.readers.text_layer import assess

    layer = Document(text="\n".join(texts), source=source, kind="pdf", pages=_pages(texts))
    quality = assess(layer.text)
    if not quality.poor:
        return layer
    why = "; ".join(quality.reasons)
    if not ocr_available():
        note = Issue(
            "warning",
            IssueCode.TEXT_LAYER_POOR,
            f"{source}: the PDF's text layer looks like poor OCR ({why}); it was read as it is. With the "
            "'gxie[ocr]' extra (pip install \"gxie[ocr]\") its pages are read again by OCR",
        )
        return replace(layer, issues=(note,))
    pages = _ocr_pages(data, source, list(range(1, len(texts) + 1)), limits)
    scanned = assemble(list(enumerate(texts, start=1)), pages, source, "pdf") if any(p.boxes for p in pages) else None
    again = assess(scanned.text) if scanned is not None else None
    if scanned is None or again is None or again.score <= quality.score:
        found = f"quality {again.score:.2f} against {quality.score:.2f}" if again else "it found no text"
        note = Issue(
            "warning",
            IssueCode.TEXT_LAYER_POOR,
            f"{source}: the PDF's text layer looks like poor OCR ({why}); gxie's OCR did not read the pages "
            f"better ({found}), so the text layer was used",
        )
        return replace(layer, issues=(note,))
    blank = [p.scan.number for p in pages if not p.boxes]
    listed = ", ".join(map(str, blank))
    also = f"; OCR found no text on page(s) {listed} (left empty: their text layer is dropped with the rest)"
    note = Issue(
        "info",
        IssueCode.TEXT_LAYER_REPLACED,
        f"{source}: the PDF's text layer looks like poor OCR ({why}); its pages were read again by gxie's OCR "
        f"and that text was used (quality {again.score:.2f} against {quality.score:.2f} for the text layer)"
        + (also if blank else ""),
    )
    return replace(scanned, issues=(*scanned.issues, note))

"""Text-layer triage: a PDF whose text layer is poor OCR is read again by gxie's OCR (when installed) and
the report says which layer it used and why; a good layer is read as it is."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from gxie import extract
from gxie.ocr import ScannedDocument
from gxie.ocr.engine import ocr_available
from gxie.readers import read
from gxie.readers.text_layer import MIN_CHARS, assess
from gxie.training.synth import generate
from tests.fonts import cjk_font_path
from tests.fonts import needs_cjk_font as needs_font


def _report_text(noise: str = "clean") -> str:
    return next(generate(1, 21, templates=("2021",), layouts=("tab_rows",), noise_levels=(noise,))).text


def _damaged(text: str) -> str:
    """What a poor OCR engine left: 0 read as O, 1 as l, unknown glyphs as boxes in the table words."""
    out = text.replace("0", "O").replace("1", "l")
    for word in ("申请", "公开", "行政", "复议", "诉讼", "总计", "自然人", "维持", "纠正"):
        out = out.replace(word, "□" + word[1:])
    return out


def test_a_clean_report_text_is_not_poor_in_either_script() -> None:
    for noise in ("clean", "traditional"):
        quality = assess(_report_text(noise))
        assert not quality.poor, (noise, quality)
        assert quality.garbage == 0.0 and quality.mangled == 0.0 and quality.labels == 1.0


def test_each_signal_of_a_poor_layer_is_named() -> None:
    text = _report_text()
    mangled = assess(text.replace("0", "O").replace("1", "l"))
    assert mangled.poor and mangled.mangled > 0.1 and any("mix digits with letters" in r for r in mangled.reasons)
    boxed = assess(text.replace("政", "□").replace("信", "\ufffd"))
    assert boxed.poor and any("unreadable" in r for r in boxed.reasons)
    unlabelled = assess(text.replace("申请", "中清").replace("公开", "公幵").replace("行政", "行玫"))
    assert any("table words" in r for r in unlabelled.reasons)
    assert assess(_damaged(text)).score < assess(text).score
    assert not assess("1O 2l □□ " * 5).poor and len("1O 2l □□ " * 5) < MIN_CHARS  # too short to judge


def _pdf_with_layer(tmp_path: Path, text: str, layer: str) -> Path:
    """``text`` printed (LibreOffice) and rasterized at 200 dpi, each page image with the lines of
    ``layer`` as an invisible text layer over it, as a scanner's OCR software writes one."""
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice (soffice) is needed to print the report: apt-get install libreoffice-writer")
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from tests.makefiles import write_pdf

    printed = write_pdf(text, tmp_path / "printed.pdf")
    doc = pdfium.PdfDocument(str(printed))
    images = [doc[i].render(scale=200 / 72, grayscale=True).to_pil() for i in range(len(doc))]
    width, height = doc[0].get_size()
    doc.close()
    pdfmetrics.registerFont(TTFont("CJK", str(cjk_font_path()), subfontIndex=0))
    lines = layer.replace("\t", "  ").splitlines()  # an OCR layer has spaces, and a tab has no glyph
    per_page = -(-len(lines) // len(images))
    out = tmp_path / "scanned_with_layer.pdf"
    pdf = canvas.Canvas(str(out), pagesize=(width, height))
    for k, image in enumerate(images):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, width=width, height=height)
        words = pdf.beginText(30, height - 30)
        words.setTextRenderMode(3)  # invisible, as OCR software lays its text over the scan
        words.setFont("CJK", 6)
        for line in lines[k * per_page : (k + 1) * per_page]:
            words.textLine(line)
        pdf.drawText(words)
        pdf.showPage()
    pdf.save()
    return out


@pytest.fixture(scope="module")
def poor_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if cjk_font_path() is None:
        pytest.skip("no CJK font to write the text layer")
    text = _report_text()
    return _pdf_with_layer(tmp_path_factory.mktemp("layer"), text, _damaged(text)), text


@needs_font
def test_without_ocr_a_poor_layer_is_read_and_the_report_says_what_would_help(
    poor_pdf: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gxie.ocr.engine.ocr_available", lambda: False)
    path, _ = poor_pdf
    doc = read(path)
    assert not isinstance(doc, ScannedDocument) and "□" in doc.text
    (note,) = [m for m in doc.issues if m.code == "text_layer_poor"]
    assert note.level == "warning" and 'pip install "gxie[ocr]"' in note.message and "mix digits" in note.message
    report = extract(path, tagger="rules")
    assert "text_layer_poor" in {m.code for m in report.issues}


@pytest.mark.slow
@needs_font
@pytest.mark.skipif(not ocr_available(), reason='the OCR engine is not installed: pip install "gxie[ocr]"')
def test_with_ocr_a_poor_layer_is_replaced_by_gxies_ocr(poor_pdf: tuple[Path, str]) -> None:
    path, _ = poor_pdf
    doc = read(path)
    assert isinstance(doc, ScannedDocument) and "□" not in doc.text
    (note,) = [m for m in doc.issues if m.code == "text_layer_replaced"]
    assert note.level == "info" and "read again by gxie's OCR" in note.message
    report = extract(path, tagger="rules")
    gold = next(generate(1, 21, templates=("2021",), layouts=("tab_rows",), noise_levels=("clean",))).flat
    flat = report.to_flat()
    right = sum(1 for k, v in gold.items() if flat.get(k) == v and type(flat.get(k)) is type(v))
    assert right >= 0.98 * len(gold)
    assert "text_layer_replaced" in {m.code for m in report.issues}


@needs_font
def test_a_good_text_layer_is_read_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_ocr(*args: object, **kwargs: object) -> object:
        raise AssertionError("a good text layer must not be read again by OCR")

    monkeypatch.setattr("gxie.readers.pdf._with_ocr", no_ocr)
    text = _report_text()
    doc = read(_pdf_with_layer(tmp_path, text, text))
    assert not isinstance(doc, ScannedDocument) and not doc.issues
    assert "规章" in doc.text


@needs_font
def test_a_replaced_layer_names_the_pages_gxies_ocr_found_no_text_on(
    poor_pdf: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The poor layer is replaced by the OCR text of every page; a page where gxie's OCR reads nothing (here
    every page but the first, by a stand-in OCR) is left empty and named in the note. Nothing is said about
    pages 'without a text layer', which they are not."""
    from gxie.ocr.scan import Box, PageText, ScanPage

    path, text = poor_pdf
    assert len(read(path).pages) >= 2, "the poor PDF must have several pages for this test"

    def stand_in(data: bytes, source: str, numbers: list[int], limits: object) -> list[PageText]:
        def page(n: int, body: str) -> PageText:
            boxes = (Box(n, 0, 0, 10, 10, 0, len(body), 0.99),) if body else ()
            return PageText(body, boxes, ScanPage(n, 100, 100, 300.0, 0.0, 0))

        return [page(n, text if n == 1 else "") for n in numbers]

    monkeypatch.setattr("gxie.ocr.engine.ocr_available", lambda: True)
    monkeypatch.setattr("gxie.readers.pdf._ocr_pages", stand_in)
    doc = read(path)
    assert isinstance(doc, ScannedDocument)
    first, *rest = doc.pages
    assert doc.text[first.start : first.end] == text
    assert rest and all(p.start == p.end for p in rest)
    (note,) = [m for m in doc.issues if m.code == "text_layer_replaced"]
    blank = ", ".join(str(p.number) for p in rest)
    assert note.message.endswith(
        f"OCR found no text on page(s) {blank} (left empty: their text layer is dropped with the rest)"
    )
    assert "page_without_text" not in {m.code for m in doc.issues}

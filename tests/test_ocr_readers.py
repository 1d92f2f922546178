"""Images and image-only PDFs through the readers and the pipeline: with the OCR extra (rapidocr) they are
read by OCR, without it they fail with a message naming ``pip install "gxie[ocr]"``."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from gxie import extract
from gxie.errors import NeedsOCRError
from gxie.ocr import ScannedDocument, boxes_at
from gxie.ocr.engine import ocr_available
from gxie.readers import read, read_bytes
from tests.conftest import GOLD
from tests.fonts import cjk_font_path
from tests.fonts import needs_cjk_font as needs_font

needs_ocr_engine = pytest.mark.skipif(
    not ocr_available(),
    reason='the OCR engine is not installed: pip install "gxie[ocr]" (rapidocr + onnxruntime) to run OCR tests',
)


@pytest.fixture
def no_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the ``gxie[ocr]`` extra is not installed."""
    monkeypatch.setattr("gxie.ocr.engine.ocr_available", lambda: False)


def _blank_pdf(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for _ in range(pages):
        pdf.rect(100, 100, 200, 300, fill=1)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.mark.parametrize("name", ["scan.png", "scan.JPG", "scan.tiff"])
def test_an_image_without_the_extra_names_the_install_command(no_ocr: None, name: str) -> None:
    with pytest.raises(NeedsOCRError, match=r'pip install "gxie\[ocr\]"'):
        read_bytes(b"\x89PNG\r\n", name)


def test_a_scanned_pdf_without_the_extra_needs_ocr(no_ocr: None) -> None:
    doc = read_bytes(_blank_pdf(2), "scan.pdf")
    assert doc.needs_ocr and doc.text == "" and len(doc.pages) == 2
    assert [(m.level, m.code) for m in doc.issues] == [("error", "needs_ocr")]
    assert 'pip install "gxie[ocr]"' in doc.issues[0].message


def test_the_pipeline_reports_a_missing_extra(no_ocr: None, tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    report = extract(path, tagger="rules")
    assert report.status == "failed"
    assert [m.code for m in report.issues] == ["needs_ocr"]
    assert "gxie[ocr]" in report.issues[0].message


@needs_ocr_engine
def test_a_corrupt_image_is_a_read_error() -> None:
    from gxie.errors import ReadError

    with pytest.raises(ReadError, match="could not be decoded as an image"):
        read_bytes(b"\x89PNG\r\n\x1a\nnot really", "scan.png")


@pytest.mark.slow
@needs_ocr_engine
@needs_font
def test_a_drawn_table_is_read_into_tab_rows_with_box_positions(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(cjk_font_path()), 40)
    image = Image.new("L", (1400, 700), 255)
    draw = ImageDraw.Draw(image)
    draw.text((80, 60), "二、主动公开政府信息情况", font=font, fill=0)
    rows, cols = (200, 290, 380, 470), (60, 560, 900, 1240)
    for y in rows:
        draw.line((cols[0], y, cols[-1], y), fill=0, width=3)
    for x in cols:
        draw.line((x, rows[0], x, rows[-1]), fill=0, width=3)
    cells = [["信息内容", "本年新制作数量", "对外公开总数量"], ["规章", "3", "147"], ["规范性文件", "", "25"]]
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            draw.text((cols[c] + 20, rows[r] + 22), text, font=font, fill=0)
    path = tmp_path / "table.png"
    image.save(path, dpi=(300, 300))
    doc = read(path)
    assert isinstance(doc, ScannedDocument) and doc.kind == "image"
    assert doc.text.splitlines() == ["二、主动公开政府信息情况", *("\t".join(row) for row in cells)]
    start = doc.text.index("147")
    (box,) = boxes_at(doc, start, start + 3)
    assert box.page == 1 and cols[2] < box.x0 < box.x1 < cols[3] and rows[1] < box.y0 < box.y1 < rows[2]
    assert doc.scans[0].tables == 1 and doc.scans[0].dpi == pytest.approx(300, abs=1)


def _seed_004(seeds_dir: Path) -> tuple[str, dict]:
    (gold_path,) = sorted(GOLD.glob("004_*.json"))
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    return (seeds_dir / gold["file"]).read_text(encoding="utf-8"), gold["flat"]


@pytest.fixture(scope="module")
def scanned_seed(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """Seed 004 printed (LibreOffice, ruled tables) and rasterized at 300 dpi: the table pages as one
    tall PNG and as an image-only PDF."""
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice (soffice) is needed to print the seed report: apt-get install libreoffice-writer")
    if not ocr_available():
        pytest.skip('the OCR engine is not installed: pip install "gxie[ocr]"')
    import pdfplumber
    import pypdfium2 as pdfium
    from PIL import Image

    from tests.makefiles import write_pdf

    text, gold = _seed_004(seeds_dir)
    folder = tmp_path_factory.mktemp("scan")
    printed = write_pdf(text, folder / "printed.pdf")
    with pdfplumber.open(printed) as pdf:
        keep = [i for i, page in enumerate(pdf.pages) if page.find_tables()]
    doc = pdfium.PdfDocument(str(printed))
    pages = [doc[i].render(scale=300 / 72, grayscale=True).to_pil().convert("L") for i in keep]
    doc.close()
    tall = Image.new("L", (pages[0].width, sum(p.height for p in pages)), 255)
    y = 0
    for page in pages:
        tall.paste(page, (0, y))
        y += page.height
    png, scan = folder / "scan.png", folder / "scanned.pdf"
    tall.save(png, dpi=(300, 300))
    pages[0].save(scan, save_all=True, append_images=pages[1:], resolution=300)
    return png, scan, gold


def _wrong(flat: dict, gold: dict) -> dict:
    return {k: (flat.get(k), v) for k, v in gold.items() if flat.get(k) != v or type(flat.get(k)) is not type(v)}


@pytest.mark.slow
def test_a_scanned_seed_report_png_gives_its_gold_grid(scanned_seed: tuple[Path, Path, dict]) -> None:
    png, _, gold = scanned_seed
    report = extract(png, tagger="rules")
    assert report.input_kind == "image"
    assert _wrong(report.to_flat(), gold) == {}


@pytest.mark.slow
@pytest.mark.model
def test_an_image_only_pdf_of_a_seed_report_gives_its_gold_grid(scanned_seed: tuple[Path, Path, dict]) -> None:
    _, scan, gold = scanned_seed
    doc = read(scan)
    assert isinstance(doc, ScannedDocument) and doc.kind == "pdf" and not doc.needs_ocr
    assert len(doc.pages) == len(doc.scans) >= 2
    report = extract(doc, tagger="rules")
    assert _wrong(report.to_flat(), gold) == {}
    assert _wrong(extract(doc, tagger="model").to_flat(), gold) == {}  # the model tagger reads it right too
    for cell in report.cells:  # every cell read from the scan traces back to boxes on its page
        assert cell.span is not None
        boxes = boxes_at(doc, *cell.span)
        assert boxes and all(b.x1 > b.x0 and b.y1 > b.y0 for b in boxes)

"""gxie.readers.sniff: files read by what their bytes are, not only by their names."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from gxie import extract
from gxie.readers import read
from gxie.readers.sniff import kind_of, sniff
from gxie.training.synth import generate
from tests.makefiles import write_docx, write_html
from training.real_reports import REAL_DIR, real_reports


@pytest.fixture(scope="module")
def report_text() -> str:
    """A generated report whose tables are tab rows (tables in the HTML and DOCX made from it)."""
    return next(iter(generate(1, 17, layouts=("tab_rows",), noise_levels=("clean",)))).text


def _pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "annual report")
    page.save()
    return buffer.getvalue()


def _png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (8, 8), 255).save(buffer, format="PNG")
    return buffer.getvalue()


def _zip_bytes(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


def test_sniff_tells_each_kind_by_its_bytes(tmp_path: Path, report_text: str) -> None:
    html = write_html(report_text, tmp_path / "r.html").read_bytes()
    docx = write_docx(report_text, tmp_path / "r.docx").read_bytes()
    assert sniff(_pdf_bytes()) == "pdf"
    assert sniff(b"\r\n" * 10 + b"%PDF-1.4\n") == "pdf"  # within the first kilobyte
    assert sniff(docx) == "docx"
    assert sniff(_zip_bytes(["content.xml", "mimetype"])) is None  # a zip, but not a Word file
    assert sniff(_png_bytes()) == "image"
    assert sniff(b"\xff\xd8\xff\xe0rest") == "image"
    assert sniff(html) == "html"
    assert sniff(report_text.encode("utf-8")) is None  # plain report text
    assert sniff("规章 < 规范性文件 <td".encode()) is None  # a few angle brackets are not a page


def test_kind_of_keeps_the_suffix_unless_the_bytes_say_otherwise(tmp_path: Path, report_text: str) -> None:
    html = write_html(report_text, tmp_path / "r.html").read_bytes()
    text = report_text.encode("utf-8")
    assert kind_of(".txt", text) == ("text", None)
    assert kind_of(".html", html) == ("html", None)
    assert kind_of(".txt", html) == ("html", "read as HTML by its content (the file is named .txt)")
    assert kind_of(".js", html) == ("html", "read as HTML by its content (the file is named .js)")
    assert kind_of("", _pdf_bytes()) == ("pdf", "read as PDF by its content (the file has no suffix)")
    assert kind_of(".docx", _pdf_bytes())[0] == "pdf"
    assert kind_of(".xyz", text) == (None, None)


def test_a_page_saved_as_txt_or_js_reads_like_the_page(tmp_path: Path, report_text: str) -> None:
    page = write_html(report_text, tmp_path / "r.html")
    want = extract(page, tagger="rules").to_flat()
    for name in ("r.txt", "r.js"):
        copy = tmp_path / name
        shutil.copyfile(page, copy)
        report = extract(copy, tagger="rules")
        assert report.to_flat() == want
        assert report.input_kind == "html"
        notes = [(i.level, i.code, i.message) for i in report.issues if i.code == "read_by_content"]
        assert notes == [
            ("info", "read_by_content", f"{copy}: read as HTML by its content (the file is named {name[1:]})")
        ]


def test_word_and_pdf_files_with_wrong_or_no_suffix(tmp_path: Path, report_text: str) -> None:
    docx = write_docx(report_text, tmp_path / "r.docx")
    wrong = tmp_path / "r.dat"
    shutil.copyfile(docx, wrong)
    assert read(wrong).kind == "docx"
    assert extract(wrong, tagger="rules").to_flat() == extract(docx, tagger="rules").to_flat()
    bare = tmp_path / "scan"
    bare.write_bytes(_pdf_bytes())
    assert read(bare).kind == "pdf"


def test_unknown_suffix_with_plain_text_is_still_refused(tmp_path: Path, report_text: str) -> None:
    odd = tmp_path / "r.xyz"
    odd.write_text(report_text, encoding="utf-8")
    report = extract(odd, tagger="rules")
    assert report.status == "failed" and report.issues[0].code == "unsupported_format"
    assert "files of other names whose content is one of these" in report.issues[0].message


def test_real_pages_saved_as_txt_give_their_gold(tmp_path: Path) -> None:
    """A crawler's dump of a real report page (its HTML in a .txt file) reads as the page: every gold cell."""
    reports = real_reports()
    if not reports:
        pytest.skip(f"real reports not found at {REAL_DIR}: ../shared/real beside the repository (or $GXIE_REAL)")
    for real in reports:
        dump = tmp_path / f"{real.id}.txt"
        shutil.copyfile(real.path, dump)
        flat = extract(dump, tagger="rules").to_flat()
        assert {k: flat.get(k) for k in real.flat} == real.flat, real.id


def test_a_text_beyond_max_chars_is_refused_quickly(tmp_path: Path) -> None:
    from gxie.limits import Limits

    big = tmp_path / "dump.txt"
    big.write_text("一" * 3000 + "\n", encoding="utf-8")
    report = extract(big, tagger="rules", limits=Limits(max_chars=1000))
    assert report.status == "failed" and report.issues[0].code == "limit_exceeded"
    assert (
        "the text is 3,001 characters, more than the limit of 1,000 characters (max_chars)" in report.issues[0].message
    )

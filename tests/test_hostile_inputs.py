"""Hostile inputs (issue 13): every one gives a report, ``failed`` with a clear message or a correct one, in
bounded time and memory. The hostile files are made here, small and fast, in ``tmp_path``."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import gxie
from gxie.batch.discover import file_sha256
from gxie.errors import LimitExceededError, ReadError
from gxie.export import to_csv
from gxie.grid.candidates import _glued_tail
from gxie.limits import Limits
from gxie.ocr.engine import ocr_available
from gxie.ocr.spacing import number_tail
from gxie.readers import read, read_bytes
from gxie.readers.html import _BREAKS, _declared_charset
from gxie.tagging.rules import _TABLE_TITLE
from gxie.templates.lexicon import _INNER_NUMBERING, NUMBERING, label_core
from gxie.text.cells import is_md_rule
from tests.conftest import ROOT, VARIANTS
from tests.makefiles import write_docx

PATTERN_SECONDS = 2.0  # one call on 1e5 characters; the super-linear patterns took minutes or never ended
PIPELINE_SECONDS = 10.0  # the whole text pipeline on one adversarial line, or one hostile file
MAX_RSS_MB = 1024  # peak memory of a fresh process reading one hostile file


def _seconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


# --- regular expressions: linear on long adversarial input ---------------------------------------------

N = 100_000
PATTERN_CASES: dict[str, Callable[[], object]] = {
    "md_rule spaces": lambda: is_md_rule(" " * N),
    "md_rule pipe spaces dash": lambda: is_md_rule("|" + " " * N + "-"),
    "md_rule cells then junk": lambda: is_md_rule("|--" * (N // 3) + "x"),
    "md_rule colons and dashes": lambda: is_md_rule(":-" * (N // 2) + " |"),
    "label_core nested brackets": lambda: label_core("(" * (N // 2) + ")" * (N // 2)),
    "label_core closer after openers": lambda: label_core("(" * N + ")"),
    "label_core open tail": lambda: label_core("【" * N + "a"),
    "inner numbering spaces": lambda: list(_INNER_NUMBERING.finditer(")" + " " * N + "x")),
    "numbering spaces": lambda: NUMBERING.fullmatch("1" + " " * N + "x"),
    "number tail digits": lambda: number_tail("1" * N + "x"),
    "number tail digit runs": lambda: number_tail("1 " * (N // 2) + "x"),
    "number tail no digits": lambda: number_tail(",." * (N // 2)),
    "html breaks spaces": lambda: _BREAKS.sub("\n", " " * N + "x"),
    "html breaks spaced nul": lambda: _BREAKS.sub("\n", " \x00" * (N // 2)),
    "meta charset spaces": lambda: _declared_charset(b"<meta charset=" + b" " * N),
    "meta charset many tags": lambda: _declared_charset(b"<meta " * (N // 6)),
    "meta charset many words": lambda: _declared_charset(b"<meta " + b"charset " * (N // 8)),
    "table title spaces": lambda: _TABLE_TITLE.match("一" + " " * N + "x"),
    "glued tail digits": lambda: _glued_tail("中" + "1" * N + "x"),
    "glued tail ocr letters": lambda: _glued_tail("中" + "lO" * (N // 2) + "中"),
}


@pytest.mark.parametrize("name", list(PATTERN_CASES))
def test_fixed_pattern_is_linear_on_1e5_chars(name: str) -> None:
    spent = _seconds(PATTERN_CASES[name])
    assert spent < PATTERN_SECONDS, f"{name}: {spent:.2f} s on {N:,} characters"


# the old pattern, and a lone O, o or 〇 (a 0 read by OCR) that _glued_tail now takes as well
OLD_GLUED_TAIL = re.compile(r"(?<=[\u4e00-\u9fff])(?:[\dOIl]*\d[\dOIl]*|[Il]|[Oo〇]|无|—|/)$")
OLD_MD_RULE = re.compile(r"^\s*\|?(?:\s*:?-{2,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$")
OLD_TAIL = re.compile(r"(?:\d[\d.,]*\s*)*\d[\d.,]*$")
OLD_BREAKS = re.compile(r"\n?[ ]*(?:\x00[ ]*)+")
OLD_INNER = re.compile(
    r"(?<=[\s)）])\s*(?:[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）]|\d{1,2}[.、．](?!\d))"
)
OLD_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
OLD_PARENS = re.compile(r"[(（\[【][^()（）\[\]【】]*[)）\]】]")
OLD_OPEN_TAIL = re.compile(r"[(（\[【][^)）\]】]*$")


def _strings(alphabet: str, longest: int) -> list[str]:
    return ["".join(t) for n in range(longest + 1) for t in itertools.product(alphabet, repeat=n)]


def test_md_rule_matches_what_the_old_pattern_matched() -> None:
    for s in _strings(" |:-x", 7):
        assert is_md_rule(s) == bool(OLD_MD_RULE.match(s)), repr(s)
    assert is_md_rule("|---|:--:| --- |") and is_md_rule("--- | ---") and not is_md_rule("| 规章 | 0 |")


def test_glued_tail_finds_what_the_old_pattern_found() -> None:
    for s in _strings("中1Ol无/x", 5):
        m, old = _glued_tail(s), OLD_GLUED_TAIL.search(s)
        assert (m.span() if m else None) == (old.span() if old else None), repr(s)


def test_number_tail_finds_what_the_old_pattern_found() -> None:
    for s in _strings("1.,\n a", 6):
        m = OLD_TAIL.search(s)
        assert number_tail(s) == (m.span() if m else None), repr(s)


def test_html_breaks_and_inner_numbering_match_the_old_patterns() -> None:
    for s in _strings("\n \x00a", 8):
        assert _BREAKS.sub("|", s) == OLD_BREAKS.sub("|", s), repr(s)
    for s in _strings(" )一1、.x", 6):
        old = [m.start() + len(m.group()) - len(m.group().lstrip()) for m in OLD_INNER.finditer(s)]
        assert [m.start() for m in _INNER_NUMBERING.finditer(s)] == old, repr(s)


def test_label_core_brackets_as_before() -> None:
    def old(s: str) -> str:
        prev = None
        while prev != s:
            prev, s = s, OLD_PARENS.sub("", s)
        return re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", OLD_OPEN_TAIL.sub("", s))

    for s in _strings("(（)】[a", 6):
        assert label_core(s) == old(s), repr(s)


def test_declared_charset_as_before() -> None:
    atoms = [b"<meta", b" ", b"charset", b"=", b'"', b">", b"gbk", b"utf-8", b"<META"]
    for parts in itertools.product(atoms, repeat=4):
        head = b"".join(parts) + b"charset=big5"
        m = OLD_META.search(head)
        assert _declared_charset(head) == (m.group(1).decode() if m else None), head


# --- the whole text pipeline on one long adversarial line ----------------------------------------------

LONG = 200_000
LINES = {
    "spaces": " " * LONG,
    "dashes": "-" * LONG,
    "pipes": "|" * LONG,
    "digits": "1" * LONG,
    "full-width commas": "，" * LONG,
    "newlines": "\n" * LONG,
    "tabs": "\t" * LONG,
    "digits and spaces": "1 " * (LONG // 2),
    "rule cells": "|--" * (LONG // 3),
    "pipes and spaces": "| " * (LONG // 2),
    "nested brackets": "(" * (LONG // 2) + ")" * (LONG // 2),
    "numbering": "一、" * (LONG // 2),
    "numbers with units": "1万元 " * (LONG // 4),
    "tab digits": "\t1" * (LONG // 2),
    "spaces then x": " " * LONG + "x",
    "heading then spaces": "一" + " " * LONG + "x",
    "pipe spaces dash": "|" + " " * LONG + "-",
    "digit run then x": "1" * LONG + "x",
    "table rows": "行政许可\t6\t0\t147\n" * (LONG // 13 + 1),
}


@pytest.mark.parametrize("name", list(LINES))
def test_text_pipeline_is_fast_on_long_adversarial_lines(name: str) -> None:
    text = LINES[name]
    assert len(text) >= LONG - 3
    start = time.perf_counter()
    report = gxie.extract_text(text, tagger="rules")
    report.to_json()
    spent = time.perf_counter() - start
    assert spent < PIPELINE_SECONDS, f"{name}: {spent:.1f} s"
    assert report.status in ("ok", "partial", "failed")


TABLE_HEADINGS = "二、主动公开政府信息情况\n第二十条第（一）项\n规章 1 2 3\n三、收到和处理政府信息公开申请情况\n"
TABLE_BODIES = {
    "numbers on one line": "1 " * 20_000,
    "one number a line": "1\n" * 20_000,
    "a label and two numbers a line": "申请 3 0\n" * 10_000,
}


@pytest.mark.parametrize("name", list(TABLE_BODIES))
def test_a_table_region_far_larger_than_its_table_is_not_decoded(name: str) -> None:
    # The constrained decoder's work grows with the region's cells: 20k numbers in section 三 took minutes.
    text = TABLE_HEADINGS + TABLE_BODIES[name] + "四、政府信息公开行政复议、行政诉讼情况\n"
    start = time.perf_counter()
    report = gxie.extract_text(text, tagger="rules")
    assert time.perf_counter() - start < PIPELINE_SECONDS
    too_long = [i.message for i in report.issues if i.code is gxie.IssueCode.TABLE_TOO_LONG]
    assert too_long and too_long[0].startswith("section3: ") and "read by its labels only" in too_long[0]


# --- numbers: exact ints, and absurd values that a cell cannot hold ---------------------------------------

REPORT = VARIANTS / "v01_tab_merged_2021.txt"  # prints 行政许可 4691 and 行政事业性收费 0.8 (万元)


def _with_value(old: str, new: str) -> gxie.Report:
    text = REPORT.read_text(encoding="utf-8")
    assert text.count(old) == 1
    return gxie.extract_text(text.replace(old, new), tagger="rules")


def _strict_outputs(report: gxie.Report) -> None:
    json.loads(report.to_json())
    json.dumps(report.to_dict(include_text=True), allow_nan=False)
    to_csv(report)


def test_a_count_beyond_2_53_stays_exact() -> None:
    report = _with_value("行政许可\t4691", "行政许可\t9007199254740993")
    assert report.to_flat()["section2.licensing.decisions"] == 9007199254740993
    assert '"value": 9007199254740993' in report.to_json()
    _strict_outputs(report)


def test_fees_in_yuan_convert_exactly() -> None:
    report = _with_value("行政事业性收费\t0.8", "行政事业性收费\t1801600元")
    assert report.to_flat()["section2.fees.amount_10k_yuan"] == 180.16


@pytest.mark.parametrize("digits", [309, 400, 4301, 5000])
def test_a_number_no_cell_can_hold_does_not_crash(digits: int) -> None:
    report = _with_value("行政许可\t4691", "行政许可\t" + "9" * digits)
    assert report.status in ("partial", "ok")
    cell = report.cell("section2.licensing.decisions")
    assert cell is not None and cell.value is None and len(cell.raw) == digits
    _strict_outputs(report)


def test_a_huge_value_in_the_checked_tables_does_not_crash() -> None:
    text = REPORT.read_text(encoding="utf-8")
    text = text.replace("数量\t472\t", "数量\t9223372036854775807\t", 1).replace("\t405\t", "\t1" + "0" * 400 + "\t")
    report = gxie.extract_text(text, tagger="rules")
    assert report.to_flat()["section3.new_received.natural_person"] == 2**63 - 1
    assert report.status == "partial" and report.failed_checks
    _strict_outputs(report)


# --- hostile files: a failed report with a clear message, fast, in bounded memory ------------------------


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (an open() of a FIFO blocks; SIGALRM interrupts it)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


CHILD = """
import json, sys, time
import gxie
start = time.perf_counter()
report = gxie.extract(sys.argv[1], tagger="rules")
seconds = time.perf_counter() - start
issue = report.issues[0] if report.issues else None
# VmHWM: this process's own peak (ru_maxrss would keep the forking test process's size across exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"status": report.status, "code": issue and issue.code, "message": issue and issue.message,
                  "seconds": seconds, "rss_mb": hwm / 1024}))
"""


def _extract_in_child(path: Path) -> dict:
    """``gxie.extract(path)`` in a fresh Python: the report's status, first issue, seconds and peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{path.name}: {result['seconds']:.2f} s, {result['rss_mb']:.0f} MB, {result['code']}: {result['message']}")
    return result


def _assert_limit(result: dict, limit: str) -> None:
    assert result["status"] == "failed" and result["code"] == "limit_exceeded", result
    assert f"({limit})" in result["message"] and f"Limits({limit}=" in result["message"], result["message"]
    assert result["seconds"] < PIPELINE_SECONDS and result["rss_mb"] < MAX_RSS_MB, result


# -- only regular files are read or hashed


@pytest.fixture
def not_regular(tmp_path: Path) -> list[Path]:
    """A FIFO and a symlink to /dev/zero, both named like a report."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    return [fifo, zero]


def test_a_fifo_or_a_device_gives_a_failed_report_at_once(not_regular: list[Path]) -> None:
    for path in not_regular:
        with _deadline(10):
            report = gxie.extract(path, tagger="rules")
        assert report.status == "failed" and report.issues[0].code == "read_error"
        assert "not a regular file" in report.issues[0].message and str(path) in report.issues[0].message
        assert report.content_hash is None


def test_extract_many_skips_past_a_fifo_and_a_device(not_regular: list[Path], tmp_path: Path) -> None:
    good = tmp_path / "report.txt"
    good.write_text(REPORT.read_text(encoding="utf-8"), encoding="utf-8")
    with _deadline(20):
        reports = list(gxie.extract_many([not_regular[0], good, not_regular[1]], tagger="rules"))
    assert [r.status for r in reports] == ["failed", "ok", "failed"]


def test_file_sha256_refuses_a_fifo_and_a_device(not_regular: list[Path]) -> None:
    for path in not_regular:
        with _deadline(10), pytest.raises(OSError, match="not a regular file"):
            file_sha256(path)


# -- HTML: element count and nesting


def _html(tmp_path: Path, name: str, markup: str) -> Path:
    path = tmp_path / name
    path.write_text(markup, encoding="utf-8")
    return path


def test_html_with_100k_nested_tables_fails_on_the_element_limit(tmp_path: Path) -> None:
    path = _html(tmp_path, "tables.html", "<table><tr><td>" * 100_000 + "x")
    _assert_limit(_extract_in_child(path), "max_html_elements")


def test_html_with_1e5_deep_divs_fails_on_the_element_limit(tmp_path: Path) -> None:
    path = _html(tmp_path, "divs.html", "<div>" * 100_000 + "x" + "</div>" * 100_000)
    _assert_limit(_extract_in_child(path), "max_html_elements")


@pytest.mark.parametrize(
    ("name", "markup"),
    [
        ("nested tables", "<table><tr><td>" * 16_000 + "规章" + "</td></tr></table>" * 16_000),
        ("deep divs", "<div>" * 49_000 + "规章" + "</div>" * 49_000),
        ("unclosed spans", "<p>" + "<span>行政许可 " * 49_000),
    ],
)
def test_deep_html_within_the_element_limit_is_read_without_recursion(name: str, markup: str) -> None:
    start = time.perf_counter()
    doc = read_bytes(markup.encode("utf-8"), "page.html")
    assert time.perf_counter() - start < PIPELINE_SECONDS
    assert "规章" in doc.text or "行政许可" in doc.text


def test_tables_nested_past_the_limit_read_as_text() -> None:
    from gxie.readers.html import html_to_text

    inner = "<table><tr><td>a</td><td>b</td></tr></table>"
    markup = "<table><tr><td>" * 3 + inner + "</td></tr></table>" * 3
    assert html_to_text(markup) == "a\tb"
    assert html_to_text(markup, max_table_nesting=2) == "a b"


# -- DOCX: zip bombs


def _docx_with_document(tmp_path: Path, name: str, size: int) -> Path:
    """A real .docx whose document.xml is replaced by ``size`` bytes of highly compressible XML."""
    base = io.BytesIO(write_docx("标题\n行政许可\t6\n", tmp_path / "base.docx").read_bytes())
    path = tmp_path / name
    head = b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
    head += b'wordprocessingml/2006/main"><w:body>'
    tail = b"</w:body></w:document>"
    chunk = b"<w:p/>" * (1 << 17)
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info, src.read(info))
                continue
            with out.open("word/document.xml", "w", force_zip64=True) as f:
                f.write(head)
                left = size - len(head) - len(tail)
                while left > 0:
                    f.write(chunk[:left])
                    left -= len(chunk)
                f.write(tail)
    return path


def test_a_docx_zip_bomb_fails_on_the_part_limit(tmp_path: Path) -> None:
    path = _docx_with_document(tmp_path, "bomb.docx", 300_000_000)
    assert path.stat().st_size < 3_000_000
    result = _extract_in_child(path)
    _assert_limit(result, "max_docx_part_bytes")
    assert "300,000,000 bytes" in result["message"] and "word/document.xml" in result["message"]


def test_a_docx_whose_header_lies_about_the_size_fails_in_bounded_memory(tmp_path: Path) -> None:
    path = _docx_with_document(tmp_path, "liar.docx", 300_000_000)
    data = bytearray(path.read_bytes())
    at = data.find(b"word/document.xml", data.find(b"PK\x01\x02")) - 46  # its central directory entry
    assert data[at : at + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, at + 24, 1000)  # uncompressed size: 1,000 bytes
    path.write_bytes(bytes(data))
    result = _extract_in_child(path)
    assert result["status"] == "failed" and result["code"] == "read_error", result
    assert "CRC" in result["message"] and result["seconds"] < PIPELINE_SECONDS and result["rss_mb"] < MAX_RSS_MB


def test_a_docx_header_that_lies_with_a_matching_crc_never_decompresses_the_rest(tmp_path: Path) -> None:
    import tracemalloc

    path = _docx_with_document(tmp_path, "sly.docx", 300_000_000)
    data = bytearray(path.read_bytes())
    at = data.find(b"word/document.xml", data.find(b"PK\x01\x02")) - 46
    with zipfile.ZipFile(path) as z, z.open("word/document.xml") as part:
        prefix = part.read(1000)
    struct.pack_into("<I", data, at + 16, zipfile.crc32(prefix))  # a CRC that matches the 1,000 bytes it claims
    struct.pack_into("<I", data, at + 24, 1000)
    path.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        with pytest.raises(ReadError, match="XMLSyntaxError"):  # python-docx opened the honest 1,000-byte copy
            read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000, f"{peak:,} bytes at the peak"  # reading the part whole decompressed 300 MB


def test_docx_part_count_and_total_size_are_capped(tmp_path: Path) -> None:
    many = tmp_path / "many.docx"
    with zipfile.ZipFile(many, "w") as z:
        for k in range(3000):
            z.writestr(f"customXml/item{k}.xml", b"")
    _assert_limit(_extract_in_child(many), "max_docx_parts")
    from gxie.readers.docx import read_docx

    big = _docx_with_document(tmp_path, "big.docx", 40_000_000)
    with pytest.raises(LimitExceededError, match="max_docx_total_bytes"):
        read_docx(big.read_bytes(), big.name, limits=Limits(max_docx_total_bytes=30_000_000))


# -- PDF and images: pages rendered and read one at a time, within a page and a pixel limit


def _raw_pdf(pages: int, size: tuple[float, float] = (595, 842)) -> bytes:
    """A minimal valid PDF of ``pages`` blank pages of ``size`` points, written byte by byte."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Length 0 >>\nstream\n\nendstream"]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Contents 3 0 R >>" % size
    objects += [page] * pages
    kids = b" ".join(b"%d 0 R" % k for k in range(4, 4 + pages))
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


needs_ocr_engine = pytest.mark.skipif(
    not ocr_available(), reason='the OCR engine is not installed: pip install "gxie[ocr]"'
)


@needs_ocr_engine
def test_a_pdf_page_of_14400_pt_fails_on_the_pixel_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    path.write_bytes(_raw_pdf(1, (14400, 14400)))
    assert path.stat().st_size < 1500
    result = _extract_in_child(path)
    _assert_limit(result, "max_pixels")
    assert "3,600,000,000 pixels" in result["message"] and "dpi" in result["message"]


@needs_ocr_engine
def test_a_large_pdf_page_is_rendered_smaller_to_fit_the_pixel_limit() -> None:
    from gxie.ocr.images import render_pdf_pages

    (page,) = render_pdf_pages(_raw_pdf(1, (2000, 2000)), [1], "big.pdf", max_pixels=20_000_000)
    assert page.pixels.size <= 20_010_000 and 160 <= page.dpi < 162  # 69 million pixels at 300 dpi


def test_a_pdf_of_2000_blank_pages_fails_on_the_page_limit(tmp_path: Path) -> None:
    path = tmp_path / "blank.pdf"
    path.write_bytes(_raw_pdf(2000))
    _assert_limit(_extract_in_child(path), "max_pages")


def test_the_page_limit_can_be_raised() -> None:
    from gxie.readers.pdf import read_pdf

    data = _raw_pdf(30)
    with pytest.raises(LimitExceededError, match="the number of pages is 30"):
        read_pdf(data, "blank.pdf", limits=Limits(max_pages=20))
    assert read_pdf(data, "blank.pdf", limits=Limits(max_pages=30)).kind == "pdf"


def _tiff(path: Path, frames: int, size: tuple[int, int] = (2480, 3508)) -> Path:
    from PIL import Image

    page = Image.new("1", size, 1)
    page.save(path, save_all=True, append_images=[page] * (frames - 1), compression="group4", dpi=(300, 300))
    return path


@needs_ocr_engine
def test_a_300_frame_tiff_fails_on_the_page_limit(tmp_path: Path) -> None:
    path = _tiff(tmp_path / "scan.tif", 300)
    _assert_limit(_extract_in_child(path), "max_pages")


@needs_ocr_engine
def test_tiff_frames_are_decoded_one_at_a_time(tmp_path: Path) -> None:
    import tracemalloc

    from gxie.ocr.images import decode_image

    data = _tiff(tmp_path / "scan.tif", 12).read_bytes()
    tracemalloc.start()
    try:
        count = 0
        for page in decode_image(data, "scan.tif"):
            count += 1
            assert page.pixels.shape == (3508, 2480)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 12 and peak < 4 * 2480 * 3508, f"{peak:,} bytes at the peak"  # all 12 at once: 104 MB


@needs_ocr_engine
def test_blank_tiff_frames_within_the_limit_come_back_fast(tmp_path: Path) -> None:
    result = _extract_in_child(_tiff(tmp_path / "blank.tif", 60))
    assert result["status"] == "failed" and result["code"] in ("needs_ocr", "no_tables"), result
    assert result["seconds"] < PIPELINE_SECONDS and result["rss_mb"] < MAX_RSS_MB


# -- limits reach every reader through read(), read_bytes() and extract()


def test_limits_are_passed_through_read_and_extract(tmp_path: Path) -> None:
    path = tmp_path / "blank.pdf"
    path.write_bytes(_raw_pdf(30))
    with pytest.raises(LimitExceededError, match=r"the number of pages is 30, more than the limit of 20 \(max_pages\)"):
        read(path, max_pages=20)
    with pytest.raises(LimitExceededError, match="max_pages"):
        read_bytes(path.read_bytes(), "blank.pdf", limits=Limits(max_pages=20))
    report = gxie.extract(path, tagger="rules", limits=Limits(max_pages=20))
    assert report.status == "failed" and report.issues[0].code == "limit_exceeded"
    (ok,) = gxie.extract_many([path], tagger="rules", limits=Limits(max_pages=30))
    assert ok.status == "failed" and ok.issues[0].code == "needs_ocr"
    markup = ("<p>x</p>" * 20).encode()
    with pytest.raises(LimitExceededError, match=r"HTML elements is 20, more than the limit of 10"):
        read_bytes(markup, "page.html", limits=Limits(max_html_elements=10))
    with pytest.raises(ValueError, match="max_pages must be a whole number of at least 1"):
        Limits(max_pages=0)

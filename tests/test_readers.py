"""gxie.readers: the seed reports saved as real .docx/.html/.pdf files read back, encodings, bad input."""

from __future__ import annotations

import io
import random
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gxie.errors import LimitExceededError, NeedsOCRError, ReadError, UnsupportedFormatError
from gxie.readers import SUPPORTED_SUFFIXES, read, read_bytes
from gxie.text.normalize import normalize
from gxie.types import Document
from tests.conftest import require_seeds  # ../shared/seeds beside the repository, or $GXIE_SEEDS
from tests.makefiles import Block, blocks, docx_to_pdfs, write_docx, write_html, write_pdf

NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
HAN = re.compile(r"[\u4e00-\u9fff]")
KINDS = ("docx", "html", pytest.param("pdf", marks=pytest.mark.slow))


def _norm(text: str) -> str:
    return normalize(text).text


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(require_seeds().glob("*.txt"))}


@pytest.fixture(scope="module")
def seed_files(seeds: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Every seed saved as .docx and .html: kind -> seed -> path."""
    folder = tmp_path_factory.mktemp("seed_files")
    return {
        "docx": {stem: write_docx(text, folder / f"{stem}.docx") for stem, text in seeds.items()},
        "html": {stem: write_html(text, folder / f"{stem}.html") for stem, text in seeds.items()},
    }


@pytest.fixture(scope="module")
def seed_pdfs(seed_files: dict[str, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every seed's .docx converted to .pdf, all in one LibreOffice call."""
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice (soffice) is not installed: no PDFs to read (apt-get install libreoffice-writer)")
    docx_files = seed_files["docx"]
    pdfs = docx_to_pdfs(list(docx_files.values()), tmp_path_factory.mktemp("seed_pdfs"))
    return dict(zip(docx_files, pdfs, strict=True))


@pytest.fixture(scope="module")
def read_back(
    request: pytest.FixtureRequest, seed_files: dict[str, dict[str, Path]]
) -> Callable[[str], dict[str, Document]]:
    """kind -> {seed: the Document read from that seed's file}, each kind read once."""
    cache: dict[str, dict[str, Document]] = {}

    def get(kind: str) -> dict[str, Document]:
        if kind not in cache:
            files = request.getfixturevalue("seed_pdfs") if kind == "pdf" else seed_files[kind]
            cache[kind] = {stem: read(path) for stem, path in files.items()}
        return cache[kind]

    return get


def _table_rows(seed: str) -> list[list[str]]:
    """The seed's table rows with normalized cells (rows of blank cells included)."""
    return [[_norm(cell).strip(" ") for cell in row] for block in blocks(seed) for row in block.rows]


def _is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(any(needle == item for item in remaining) for needle in needles)


@pytest.mark.parametrize("kind", KINDS)
def test_seed_table_numbers_and_labels_come_back_in_order(
    kind: str, seeds: dict[str, str], read_back: Callable[[str], dict[str, Document]]
) -> None:
    for stem, doc in read_back(kind).items():
        assert doc.kind == kind and Path(doc.source).name == f"{stem}.{kind}"
        text = _norm(doc.text)
        rows = _table_rows(seeds[stem])
        numbers = [token for row in rows for cell in row for token in NUMBER.findall(cell)]
        assert _is_subsequence(numbers, NUMBER.findall(text)), stem
        squeezed = re.sub(r"\s", "", text)
        position = 0
        for label in (re.sub(r"\s", "", cell) for row in rows for cell in row if HAN.search(cell)):
            found = squeezed.find(label, position)
            assert found >= 0, f"{stem} {kind}: table label {label!r} missing or out of order"
            position = found + len(label)


@pytest.mark.parametrize("kind", KINDS)
def test_seed_table_rows_are_tab_joined_lines(
    kind: str, seeds: dict[str, str], read_back: Callable[[str], dict[str, Document]]
) -> None:
    for stem, doc in read_back(kind).items():
        lines = ["\t".join(c.strip(" ") for c in line.split("\t")) for line in _norm(doc.text).split("\n")]
        wanted = ["\t".join(row) for row in _table_rows(seeds[stem])]
        missing = [row for row in wanted if row not in lines]
        assert not missing, f"{stem} {kind}: rows not read as lines: {missing[:3]}"
        assert _is_subsequence(wanted, lines), f"{stem} {kind}: table rows out of order"
        if stem.startswith("004_"):
            assert "行政许可\t6\t0\t147" in lines


@pytest.mark.parametrize("kind", ("docx", "html"))
def test_seed_paragraphs_come_back_as_lines(
    kind: str, seeds: dict[str, str], read_back: Callable[[str], dict[str, Document]]
) -> None:
    for stem, doc in read_back(kind).items():
        lines = [" ".join(line.split()) for line in _norm(doc.text).split("\n")]
        paragraphs = [" ".join(_norm(b.text).split()) for b in blocks(seeds[stem]) if not b.rows]
        assert _is_subsequence([p for p in paragraphs if p], lines), stem


def test_html_page_debris_is_dropped(read_back: Callable[[str], dict[str, Document]]) -> None:
    for stem, doc in read_back("html").items():
        text = doc.text
        assert not re.search("9999|8888|7777|6666|网站首页|互动交流", text), stem
        assert text.endswith("网站地图\n联系我们")  # the footer's link list is visible text and stays


@pytest.mark.slow
def test_pdf_pages_cover_the_text(read_back: Callable[[str], dict[str, Document]]) -> None:
    for doc in read_back("pdf").values():
        assert len(doc.pages) >= 2 and [p.number for p in doc.pages] == list(range(1, len(doc.pages) + 1))
        assert doc.pages[0].start == 0 and doc.pages[-1].end == len(doc.text)
        for before, after in zip(doc.pages, doc.pages[1:], strict=False):
            assert after.start == before.end + 1 and doc.text[before.end] == "\n"
        assert all(doc.text[p.start : p.end].strip() for p in doc.pages)
        assert not doc.needs_ocr and not doc.issues


SIMPLIFIED = "二〇二〇年政府信息公开工作年度报告\r\n第二十条第（五）项\n行政许可\t6\t0\t147\n鹤岗市司法局\u3000\n"
TRADITIONAL = "2020年政府資訊公開工作年度報告\n第二十條第（五）項\n行政許可\t6\t0\t147\n規範性檔案\t0\t0\t0\n"


@pytest.mark.parametrize(
    ("text", "codec", "reported"),
    [
        (SIMPLIFIED, "utf-8", "utf-8"),
        (SIMPLIFIED, "utf-8-sig", "utf-8-sig"),
        (SIMPLIFIED, "gb18030", "gb18030"),
        (SIMPLIFIED, "gbk", "gb18030"),
        (SIMPLIFIED, "utf-16", "utf-16"),
        (SIMPLIFIED, "utf-16-le", "utf-16-le"),
        (TRADITIONAL, "utf-8", "utf-8"),
        (TRADITIONAL, "big5", "big5"),
        (TRADITIONAL, "cp950", "big5"),
        (TRADITIONAL, "gb18030", "gb18030"),
        (TRADITIONAL, "utf-16", "utf-16"),
    ],
)
def test_text_encodings_decode_to_the_same_string(text: str, codec: str, reported: str, tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_bytes(text.encode(codec))
    doc = read(path)
    assert doc.text == text  # exactly, CRLF and ideographic space included
    assert doc.encoding == reported and doc.kind == "text"


@pytest.mark.parametrize(
    ("declared", "codec", "reported"),
    [
        ("gb2312", "gbk", "gb18030"),  # gb2312 pages are read as the superset
        ("gb2312", "utf-8", "utf-8"),  # a wrong label loses to valid UTF-8
        ("iso-8859-1", "gbk", "gb18030"),  # GBK labelled latin-1 reads as junk in latin-1
        ("big5", "big5", "cp950"),
        ("no-such-charset", "gb18030", "gb18030"),
    ],
)
def test_html_declared_charsets(declared: str, codec: str, reported: str) -> None:
    body = "規範性檔案 2020年 行政許可" if codec == "big5" else "规范性文件 2020年 行政许可"
    markup = f'<html><head><meta charset="{declared}"></head><body><p>{body}</p></body></html>'
    doc = read_bytes(markup.encode(codec), "page.html")
    assert (doc.text, doc.encoding) == (body, reported)


def test_html_charset_hidden_parts_and_layout_tables() -> None:
    markup = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
    <title>标题</title></head><body><div role="navigation">导航</div><div hidden>隐藏</div>
    <div style="display: none">也隐藏</div><template><p>模板</p></template>
    <table><tr><td><p>一、总体情况</p><table border=1>
      <tr><th colspan=2>第二十条第（五）项</th><th>处理决定数量</th></tr>
      <tr><td>行政许可</td><td>6</td><td>147</td></tr>
      <tr><td>其他对外<br>管理服务事项</td><td rowspan=2>11</td><td>2226</td></tr>
      <tr><td> </td><td></td></tr>
    </table></td><td>右栏</td></tr></table>
    <p>A&amp;B&nbsp;C  <b>粗</b>体</p><ul><li>甲</li><li>乙</li></ul><!-- 注释 --></body></html>"""
    doc = read_bytes(markup.encode("gb18030"), "page.HTM")
    assert doc.encoding == "gb18030" and doc.kind == "html"
    assert doc.text == (
        "一、总体情况\n第二十条第（五）项\t处理决定数量\n行政许可\t6\t147\n"
        "其他对外 管理服务事项\t11\t2226\n\t\n右栏\nA&B\xa0C 粗体\n甲\n乙"  # blank cells are kept
    )


def test_docx_merged_cells_and_nested_tables() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("二、主动公开政府信息情况")
    table = document.add_table(rows=3, cols=4)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "第二十条第（五）项"
    table.cell(0, 2).text, table.cell(0, 3).text = "上一年项目数量", "处理决定数量"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "行政许可"
    for row, values in ((1, ("甲", "6", "147")), (2, ("乙", "0", "1"))):
        for col, value in enumerate(values, start=1):
            table.cell(row, col).text = value
    table.cell(1, 1).add_paragraph("第二段")
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "左"
    inner = outer.cell(0, 1).add_table(rows=2, cols=2)
    for i in range(2):
        for j in range(2):
            inner.cell(i, j).text = f"内{i}{j}"
    paragraph = document.add_paragraph("行1")
    paragraph.add_run().add_break()
    paragraph.add_run("行2")
    data = io.BytesIO()
    document.save(data)
    lines = read_bytes(data.getvalue(), "report.docx").text.split("\n")
    assert lines[:4] == [
        "二、主动公开政府信息情况",
        "第二十条第（五）项\t上一年项目数量\t处理决定数量",  # the merged cell once
        "行政许可\t甲 第二段\t6\t147",
        "\t乙\t0\t1",  # the vertical-merge continuation is an empty cell
    ]
    assert [line for line in lines if line.startswith("内")] == ["内00\t内01", "内10\t内11"]
    assert lines[lines.index("左") + 1 :][-2:] == ["行1", "行2"]


def _pdf_bytes(pages: list[str | None]) -> bytes:
    """A reportlab PDF: a page with the given (ASCII) text, or a page with only a rectangle for None."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for text in pages:
        if text is None:
            pdf.rect(100, 100, 200, 300, fill=1)
        else:
            pdf.drawString(100, 700, text)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.mark.slow
def test_pdf_without_text_layer_needs_ocr(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(_pdf_bytes([None, None]))
    doc = read(path)
    assert doc == Document(text="", source=str(path), kind="pdf", pages=doc.pages, needs_ocr=True, issues=doc.issues)
    assert len(doc.pages) == 2
    assert [(m.level, m.code) for m in doc.issues] == [("error", "needs_ocr")]
    assert "gxie[ocr]" in doc.issues[0].message


@pytest.mark.slow
def test_pdf_with_one_blank_page_warns() -> None:
    doc = read_bytes(_pdf_bytes(["Total 147", None]), "mixed.pdf")
    assert doc.text == "Total 147\n" and not doc.needs_ocr
    assert [(p.start, p.end) for p in doc.pages] == [(0, 9), (10, 10)]
    assert [(m.level, m.code) for m in doc.issues] == [("warning", "page_without_text")]


def test_encrypted_pdf_is_a_read_error() -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, encrypt=StandardEncryption("user-secret", ownerPassword="owner-secret"))
    pdf.drawString(100, 700, "Total 147")
    pdf.showPage()
    pdf.save()
    with pytest.raises(ReadError, match="encrypted"):
        read_bytes(out.getvalue(), "locked.pdf")


@pytest.mark.parametrize("kind", ("docx", pytest.param("pdf", marks=pytest.mark.slow)))
def test_truncated_files_are_read_errors(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    files = request.getfixturevalue("seed_pdfs") if kind == "pdf" else request.getfixturevalue("seed_files")[kind]
    original = next(iter(files.values())).read_bytes()
    path = tmp_path / f"cut.{kind}"
    path.write_bytes(original[: len(original) // 2])
    with pytest.raises(ReadError, match="truncated or corrupt"):
        read(path)


def test_docx_with_broken_xml_is_a_read_error() -> None:
    import zipfile

    import docx

    document = io.BytesIO()
    docx.Document().save(document)
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(document.getvalue())) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data[: len(data) // 2] if item.filename == "word/document.xml" else data)
    with pytest.raises(ReadError, match="truncated or corrupt"):
        read_bytes(broken.getvalue(), "broken.docx")


@pytest.mark.parametrize("content", [b"", b"  \r\n\t ", "\u3000\n".encode()])
def test_empty_files_are_read_errors(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=r"empty|only whitespace"):
        read(path)


@pytest.mark.parametrize("suffix", [".txt", ".html"])
def test_binary_junk_is_a_read_error(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(random.Random(7).randbytes(4096))
    with pytest.raises(ReadError, match="binary"):
        read(path)


def test_undecodable_text_is_a_read_error() -> None:
    rng = random.Random(3)
    data = bytes(rng.randrange(0x80, 0x100) for _ in range(3000)) + b"\n"  # high bytes, no controls
    with pytest.raises(ReadError, match="could not be decoded"):
        read_bytes(data, "odd.txt")


def test_too_large_file_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # a sparse 50 MB file: its size is all that matters
        handle.truncate(50_000_000)
    began = time.perf_counter()
    with pytest.raises(ReadError, match=r"50,000,000 bytes.*20,000,000.*max_bytes="):
        read(path)
    assert time.perf_counter() - began < 1.0
    with pytest.raises(ReadError, match="max_bytes="):
        read_bytes(b"x" * 101, "small.txt", max_bytes=100)


def test_max_bytes_raises_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("# 年度报告\n行政许可\t6\n" * 10, encoding="utf-8")
    with pytest.raises(LimitExceededError, match=r"more than the limit of 50 bytes \(max_bytes\)"):
        read(path, max_bytes=50)
    assert read(path, max_bytes=10_000).text.startswith("# 年度报告")


def test_missing_file_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="does not exist"):
        read(tmp_path / "nowhere.docx")


def test_unsupported_suffix_names_the_supported_ones(tmp_path: Path) -> None:
    sheet = tmp_path / "report.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not a Word file")  # a zip of another kind: its bytes name no reader either
    with pytest.raises(UnsupportedFormatError) as caught:
        read(sheet)
    assert "'.xlsx'" in str(caught.value)
    assert all(suffix in str(caught.value) for suffix in SUPPORTED_SUFFIXES)
    with pytest.raises(UnsupportedFormatError, match="no suffix"):
        read_bytes(b"text", "README")


@pytest.mark.parametrize("name", ["scan.png", "scan.JPG", "scan.jpeg", "scan.tif", "scan.TIFF"])
def test_images_need_ocr(name: str) -> None:
    """Images go to OCR: without the ``ocr`` extra the error names it; with it, a broken image is a read error."""
    from gxie.ocr import ocr_available

    expected = (ReadError, r"could not be decoded") if ocr_available() else (NeedsOCRError, r"gxie\[ocr\]")
    with pytest.raises(expected[0], match=expected[1]):
        read_bytes(b"\x89PNG\r\n", name)


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = write_html("一、总体情况\n行政许可\t6", tmp_path / "REPORT.HTML")
    assert read(path).text.startswith("一、总体情况\n行政许可\t6\n")


def test_blocks_find_tab_and_pipe_tables() -> None:
    text = "标题\n| 信息内容 | 数量 |\n|---|---|\n| 规章 | 0 |\n\na\tb\tc\nd\n"
    assert list(blocks(text)) == [
        Block(text="标题"),
        Block(rows=(("信息内容", "数量"), ("规章", "0"))),
        Block(text=""),
        Block(rows=(("a", "b", "c"),)),
        Block(text="d"),
        Block(text=""),
    ]


@pytest.mark.slow
def test_write_pdf_makes_a_pdf_with_a_table(tmp_path: Path) -> None:
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice (soffice) is not installed (apt-get install libreoffice-writer)")
    path = write_pdf(
        "二、主动公开政府信息情况\n| 行政许可 | 6 | 0 | 147 |\n|---|---|---|---|\n结束", tmp_path / "a.pdf"
    )
    assert read(path).text.split("\n") == ["二、主动公开政府信息情况", "行政许可\t6\t0\t147", "结束"]


def test_docx_content_controls_and_custom_xml_wrappers_are_looked_through() -> None:
    """Form-like templates wrap paragraphs, table rows and cells in ``w:sdt`` / ``w:customXml``."""
    import docx
    from docx.oxml.ns import qn
    from lxml import etree

    def wrap(element: etree._Element, tag: str) -> None:
        wrapper = etree.Element(qn(f"w:{tag}"))
        element.addprevious(wrapper)
        if tag == "sdt":
            content = etree.SubElement(wrapper, qn("w:sdtContent"))
            content.append(element)
        else:
            wrapper.append(element)

    document = docx.Document()
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    heading = document.add_paragraph("（一）予以公开")
    table = document.add_table(rows=2, cols=3)
    rows = (("本列数据的勾稽关系", "自然人", "总计"), ("一、本年新收政府信息公开申请数量", "12", "15"))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    wrap(heading._p, "sdt")  # a paragraph in a content control
    wrap(table.rows[1]._tr, "customXml")  # a row in a custom-XML wrapper
    wrap(table.rows[0]._tr.tc_lst[1], "sdt")  # a cell in a content control
    wrap(table._tbl, "sdt")  # the whole table in one
    data = io.BytesIO()
    document.save(data)
    lines = read_bytes(data.getvalue(), "report.docx").text.split("\n")
    assert lines[:4] == [
        "三、收到和处理政府信息公开申请情况",
        "（一）予以公开",
        "本列数据的勾稽关系\t自然人\t总计",
        "一、本年新收政府信息公开申请数量\t12\t15",
    ]

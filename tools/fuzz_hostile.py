"""The hostile-file catalogue: inputs made to exhaust time or memory, each written into a given folder.

``HOSTILE[kind](folder) -> path`` writes one file (or FIFO, or symlink) and returns its path. Every maker is
fast and small on disk: the bombs are written as precompressed repeats (a 1 GiB ``document.xml`` in about 3 MB,
made in under a second), so the catalogue costs seconds to make; the caller deletes the folder after.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from tools.fuzz_inputs import HUGE_NUMBERS, clean_text, docx_bytes, pdf_bytes

HostileMaker = Callable[[Path], Path]
GIB = 1 << 30
MIB = 1 << 20


def repeated_deflate(head: bytes, chunk: bytes, repeats: int, tail: bytes) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``head + chunk * repeats + tail`` made by compressing ``chunk`` once.

    Each part is compressed by a fresh compressor and ended with a full flush, so the parts do not refer to
    each other and the compressed chunk can be repeated as it is. Returns (stream, crc32, uncompressed size).
    """
    parts = []
    for piece in (head, chunk):
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        parts.append(c.compress(piece) + c.flush(zlib.Z_FULL_FLUSH))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    end = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return parts[0] + parts[1] * repeats + end, crc, len(head) + len(chunk) * repeats + len(tail)


def write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip of precompressed members ``(name, raw deflate data, crc32, uncompressed size)`` (sizes < 4 GiB)."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = local.tell()
        local.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0))
        local.write(encoded + data)
        fields = (0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", *fields) + encoded)
    directory = central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), local.tell(), 0)
    path.write_bytes(local.getvalue() + directory + end)
    return path


def _docx_members(document_xml: tuple[bytes, int, int] | None = None) -> list[tuple[str, bytes, int, int]]:
    """The members of a small real DOCX, recompressed; ``document_xml`` (precompressed) replaces its body."""
    import zipfile

    members = []
    with zipfile.ZipFile(io.BytesIO(docx_bytes("placeholder"))) as archive:
        for name in archive.namelist():
            if name == "word/document.xml" and document_xml is not None:
                members.append((name, *document_xml))
                continue
            raw = archive.read(name)
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            members.append((name, c.compress(raw) + c.flush(), zlib.crc32(raw), len(raw)))
    return members


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_zip_bomb(folder: Path) -> Path:
    """A DOCX whose word/document.xml inflates to 1 GiB of table-like paragraphs (about 3 MB on disk)."""
    para = "<w:p><w:r><w:t>行政许可\t1\t2\t3</w:t></w:r></w:p>".encode()
    chunk = para * (MIB // len(para))
    head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {_W}><w:body>'.encode()
    body = repeated_deflate(head, chunk, GIB // len(chunk), b"</w:body></w:document>")
    return write_zip(folder / "zip_bomb.docx", _docx_members(body))


def docx_billion_laughs(folder: Path) -> Path:
    """A DOCX whose document.xml defines nested entities that would expand to about 3 GB."""
    entities = ['<!ENTITY l0 "行政许可 1 2 3 ">']
    entities += [f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE w:document [{"".join(entities)}]>\n'
        f"<w:document {_W}><w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return write_zip(folder / "laughs.docx", _docx_members((c.compress(xml) + c.flush(), zlib.crc32(xml), len(xml))))


def docx_nested_tables(folder: Path) -> Path:
    """A DOCX with tables nested 2,000 deep (a table in the only cell of a table ...)."""
    depth = 2000
    head = "<w:tbl><w:tr><w:tc>" * depth
    tail = "<w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc></w:tr></w:tbl>" + "<w:p/></w:tc></w:tr></w:tbl>" * (depth - 1)
    xml = f'<?xml version="1.0"?>\n<w:document {_W}><w:body>{head}{tail}</w:body></w:document>'.encode()
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = (c.compress(xml) + c.flush(), zlib.crc32(xml), len(xml))
    return write_zip(folder / "nested_tables.docx", _docx_members(data))


def _blank_pdf(path: Path, pages: int, size: tuple[float, float]) -> Path:
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pagesize=size)
    for _ in range(pages):
        page.showPage()
    page.save()
    return path


def pdf_huge_page(folder: Path) -> Path:
    """A PDF of one blank 14400 x 14400 pt page (200 x 200 inches: 3.6 billion pixels at 300 dpi)."""
    return _blank_pdf(folder / "huge_page.pdf", 1, (14400, 14400))


def pdf_2000_blank_pages(folder: Path) -> Path:
    """A PDF of 2,000 blank A4 pages (no text layer: every page would go to OCR)."""
    return _blank_pdf(folder / "blank_2000.pdf", 2000, (595, 842))


def pdf_dense_page(folder: Path) -> Path:
    """One A4 page carrying 120,000 characters of digits in 1 pt type."""
    from reportlab.pdfgen import canvas

    path = folder / "dense.pdf"
    page = canvas.Canvas(str(path), pagesize=(595, 842))
    page.setFont("Helvetica", 1)
    for i in range(800):
        page.drawString(5, 840 - i * 1.05, ("1234567890 " * 14)[:150])
    page.showPage()
    page.save()
    return path


def pdf_encrypted(folder: Path) -> Path:
    """A report PDF encrypted with a user password (cannot be opened without it)."""
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    path = folder / "encrypted.pdf"
    page = canvas.Canvas(str(path), encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    page.drawString(50, 800, "2020 report")
    page.save()
    return path


def pdf_many_pages_text(folder: Path) -> Path:
    """A PDF of about 1,000 pages, each a copy of the start of a report's text."""
    text = clean_text(0)
    return _write(folder / "pages_1000.pdf", pdf_bytes("\n".join([text[:1500]] * 1000), font_size=20))


def tiff_300_frames(folder: Path) -> Path:
    """A TIFF of 300 frames (small bilevel pages, each would be OCR'd)."""
    from PIL import Image, ImageDraw

    frames = []
    for i in range(300):
        image = Image.new("1", (600, 300), 1)
        ImageDraw.Draw(image).text((10, 10), f"page {i}", fill=0)
        frames.append(image)
    path = folder / "frames_300.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4")
    return path


def png_bomb(folder: Path, side: int = 40_000) -> Path:
    """A PNG declaring 40,000 x 40,000 grey pixels (1.6 GB decoded), about 1.6 MB on disk."""
    width = height = side
    row = b"\x00" + b"\xff" * width
    rows_per_chunk = 25
    stream, _, _ = repeated_deflate(b"", row * rows_per_chunk, height // rows_per_chunk, b"")
    # PNG's IDAT carries a zlib stream: a header, the raw deflate data, the Adler-32 of the pixels
    adler = 1
    block = row * rows_per_chunk
    for _ in range(height // rows_per_chunk):
        adler = zlib.adler32(block, adler)
    idat = b"\x78\xda" + stream + struct.pack(">I", adler)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return _write(folder / "bomb.png", data)


def html_nested_tables(folder: Path) -> Path:
    """100,000 tables nested in each other's first cell (3 MB of HTML)."""
    n = 100_000
    html = "<html><body>" + "<table><tr><td>" * n + "1" + "</td></tr></table>" * n + "</body></html>"
    return _write(folder / "nested_tables.html", html.encode())


def html_deep_divs(folder: Path) -> Path:
    """100,000 unclosed nested ``<div>`` elements around a report's first table row."""
    return _write(folder / "deep_divs.html", ("<html><body>" + "<div>" * 100_000 + "行政许可 1 2 3").encode())


def html_wide_table(folder: Path) -> Path:
    """One table of 1,000 rows x 300 columns of numbers (300,000 cells, 4 MB)."""
    row = "<tr>" + "".join(f"<td>{j}</td>" for j in range(300)) + "</tr>"
    return _write(folder / "wide_table.html", ("<html><body><table>" + row * 1000 + "</table></body></html>").encode())


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _with_line(name: str, line: str) -> HostileMaker:
    def make(folder: Path) -> Path:
        lines = clean_text(0).split("\n")
        middle = next((i for i, x in enumerate(lines) if "\t" in x), len(lines) // 2) + 3
        lines.insert(middle, line)
        return _write(folder / f"{name}.txt", "\n".join(lines).encode())

    make.__doc__ = f"A generated report with one extra line inside its tables: {name}."
    return make


def txt_size_limit(folder: Path) -> Path:
    """Generated reports repeated to just under the 20,000,000-byte read limit (one .txt)."""
    text = clean_text(0).encode()
    return _write(folder / "size_limit.txt", (text + b"\n") * (19_990_000 // (len(text) + 1)))


def txt_nul_bytes(folder: Path) -> Path:
    """1 MiB of NUL bytes as .txt."""
    return _write(folder / "nul.txt", b"\x00" * MIB)


def txt_huge_integers(folder: Path) -> Path:
    """A generated report whose table numbers are 9007199254740993, 10**40, 1e309, 400 nines and the like."""
    import re

    numbers = iter(HUGE_NUMBERS * 1000)
    text = re.sub(r"(?<=\t)\d+(?=\t|$)", lambda m: next(numbers), clean_text(0), flags=re.M)
    return _write(folder / "huge_integers.txt", text.encode())


def fifo_txt(folder: Path) -> Path:
    """A named pipe called report.txt that nobody writes to (opening it for reading blocks)."""
    path = folder / "fifo.txt"
    os.mkfifo(path)
    return path


def symlink_dev_zero(folder: Path) -> Path:
    """report.txt as a symbolic link to /dev/zero (endless NUL bytes)."""
    path = folder / "zero.txt"
    path.symlink_to("/dev/zero")
    return path


def symlink_loop(folder: Path) -> Path:
    """report.txt as a symbolic link to itself."""
    path = folder / "loop.txt"
    path.symlink_to(path.name)
    return path


HOSTILE: dict[str, HostileMaker] = {
    "fifo_txt": fifo_txt,
    "symlink_dev_zero": symlink_dev_zero,
    "symlink_loop": symlink_loop,
    "line_20k_spaces": _with_line("line_20k_spaces", " " * 20_000),
    "line_40k_spaces": _with_line("line_40k_spaces", " " * 40_000),
    "line_1m_spaces": _with_line("line_1m_spaces", " " * MIB),
    "line_1m_digits": _with_line("line_1m_digits", "7" * MIB),
    "line_100k_tabs": _with_line("line_100k_tabs", "1\t" * 50_000),
    "txt_huge_integers": txt_huge_integers,
    "txt_size_limit": txt_size_limit,
    "txt_nul_bytes": txt_nul_bytes,
    "html_nested_tables_100k": html_nested_tables,
    "html_deep_divs_100k": html_deep_divs,
    "html_wide_table_300k_cells": html_wide_table,
    "pdf_page_14400pt": pdf_huge_page,
    "pdf_2000_blank_pages": pdf_2000_blank_pages,
    "pdf_1000_text_pages": pdf_many_pages_text,
    "pdf_dense_page_120k_chars": pdf_dense_page,
    "pdf_encrypted": pdf_encrypted,
    "tiff_300_frames": tiff_300_frames,
    "png_40000px_bomb": png_bomb,
    "docx_zip_bomb_1gb": docx_zip_bomb,
    "docx_billion_laughs": docx_billion_laughs,
    "docx_nested_tables_2000": docx_nested_tables,
}

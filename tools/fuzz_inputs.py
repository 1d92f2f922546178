"""Fuzz inputs: generated reports, their mutations (text families) and the files made from them (file
families). Every function takes a ``random.Random`` so the same seed gives the same input.

Text families (``TEXT_FAMILIES``) map ``(rng, text) -> text``; file families (``FILE_FAMILIES``) map
``(rng, text, folder) -> path`` and write one file under ``folder``. Real report text is never stored in the
repository: the base texts come from the synthetic generator (``synth()``).
"""

from __future__ import annotations

import importlib
import io
import random
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

TextMutation = Callable[[random.Random, str], str]
FileMaker = Callable[[random.Random, str, Path], Path]

BASE_POOL = 200  # distinct generated reports the mutations start from
SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".docx", ".pdf", ".png")
HUGE_NUMBERS: tuple[str, ...] = (
    str(10**40),
    "9007199254740993",
    str(2**63),
    str(2**64 + 1),
    "1" + "0" * 308,
    "1" + "0" * 309,
    "9" * 400,
    "1e309",
    "-1e309",
    "1.7976931348623157e308",
)
NAN_INF: tuple[str, ...] = (
    "NaN", "nan", "-nan", "inf", "-inf", "Infinity", "-Infinity", "1e309", "1E999", "-0", "+0", "0x1F", "1_000",
    "١٢٣", "５", "①", "½", "²", "1.5e3", ".5", "5.", "1,2,3", "--1", "∞", "1e-400", "0.0000000001", "+-3", "1..2",
)  # fmt: skip
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ALPHABET = (
    "0123456789０１２３４５６７８９,.，。、：；（）()%/-—–|│┃─┼\t \xa0\u3000"
    "一二三四五六七八九十百千万亿元件条项个合计总数行政复议诉讼申请公开不予部分"
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ<>&\"'#*_=+~`!?"
)
_CONTROL = "".join(chr(c) for c in [*range(0, 32), *range(0x7F, 0xA0)]) + (
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff\ufff9\ufffa\ufffb\ufffc\ufffd\ufffe\uffff"
)
_SPACES = (" ", "\t", "\u3000", "\xa0", "\u2002", "\u2003", "\u200b", "\n", " \n", "\r\n")
_NEWLINES = ("\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\n\n\n")
_CJK_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x4E00, 0x9FFF),  # unified ideographs
    (0x3400, 0x4DBF),  # extension A
    (0x20000, 0x2A6DF),  # extension B (astral)
    (0x2A700, 0x2EBEF),  # extensions C-F
    (0x30000, 0x3134F),  # extension G
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0x2F00, 0x2FDF),  # Kangxi radicals
    (0x3000, 0x303F),  # CJK punctuation
    (0xFF00, 0xFFEF),  # full-width forms
    (0x3200, 0x33FF),  # enclosed / compatibility
)


def synth() -> ModuleType:
    """The synthetic report generator package (``gxie.training.synth`` today, ``gxie.training.synth`` if it moves):
    the one place that knows its import path."""
    try:
        return importlib.import_module("gxie.training.synth")
    except ModuleNotFoundError as exc:
        if exc.name not in ("gxie.training.synth", "gxie.training"):
            raise
    return importlib.import_module("gxie.training.synth")


@cache
def base_text(index: int, seed: int = 0) -> str:
    """Generated report number ``index`` of the base pool (any layout and noise level)."""
    return str(next(synth().generate(1, seed=seed, first=index % BASE_POOL)).text)


@cache
def clean_text(index: int = 0) -> str:
    """A clean generated report with tab-separated table rows (what the file families save as files)."""
    report = next(synth().generate(1, seed=7, first=index, layouts=("tab_rows",), noise_levels=("clean",)))
    return str(report.text)


@cache
def _opencc(config: str) -> object:
    import opencc

    return opencc.OpenCC(config)


def _pos(rng: random.Random, text: str) -> int:
    return rng.randint(0, len(text))


def _insert(rng: random.Random, text: str, piece: str) -> str:
    at = _pos(rng, text)
    return text[:at] + piece + text[at:]


def _random_chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _random_cjk(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        lo, hi = rng.choice(_CJK_BLOCKS)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def random_unicode(rng: random.Random, n: int) -> str:
    """``n`` random code points from all of Unicode except surrogates (many unassigned ones included)."""
    out = []
    for _ in range(n):
        c = rng.randint(0, 0x10FFFF) if rng.random() < 0.5 else rng.randint(0, 0xFFFF)
        out.append(chr(c) if not 0xD800 <= c <= 0xDFFF else "\ufffd")
    return "".join(out)


def _replace_numbers(rng: random.Random, text: str, pick: Callable[[], str], share: float) -> str:
    def sub(m: re.Match[str]) -> str:
        return pick() if rng.random() < share else m.group(0)

    return _NUMBER.sub(sub, text)


def mut_delete_chars(rng: random.Random, text: str) -> str:
    """Delete a few characters, or one slice of up to 500."""
    if rng.random() < 0.5:
        at = _pos(rng, text)
        return text[:at] + text[at + rng.randint(1, 500) :]
    for _ in range(rng.randint(1, 20)):
        at = _pos(rng, text)
        text = text[:at] + text[at + 1 :]
    return text


def mut_insert_chars(rng: random.Random, text: str) -> str:
    """Insert characters that matter to tables: digits, separators, units, row words."""
    for _ in range(rng.randint(1, 20)):
        text = _insert(rng, text, _random_chars(rng, _ALPHABET, rng.randint(1, 8)))
    return text


def mut_duplicate(rng: random.Random, text: str) -> str:
    """Copy a slice of up to 3,000 characters somewhere (possibly right after itself)."""
    start = _pos(rng, text)
    piece = text[start : start + rng.randint(1, 3000)]
    at = start + len(piece) if rng.random() < 0.5 else _pos(rng, text)
    return text[:at] + piece + text[at:]


def mut_swap_chars(rng: random.Random, text: str) -> str:
    """Swap up to 30 pairs of characters (neighbours or anywhere)."""
    chars = list(text)
    if len(chars) < 2:
        return text
    for _ in range(rng.randint(1, 30)):
        i = rng.randrange(len(chars))
        j = min(len(chars) - 1, i + 1) if rng.random() < 0.5 else rng.randrange(len(chars))
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def mut_lines(rng: random.Random, text: str) -> str:
    """Delete, duplicate, swap or shuffle lines."""
    lines = text.split("\n")
    op = rng.choice(("delete", "duplicate", "swap", "shuffle", "reverse"))
    for _ in range(rng.randint(1, 10)):
        i = rng.randrange(len(lines))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines[i:i] = [lines[i]] * rng.randint(1, 5)
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
    if op == "shuffle":
        start = rng.randrange(len(lines))
        part = lines[start : start + rng.randint(2, 40)]
        rng.shuffle(part)
        lines[start : start + len(part)] = part
    elif op == "reverse":
        lines.reverse()
    return "\n".join(lines)


def mut_digit_runs(rng: random.Random, text: str) -> str:
    """Numbers replaced by random digit runs (up to 30 digits), and a few runs inserted."""
    text = _replace_numbers(rng, text, lambda: _random_chars(rng, "0123456789", rng.randint(1, 30)), 0.3)
    for _ in range(rng.randint(0, 5)):
        text = _insert(rng, text, _random_chars(rng, "0123456789", rng.randint(1, 30)))
    return text


def mut_huge_numbers(rng: random.Random, text: str) -> str:
    """Table numbers replaced by huge integers (10**40, 2**53 + 1, 400 nines, 1e309) or a 5,000-digit run."""

    def pick() -> str:
        if rng.random() < 0.1:
            return _random_chars(rng, "123456789", 1) + _random_chars(rng, "0123456789", rng.randint(1000, 5000))
        return rng.choice(HUGE_NUMBERS)

    return _replace_numbers(rng, text, pick, rng.choice((0.02, 0.1, 0.5)))


def mut_nan_inf(rng: random.Random, text: str) -> str:
    """Numbers replaced by NaN / infinity look-alikes, other scripts' digits and malformed numbers."""
    return _replace_numbers(rng, text, lambda: rng.choice(NAN_INF), rng.choice((0.02, 0.1, 0.5)))


def mut_long_whitespace(rng: random.Random, text: str) -> str:
    """Runs of 1,000 to 40,000 spaces, tabs, ideographic spaces or line breaks (some as whole lines)."""
    for _ in range(rng.randint(1, 3)):
        run = rng.choice(_SPACES) * rng.choice((1000, 5000, 20000, 40000))
        text = _insert(rng, text, "\n" + run + "\n" if rng.random() < 0.5 else run)
    return text


def mut_control_chars(rng: random.Random, text: str) -> str:
    """C0/C1 controls, bidi marks, zero-width characters, BOMs, line and paragraph separators, U+FFFF."""
    for _ in range(rng.randint(1, 40)):
        text = _insert(rng, text, _random_chars(rng, _CONTROL, rng.randint(1, 4)))
    return text


def mut_newlines(rng: random.Random, text: str) -> str:
    """Line breaks rewritten as CR LF, CR, U+2028/2029, NEL, VT, FF or the file/group/record separators."""
    new = rng.choice(_NEWLINES)
    if rng.random() < 0.5:
        return text.replace("\n", new)
    return "".join(new if c == "\n" and rng.random() < 0.3 else c for c in text)


def mut_random_cjk(rng: random.Random, text: str) -> str:
    """Random CJK code points (all extensions, compatibility forms, radicals) inserted or replacing text."""
    chars = list(text)
    for _ in range(rng.randint(1, 30)):
        piece = _random_cjk(rng, rng.randint(1, 12))
        at = rng.randint(0, len(chars))
        chars[at : at + (len(piece) if rng.random() < 0.5 else 0)] = piece
    return "".join(chars)


def mut_traditional(rng: random.Random, text: str) -> str:
    """Converted to Traditional with OpenCC (whole text or one slice; s2t, s2tw, s2hk or s2twp)."""
    cc = _opencc(rng.choice(("s2t", "s2tw", "s2hk", "s2twp")))
    if rng.random() < 0.6:
        return str(cc.convert(text))  # type: ignore[attr-defined]
    start = _pos(rng, text)
    end = min(len(text), start + rng.randint(1, 2000))
    return text[:start] + str(cc.convert(text[start:end])) + text[end:]  # type: ignore[attr-defined]


def mut_truncate(rng: random.Random, text: str) -> str:
    """Only a prefix, a suffix or a middle part of the report."""
    a, b = sorted((_pos(rng, text), _pos(rng, text)))
    return rng.choice((text[:a], text[a:], text[a:b]))


def mut_splice(rng: random.Random, text: str) -> str:
    """Two reports mixed: halves joined, or one pasted into the other."""
    other = base_text(rng.randrange(BASE_POOL))
    if rng.random() < 0.5:
        return text[: _pos(rng, text)] + other[_pos(rng, other) :]
    return _insert(rng, text, other)


def mut_unicode(rng: random.Random, text: str) -> str:
    """Random text from all of Unicode (the report ignored), sometimes with a report heading in front."""
    noise = random_unicode(rng, rng.choice((0, 1, 10, 200, 5000)))
    return (text[:200] + noise) if rng.random() < 0.3 else noise


def mut_stacked(rng: random.Random, text: str) -> str:
    """Two to five of the other mutations, one after the other."""
    for _ in range(rng.randint(2, 5)):
        name = rng.choice([n for n in TEXT_FAMILIES if n not in ("stacked", "unicode")])
        text = TEXT_FAMILIES[name](rng, text)
    return text


TEXT_FAMILIES: dict[str, TextMutation] = {
    "delete_chars": mut_delete_chars,
    "insert_chars": mut_insert_chars,
    "duplicate": mut_duplicate,
    "swap_chars": mut_swap_chars,
    "lines": mut_lines,
    "digit_runs": mut_digit_runs,
    "huge_numbers": mut_huge_numbers,
    "nan_inf": mut_nan_inf,
    "long_whitespace": mut_long_whitespace,
    "control_chars": mut_control_chars,
    "newlines": mut_newlines,
    "random_cjk": mut_random_cjk,
    "traditional": mut_traditional,
    "truncate": mut_truncate,
    "splice": mut_splice,
    "unicode": mut_unicode,
    "stacked": mut_stacked,
}


# ---- files -------------------------------------------------------------------------------------------


def docx_bytes(text: str) -> bytes:
    """``text`` saved as a Word document (tab rows as real tables), with python-docx."""
    import docx

    document = docx.Document()
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            width = max(len(r) for r in rows)
            table = document.add_table(rows=len(rows), cols=width)
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell
            rows.clear()

    for line in text.split("\n"):
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        flush()
        document.add_paragraph(_xml_safe(line))
    flush()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _xml_safe(text: str) -> str:
    return re.sub(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", text)


_VALUE = re.compile(r"[-+]?[0-9][0-9.,]*(万元|万|元)?|[/—-]")


def pdf_bytes(text: str, *, font_size: float = 8.0) -> bytes:
    """``text`` as a PDF text layer (reportlab, the built-in STSong-Light CJK font, A4).

    A tab row is drawn as a ruled table row: its label cells (those before the first number) joined in the
    left cell, shrunk to fit, each value right-aligned in a cell of its own, as a report's table prints.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    width, height, margin = 595.0, 842.0, 20.0

    def fitted(text: str, room: float) -> float:
        size = font_size
        while size > 3 and pdfmetrics.stringWidth(text, font, size) > room:
            size -= 0.5
        return size

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(width, height))
    y = height - 32
    for line in text.split("\n"):
        cells = [_xml_safe(c).strip() for c in line.split("\t")]
        if len(cells) == 1:
            page.setFont(font, fitted(cells[0], width - 2 * margin))
            page.drawString(margin, y, cells[0])
        else:
            n = len(cells)
            lead = next((j for j, c in enumerate(cells) if j and _VALUE.fullmatch(c)), n)
            step = (width - 2 * margin) / (n + 2)  # the label gets three columns' room
            label = " ".join(c for c in cells[:lead] if c)
            page.setFont(font, fitted(label, width - margin - (n - lead + 1) * step - margin))
            page.drawString(margin, y, label)
            for j in range(lead, n):
                page.setFont(font, fitted(cells[j], step - 4))
                page.drawRightString(width - margin - (n - 1 - j) * step - 2, y, cells[j])
            top, bottom = y + font_size * 1.1, y - font_size * 0.5
            page.line(margin, top, width - margin, top)
            page.line(margin, bottom, width - margin, bottom)
            for x in [margin] + [width - margin - k * step for k in range(n - lead + 1)]:
                page.line(x, top, x, bottom)
        y -= font_size * 1.6
        if y < 30:
            page.showPage()
            y = height - 32
    page.save()
    return buffer.getvalue()


def html_text(text: str, charset: str | None = "utf-8") -> str:
    """``text`` as an HTML page (tab rows as ``<table>`` rows); ``charset`` goes in a ``<meta>`` (None: none)."""
    import html

    meta = f"<meta charset='{charset}'>" if charset else ""
    parts = [f"<html><head>{meta}</head><body>"]
    in_table = False
    for line in text.split("\n"):
        if "\t" in line:
            if not in_table:
                parts.append("<table border=1>")
                in_table = True
            parts.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in line.split("\t")) + "</tr>")
            continue
        if in_table:
            parts.append("</table>")
            in_table = False
        parts.append(f"<p>{html.escape(line)}</p>")
    parts.append("</table></body></html>" if in_table else "</body></html>")
    return "\n".join(parts)


def html_bytes(text: str) -> bytes:
    """``text`` as an HTML page in UTF-8 (see ``html_text``)."""
    return html_text(text).encode("utf-8")


def png_bytes(text: str) -> bytes:
    """A small PNG with a few lines of ``text`` drawn on it (PIL's default font: mostly boxes for CJK)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 120), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(text.split("\n")[:6]):
        draw.text((5, 5 + 18 * i), line[:60], fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@cache
def made_file(kind: str, index: int) -> bytes:
    """The bytes of clean report ``index`` saved as ``kind`` (.docx .pdf .html .png .txt)."""
    text = clean_text(index)
    makers: dict[str, Callable[[str], bytes]] = {
        ".docx": docx_bytes,
        ".pdf": pdf_bytes,
        ".html": html_bytes,
        ".png": png_bytes,
        ".txt": lambda t: t.encode("utf-8"),
        ".md": lambda t: t.encode("utf-8"),
    }
    return makers[kind](text)


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


_MAGIC = {
    ".docx": b"PK\x03\x04",
    ".pdf": b"%PDF-1.7\n",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".html": b"<html><body><table><tr><td>",
    ".txt": "二、主动公开政府信息情况\n".encode(),
    ".md": b"| a | b |\n|---|---|\n",
}


def file_random_bytes(rng: random.Random, text: str, folder: Path) -> Path:
    """Random bytes (0 to 64 KiB, sometimes behind the suffix's magic header) under each suffix."""
    suffix = rng.choice(SUFFIXES)
    data = rng.randbytes(rng.choice((0, 1, 7, 100, 4096, 65536)))
    if rng.random() < 0.5:
        data = _MAGIC[suffix] + data
    return _write(folder, "random" + suffix, data)


def file_truncated(rng: random.Random, text: str, folder: Path) -> Path:
    """A real .docx / .pdf / .html / .png made from a generated report, cut at a random length."""
    suffix = rng.choice((".docx", ".pdf", ".html", ".png"))
    data = made_file(suffix, rng.randrange(4))
    cut = rng.choice((rng.randint(0, len(data)), rng.randint(0, 64), len(data) - rng.randint(1, 64)))
    return _write(folder, "truncated" + suffix, data[: max(0, cut)])


def file_bitflip(rng: random.Random, text: str, folder: Path) -> Path:
    """A real .docx / .pdf / .html / .png with random bytes flipped, zeroed or overwritten."""
    suffix = rng.choice((".docx", ".pdf", ".html", ".png"))
    data = bytearray(made_file(suffix, rng.randrange(4)))
    for _ in range(rng.randint(1, 50)):
        i = rng.randrange(len(data))
        data[i] = rng.choice((data[i] ^ (1 << rng.randrange(8)), 0, 0xFF, rng.randrange(256)))
    return _write(folder, "flipped" + suffix, bytes(data))


ENCODINGS: tuple[str, ...] = (
    "gb18030", "gbk", "big5", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32", "shift_jis", "latin-1",
)  # fmt: skip


LOSSLESS_ENCODINGS: tuple[str, ...] = ("gb18030", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32")


def encode_report(text: str, encoding: str, *, html: bool = False, charset: str | None = None) -> bytes:
    """``text`` in ``encoding`` (Big5 gets the Traditional text first); characters it lacks become ``?``.

    With ``html`` the text is an HTML page first, its ``<meta charset>`` saying ``charset`` (None: no meta).
    """
    if encoding == "big5":
        text = str(_opencc("s2t").convert(text))  # type: ignore[attr-defined]
    if html:
        text = html_text(text, charset)
    return text.encode(encoding, errors="replace")


def file_encoding(rng: random.Random, text: str, folder: Path) -> Path:
    """A generated report as .txt / .md / .html in GB18030, Big5, UTF-16 with and without BOM, UTF-32 ...;
    an HTML page's ``<meta charset>`` names the encoding, another one, or is missing."""
    suffix = rng.choice((".txt", ".txt", ".md", ".html"))
    encoding = rng.choice(ENCODINGS)
    charset = rng.choice((encoding, encoding, None, rng.choice(ENCODINGS)))
    data = encode_report(text, encoding, html=suffix == ".html", charset=charset)
    if rng.random() < 0.2:
        data = data[: rng.randint(0, len(data))]  # cut inside a multi-byte character
    return _write(folder, "encoded" + suffix, data)


FILE_FAMILIES: dict[str, FileMaker] = {
    "file_random_bytes": file_random_bytes,
    "file_truncated": file_truncated,
    "file_bitflip": file_bitflip,
    "file_encoding": file_encoding,
}

"""Save a report's text as real .docx, .html and .pdf files, made with the libraries that make them in
the wild (python-docx, LibreOffice), so reader tests see genuine file structure.

Table detection, shared by every writer: a line that contains a tab or looks like a markdown pipe row is
a table row; consecutive row lines form one table (markdown separator rows ``|---|`` are dropped, the
outer pipes too); every other line is a paragraph.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

CJK_FONT = "WenQuanYi Micro Hei"
FONT_SIZE_PT = 9
SOFFICE_TIMEOUT_S = 180

_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_SEPARATOR = re.compile(r"^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*(:?-{3,}:?\s*)?$")


@dataclass(frozen=True)
class Block:
    """A paragraph (``rows`` empty) or a table (``rows`` set, every row padded to the same width)."""

    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


def _is_row(line: str) -> bool:
    return "\t" in line or bool(_PIPE_ROW.match(line))


def _cells(line: str) -> list[str]:
    if "\t" in line and not _PIPE_ROW.match(line):
        return [cell.strip(" ") for cell in line.split("\t")]
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [cell.strip(" ") for cell in inner.split("|")]


def blocks(text: str) -> Iterator[Block]:
    """Split a report text into paragraphs and tables (see the module docstring for the rules)."""
    pending: list[list[str]] = []

    def flush() -> Iterator[Block]:
        if pending:
            width = max(len(r) for r in pending)
            yield Block(rows=tuple(tuple(r + [""] * (width - len(r))) for r in pending))
            pending.clear()

    for line in text.replace("\r\n", "\n").split("\n"):
        if _PIPE_SEPARATOR.match(line):
            continue
        if _is_row(line):
            pending.append(_cells(line))
            continue
        yield from flush()
        yield Block(text=line)
    yield from flush()


def write_docx(text: str, path: str | os.PathLike[str]) -> Path:
    """Save ``text`` as a Word document: paragraphs and real bordered tables, a CJK font set."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = CJK_FONT
    normal.font.size = Pt(FONT_SIZE_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    for section in document.sections:
        section.left_margin = section.right_margin = Cm(1.5)
        section.top_margin = section.bottom_margin = Cm(1.5)
    for block in blocks(text):
        if not block.rows:
            document.add_paragraph(block.text)
            continue
        table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
        table.style = document.styles["Table Grid"]
        for row, values in zip(table.rows, block.rows, strict=True):
            # rows that do not break across pages, as report tables are usually set up
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    out = Path(path)
    document.save(str(out))
    return out


_HTML_HEAD = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>政府信息公开</title>
<style>body {{ font-family: sans-serif; }} .hidden-menu {{ display: none; }}</style>
<script>var trackingLabel = "统计脚本 9999"; document.write("<p>脚本文字 8888</p>");</script>
</head>
<body>
<nav class="menu"><ul><li><a href="/">网站首页</a></li><li><a href="/gk/">信息公开 7777</a></li>
<li><a href="/hd/">互动交流</a></li></ul></nav>
<div id="content"><article>
{body}
</article></div>
<footer><ul><li><a href="/map">网站地图</a></li><li><a href="/contact">联系我们</a></li></ul></footer>
<script>console.log("页脚脚本 6666");</script>
</body>
</html>
"""


def write_html(text: str, path: str | os.PathLike[str]) -> Path:
    """Save ``text`` as a UTF-8 web page: ``<p>`` paragraphs, ``<table>`` tables, menu/script debris."""
    parts: list[str] = []
    for block in blocks(text):
        if not block.rows:
            if block.text.strip():
                parts.append(f"<p>{html.escape(block.text)}</p>")
            continue
        rows = ("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in block.rows)
        parts.append('<table border="1">\n' + "\n".join(rows) + "\n</table>")
    out = Path(path)
    out.write_text(_HTML_HEAD.format(body="\n".join(parts)), encoding="utf-8")
    return out


def docx_to_pdfs(sources: Sequence[str | os.PathLike[str]], outdir: str | os.PathLike[str]) -> list[Path]:
    """Convert Word files to PDFs named after them in ``outdir``, with one LibreOffice call."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError(
            "making a PDF needs LibreOffice's 'soffice' on PATH to convert .docx to .pdf; "
            "install it (Debian: apt-get install libreoffice-writer) or skip the PDF tests"
        )
    out = Path(outdir)
    with tempfile.TemporaryDirectory(prefix="gxie-soffice-") as profile:
        # a private profile per call, so parallel conversions do not fight over one user installation
        command = [soffice, "--headless", "--norestore", f"-env:UserInstallation={Path(profile).as_uri()}"]
        command += ["--convert-to", "pdf", "--outdir", str(out), *map(str, sources)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT_S, check=False)
    made = [out / f"{Path(source).stem}.pdf" for source in sources]
    for pdf in made:
        if not pdf.is_file():
            raise RuntimeError(f"LibreOffice did not produce {pdf} (exit {done.returncode}): {done.stderr[-2000:]}")
    return made


def write_pdfs(items: Sequence[tuple[str, str | os.PathLike[str]]]) -> list[Path]:
    """Save each ``(text, path)`` as a PDF with a text layer (via .docx, one LibreOffice call for all)."""
    outputs = [Path(p) for _, p in items]
    with tempfile.TemporaryDirectory(prefix="gxie-pdfs-") as tmp:
        work = Path(tmp)
        sources = [write_docx(text, work / f"doc{i}.docx") for i, (text, _) in enumerate(items)]
        for made, out in zip(docx_to_pdfs(sources, work), outputs, strict=True):
            shutil.move(str(made), out)
    return outputs


def write_pdf(text: str, path: str | os.PathLike[str]) -> Path:
    """Save ``text`` as a PDF with a text layer (see ``write_pdfs`` to convert many in one call)."""
    return write_pdfs([(text, path)])[0]

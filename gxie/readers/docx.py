"""Word documents (.docx): paragraphs and tables in document order, each table row one tab-joined line.

The body's XML is walked directly rather than through python-docx's ``row.cells``, which repeats a
merged cell once per grid column it spans and the origin cell for each vertically merged one: here a
horizontally merged cell is read once and a vertical-merge continuation gives an empty cell.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from gxie.errors import LimitExceededError, ReadError
from gxie.limits import DEFAULT_LIMITS, Limits, exceeded
from gxie.readers.rows import cell_text, row_line
from gxie.types import Document

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Runs that belong to a paragraph's visible text: its own, and those inside hyperlinks, tracked
# insertions, smart tags, simple fields and inline content controls. Text boxes and deleted text are not.
_RUNS_XPATH = (
    "./w:r | ./w:hyperlink/w:r | ./w:ins/w:r | ./w:smartTag/w:r | ./w:fldSimple/w:r"
    " | ./w:sdt/w:sdtContent/w:r | ./w:customXml/w:r | ./w:hyperlink/w:ins/w:r"
)
_CHUNK = 1 << 20  # bytes decompressed at a time while a package is checked
_CONTAINERS = ("sdt", "customXml")  # block-level wrappers whose content counts as body content


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Any, names: tuple[str, ...]) -> Iterator[Any]:
    """The children of ``element`` named ``names``, in order, looking through content-control wrappers."""
    for child in element:
        name = _local(child)
        if name in names:
            yield child
        elif name in _CONTAINERS:
            content = child.find(_w("sdtContent")) if name == "sdt" else child
            if content is not None:
                yield from _children(content, names)


def _block_children(element: Any) -> Iterator[Any]:
    """Paragraphs and tables under ``element``."""
    return _children(element, ("p", "tbl"))


def _cells(tr: Any) -> Iterator[Any]:
    return _children(tr, ("tc",))


def _rows(tbl: Any) -> Iterator[Any]:
    return _children(tbl, ("tr",))


def paragraph_text(p: Any) -> str:
    """The visible text of a ``w:p`` element (tabs as ``\\t``, line breaks as ``\\n``)."""
    return "".join(run.text for run in p.xpath(_RUNS_XPATH))


def _is_merge_continuation(tc: Any) -> bool:
    v_merge = tc.find(f"{_w('tcPr')}/{_w('vMerge')}")
    return v_merge is not None and v_merge.get(_w("val"), "continue") == "continue"


def _cell_text(tc: Any) -> str:
    """A cell's text on one line: its paragraphs (and any nested table's text) joined by spaces."""
    parts: list[str] = []
    for block in _block_children(tc):
        if _local(block) == "p":
            parts.append(paragraph_text(block))
        else:
            parts.extend(_cell_text(c) for tr in _rows(block) for c in _cells(tr))
    return cell_text(" ".join(p for p in parts if p))


def _lines(container: Any) -> Iterator[str]:
    for block in _block_children(container):
        if _local(block) == "p":
            yield paragraph_text(block)
            continue
        for tr in _rows(block):
            cells = list(_cells(tr))
            if any(tc.find(f".//{_w('tbl')}") is not None for tc in cells):
                for tc in cells:  # a layout row (it holds tables): each cell's content as blocks
                    yield from _lines(tc)
                continue
            texts = ["" if _is_merge_continuation(tc) else _cell_text(tc) for tc in cells]
            if texts:  # a row of blank cells stays: blank cells are data (one-cell-per-line layouts)
                yield row_line(texts)


def unzipped(data: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> io.BytesIO:
    """The ZIP package ``data`` copied, uncompressed, within ``limits``: at most ``max_docx_parts`` parts, each
    at most ``max_docx_part_bytes`` and all together at most ``max_docx_total_bytes`` once decompressed.

    Every part is read in bounded chunks and the real bytes are counted (a header can lie about a part's
    size), so a zip bomb stops at the limit. What python-docx then opens is this honest copy: reading a
    part whole, zipfile decompresses all of its data at once, whatever size the header gives."""

    def beyond(limit: str, what: str, found: int, unit: str = " bytes") -> LimitExceededError:
        return exceeded(source, what, found, limit, getattr(limits, limit), unit)

    package = zipfile.ZipFile(io.BytesIO(data))
    parts = list({info.filename: info for info in package.infolist()}.values())  # a repeated name: the last
    if len(parts) > limits.max_docx_parts:
        raise beyond("max_docx_parts", "the number of parts of the .docx package", len(parts), "")
    for info in parts:
        if info.file_size > limits.max_docx_part_bytes:
            raise beyond("max_docx_part_bytes", _part_size(info), info.file_size)
    whole = "the decompressed size of the .docx package"
    declared = sum(info.file_size for info in parts)
    if declared > limits.max_docx_total_bytes:
        raise beyond("max_docx_total_bytes", whole, declared)
    out = io.BytesIO()
    total = 0
    big = limits.max_docx_part_bytes >= zipfile.ZIP64_LIMIT
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for info in parts:
            what = _part_size(info)
            size = 0
            with package.open(info) as part, copy.open(info.filename, "w", force_zip64=big) as target:
                while chunk := part.read(_CHUNK):
                    size += len(chunk)
                    total += len(chunk)
                    if size > limits.max_docx_part_bytes:  # more than its header said
                        raise beyond("max_docx_part_bytes", f"{what} (read so far)", size)
                    if total > limits.max_docx_total_bytes:
                        raise beyond("max_docx_total_bytes", f"{whole} (read so far)", total)
                    target.write(chunk)
    out.seek(0)
    return out


def _part_size(info: zipfile.ZipInfo) -> str:
    return f"the decompressed size of the .docx part {info.filename!r}"


def read_docx(data: bytes, source: str, *, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read a Word (.docx) report from its bytes; a package beyond ``limits`` (parts, decompressed sizes)
    raises ``LimitExceededError``."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ReadError(
            f"{source} is not a valid .docx (not a ZIP package): the file looks truncated or corrupt, "
            "or it is an old binary .doc; re-save it from Word as .docx"
        )
    # what python-docx, zipfile and lxml raise on a damaged package (lxml's XMLSyntaxError is a SyntaxError)
    damaged = (
        PackageNotFoundError,
        zipfile.BadZipFile,
        zlib.error,
        KeyError,
        ValueError,
        EOFError,
        SyntaxError,
        NotImplementedError,  # a compression method zipfile does not know
        RuntimeError,  # an encrypted part
    )
    try:
        body = docx.Document(unzipped(data, source, limits)).element.body
    except damaged as exc:
        raise ReadError(
            f"{source} could not be opened as .docx ({type(exc).__name__}: {exc}); the file looks "
            "truncated or corrupt: re-save it from Word"
        ) from exc
    text = "\n".join(_lines(body))
    if not text.strip():
        raise ReadError(f"{source} contains no text; check that it is the report (not an image scan)")
    return Document(text=text, source=source, kind="docx")

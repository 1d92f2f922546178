"""Input readers: one module per file type, each turning bytes into a ``Document`` (text + its source).

``read(path)`` picks the reader from the file suffix; ``read_bytes(data, name)`` does the same for data
already in memory (a download, an upload). Tables come out one row per line, cells joined by ``"\\t"``.

Example::

    from gxie.readers import read

    doc = read("report.docx")  # Document(text="...行政许可\t6\t0\t147...", kind="docx", ...)
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO, Protocol

from gxie.errors import NeedsOCRError, ReadError, UnsupportedFormatError
from gxie.limits import DEFAULT_LIMITS, MAX_BYTES, Limits, exceeded
from gxie.readers.rows import cell_text as cell_text  # re-exported
from gxie.readers.rows import row_line as row_line  # re-exported
from gxie.readers.sniff import SUFFIX_KINDS, kind_of
from gxie.types import Document, Issue, IssueCode

DEFAULT_MAX_BYTES = MAX_BYTES
SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


class Reader(Protocol):
    """A reader function: a file's bytes and name in, a ``Document`` out, within ``limits``."""

    def __call__(self, data: bytes, source: str, *, limits: Limits = ...) -> Document: ...


class NotARegularFileError(OSError):
    """The path names a pipe, a device, a socket or a folder: nothing gxie reads (or waits on)."""


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a regular file for reading, in binary. Never blocks: opened with ``O_NONBLOCK`` (a FIFO with no
    writer opens at once) and checked on the open descriptor, so a file swapped for a pipe or a link to
    ``/dev/zero`` after an earlier check is refused all the same (``NotARegularFileError``)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else "a device or socket"
            raise NotARegularFileError(f"{os.fspath(path)} is not a regular file but {kind}")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _reader_for(suffix: str, kind: str | None = None) -> Reader:
    """The reader function for a file kind (by default the lower-case suffix's); raises for unsupported
    kinds and for images without the OCR extra."""
    kind = kind if kind is not None else SUFFIX_KINDS.get(suffix)
    if kind == "text":
        from gxie.readers.text import read_text

        return read_text
    if kind == "html":
        from gxie.readers.html import read_html

        return read_html
    if kind == "docx":
        from gxie.readers.docx import read_docx

        return read_docx
    if kind == "pdf":
        from gxie.readers.pdf import read_pdf

        return read_pdf
    if kind == "image":
        from gxie.ocr.engine import ocr_available

        if not ocr_available():  # refused before the file is read, so a missing extra costs nothing
            raise NeedsOCRError(
                f"{suffix!r} is an image: reading it needs OCR, which comes with the 'gxie[ocr]' extra; "
                f'install it with: pip install "gxie[ocr]", or supply the report as one of '
                f"{' '.join(SUPPORTED_SUFFIXES)} instead."
            )
        from gxie.readers.image import read_image

        return read_image
    raise UnsupportedFormatError(
        f"unsupported file type {suffix or '(no suffix)'!r}; gxie reads {' '.join(SUPPORTED_SUFFIXES)} "
        f"and, with the 'gxie[ocr]' extra, images {' '.join(IMAGE_SUFFIXES)}, and files of other names whose "
        "content is one of these. Convert the file or rename it if its suffix is wrong."
    )


def _too_large(source: str, size: int, max_bytes: int) -> ReadError:
    return exceeded(source, "the file size", size, "max_bytes", max_bytes, " bytes")


def _limits(limits: Limits | None, max_bytes: int | None, max_pages: int | None, max_pixels: int | None) -> Limits:
    return (limits or DEFAULT_LIMITS).but(max_bytes=max_bytes, max_pages=max_pages, max_pixels=max_pixels)


def read(
    path: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
    max_pages: int | None = None,
    max_pixels: int | None = None,
    limits: Limits | None = None,
) -> Document:
    """Read a report file (.txt .md .html .htm .docx .pdf, images .png .jpg .jpeg .tif .tiff) into a
    ``Document``. The reader is the suffix's, unless the bytes plainly are another kind (``sniff``: HTML in
    a ``.txt`` or ``.js`` file, a PDF, Word file or image under a wrong or missing suffix); the document
    then carries a ``read_by_content`` note.

    Images and PDF pages without a text layer are read by OCR when the ``gxie[ocr]`` extra is installed
    (the result is a ``gxie.ocr.ScannedDocument`` with box positions). Raises ``UnsupportedFormatError``
    for other suffixes, ``NeedsOCRError`` for images without the extra and ``ReadError`` for a missing,
    empty, binary, undecodable, truncated or corrupt file, or one that is not a regular file (a pipe or a
    device is refused without waiting on it). A PDF without a text layer and without the extra is not an
    error: it comes back with ``needs_ocr=True`` and an error message.

    An input beyond ``limits`` (``gxie.limits``; ``max_bytes``, ``max_pages`` and ``max_pixels`` replace
    single ones) raises ``LimitExceededError``, a ``ReadError``.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if SUFFIX_KINDS.get(suffix) == "image":
        _reader_for(suffix)  # an image without the OCR extra is refused before the file is read
    source = str(file)
    bounds = _limits(limits, max_bytes, max_pages, max_pixels)
    try:
        handle = open_regular(file)
    except FileNotFoundError:
        raise ReadError(f"{source} does not exist; check the path") from None
    except NotARegularFileError as exc:
        raise ReadError(f"{exc}; pass the path of a report file") from None
    except OSError as exc:
        raise ReadError(f"{source} cannot be opened: {exc}") from exc
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size > bounds.max_bytes:  # checked before reading, so a huge file costs nothing
            raise _too_large(source, size, bounds.max_bytes)
        try:
            data = handle.read(bounds.max_bytes + 1)
        except OSError as exc:
            raise ReadError(f"{source} cannot be read: {exc}") from exc
    return _read_checked(suffix, data, source, bounds)


def read_bytes(
    data: bytes,
    name: str,
    *,
    max_bytes: int | None = None,
    max_pages: int | None = None,
    max_pixels: int | None = None,
    limits: Limits | None = None,
) -> Document:
    """Read a report held in memory; ``name`` (a file name or URL path) gives the type by its suffix, unless
    the bytes plainly are another kind (see ``read``)."""
    return _read_checked(Path(name).suffix.lower(), data, name, _limits(limits, max_bytes, max_pages, max_pixels))


def _read_checked(suffix: str, data: bytes, source: str, limits: Limits) -> Document:
    if len(data) > limits.max_bytes:
        raise _too_large(source, len(data), limits.max_bytes)
    if not data.strip():
        raise ReadError(f"{source} is empty ({len(data)} bytes, no text); supply the report's content")
    kind, why = kind_of(suffix, data)
    document = _reader_for(suffix, kind)(data, source, limits=limits)
    if len(document.text) > limits.max_chars:
        raise exceeded(source, "the text", len(document.text), "max_chars", limits.max_chars, " characters")
    if why is None:
        return document
    note = Issue("info", IssueCode.READ_BY_CONTENT, f"{source}: {why}")
    return replace(document, issues=(*document.issues, note))


__all__ = ["DEFAULT_MAX_BYTES", "IMAGE_SUFFIXES", "SUPPORTED_SUFFIXES", "open_regular", "read", "read_bytes"]

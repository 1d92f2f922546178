"""What a file is by its bytes, not its name: a PDF, a Word file, an image or a web page saved as text.

Crawlers save pages as ``.txt`` (or keep the HTML inside a ``.js`` file), mail gateways drop suffixes,
and people rename files. ``kind_of(suffix, data)`` says which reader fits: the suffix's own kind unless
the bytes plainly say otherwise, and the bytes' kind for a suffix gxie does not know.
"""

from __future__ import annotations

import io
import re
import zipfile

# Reader kinds by suffix.
SUFFIX_KINDS: dict[str, str] = {
    ".txt": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pdf": "pdf",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
}
PDF_MAGIC_WITHIN = 1024  # PDF readers accept the %PDF- header anywhere in the first kilobyte
HTML_HEAD = 65536  # bytes of a text file looked at to tell HTML from text
HTML_MIN_TAGS = 8  # table and block tags that make a text file HTML (a report page has hundreds)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S)
_HTML_TAG = re.compile(r"</?(?:table|tr|td|th|tbody|p|div|span|br)\b[^<>]{0,400}>", re.I)


def sniff(data: bytes) -> str | None:
    """The kind the bytes show: ``pdf``, ``docx``, ``image``, ``html``, or None (plain text or unknown).

    >>> sniff(b"%PDF-1.7 ..."), sniff(b"<!DOCTYPE html><html>...")
    ('pdf', 'html')
    """
    if b"%PDF-" in data[:PDF_MAGIC_WITHIN]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if _is_docx(data) else None
    if data.startswith(_IMAGE_MAGIC):
        return "image"
    head = data[:HTML_HEAD]
    if b"<" not in head:
        return None
    text = _as_text(head)
    if _HTML_START.match(text) or len(_HTML_TAG.findall(text)) >= HTML_MIN_TAGS:
        return "html"
    return None


def kind_of(suffix: str, data: bytes) -> tuple[str | None, str | None]:
    """``(kind to read it as, why it differs from the suffix)``; kind None: gxie cannot tell what it is.

    A text suffix holding HTML is read as HTML; any suffix whose bytes are a PDF, a Word file or an image
    is read as that; a suffix gxie does not know takes the bytes' kind.

    >>> kind_of(".txt", b"<html><body><table><tr><td>1</td></tr></table></body></html>")[0]
    'html'
    """
    declared = SUFFIX_KINDS.get(suffix)
    found = sniff(data)
    if found is None or found == declared:
        return declared, None
    if declared == "html" and found != "pdf":  # a page is HTML whatever else its text holds
        return declared, None
    named = f"is named {suffix}" if suffix else "has no suffix"
    return found, f"read as {found.upper() if found != 'image' else 'an image'} by its content (the file {named})"


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _as_text(head: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError:
            continue
    return head.decode("utf-8", errors="ignore")

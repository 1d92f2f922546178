"""gxie's resource envelope: the most a reader takes from one input, all in one place (docs/limits.md).

An input beyond a limit raises ``LimitExceededError`` (code ``limit_exceeded``); the pipeline turns it into a
failed report whose message names the limit, the value found and how to raise it. The defaults keep one
file under about 1 GB of memory; raise one for a genuine large file::

    from gxie.limits import Limits
    from gxie.readers import read

    read("atlas.pdf", max_pages=500)                 # one limit, one call
    gxie.extract("atlas.pdf", limits=Limits(max_pages=500, max_pixels=120_000_000))
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from gxie.errors import LimitExceededError

# Input file size: every reader holds the whole file in memory (a report is a few MB).
MAX_BYTES = 20_000_000
# Characters of a document's text once read: tagging and the grid take 1-4 s per million on 2 cores; a long
# report is ~200k characters, so a text beyond this is not one report (or is a dump of many).
MAX_CHARS = 2_000_000
# Pages of one PDF (text layer or OCR) and frames of one TIFF: OCR takes seconds a page; reports have ~30.
MAX_PAGES = 200
# Pixels of one page image for OCR (1 byte each, grey; OCR works on several copies). A4 at 300 dpi is 8.7M.
MAX_PIXELS = 60_000_000
# Decompressed size of one part of a .docx (document.xml of a long report is a few MB; lxml needs ~5x).
MAX_DOCX_PART_BYTES = 50_000_000
# Decompressed size of all parts of a .docx together: python-docx loads every part into memory.
MAX_DOCX_TOTAL_BYTES = 100_000_000
# Parts (ZIP members) of a .docx: Word writes a few dozen; each costs a ZipInfo and a python-docx part.
MAX_DOCX_PARTS = 2_000
# Elements (start tags) of a web page: BeautifulSoup takes ~1 KB and ~50 us each; portal pages have ~5k.
MAX_HTML_ELEMENTS = 50_000
# Tables inside tables read as tables; deeper ones are read as text (not a failure): layouts nest 2-3.
MAX_HTML_TABLE_NESTING = 16


@dataclass(frozen=True)
class Limits:
    """The limits one read applies (defaults above); ``Limits(max_pages=500)`` raises one."""

    max_bytes: int = MAX_BYTES
    max_chars: int = MAX_CHARS
    max_pages: int = MAX_PAGES
    max_pixels: int = MAX_PIXELS
    max_docx_part_bytes: int = MAX_DOCX_PART_BYTES
    max_docx_total_bytes: int = MAX_DOCX_TOTAL_BYTES
    max_docx_parts: int = MAX_DOCX_PARTS
    max_html_elements: int = MAX_HTML_ELEMENTS
    max_html_table_nesting: int = MAX_HTML_TABLE_NESTING

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{f.name} must be a whole number of at least 1, not {value!r}")

    def but(self, **overrides: int | None) -> Limits:
        """These limits with the ones given replaced (None: keep), e.g. ``limits.but(max_pages=500)``."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given) if given else self


DEFAULT_LIMITS = Limits()


def exceeded(
    source: str, what: str, found: int, limit: str, maximum: int, unit: str = "", why: str = ""
) -> LimitExceededError:
    """The error for ``what`` of ``source`` at ``found``, beyond ``Limits.<limit>`` = ``maximum`` (``why``: a
    clause on why it cannot be read within the limit anyway)."""
    return LimitExceededError(
        f"{source}: {what} is {found:,}{unit}, more than the limit of {maximum:,}{unit} ({limit}){why}; if the file "
        f"is genuine, raise it: pass limits=Limits({limit}=...) to gxie.extract or gxie.readers.read "
        "(see docs/limits.md)",
        limit=limit,
        found=found,
        maximum=maximum,
    )


__all__ = ["DEFAULT_LIMITS", "Limits", "exceeded"]

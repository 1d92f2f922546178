"""OCR input: page images (scans, photos, image-only PDF pages) to report text with box positions.

Needs the ``gxie[ocr]`` extra. The work is in ``gxie.ocr.scan`` (pages -> a :class:`ScannedDocument`),
``engine`` (rapidocr), ``images`` (decoding), ``rulings`` (tables and skew), ``layout`` (boxes -> lines),
``stacked``, ``recover`` and ``spacing`` (second looks), ``ink`` (page ink); this module re-exports the
public names.
"""

from gxie.ocr.engine import ocr_available
from gxie.ocr.scan import (
    BLANK_CONTRAST,
    INSTALL_HINT,
    LOW_SCORE,
    Box,
    PageText,
    ScannedDocument,
    ScanPage,
    assemble,
    boxes_at,
    ocr_images,
    ocr_page,
    require_ocr,
)

__all__ = [
    "BLANK_CONTRAST",
    "INSTALL_HINT",
    "LOW_SCORE",
    "Box",
    "PageText",
    "ScanPage",
    "ScannedDocument",
    "assemble",
    "boxes_at",
    "ocr_available",
    "ocr_images",
    "ocr_page",
    "require_ocr",
]

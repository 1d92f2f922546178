"""Scanned pages and photos (.png .jpg .jpeg .tif .tiff): OCR with the ``gxie[ocr]`` extra.

Every frame of the file is a page; the result is a ``gxie.ocr.ScannedDocument`` (a ``Document`` with
``kind="image"`` whose ``boxes`` place each recognized piece of text on its page).
"""

from __future__ import annotations

from gxie.limits import DEFAULT_LIMITS, Limits
from gxie.types import Document


def read_image(data: bytes, source: str, *, limits: Limits = DEFAULT_LIMITS) -> Document:
    """OCR an image file's bytes into a ``Document``, one frame at a time; ``NeedsOCRError`` when the extra is
    missing, ``LimitExceededError`` beyond ``limits.max_pages`` frames or ``limits.max_pixels`` a frame."""
    from gxie.ocr import ocr_images, require_ocr
    from gxie.ocr.images import decode_image

    require_ocr(f"{source} is an image: reading it")
    pages = decode_image(data, source, max_pages=limits.max_pages, max_pixels=limits.max_pixels)
    return ocr_images(pages, source, kind="image")

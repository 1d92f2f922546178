"""Scanned pages and photos (.png .jpg .jpeg .tif .tiff): OCR with the ``gxie[ocr]`` extra.

Every frame of the file is a page; the result is a ``gxie.ocr.ScannedDocument`` (a ``Document`` with
``kind="image"`` whose ``boxes`` place each recognized piece of text on its page).
"""

from __future__ import annotations

from gxie.types import Document


def read_image(data: bytes, source: str) -> Document:
    """OCR an image file's bytes into a ``Document``; ``NeedsOCRError`` when the extra is missing."""
    from gxie.ocr import ocr_images, require_ocr
    from gxie.ocr.images import decode_image

    require_ocr(f"{source} is an image: reading it")
    return ocr_images(decode_image(data, source), source, kind="image")

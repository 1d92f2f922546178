"""Page images for OCR: decoded image files (every frame of a TIFF) and rendered PDF pages, as grey arrays.

Pages come one at a time (iterators): only the page being read is in memory, whatever the page count.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gxie.errors import LimitExceededError, ReadError
from gxie.limits import MAX_PAGES, MAX_PIXELS, exceeded

DEFAULT_DPI = 300.0  # assumed when an image file does not say
PDF_RENDER_DPI = 300.0
MIN_RENDER_DPI = 100.0  # a PDF page too large for max_pixels at 300 dpi is rendered smaller, down to this


@dataclass(frozen=True)
class PageImage:
    """One page to OCR: its 1-based number, grey pixels (``uint8``, ``(h, w)``) and resolution."""

    number: int
    pixels: np.ndarray
    dpi: float


def _undecodable(source: str, exc: BaseException) -> ReadError:
    return ReadError(
        f"{source} could not be decoded as an image ({type(exc).__name__}: {exc}); "
        "the file looks truncated or is not PNG/JPEG/TIFF: export or scan it again"
    )


def decode_image(
    data: bytes, source: str, *, max_pages: int = MAX_PAGES, max_pixels: int = MAX_PIXELS
) -> Iterator[PageImage]:
    """Decode a PNG/JPEG/TIFF file's bytes into grey pages (a multi-page TIFF gives several), one frame at a
    time as the iterator is consumed. More than ``max_pages`` frames, or a frame of more than ``max_pixels``
    pixels, raises ``LimitExceededError`` (the frame count at once, a frame's size before it is decoded)."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError as exc:
        raise LimitExceededError(
            f"{source}: {exc}; gxie reads pages of at most {max_pixels:,} pixels (max_pixels): scan at 300 dpi "
            "or scale the image down",
            limit="max_pixels",
            maximum=max_pixels,
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise _undecodable(source, exc) from exc
    if frames < 1:
        raise ReadError(f"{source} holds no image frames; export or scan it again")
    if frames > max_pages:
        image.close()
        raise exceeded(source, "the number of frames (pages) of the image", frames, "max_pages", max_pages)
    return _frames(image, frames, source, max_pixels)


def _frames(image: Any, frames: int, source: str, max_pixels: int) -> Iterator[PageImage]:
    from PIL import ImageOps, UnidentifiedImageError

    try:
        for k in range(frames):
            image.seek(k)
            if image.width * image.height > max_pixels:
                raise exceeded(
                    source,
                    f"page {k + 1} ({image.width} x {image.height} pixels)",
                    image.width * image.height,
                    "max_pixels",
                    max_pixels,
                    " pixels",
                    why="; scan at 300 dpi or scale the image down",
                )
            dpi = image.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))[0] or DEFAULT_DPI
            frame = ImageOps.exif_transpose(image) if k == 0 else image
            yield PageImage(k + 1, np.asarray(frame.convert("L"), dtype=np.uint8), float(dpi))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _undecodable(source, exc) from exc
    finally:
        image.close()


def render_pdf_pages(
    data: bytes, numbers: Sequence[int], source: str, dpi: float = PDF_RENDER_DPI, *, max_pixels: int = MAX_PIXELS
) -> Iterator[PageImage]:
    """Render the given 1-based pages of a PDF to grey images at ``dpi`` (with pypdfium2), one page at a
    time as the iterator is consumed. A page larger than ``max_pixels`` at ``dpi`` is rendered at the
    resolution that fits, or, below ``MIN_RENDER_DPI``, refused with ``LimitExceededError``."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ReadError(f"{source} could not be rendered for OCR ({exc}); the PDF looks corrupt") from exc
    return _rendered(pdf, numbers, source, dpi, max_pixels)


def _rendered(pdf: Any, numbers: Sequence[int], source: str, dpi: float, max_pixels: int) -> Iterator[PageImage]:
    import pypdfium2 as pdfium

    try:
        for number in numbers:
            page = pdf[number - 1]
            try:
                width, height = page.get_size()  # points
                page_dpi = _fitting_dpi(source, number, width, height, dpi, max_pixels)
                bitmap = page.render(scale=page_dpi / 72.0, grayscale=True)
                pixels = np.array(bitmap.to_numpy(), dtype=np.uint8)
                bitmap.close()
            except pdfium.PdfiumError as exc:
                raise ReadError(f"{source}: page {number} could not be rendered for OCR ({exc})") from exc
            finally:
                page.close()
            if pixels.ndim == 3:
                pixels = pixels[:, :, 0]
            yield PageImage(number, pixels, page_dpi)
            del pixels
    finally:
        pdf.close()


def _fitting_dpi(source: str, number: int, width: float, height: float, dpi: float, max_pixels: int) -> float:
    """``dpi``, or the lower resolution at which a large page fits ``max_pixels``; a page that would need less
    than ``MIN_RENDER_DPI`` raises ``LimitExceededError``."""
    pixels = width * height * (dpi / 72.0) ** 2
    if pixels <= max_pixels:
        return dpi
    fitting = math.floor(72.0 * math.sqrt(max_pixels / (width * height)) * 100) / 100
    if fitting >= MIN_RENDER_DPI:
        return fitting
    raise exceeded(
        source,
        f"page {number} ({width:.0f} x {height:.0f} pt) rendered for OCR at {dpi:.0f} dpi",
        round(pixels),
        "max_pixels",
        max_pixels,
        " pixels",
        why=f"; scaled down to fit it would be {fitting:.0f} dpi, under the {MIN_RENDER_DPI:.0f} dpi OCR needs",
    )

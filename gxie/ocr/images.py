"""Page images for OCR: decoded image files (every frame of a TIFF) and rendered PDF pages, as grey arrays."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gxie.errors import ReadError

DEFAULT_DPI = 300.0  # assumed when an image file does not say
PDF_RENDER_DPI = 300.0
MAX_PIXELS = 60_000_000  # one page; a larger image is refused rather than exhausting memory


@dataclass(frozen=True)
class PageImage:
    """One page to OCR: its 1-based number, grey pixels (``uint8``, ``(h, w)``) and resolution."""

    number: int
    pixels: np.ndarray
    dpi: float


def decode_image(data: bytes, source: str) -> list[PageImage]:
    """Decode a PNG/JPEG/TIFF file's bytes into grey pages (a multi-page TIFF gives several)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        pages = []
        for k in range(frames):
            image.seek(k)
            if image.width * image.height > MAX_PIXELS:
                raise ReadError(
                    f"{source}: page {k + 1} is {image.width}x{image.height} pixels, more than {MAX_PIXELS:,}; "
                    "scan at 300 dpi or scale the image down"
                )
            dpi = image.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))[0] or DEFAULT_DPI
            frame = ImageOps.exif_transpose(image) if k == 0 else image
            pages.append(PageImage(k + 1, np.asarray(frame.convert("L"), dtype=np.uint8), float(dpi)))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ReadError(
            f"{source} could not be decoded as an image ({type(exc).__name__}: {exc}); "
            "the file looks truncated or is not PNG/JPEG/TIFF: export or scan it again"
        ) from exc
    if not pages:
        raise ReadError(f"{source} holds no image frames; export or scan it again")
    return pages


def render_pdf_pages(data: bytes, numbers: Sequence[int], source: str, dpi: float = PDF_RENDER_DPI) -> list[PageImage]:
    """Render the given 1-based pages of a PDF to grey images at ``dpi`` (with pypdfium2)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ReadError(f"{source} could not be rendered for OCR ({exc}); the PDF looks corrupt") from exc
    out = []
    try:
        for number in numbers:
            page = pdf[number - 1]
            try:
                bitmap = page.render(scale=dpi / 72.0, grayscale=True)
                pixels = np.array(bitmap.to_numpy(), dtype=np.uint8)
                bitmap.close()
            finally:
                page.close()
            if pixels.ndim == 3:
                pixels = pixels[:, :, 0]
            out.append(PageImage(number, pixels, dpi))
    finally:
        pdf.close()
    return out

"""Scanned input to page images: PNG, JPEG, TIFF (every page) and PDF.

A PDF page that carries a text layer gives its words and their boxes straight from the
PDF (no OCR, no recognition errors); a scanned PDF page is rendered with pypdfium2. Every
limit is checked *before* the pixels are decoded, so a hostile or absurd file (a
2,000-page PDF, a 30,000 × 30,000 image) is refused cheaply with a message that names the
setting to raise.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DictationError
from ..files import Blob, opened
from ..records import ScanLimits

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
SCAN_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
MIN_TEXT_LAYER_CHARS = 20  # fewer characters than this on a PDF page: treat it as a scan
DISPLAY_DPI = 110  # a text-layer page is rendered this sharp for the review page only


class ScanError(DictationError):
    """A scanned file cannot be read as pages."""


@dataclass(frozen=True)
class TextWord:
    text: str
    box: tuple[float, float, float, float]  # fractions of the page: left, top, right, bottom


@dataclass
class Page:
    number: int  # 1-based
    image: Image.Image  # RGB; for a text-layer page, a rendering for the review page
    text_layer: list[list[TextWord]] | None = None  # lines of words, when the PDF has text


def page_name(number: int) -> str:
    """The archived image of a scan's page, as read (the word boxes fit it)."""
    return f"page-{number:03d}.png"


def is_scan(path: Path | Blob) -> bool:
    return path.suffix.lower() in SCAN_SUFFIXES


def load(path: Path | Blob, limits: ScanLimits) -> Iterator[Page]:
    """The pages of ``path`` (or of a ``Blob``'s bytes) in order. Raises ScanError for anything that cannot be pages."""
    if path.suffix.lower() == ".pdf":
        yield from _pdf_pages(path, limits)
    else:
        yield from _image_pages(path, limits)


def _too_big(path: Path | Blob, width: int, height: int, limits: ScanLimits, page: int | None = None) -> ScanError:
    where = f"page {page} is" if page else "the image is"
    return ScanError(f"{where} {width:,} × {height:,} pixels ({width * height / 1e6:,.0f} million), more than "
                     f"the limit of {limits.max_pixels / 1e6:,.0f} million",
                     "scan it again at 300 dpi, or raise the setting scan_max_pixels if this size is expected",
                     file=path.name)


def _too_many(path: Path | Blob, count: int, limits: ScanLimits) -> ScanError:
    return ScanError(f"it has {count:,} pages, more than the limit of {limits.max_pages:,}",
                     "split it into separate letters, or raise the setting scan_max_pages if this is expected",
                     file=path.name)


def _image_pages(path: Path | Blob, limits: ScanLimits) -> Iterator[Page]:
    guard = Image.MAX_IMAGE_PIXELS
    try:
        # Opening reads only the header; our own limit (checked before any pixel is decoded)
        # replaces Pillow's bomb check, so the message can name the size and the setting.
        Image.MAX_IMAGE_PIXELS = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(opened(path))
            frames = getattr(image, "n_frames", 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ScanError(f"the file is damaged or is not really an image ({type(err).__name__})",
                        "open it on the scanner's computer to check it, then scan or export it again",
                        file=path.name)
    finally:
        Image.MAX_IMAGE_PIXELS = guard
    with image:
        if frames < 1:
            raise ScanError("the image has no pages", "scan the note again", file=path.name)
        if frames > limits.max_pages:
            raise _too_many(path, frames, limits)
        for index in range(frames):
            try:
                image.seek(index)
                width, height = image.size
                if width * height > limits.max_pixels:
                    raise _too_big(path, width, height, limits, index + 1 if frames > 1 else None)
                # A phone photo keeps its rotation in EXIF; the pixels are stored sideways.
                rgb = _on_white(ImageOps.exif_transpose(image))
            except ScanError:
                raise
            except (OSError, SyntaxError, ValueError, EOFError) as err:
                raise ScanError(f"page {index + 1} of the image is damaged ({type(err).__name__})",
                                "scan or export the note again", file=path.name)
            yield Page(index + 1, rgb)


def _on_white(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white paper (dropping the alpha channel would turn a
    transparent background black and hide the text)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        page = Image.new("RGBA", image.size, "white")
        page.alpha_composite(image.convert("RGBA"))
        return page.convert("RGB")
    return image.convert("RGB")


def _pdf_pages(path: Path | Blob, limits: ScanLimits) -> Iterator[Page]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path.data if isinstance(path, Blob) else path)
    except pdfium.PdfiumError:
        # PDFium's error code is global and is not reset when it refuses a document without
        # pages (it then reports the previous file's error), so the file itself says which it is.
        encrypted, pageless = _markers(path)
        if encrypted:
            raise ScanError("the PDF is encrypted (it needs a password to open)",
                            "save or print it again without a password, then drop the new file",
                            file=path.name)
        if pageless:
            raise ScanError("the PDF has no pages", "export or scan it again", file=path.name)
        raise ScanError("the PDF is damaged or incomplete",
                        "export or scan it again; if it came by e-mail, save the attachment again",
                        file=path.name)
    try:
        count = len(pdf)
        if count == 0:
            raise ScanError("the PDF has no pages", "export or scan it again", file=path.name)
        if count > limits.max_pages:
            raise _too_many(path, count, limits)
        for index in range(count):
            try:
                page = pdf[index]
                try:
                    loaded = _pdf_page(path, page, index + 1, limits)
                finally:
                    page.close()
            except pdfium.PdfiumError:
                raise ScanError(f"page {index + 1} of the PDF is damaged",
                                "export or scan it again", file=path.name)
            yield loaded
    finally:
        pdf.close()


def _markers(path: Path | Blob) -> tuple[bool, bool]:
    """Whether a PDF that would not open declares encryption, or an empty page tree."""
    import mmap
    import re

    if isinstance(path, Blob):
        return path.data.find(b"/Encrypt") >= 0, re.search(rb"/Count\s+0\b", path.data) is not None
    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            return False, False
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return data.find(b"/Encrypt") >= 0, re.search(rb"/Count\s+0\b", data) is not None


def _pdf_page(path: Path | Blob, page, number: int, limits: ScanLimits) -> Page:
    width, height = page.get_size()  # points (1/72 inch)
    lines = _text_layer(page, width, height)
    dpi = DISPLAY_DPI if lines else limits.pdf_dpi
    scale = dpi / 72
    if width * height * scale * scale > limits.max_pixels:  # an oversized page: render smaller, never refuse text
        scale = (limits.max_pixels / (width * height)) ** 0.5
        if scale * 72 < 100 and not lines:
            raise _too_big(path, round(width * dpi / 72), round(height * dpi / 72), limits, number)
    image = page.render(scale=scale, rotation=0).to_pil().convert("RGB")
    return Page(number, image, lines)


def _text_layer(page, width: float, height: float) -> list[list[TextWord]] | None:
    """The page's words in the PDF's own order, one list per line, or None when the page has
    (almost) no text layer and must be read by OCR."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count < MIN_TEXT_LAYER_CHARS:
            return None
        text = textpage.get_text_range(0, count)
        if len(text.strip()) < MIN_TEXT_LAYER_CHARS:
            return None
        lines: list[list[TextWord]] = [[]]
        word, box = "", None
        for i, char in enumerate(text[:count]):
            if char.isspace():
                if word:
                    lines[-1].append(TextWord(word, box))
                word, box = "", None
                if char in "\r\n" and lines[-1]:
                    lines.append([])
                continue
            left, bottom, right, top = textpage.get_charbox(i)
            # PDF space grows upward from the bottom; image space grows down from the top.
            char_box = (left / width, 1 - top / height, right / width, 1 - bottom / height)
            box = char_box if box is None else (min(box[0], char_box[0]), min(box[1], char_box[1]),
                                                max(box[2], char_box[2]), max(box[3], char_box[3]))
            word += char
        if word:
            lines[-1].append(TextWord(word, box))
        return [line for line in lines if line]
    finally:
        textpage.close()

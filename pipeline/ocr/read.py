"""One scanned file → its transcript record, page by page (the OCR stage's entry point)."""
from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from PIL import Image

from ..files import Blob
from ..records import ScanLimits, Segment, Transcript, Word
from . import UNREAD, layout, pages, regions
from .orient import read_upright
from .pages import ScanError
from .reader import OcrLine, Reader, model_name

UNCLEAR_LINE = 0.6  # a line read with a lower score is flagged as a region to check


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def reading(transcript: Transcript) -> str:
    """What OCR read, without the placeholders of regions it could not read."""
    return " ".join(s.text for s in transcript.segments if s.text != UNREAD)


def read_file(path: "Path | Blob", reader: Callable[[], Reader], limits: ScanLimits, name: str | None = None,
              on_page: Callable[[int, Image.Image], None] | None = None) -> Transcript:
    """The transcript of a scanned file. Each page image as read (the boxes fit it) is handed
    to ``on_page(number, image)`` and let go, so a long scan never sits in memory whole.
    ``reader()`` gives the OCR models; it is called only for a page that needs them (a PDF's
    text-layer pages never do), so a caller that caches it loads them at the first scanned page."""
    name = name or path.name
    segments: list[Segment] = []
    done: list[dict] = []
    for page in pages.load(path, limits):
        if page.text_layer is not None:
            image, items, how = page.image, _text_layer_items(page), {"text_layer": True}
            unread = []
        else:
            image, lines, how = read_upright(reader(), page.image)
            items = [layout.Item(piece.box, piece) for line in lines for piece in line.split(layout.SPLIT_LINE_HEIGHTS)]
            unread = [layout.Item(box, "region") for box in regions.unread(image, [line.box for line in lines])]
        if on_page is not None:
            on_page(page.number, image)
        done.append({"page": page.number, **how})
        for row in layout.reading_order(items, unread):
            for k, item in enumerate(row.items):
                segments.append(_segment(len(segments), page.number, image.size, item,
                                         new_paragraph=row.new_paragraph and k == 0))
    if not any(s.words for s in segments):
        raise ScanError("no text was found on its pages",
                        "check that it is the note and not a blank page; scan it again at 300 dpi",
                        file=name)
    transcript = Transcript(source=name, language="en", duration=0.0, engine="rapidocr", model=model_name(),
                            settings={"limits": asdict(limits), "pages": done, "unclear_line": UNCLEAR_LINE},
                            segments=tuple(segments), kind="scan", pages=len(done))
    return transcript


def _text_layer_items(page: pages.Page) -> list[layout.Item]:
    width, height = page.image.size
    items = []
    for line in page.text_layer or ():
        box = (min(w.box[0] for w in line) * width, min(w.box[1] for w in line) * height,
               max(w.box[2] for w in line) * width, max(w.box[3] for w in line) * height)
        items.append(layout.Item(box, line))
    return items


def _fraction(box, size) -> tuple[float, float, float, float]:
    width, height = size
    return (round(max(0.0, box[0] / width), 5), round(max(0.0, box[1] / height), 5),
            round(min(1.0, box[2] / width), 5), round(min(1.0, box[3] / height), 5))


def _segment(index: int, page: int, size, item: layout.Item, new_paragraph: bool) -> Segment:
    box = _fraction(item.box, size)
    flags: tuple[str, ...] = ()
    if item.ref == "region":
        words = (Word(" " + UNREAD, 0.0, 0.0, 0.0, page, box),)
        flags = (f"handwriting or marks on page {page} not read",)
    elif isinstance(item.ref, OcrLine):
        line = item.ref
        words = tuple(Word(" " + w.text, 0.0, 0.0, round(w.score, 4), page, _fraction(w.box, size))
                      for w in line.words) or (Word(" " + line.text, 0.0, 0.0, round(line.score, 4), page, box),)
        if line.score < UNCLEAR_LINE:
            flags = (f"unclear print or handwriting on page {page} (read with score {line.score:.2f})",)
    else:  # a text-layer line: the PDF's own text, certain
        words = tuple(Word(" " + w.text, 0.0, 0.0, 1.0, page, tuple(round(v, 5) for v in w.box)) for w in item.ref)
    return Segment(id=index, start=0.0, end=0.0, text="".join(w.text for w in words).strip(), words=words,
                   flags=flags, page=page, box=box, new_paragraph=new_paragraph)

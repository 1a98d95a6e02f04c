"""Scanned pages for the OCR tests and bench/ocr.py: render text as a printed page, degrade
it like a fax or a cheap scanner, and score OCR output against the text.

The page is rendered with Pillow's own scalable font (shipped inside Pillow), so nothing
depends on the fonts a machine happens to have.
"""
from __future__ import annotations

import datetime as dt
import random
import re
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

from pipeline import process
from pipeline.records import Segment, Transcript, Word

LETTER = (8.5, 11.0)  # inches


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def char_accuracy(reference: str, hypothesis: str) -> float:
    """1 − character error rate, after collapsing white space (the ISRI convention)."""
    ref, hyp = collapse(reference), collapse(hypothesis)
    return 1 - Levenshtein.distance(ref, hyp) / max(1, len(ref))


def found(transcript: Transcript) -> tuple[set[str], set[str]]:
    """Section types and medication names the language stage finds in a scan's text."""
    _, analysis = process.language(transcript, dt.date(2026, 11, 26))
    return ({s.type for s in analysis.sections},
            {(t.normalised or t.text).lower() for t in analysis.terms if t.type == "medication"})


def as_typed(text: str) -> Transcript:
    """Clean text as a one-line scan read without error: what the language stage finds in it is
    what a perfect OCR of the page would give."""
    words = tuple(Word(" " + w, 0.0, 0.0, 1.0, 1, (0, 0, 1, 1)) for w in text.split())
    return Transcript("clean", "en", 0.0, "text", "-", {}, (Segment(0, 0.0, 0.0, text, words, page=1),), kind="scan")


def render_page(paragraphs: list[str], dpi: int = 300, font_size: float = 11.5, margin: float = 1.0,
                width_chars: int = 82) -> Image.Image:
    """Paragraphs printed on a white US Letter page, one blank line between them."""
    width, height = round(LETTER[0] * dpi), round(LETTER[1] * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=round(font_size * dpi / 72))
    line_height = round(font_size * 1.45 * dpi / 72)
    y = round(margin * dpi)
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, width_chars) or [""]:
            if y + line_height > height - margin * dpi:
                raise ValueError("the text does not fit on one page")
            draw.text((round(margin * dpi), y), line, fill=0, font=font)
            y += line_height
        y += line_height // 2
    return page


def scribble(page: Image.Image, where: tuple[float, float, float, float], seed: int = 7) -> Image.Image:
    """A pen scribble (a looping hand-drawn stroke) over the box ``where`` (fractions of the page)."""
    rng = random.Random(seed)
    page = page.copy()
    draw = ImageDraw.Draw(page)
    w, h = page.size
    left, top, right, bottom = where[0] * w, where[1] * h, where[2] * w, where[3] * h
    points = []
    x = left
    while x < right:
        points.append((x, rng.uniform(top, bottom)))
        x += rng.uniform(0.01, 0.03) * w
    draw.line(points, fill=20, width=max(2, round(w / 600)), joint="curve")
    return page


def degrade(page: Image.Image, dpi_from: int = 300, dpi_to: int = 150, angle: float = 1.5,
            blur: float = 0.8, noise: float = 12.0, seed: int = 3) -> Image.Image:
    """A worse scan: resampled to ``dpi_to``, turned by ``angle`` degrees, blurred, with sensor noise."""
    rng = np.random.default_rng(seed)
    scale = dpi_to / dpi_from
    page = page.resize((round(page.width * scale), round(page.height * scale)), Image.Resampling.LANCZOS)
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(blur))
    pixels = np.asarray(page, dtype=np.float32) + rng.normal(0, noise, (page.height, page.width))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def zones(uzn: Path) -> list[tuple[int, int, int, int]]:
    """The text zones of a UNLV page (left, top, right, bottom), in the ground truth's order."""
    boxes = []
    for line in uzn.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5:
            left, top, width, height = map(int, parts[:4])
            boxes.append((left, top, left + width, top + height))
    return boxes


def fit(paragraphs: list[str], lines: int = 34, width_chars: int = 82) -> list[str]:
    """As many whole paragraphs (the last one cut) as fill ``lines`` printed lines."""
    kept, used = [], 0
    for paragraph in paragraphs:
        wrapped = textwrap.wrap(paragraph, width_chars) or [""]
        if used + len(wrapped) > lines:
            room = lines - used
            if room > 0:
                kept.append(" ".join(wrapped[:room]))
            break
        kept.append(paragraph)
        used += len(wrapped) + 1
    return kept


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text is real text (a text layer, as a word processor exports it),
    in Helvetica, written by hand so no PDF library is needed."""
    def escape(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 11 Tf 14 TL 72 720 Td " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out

"""Turn a page upright and straight before it is read.

Orientation: lines the detector finds standing on end mean the page lies on its side;
text read upside down still yields lines, but with a clearly lower mean recognition score
(measured: 0.85 upside down, 0.98 upright on the same page), so a doubtful page is read
turned 180° as well and the better reading wins. Skew: the median slope of the long
lines; a page more than half a degree off is turned straight and its boxes turned with it,
so lines and boxes come out level (the reader already reads each line along its slant).
"""
from __future__ import annotations

import math
from statistics import median

import numpy as np
from PIL import Image

from .reader import OcrLine, Reader

CONFIDENT = 0.93  # a mean recognition score this high is an upright page
MAX_SKEW = 0.5  # degrees: straightened beyond this


def mean_score(lines: list[OcrLine]) -> float:
    """Recognition score per character; a sum would let many garbage boxes win."""
    chars = sum(len(line.text) for line in lines)
    return sum(line.score * len(line.text) for line in lines) / chars if chars else 0.0


def _standing(lines: list[OcrLine]) -> bool:
    """Most text boxes taller than wide: the page is on its side."""
    boxes = [line.box for line in lines if len(line.text.strip()) >= 3]
    if not boxes:
        return False
    tall = sum(1 for l, t, r, b in boxes if (b - t) > 1.5 * (r - l))
    return tall > len(boxes) / 2


def skew(lines: list[OcrLine]) -> float:
    """Degrees the text runs downhill (clockwise) to the right; 0 without enough long lines."""
    slopes = []
    for line in lines:
        (x0, y0), (x1, y1) = line.quad[0], line.quad[1]
        l, t, r, b = line.box
        if r - l > 4 * (b - t) and x1 > x0:
            slopes.append(math.degrees(math.atan2(y1 - y0, x1 - x0)))
    return median(slopes) if len(slopes) >= 2 else 0.0


def read_upright(reader: Reader, image: Image.Image) -> tuple[Image.Image, list[OcrLine], dict]:
    """Read a page, turning and straightening it first when needed. Returns the image as read
    (so boxes fit it), its lines, and what was done."""
    lines = reader.read(np.asarray(image))
    turned = 0
    if _standing(lines):
        # On its side: which way is decided on the middle of the page (recognition costs by the
        # length of text read, so a quarter of the page costs about a quarter), then only the
        # winner is read whole. A sparse middle falls back to the whole page.
        sample = _middle(image, lines)
        scores = {}
        for angle in (90, 270):
            found = reader.read(np.asarray(sample.rotate(angle, expand=True)))
            scores[angle] = mean_score(found) if not _standing(found) else -1.0
            if scores[angle] >= CONFIDENT:
                break
        turned = max(scores, key=scores.get)
        image = image.rotate(turned, expand=True)
        lines = reader.read(np.asarray(image))
    elif mean_score(lines) < CONFIDENT:
        candidate = image.rotate(180, expand=True)
        found = reader.read(np.asarray(candidate))
        if mean_score(found) > mean_score(lines):
            turned, image, lines = 180, candidate, found
    tilt = skew(lines)
    if abs(tilt) > MAX_SKEW:
        # The reader crops each line along its own slant, so the words are read right already:
        # the page is straightened for the eye (the review page) and the boxes moved with it.
        straight = image.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")
        point = _turn(image.size, straight.size, tilt)
        image, lines = straight, [line.moved(point) for line in lines]
    return image, lines, {"rotated": turned, "deskewed": round(tilt, 2) if abs(tilt) > MAX_SKEW else 0.0}


def _middle(image: Image.Image, lines: list[OcrLine], least_chars: int = 40) -> Image.Image:
    """The middle quarter of the page when enough text was found there, else the whole page."""
    w, h = image.size
    box = (w / 4, h / 4, 3 * w / 4, 3 * h / 4)
    inside = sum(len(line.text) for line in lines
                 if box[0] <= (line.box[0] + line.box[2]) / 2 <= box[2] and box[1] <= (line.box[1] + line.box[3]) / 2 <= box[3])
    return image.crop(tuple(round(v) for v in box)) if inside >= least_chars else image


def _turn(before: tuple[int, int], after: tuple[int, int], degrees: float):
    """Where a point lands when Pillow turns an image ``degrees`` anticlockwise (expand=True)."""
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))

    def point(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - before[0] / 2, y - before[1] / 2
        return dx * cos + dy * sin + after[0] / 2, -dx * sin + dy * cos + after[1] / 2

    return point

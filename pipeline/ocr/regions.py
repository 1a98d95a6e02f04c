"""Ink the reader did not turn into text: handwriting, a scribbled note, a stamp, a drawing.

The text detector finds printed lines; a physician's handwritten addition is often not
found at all, and would vanish from the letter without a trace. So every dark mark on the
page that lies outside the boxes that were read, and is big enough not to be dust or scan
noise, is returned as a region for the secretary to read from the scan.
"""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

Box = tuple[float, float, float, float]

MIN_SIDE = 0.025  # a region is at least this fraction of the page's width or height
MIN_INK = 0.0002  # and holds at least this fraction of the page's pixels in ink
RULE_RATIO = 25  # longer than this many times its thickness: a ruled line, not writing
MARGIN = 0.35  # read boxes grow by this many of their heights before ink is looked for


def unread(image: Image.Image, read_boxes: list[Box]) -> list[Box]:
    """Boxes (pixels) of ink regions outside every read box, largest first."""
    gray = np.asarray(image.convert("L"))
    height, width = gray.shape
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if ink.mean() > 255 * 0.5:  # Otsu on a blank page splits paper grain: nothing is ink
        return []
    for left, top, right, bottom in read_boxes:
        grow = MARGIN * (bottom - top)
        ink[max(0, int(top - grow)):int(bottom + grow) + 1, max(0, int(left - grow)):int(right + grow) + 1] = 0
    # Speckle from the scanner or a fax goes; strokes close to each other join into one region.
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    reach = max(3, int(0.012 * max(width, height)))
    joined = cv2.dilate(ink, np.ones((reach, reach), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    regions = []
    for k in range(1, count):
        x, y, w, h, _ = stats[k]
        strokes = int(np.count_nonzero(ink[y:y + h, x:x + w][labels[y:y + h, x:x + w] == k]))
        w, h = w - reach, h - reach  # the dilation's own growth
        if max(w / width, h / height) < MIN_SIDE or strokes < MIN_INK * width * height:
            continue
        if max(w, h) > RULE_RATIO * max(1, min(w, h)):
            continue
        x, y = x + reach // 2, y + reach // 2
        regions.append(((float(x), float(y), float(x + w), float(y + h)), strokes))
    return [box for box, _ in sorted(regions, key=lambda r: -r[1])]

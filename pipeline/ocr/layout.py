"""Reading order: detected lines → rows of words, top to bottom, column by column.

A recursive XY-cut. A block is split at a vertical gutter when one runs its whole height with
prose on both sides (two-column pages: reading line by line across the gutter interleaves
the columns); otherwise at its widest horizontal gap when that is a paragraph's gap (a
letterhead or title above the body; each part then starts a paragraph). A block with no gap left is read row by row: boxes whose middles
share a height form one row (a form's "Name: … DOB: …", a lab table's row), left to right.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import median

import numpy as np

Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels

# Measured on magazine scans: a gutter is barely half a line height wide, and the detector
# joins lines across it. A line is parted where its words stand further apart than normal
# spacing; a gap only becomes a gutter if it runs the whole block with prose either side.
GUTTER_LINE_HEIGHTS = 0.5  # a vertical gap this many line heights wide can be a gutter
SPLIT_LINE_HEIGHTS = 0.6  # words further apart than this are parted into separate items
PROSE_LINE_HEIGHTS = 6.0  # a column's lines are at least this wide: table cells are not columns
MIN_COLUMN_LINES = 3
SPANNER = 0.45  # a line wider than this share of its block may be a title across columns
PARAGRAPH_GAP = 0.8  # a gap between rows of this many line heights starts a paragraph


@dataclass(frozen=True)
class Item:
    """Anything placed on the page: a text line, or a region the reader could not read."""

    box: Box
    ref: object  # the caller's object (an OcrLine, a region), handed back in order


@dataclass(frozen=True)
class Row:
    items: tuple[Item, ...]  # left to right
    new_paragraph: bool


def reading_order(items: list[Item], floating: list[Item] = ()) -> list[Row]:
    """Rows in reading order. ``floating`` items (pictures, handwriting: anything not a line of
    print) take no part in finding columns; each goes in before the first row below it that
    shares its width, as a row of its own."""
    if not items and not floating:
        return []
    height = median(i.box[3] - i.box[1] for i in items) if items else 1.0
    rows: list[Row] = []
    for block in _cut(items, height) if items else []:
        for row in _rows(block):
            # A gap above the row starts a paragraph; moving up to the next column does not.
            gap = row[0].box[1] - max(i.box[3] for i in rows[-1].items) if rows else 0.0
            rows.append(Row(tuple(row), new_paragraph=gap > PARAGRAPH_GAP * height))
    for item in sorted(floating, key=lambda i: (i.box[1], i.box[0])):
        at = next((k for k, row in enumerate(rows) if row.items[0].box[1] >= item.box[1]
                   and min(i.box[0] for i in row.items) < item.box[2] and max(i.box[2] for i in row.items) > item.box[0]),
                  len(rows))
        rows.insert(at, Row((item,), new_paragraph=True))
    return rows


def _cut(items: list[Item], height: float) -> list[list[Item]]:
    """Blocks in reading order."""
    if len(items) < 2:
        return [items] if items else []
    column = _gutter(items, height)
    if column is not None:
        left = [i for i in items if i.box[2] <= column]
        right = [i for i in items if i.box[2] > column]
        return _cut(left, height) + _cut(right, height)
    band = _widest_gap(items, PARAGRAPH_GAP * height)
    if band is not None:
        above = [i for i in items if i.box[3] <= band]
        below = [i for i in items if i.box[3] > band]
        return _cut(above, height) + _cut(below, height)
    spanner = _spanner(items, height)
    if spanner is not None:  # a title across the columns: columns above it, the title, columns below
        above = [i for i in items if (i.box[1] + i.box[3]) / 2 < spanner.box[1]]
        level = [i for i in items if spanner.box[1] <= (i.box[1] + i.box[3]) / 2 <= spanner.box[3]]
        below = [i for i in items if (i.box[1] + i.box[3]) / 2 > spanner.box[3]]
        if above or below:
            return _cut(above, height) + [level] + _cut(below, height)
    inset = _inset(items, height)
    if inset is not None:  # a caption or pull quote set across the gutter: read after the columns
        column, across = inset
        rest = [i for i in items if i not in across]
        left = [i for i in rest if i.box[2] <= column]
        right = [i for i in rest if i.box[2] > column]
        return _cut(left, height) + _cut(right, height) + _cut(across, height)
    return [items]


def _gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The empty intervals between overlapping spans."""
    spans = sorted(spans)
    if not spans:
        return []
    gaps, reach = [], spans[0][1]
    for start, end in spans[1:]:
        if start > reach:
            gaps.append((reach, start))
        reach = max(reach, end)
    return gaps


def _gutter(items: list[Item], height: float) -> float | None:
    best = None
    for start, end in _gaps([(i.box[0], i.box[2]) for i in items]):
        if end - start < GUTTER_LINE_HEIGHTS * height:
            continue
        sides = ([i for i in items if i.box[2] <= start], [i for i in items if i.box[0] >= end])
        if all(_prose(side, height) for side in sides):
            if best is None or end - start > best[1] - best[0]:
                best = (start, end)
    return None if best is None else (best[0] + best[1]) / 2


def _spanner(items: list[Item], height: float) -> Item | None:
    """The topmost wide line that alone stops the narrower lines from falling into columns."""
    left, right = min(i.box[0] for i in items), max(i.box[2] for i in items)
    wide = [i for i in items if i.box[2] - i.box[0] > SPANNER * (right - left)]
    if not wide or len(wide) == len(items) or _gutter([i for i in items if i not in wide], height) is None:
        return None
    return min(wide, key=lambda i: i.box[1])


def _inset(items: list[Item], height: float) -> tuple[float, list[Item]] | None:
    """A gutter that a few items (at most a tenth) cross, and those items."""
    allowed = max(1, len(items) // 10)
    left = int(min(i.box[0] for i in items))
    cover = np.zeros(int(max(i.box[2] for i in items)) - left + 2, dtype=np.int32)
    for i in items:
        cover[int(i.box[0]) - left:int(i.box[2]) - left + 1] += 1
    low = np.flatnonzero(cover <= allowed)
    best = None
    for run in np.split(low, np.flatnonzero(np.diff(low) > 1) + 1) if low.size else ():
        start, end = run[0] + left, run[-1] + left
        if end - start < GUTTER_LINE_HEIGHTS * height:
            continue
        across = [i for i in items if i.box[0] < end and i.box[2] > start]
        rest = [i for i in items if i not in across]
        if not across or len(across) > allowed:
            continue
        column = _gutter(rest, height)
        if column is not None and start <= column <= end and (best is None or len(across) < len(best[1])):
            best = (column, across)
    return best


def _prose(side: list[Item], height: float) -> bool:
    """Lines of running text: several, wide as a column, not a table's short cells (a line
    parted at wide justified spaces leaves pieces, so the typical piece need only be half that)."""
    if len(side) < MIN_COLUMN_LINES:
        return False
    extent = max(i.box[2] for i in side) - min(i.box[0] for i in side)
    return (extent >= PROSE_LINE_HEIGHTS * height
            and median(i.box[2] - i.box[0] for i in side) >= PROSE_LINE_HEIGHTS * height / 2)


def _widest_gap(items: list[Item], at_least: float) -> float | None:
    """The middle of the widest empty band across the block, if it is a paragraph's gap."""
    gaps = _gaps([(i.box[1], i.box[3]) for i in items])
    if not gaps:
        return None
    start, end = max(gaps, key=lambda g: g[1] - g[0])
    return (start + end) / 2 if end - start >= at_least else None


def _rows(items: list[Item]) -> list[list[Item]]:
    rows: list[list[Item]] = []
    for item in sorted(items, key=lambda i: (i.box[1] + i.box[3]) / 2):
        middle = (item.box[1] + item.box[3]) / 2
        if rows:
            top, bottom = rows[-1][0].box[1], rows[-1][0].box[3]
            if top <= middle <= bottom:
                rows[-1].append(item)
                continue
        rows.append([item])
    return [sorted(row, key=lambda i: i.box[0]) for row in rows]

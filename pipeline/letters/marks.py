"""The review marks in a .docx: comments on highlighted words in the draft, and their removal
from the final letter.

A draft's highlighted runs each carry a Word comment with the reason to check them. On
approval the final letter keeps the secretary's text and loses every mark of the review:
highlights, comments, and the paragraphs in the ``Review Note`` style (the DRAFT mark in
the header, the summary table, the list of flags, the footnote).
"""
from __future__ import annotations

import io
import logging

import docx
from docx.document import Document
from docx.oxml.ns import qn

log = logging.getLogger(__name__)

AUTHOR = "dictation-pipeline"
REVIEW_STYLE = "Review Note"
COMMENT_TAGS = ("w:commentRangeStart", "w:commentRangeEnd", "w:commentReference")


def _highlighted_runs(doc: Document) -> list:
    return [run for paragraph in doc.paragraphs for run in paragraph.runs if run.font.highlight_color is not None]


def comment_highlights(doc: Document, reasons: list[str | None]) -> None:
    """Anchor a comment on each highlighted run that has a reason, in document order."""
    runs = _highlighted_runs(doc)
    if len(runs) != len(reasons):
        # a practice template that repeats or drops the body: highlights stay, comments would land wrong
        log.warning("draft has %d highlighted runs for %d marks: comments left out", len(runs), len(reasons))
        return
    for run, reason in zip(runs, reasons):
        if reason:
            doc.add_comment(run, text=reason, author=AUTHOR, initials="DP")


def _drop_review_paragraphs(paragraphs) -> None:
    for paragraph in list(paragraphs):
        if paragraph.style is not None and paragraph.style.name == REVIEW_STYLE:
            paragraph._p.getparent().remove(paragraph._p)


def finalise(draft: bytes) -> bytes:
    """The final letter from a (possibly edited) draft: no highlights, no comments, no review notes."""
    doc = docx.Document(io.BytesIO(draft))
    body = doc.element.body
    for element in list(body.iter(qn("w:highlight"))):
        element.getparent().remove(element)
    for tag in COMMENT_TAGS:
        for element in list(body.iter(qn(tag))):
            parent = element.getparent()
            parent.remove(element)
            if parent.tag == qn("w:r") and not [c for c in parent if c.tag != qn("w:rPr")]:
                parent.getparent().remove(parent)  # the run that only held the comment mark
    comments = doc.part._comments_part.element  # python-docx has no public way to delete comments
    for comment in list(comments):
        comments.remove(comment)
    for table in list(doc.tables):  # the summary: a table of review notes only
        cells = [p for row in table.rows for cell in row.cells for p in cell.paragraphs]
        if cells and all(p.style is not None and p.style.name == REVIEW_STYLE for p in cells):
            table._tbl.getparent().remove(table._tbl)
    _drop_review_paragraphs(doc.paragraphs)
    for section in doc.sections:
        _drop_review_paragraphs(section.header.paragraphs)
    props = doc.core_properties
    props.title = (props.title or "").replace(" (draft)", "")
    props.content_status = "Final"
    props.category = "dictation letter"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

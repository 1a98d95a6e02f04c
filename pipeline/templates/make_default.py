"""Build the default draft-letter template, ``letter.docx``, with python-docx.

The committed ``letter.docx`` is this script's output; run it again after changing it:

    python -m pipeline.templates.make_default

A practice may instead give its own letterhead .docx with the same placeholders
(``template`` in the settings). Placeholders are Jinja2, rendered by docxtpl:
``{{ patient }}``, ``{{ author }}``, ``{{ date }}``, ``{{ letter_type }}``, ``{{ job_id }}``,
``{{ source }}``, ``{{ engine }}``, ``{{ model }}``, ``{{ low_confidence }}``,
``paragraphs`` (rich text, low-confidence words highlighted) and ``flags`` (strings).
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

OUT = Path(__file__).with_name("letter.docx")


def build(path: Path = OUT) -> Path:
    doc = Document()
    header = doc.sections[0].header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    mark = header.add_run("DRAFT — for review")
    mark.bold = True
    mark.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)

    doc.add_heading("{{ letter_type }}", level=1)
    for label, field in (("Patient", "patient"), ("Author", "author"), ("Date", "date"), ("Job", "job_id")):
        p = doc.add_paragraph()
        p.add_run(f"{label}: ").bold = True
        p.add_run("{{ %s }}" % field)

    doc.add_paragraph("{%p for para in paragraphs %}")
    doc.add_paragraph("{{r para }}")
    doc.add_paragraph("{%p endfor %}")

    doc.add_paragraph("{%p if flags %}")
    doc.add_heading("For the secretary", level=2)
    doc.add_paragraph("{%p for flag in flags %}")
    doc.add_paragraph("{{ flag }}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endif %}")

    note = doc.add_paragraph()
    run = note.add_run(
        "Transcribed by {{ engine }} ({{ model }}) from {{ source }}. Words highlighted in yellow were "
        "heard with less than {{ low_confidence }} confidence: check them against the audio."
    )
    run.italic = True
    run.font.size = Pt(8)
    doc.save(path)
    return path


if __name__ == "__main__":
    print(build())

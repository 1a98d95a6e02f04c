"""Build the packaged letter templates (``*.docx`` beside this file) with python-docx.

The committed templates are this script's output; run it again after changing it:

    python -m pipeline.letters.templates.make_default

A practice may give its own folder of letterhead templates instead (``templates`` in the
settings), one ``.docx`` per letter type, named as in ``models/letters.toml``. Placeholders
are Jinja2, rendered by docxtpl in a sandbox:

- ``{{ letter_type }}``, ``{{ patient }}``, ``{{ dob }}``, ``{{ mrn }}``, ``{{ author }}``,
  ``{{ recipient }}``, ``{{ date }}``, ``{{ job_id }}``, ``{{ source }}``, ``{{ engine }}``,
  ``{{ model }}``, ``{{ low_confidence }}``: text;
- ``summary``: rows with ``label`` and ``value`` (patient, date of birth, author, recipient,
  appointments to schedule, ICD-10-CM suggestions), for a table with ``{%tr for row in summary %}``;
- ``sections``: each with ``heading`` (may be empty) and ``paragraphs`` (rich text: ``{{r para }}``);
- ``paragraphs``: the whole body as one list of rich-text paragraphs;
- ``flags``: strings, what the secretary should check.

Paragraphs in the style ``Review Note`` (the DRAFT mark, the summary table, the flag list,
the footnote) are for the review only: approval removes them, and any table made only of
them, from the final letter.
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

HERE = Path(__file__).parent
REVIEW_STYLE = "Review Note"

# file name → (closing line or None, whether the letter has a recipient line)
TEMPLATES = {
    "referral.docx": ("Yours sincerely,", True),
    "consultation_reply.docx": ("Yours sincerely,", True),
    "family_doctor.docx": ("Yours sincerely,", True),
    "patient_letter.docx": ("Yours sincerely,", False),
    "discharge_summary.docx": (None, True),
    "progress_note.docx": (None, False),
}


def _review_style(doc) -> None:
    style = doc.styles.add_style(REVIEW_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.size = Pt(8)
    style.font.italic = True
    style.font.color.rgb = RGBColor(0x80, 0x80, 0x80)


def build(path: Path, closing: str | None, has_recipient: bool) -> Path:
    doc = Document()
    _review_style(doc)
    header = doc.sections[0].header.paragraphs[0]
    header.style = doc.styles[REVIEW_STYLE]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    mark = header.add_run("DRAFT — for review")
    mark.bold = True
    mark.font.size = Pt(11)
    mark.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)

    doc.add_heading("{{ letter_type }}", level=1)
    doc.add_paragraph("{{ date }}")
    if has_recipient:
        doc.add_paragraph("{%p if recipient %}")
        doc.add_paragraph("To: {{ recipient }}")
        doc.add_paragraph("{%p endif %}")

    doc.add_paragraph().add_run("Re: {{ patient }}, date of birth {{ dob }}").bold = True

    # The summary is for the secretary (appointments to book, codes to bill): its cells are in
    # the review style, so approval removes the whole table from the final letter.
    table = doc.add_table(rows=3, cols=2)
    table.style = doc.styles["Table Grid"]
    table.cell(0, 0).text = "{%tr for row in summary %}"
    table.cell(1, 0).paragraphs[0].add_run("{{ row.label }}").bold = True
    table.cell(1, 1).text = "{{ row.value }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.style = doc.styles[REVIEW_STYLE]
    doc.add_paragraph("", style=REVIEW_STYLE)

    doc.add_paragraph("{%p for section in sections %}")
    doc.add_paragraph("{%p if section.heading %}")
    doc.add_heading("{{ section.heading }}", level=2)
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for para in section.paragraphs %}")
    doc.add_paragraph("{{r para }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")

    if closing:
        doc.add_paragraph(closing)
    doc.add_paragraph("{{ author }}")

    doc.add_paragraph("{%p if flags %}")
    doc.add_paragraph("For the secretary", style=REVIEW_STYLE).runs[0].bold = True
    doc.add_paragraph("{%p for flag in flags %}")
    doc.add_paragraph("• {{ flag }}", style=REVIEW_STYLE)
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph(
        "Transcribed by {{ engine }} ({{ model }}) from {{ source }}, job {{ job_id }}. Highlighted words carry a "
        "comment saying what to check: heard with less than {{ low_confidence }} confidence, corrected from what "
        "was heard, possibly not said, or a negation to confirm.", style=REVIEW_STYLE)
    doc.save(path)
    return path


def build_all(folder: Path = HERE) -> list[Path]:
    return [build(folder / name, closing, recipient) for name, (closing, recipient) in TEMPLATES.items()]


if __name__ == "__main__":
    for made in build_all():
        print(made)

"""The draft .docx: header, body, highlights, flags, properties; templates that break fail clearly."""
from __future__ import annotations

import io

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX
from docxtpl import DocxTemplate

from pipeline.asr.guards import flag_segments, longest_repeat
from pipeline.errors import TemplateError
from pipeline.letters.draft import render_draft
from pipeline.records import DecodeOptions, LetterInfo, Segment, Transcript, Word


def _transcript(words, segments_extra=None) -> Transcript:
    seg = Segment(id=0, start=words[0].start, end=words[-1].end, text="".join(w.text for w in words), words=tuple(words))
    segs = [seg] + list(segments_extra or [])
    return Transcript(source="a.wav", language="en", duration=30.0, engine="faster-whisper", model="base",
                      settings={}, segments=tuple(segs))


INFO = LetterInfo(job_id="20261125-120000-abcdef", source="a.wav", dictated_on="2026-11-25",
                  author="Anna Patel", patient="John Smith")


def _cells(doc) -> dict[str, str]:
    return {row.cells[0].text: row.cells[1].text for table in doc.tables for row in table.rows}


def test_highlights_comments_and_summary_of_raw_words():
    w = [Word(" Metformin", 0.0, 0.5, 0.9), Word(" 500", 0.5, 0.8, 0.3), Word(" mg", 0.8, 1.0, 0.95),
         Word(" R&D", 4.0, 4.3, 0.9), Word(" <ok>", 4.3, 4.6, 0.4)]
    doc = docx.Document(io.BytesIO(render_draft(_transcript(w), INFO, low_confidence=0.5, paragraph_pause=2.0)))
    texts = [p.text for p in doc.paragraphs]
    assert "Metformin 500 mg" in texts and "R&D <ok>" in texts  # a pause of 3 s starts a paragraph
    lit = [r.text for p in doc.paragraphs for r in p.runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    assert lit == ["500", "<ok>"]
    assert [c.text for c in doc.comments] == ["Low confidence (0.30): check against the audio at 0:00.5.",
                                              "Low confidence (0.40): check against the audio at 0:04.3."]
    cells = _cells(doc)
    assert cells["Patient"] == "John Smith" and cells["Author"] == "Dr Anna Patel"
    assert cells["Date of birth"] == "not stated"
    assert doc.sections[0].header.paragraphs[0].text == "DRAFT — for review"
    props = doc.core_properties
    assert props.identifier == INFO.job_id and props.subject == "a.wav" and "model=base" in props.keywords


def test_flagged_segment_is_listed_not_dropped():
    words = [Word(" thank", 0, 0.2, 0.9), Word(" you.", 0.2, 0.4, 0.9)] * 5
    text = " thank you." * 5
    segs = flag_segments([Segment(0, 0, 2, text, tuple(words), compression_ratio=3.1)], DecodeOptions())
    assert any("compression ratio 3.10" in f for f in segs[0].flags)
    assert any('"thank you" repeated 5 times' in f for f in segs[0].flags)
    t = Transcript("a.wav", "en", 2.0, "faster-whisper", "base", {}, tuple(segs))
    doc = docx.Document(io.BytesIO(render_draft(t, INFO)))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert body.count("thank you.") >= 5 and "possible hallucination" in body


def test_guards():
    assert longest_repeat("the the the the patient") == ("the", 4)
    assert longest_repeat("no no, not at all")[1] == 2
    quiet = Segment(0, 0, 1, " Thank you.", no_speech_prob=0.9, avg_logprob=-1.5)
    assert any("little speech" in f for f in flag_segments([quiet], DecodeOptions())[0].flags)
    fine = Segment(0, 0, 1, " The patient is well.", no_speech_prob=0.01, avg_logprob=-0.2, compression_ratio=1.2)
    assert flag_segments([fine], DecodeOptions())[0].flags == ()


def _template(tmp_path, text: str):
    doc = docx.Document()
    doc.add_paragraph(text)
    path = tmp_path / "practice.docx"
    doc.save(path)
    return path


def test_practice_template(tmp_path):
    path = _template(tmp_path, "Re: {{ patient }} ({{ letter_type }}) from {{ author }}")
    w = [Word(" Hello", 0, 0.5, 0.9)]
    doc = docx.Document(io.BytesIO(render_draft(_transcript(w), INFO, template=path)))
    assert doc.paragraphs[0].text == "Re: John Smith (Letter) from Dr Anna Patel"


def test_broken_template_names_the_placeholder(tmp_path):
    path = _template(tmp_path, "Dear {{ recipient_name }}")
    with pytest.raises(TemplateError, match="recipient_name"):
        render_draft(_transcript([Word(" Hi", 0, 1, 0.9)]), INFO, template=path)


def test_sandbox_blocks_python_internals(tmp_path):
    path = _template(tmp_path, "{{ patient.__class__.__mro__ }}")
    with pytest.raises(TemplateError):
        render_draft(_transcript([Word(" Hi", 0, 1, 0.9)]), INFO, template=path)


def test_every_packaged_template_renders_the_letter_parts():
    from pipeline.letters import kinds as letter_kinds

    for kind in letter_kinds.kinds().values():
        path = letter_kinds.template_path(kind, None)
        names = DocxTemplate(str(path)).get_undeclared_template_variables()
        assert names >= {"letter_type", "date", "author", "summary", "sections", "flags"}, kind.template

"""The draft letter: a .docx rendered from a docxtpl (Jinja2) template.

Low-confidence words are highlighted for the secretary, flagged passages are listed,
and the job id, source file, engine and model go into the document's core properties.
"""
from __future__ import annotations

import io
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import jinja2
from docxtpl import DocxTemplate, RichText
from jinja2.sandbox import SandboxedEnvironment

from .errors import TemplateError
from .records import Dictated, LetterInfo, Transcript, Word

HIGHLIGHT = "yellow"
NOT_STATED = "not stated"


def default_template() -> Path:
    return Path(str(resources.files("pipeline") / "templates" / "letter.docx"))


class DraftText(RichText):
    """docxtpl's RichText ``highlight=`` writes cell shading, which Word does not show as a
    highlight and a secretary cannot clear with the highlighter; write a real <w:highlight>."""

    def add_highlighted(self, text: str) -> None:
        self.xml += (f'<w:r><w:rPr><w:highlight w:val="{HIGHLIGHT}"/></w:rPr>'
                     f'<w:t xml:space="preserve">{xml_escape(text)}</w:t></w:r>')


def paragraphs(words: list[Word], low_confidence: float, pause: float) -> list[DraftText]:
    """Group words into paragraphs at long pauses; highlight the doubtful ones."""
    result: list[DraftText] = []
    current: DraftText | None = None
    previous_end = None
    for word in words:
        if current is None or (previous_end is not None and word.start - previous_end >= pause):
            current = DraftText()
            result.append(current)
            text = word.text.lstrip()
        else:
            text = word.text
        if word.probability < low_confidence:
            lead = text[: len(text) - len(text.lstrip())]
            if lead:
                current.add(lead)
            current.add_highlighted(text.lstrip())
        else:
            current.add(text)
        previous_end = word.end
    return result


def token_paragraphs(dictated: Dictated, low_confidence: float) -> list[DraftText]:
    """Paragraphs of the letter body after the language stage; doubtful and corrected words highlighted."""
    result = [DraftText()]
    for token in dictated.tokens:
        if token.kind == "break":
            if result[-1].xml:
                result.append(DraftText())
            continue
        gap = dictated.text[token.char_start - 1:token.char_start] if token.char_start else ""
        if gap == " " and result[-1].xml:
            result[-1].add(" ")
        if token.kind == "word" and (token.heard is not None or token.probability < low_confidence):
            result[-1].add_highlighted(token.text)
        else:
            result[-1].add(token.text)
    return [p for p in result if p.xml]


def flag_lines(transcript: Transcript, dictated: Dictated | None = None) -> list[str]:
    def clock(t: float) -> str:
        return f"{int(t // 60)}:{t % 60:04.1f}"

    lines = [
        f"{clock(s.start)}–{clock(s.end)}: {flag}. Heard: “{s.text.strip()}”"
        for s in transcript.segments
        for flag in s.flags
    ]
    for token in dictated.tokens if dictated else ():
        if token.heard is not None:
            at = f"{clock(token.start)}: " if token.start is not None else ""
            lines.append(f"{at}corrected “{token.heard}” to “{token.text}”: check against the audio")
    lines += [f"{note}" for note in (dictated.notes if dictated else ())]
    return lines


def render_draft(transcript: Transcript, info: LetterInfo, *, low_confidence: float = 0.5,
                 paragraph_pause: float = 2.0, template: Path | None = None, dictated: Dictated | None = None) -> bytes:
    """Return the draft .docx as bytes (the caller writes it atomically)."""
    template = template or default_template()
    try:
        tpl = DocxTemplate(str(template))
        tpl.init_docx()
    except Exception as err:
        raise TemplateError(f"the letter template cannot be opened ({err})",
                            "give a .docx file made in Word or LibreOffice", str(template))
    context = {
        "letter_type": info.letter_type,
        "patient": info.patient or NOT_STATED,
        "author": f"Dr {info.author}" if info.author else NOT_STATED,
        "date": info.dictated_on,
        "job_id": info.job_id,
        "source": info.source,
        "engine": transcript.engine,
        "model": transcript.model,
        "low_confidence": f"{low_confidence:.0%}",
        "paragraphs": (token_paragraphs(dictated, low_confidence) if dictated
                       else paragraphs(transcript.words, low_confidence, paragraph_pause)),
        "flags": flag_lines(transcript, dictated),
    }
    # Sandboxed and strict: a practice template cannot reach Python internals, and a
    # misspelt placeholder is an error rather than a silently blank field.
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=True)
    try:
        tpl.render(context, jinja_env=env, autoescape=True)
    except jinja2.UndefinedError as err:
        raise TemplateError(f"the template uses a placeholder this letter does not have ({err.message})",
                            f"use only: {', '.join(sorted(context))}", str(template))
    except jinja2.TemplateError as err:
        raise TemplateError(f"the template has a Jinja2 error: {err}", "fix the placeholder named above", str(template))
    props = tpl.docx.core_properties
    props.title = f"{info.letter_type} (draft)"
    props.identifier = info.job_id
    props.subject = info.source
    props.keywords = f"engine={transcript.engine}; model={transcript.model}"
    props.comments = f"job {info.job_id}; source {info.source}; engine {transcript.engine}; model {transcript.model}"
    props.content_status = "Draft"
    props.category = "dictation draft"
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()

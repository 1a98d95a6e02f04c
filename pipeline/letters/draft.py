"""The draft letter: a .docx rendered from a docxtpl (Jinja2) template of its letter kind.

Sections become headings; a summary table opens the letter (patient, date of birth,
author, recipient, appointments to schedule, ICD-10-CM suggestions). Every word the
secretary should check is highlighted and carries a Word comment saying why: heard with
low confidence, corrected from what was heard, possibly not said, or a negation to
confirm. The job id, source file, engine and model go into the core properties.
"""
from __future__ import annotations

import io
import tomllib
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import jinja2
from docxtpl import DocxTemplate, RichText
from jinja2.sandbox import SandboxedEnvironment

from ..errors import TemplateError
from ..records import Analysis, Dictated, LetterInfo, Transcript, Word
from . import marks as docx_marks
from .summary import NOT_STATED, summary_rows

HIGHLIGHT = "yellow"  # words to check against the audio
NEGATION = "cyan"  # a negation to confirm
SAFETY = "magenta"  # an error of the kind that hurts, possibly (language/safety)


def default_template() -> Path:
    return Path(str(resources.files("pipeline.letters") / "templates" / "family_doctor.docx"))


class DraftText(RichText):
    """docxtpl's RichText ``highlight=`` writes cell shading, which Word does not show as a
    highlight and a secretary cannot clear with the highlighter; write a real <w:highlight>.
    Each highlighted run's reason is kept, in order, for its Word comment."""

    def __init__(self, reasons: list[str | None] | None = None):
        super().__init__()
        self.reasons = reasons if reasons is not None else []

    def add_highlighted(self, text: str, reason: str | None = None, colour: str = HIGHLIGHT) -> None:
        self.xml += (f'<w:r><w:rPr><w:highlight w:val="{colour}"/></w:rPr>'
                     f'<w:t xml:space="preserve">{xml_escape(text)}</w:t></w:r>')
        self.reasons.append(reason)


def clock(t: float | None) -> str:
    return "" if t is None else f"{int(t // 60)}:{t % 60:04.1f}"


def paragraphs(words: list[Word], low_confidence: float, pause: float, reasons: list) -> list[DraftText]:
    """Raw words (no language stage) grouped into paragraphs at long pauses; doubtful ones highlighted."""
    result: list[DraftText] = []
    current: DraftText | None = None
    previous_end = None
    for word in words:
        if current is None or (previous_end is not None and word.start - previous_end >= pause):
            current = DraftText(reasons)
            result.append(current)
            text = word.text.lstrip()
        else:
            text = word.text
        if word.probability < low_confidence:
            lead = text[: len(text) - len(text.lstrip())]
            if lead:
                current.add(lead)
            current.add_highlighted(text.lstrip(), f"Low confidence ({word.probability:.2f}): check against the "
                                                   f"audio at {clock(word.start)}.")
        else:
            current.add(text)
        previous_end = word.end
    return result


def review_marks(transcript: Transcript, dictated: Dictated, analysis: Analysis | None,
           low_confidence: float) -> dict[int, tuple[str, str | None]]:
    """Token index → (highlight colour, comment or None) for every token the secretary should check.
    A comment goes on the first token of a passage; the rest of it is highlighted only."""
    marks: dict[int, tuple[str, str | None]] = {}
    segment_of = {w: s for s in transcript.segments if s.flags for w in range(*_word_range(transcript, s))}
    commented_segments: set[int] = set()
    words = transcript.words

    def where(token) -> str:  # where the secretary checks it: the audio, or the scan's page
        if transcript.is_scan:
            return f"the scan (page {scan_place(words, token.sources)[0] or 1})"
        return f"the audio at {clock(token.start)}"

    for i, token in enumerate(dictated.tokens):
        if token.kind != "word":
            continue
        flagged = next((segment_of[w] for w in token.sources if w in segment_of), None)
        if token.heard is not None:
            marks[i] = (HIGHLIGHT, f"Corrected from \u201c{token.heard}\u201d{support(token)}: check against {where(token)}.")
        elif token.doubt is not None:
            marks[i] = (HIGHLIGHT, f"Possibly \u201c{token.doubt}\u201d: the audio did not settle it; check against "
                                   f"{where(token)}.")
        elif flagged is not None:
            first = flagged.id not in commented_segments
            commented_segments.add(flagged.id)
            check = (f"read it on the scan (page {flagged.page})" if transcript.is_scan else
                     f"check this passage was said ({clock(flagged.start)}\u2013{clock(flagged.end)})")
            marks[i] = (HIGHLIGHT, f"{'; '.join(flagged.flags).capitalize()}: {check}." if first else None)
        elif token.probability < low_confidence:
            marks[i] = (HIGHLIGHT, f"Low confidence ({token.probability:.2f}): check against {where(token)}.")
    for term in analysis.terms if analysis else ():
        if not term.negated or term.type not in ("condition", "medication", "procedure"):
            continue
        inside = [i for i, t in enumerate(dictated.tokens)
                  if t.kind == "word" and term.start <= t.char_start < term.end and i not in marks]
        for k, i in enumerate(inside):
            marks[i] = (NEGATION, f"Negated: \u201c{term.text}\u201d is written as absent; confirm the negation "
                                  f"against {where(dictated.tokens[i])}." if k == 0 else None)
    for flag in analysis.safety if analysis else ():
        inside = [i for i, t in enumerate(dictated.tokens)
                  if t.kind == "word" and flag.char_start <= t.char_start < max(flag.char_end, flag.char_start + 1)]
        for k, i in enumerate(inside):  # the safety reason first: it is the one that matters most
            earlier = marks.get(i, (None, None))[1]
            reason = (flag.reason + (" " + earlier if earlier else "")) if k == 0 else earlier
            marks[i] = (SAFETY, reason)
    return marks


def scan_place(words: list[Word], sources) -> tuple[int | None, list[float] | None]:
    """Where a scanned token lies: the page of its first word, and the box around its words
    on that page (fractions of the page); (None, None) for a token read from no word."""
    placed = [words[s] for s in sources if s < len(words) and words[s].box is not None]
    if not placed:
        return None, None
    page = placed[0].page
    boxes = [w.box for w in placed if w.page == page]
    return page, [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def _word_range(transcript: Transcript, segment) -> tuple[int, int]:
    """The indexes of a segment's words among the transcript's words."""
    start = 0
    for s in transcript.segments:
        if s is segment:
            return start, start + len(s.words)
        start += len(s.words)
    return 0, 0


def letter_sections(dictated: Dictated, analysis: Analysis | None, marks: dict, reasons: list) -> list[dict]:
    """The body as sections: {"heading": text or "", "paragraphs": [DraftText]}. Headings come
    from the analysis (its text is the dictated text); paragraph breaks from the tokens."""
    # A written heading ("PLAN:") becomes the Word heading and leaves the body; a spoken opener
    # ("My impression is stable angina") stays in its sentence, under a heading of its type.
    spans = [(s.heading_start, s.heading_end if s.heading.endswith(":") else s.heading_start,
              s.heading.rstrip(": ").strip() if s.heading.endswith(":") else s.type.replace("_", " ").upper())
             for s in analysis.sections] if analysis else []
    sections: list[dict] = [{"heading": "", "paragraphs": [DraftText(reasons)]}]
    k = 0
    for i, token in enumerate(dictated.tokens):
        while k < len(spans) and token.char_start >= spans[k][0]:
            sections.append({"heading": spans[k][2], "paragraphs": [DraftText(reasons)]})
            k += 1
        if spans and k and spans[k - 1][0] <= token.char_start < spans[k - 1][1]:
            continue  # the heading's own words and colon
        current = sections[-1]["paragraphs"]
        if token.kind == "break":
            if current[-1].xml:
                current.append(DraftText(reasons))
            continue
        gap = dictated.text[token.char_start - 1:token.char_start] if token.char_start else ""
        if gap == " " and current[-1].xml:
            current[-1].add(" ")
        if i in marks:
            colour, reason = marks[i]
            current[-1].add_highlighted(token.text, reason, colour)
        else:
            current[-1].add(token.text)
    for section in sections:
        section["paragraphs"] = [p for p in section["paragraphs"] if p.xml]
    return [s for s in sections if s["paragraphs"] or s["heading"]]


def flag_lines(transcript: Transcript, dictated: Dictated | None = None, analysis: Analysis | None = None) -> list[str]:
    lines = [
        f"{clock(s.start)}–{clock(s.end)}: {flag}. Heard: “{s.text.strip()}”"
        for s in transcript.segments
        for flag in s.flags
    ]
    doubted = None  # a phrase's words share one doubt: one line
    for token in dictated.tokens if dictated else ():
        at = f"{clock(token.start)}: " if token.start is not None else ""
        if token.heard is not None:
            lines.append(f"{at}corrected “{token.heard}” to “{token.text}”{support(token)}: check against the audio")
        elif token.doubt is not None and token.doubt != doubted:
            lines.append(f"{at}heard “{token.text}”, possibly {token.doubt}: listen")
        doubted = token.doubt
    lines += [f"{note}" for note in (dictated.notes if dictated else ())]
    lines += [flag.reason for flag in (analysis.safety if analysis else ())]
    return lines


def _practice_fields(template: Path) -> dict[str, str]:
    """The practice's own placeholders ({{ practice_name }}, {{ practice_phone }}, …) from
    ``fields.toml`` beside its templates: plain strings, one per name."""
    path = template.parent / "fields.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise TemplateError(f"the practice's fields file is not valid TOML ({err})",
                            'write one line per placeholder: practice_name = "Hillside Practice"', str(path))
    return {str(k): str(v) for k, v in data.items() if not isinstance(v, dict | list)}


def render_draft(transcript: Transcript, info: LetterInfo, *, low_confidence: float = 0.5,
                 paragraph_pause: float = 2.0, template: Path | None = None, dictated: Dictated | None = None,
                 analysis: Analysis | None = None) -> bytes:
    """Return the draft .docx as bytes (the caller writes it atomically)."""
    template = template or default_template()
    try:
        tpl = DocxTemplate(str(template))
        tpl.init_docx()
    except Exception as err:
        raise TemplateError(f"the letter template cannot be opened ({err})",
                            "give a .docx file made in Word or LibreOffice", str(template))
    reasons: list[str | None] = []  # one per highlighted run, in the order they are written
    if dictated is not None:
        sections = letter_sections(dictated, analysis, review_marks(transcript, dictated, analysis, low_confidence), reasons)
    else:
        sections = [{"heading": "", "paragraphs": paragraphs(transcript.words, low_confidence, paragraph_pause,
                                                             reasons)}]
    context = {
        "letter_type": info.letter_type,
        "patient": info.patient or NOT_STATED,
        "dob": info.dob or NOT_STATED,
        "mrn": info.mrn or NOT_STATED,
        "author": f"Dr {info.author}" if info.author else NOT_STATED,
        "recipient": info.recipient or "",
        "date": info.dictated_on,
        "job_id": info.job_id,
        "source": info.source,
        "engine": transcript.engine,
        "model": transcript.model,
        "low_confidence": f"{low_confidence:.0%}",
        "summary": summary_rows(info, analysis),
        "sections": sections,
        "paragraphs": [p for s in sections for p in s["paragraphs"]],
        "flags": [*info.checks, *flag_lines(transcript, dictated, analysis)],
    }
    context = _practice_fields(template) | context  # ours win: a field file cannot fake the patient
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
    docx_marks.comment_highlights(tpl.docx, reasons)
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


def support(token) -> str:
    """How strongly the recording backs a correction, in words (``Token.support``, nats:
    how much better the name fits the audio than what Whisper wrote)."""
    if token.support is None:
        return ""
    if token.support >= 3:
        return "; the recording clearly fits the correction better"
    if token.support >= 0:
        return "; the recording fits the correction a little better"
    return "; the recording fits what was heard slightly better, the spelling points to the correction"

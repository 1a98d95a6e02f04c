"""The typed records that flow between stages.

Every stage takes and returns these frozen dataclasses, so a stage can be tested, cached
or moved to another machine on its own. ``to_dict``/``from_dict`` give the JSON form that
is saved beside every draft.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class DecodeOptions:
    """How Whisper decodes. The defaults are the safe ones for dictation."""

    language: str | None = "en"
    beam_size: int = 5
    # Each window is decoded on its own: conditioning on earlier text lets one
    # mis-heard phrase, or a hallucinated loop, spread through the rest of the letter.
    condition_on_previous_text: bool = False
    # Temperature fallback: a window whose text is too repetitive (compression ratio)
    # or too unlikely (mean log-probability) is decoded again at a higher temperature.
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float | None = 2.4
    log_prob_threshold: float | None = -1.0
    # Both engines would silently *skip* a window whose no-speech probability is high;
    # we never drop speech, so the engines get None and guards.py flags it instead.
    no_speech_threshold: float | None = None
    vad_filter: bool = True
    # Silero's speech probability threshold. 0.5 (its default) suits a dictation's microphone;
    # telephone audio (8 kHz, line noise) needs less: the phone stage sets its own (phone/).
    vad_threshold: float = 0.5
    word_timestamps: bool = True
    initial_prompt: str | None = None
    # Words to bias every 30 s window toward (vocabulary.py). faster-whisper's initial_prompt
    # reaches only the first window when windows are decoded on their own; hotwords reach all.
    hotwords: str | None = None
    # Guards that flag a segment for the secretary (guards.py); they never change text.
    flag_no_speech_prob: float = 0.6
    flag_repeats: int = 4  # the same 1-4 word phrase this many times in a row

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["temperatures"] = list(self.temperatures)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DecodeOptions":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "temperatures" in values:
            values["temperatures"] = tuple(values["temperatures"])
        return cls(**values)


@dataclass(frozen=True)
class ScanLimits:
    """How much of a scanned file is read; beyond these the file goes to outbox/failed."""

    max_pages: int = 100
    max_pixels: int = 150_000_000  # one page; an A4 page at 600 dpi is 35 million
    pdf_dpi: int = 300  # scanned PDF pages are rendered at this resolution for OCR


@dataclass(frozen=True)
class Word:
    text: str  # as Whisper emits it, usually with a leading space
    start: float  # seconds from the start of the audio (0 for a scan)
    end: float
    probability: float  # Whisper's word probability, or OCR's recognition score
    # Scans: the page (1-based) and the word's box on it as fractions of the page's width and
    # height (left, top, right, bottom), so the box fits the page image at any resolution.
    page: int | None = None
    box: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class Segment:
    id: int
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    no_speech_prob: float = 0.0
    temperature: float = 0.0
    # Reasons this segment may not be real speech (see guards.py), or, on a scan, a region
    # OCR could not read reliably (ocr/regions.py); the text is kept.
    flags: tuple[str, ...] = ()
    # Scans: a segment is one line of print (or one unread region) and knows its page and box.
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    new_paragraph: bool = False  # a gap on the page before this line


@dataclass(frozen=True)
class Transcript:
    source: str  # file name of the input (no directory: paths can name patients)
    language: str
    duration: float  # seconds of audio decoded
    engine: str
    model: str
    settings: dict[str, Any]
    segments: tuple[Segment, ...] = field(default_factory=tuple)
    kind: str = "audio"  # "audio" (a dictation) or "scan" (OCR of pages; no spoken commands)
    pages: int = 0  # scans: how many pages

    @property
    def is_scan(self) -> bool:
        return self.kind == "scan"

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Transcript":
        def box(item: dict) -> dict:
            return {"box": tuple(item["box"])} if item.get("box") is not None else {}

        segments = tuple(
            Segment(
                **{k: v for k, v in s.items() if k not in ("words", "flags", "box")},
                words=tuple(Word(**{k: v for k, v in w.items() if k != "box"}, **box(w)) for w in s.get("words", ())),
                flags=tuple(s.get("flags", ())),
                **box(s),
            )
            for s in data.get("segments", ())
        )
        return cls(
            source=data["source"],
            language=data["language"],
            duration=data["duration"],
            engine=data["engine"],
            model=data["model"],
            settings=data.get("settings", {}),
            segments=segments,
            kind=data.get("kind", "audio"),
            pages=data.get("pages", 0),
        )


@dataclass(frozen=True)
class LetterInfo:
    """What the letter header needs. Fields not known yet stay None."""

    job_id: str
    source: str
    dictated_on: str  # ISO date
    author: str | None = None
    patient: str | None = None
    letter_type: str = "Letter"  # the title on the letter
    dob: str | None = None
    mrn: str | None = None
    recipient: str | None = None
    checks: tuple[str, ...] = ()  # header facts the secretary should confirm (language/identity.py)


@dataclass(frozen=True)
class Token:
    """One unit of the letter text after spoken commands: a word, a mark or a line break.

    ``sources`` are indices into the transcript's words, so every piece of the letter
    still points at its audio; a command's mark points at the words that said it.
    """

    text: str
    kind: str = "word"  # "word", "mark" (punctuation) or "break" (line or paragraph)
    sources: tuple[int, ...] = ()
    start: float | None = None  # seconds; None for text that was typed, not dictated
    end: float | None = None
    probability: float = 1.0  # lowest word probability among the sources
    heard: str | None = None  # what Whisper wrote, when a correction replaced it
    support: float | None = None  # nats the correction fits the audio better than ``heard``, when checked
    # a name the audio neither confirmed nor ruled out ("Protonix"): the word stays as heard,
    # flagged with the name for the secretary to listen for
    doubt: str | None = None
    char_start: int = 0  # offsets in the rendered text
    char_end: int = 0

    @classmethod
    def replacing(cls, span: "list[Token]", text: str, heard: str, support: float | None = None) -> "Token":
        """One word over the audio of a phrase it replaces ("met for min" → metformin): its
        sources, times and lowest probability, with what was heard kept for the secretary."""
        return cls(text, "word", tuple(s for t in span for s in t.sources), span[0].start, span[-1].end,
                   min(t.probability for t in span), heard=heard, support=support)


@dataclass(frozen=True)
class Dictated:
    """A transcript after spoken commands, numbers, corrections and headings: the letter body."""

    text: str
    tokens: tuple[Token, ...]
    preamble: dict[str, str]  # author, patient, dob, mrn, letter_type as the preamble said them
    notes: tuple[str, ...] = ()  # e.g. what "scratch that" removed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Dictated":
        tokens = tuple(Token(**t | {"sources": tuple(t.get("sources", ()))}) for t in data["tokens"])
        return cls(text=data["text"], tokens=tokens, preamble=dict(data.get("preamble", {})),
                   notes=tuple(data.get("notes", ())))


@dataclass(frozen=True)
class Section:
    type: str  # canonical type from models/clinical/sections.toml, or "other"
    heading: str  # as written in the text
    heading_start: int  # character offsets in Analysis.text
    heading_end: int
    body_start: int
    body_end: int


@dataclass(frozen=True)
class Term:
    text: str
    start: int
    end: int
    type: str  # medication, condition, procedure, anatomy, lab
    normalised: str | None = None
    code: str | None = None  # ICD-10-CM for conditions, DrugBank id for medications
    negated: bool = False
    possible: bool = False
    historical: bool = False
    family: bool = False
    heard: str | None = None  # what Whisper wrote, when the name is a correction


@dataclass(frozen=True)
class SafetyFlag:
    """An error of the kind that hurts, possibly in the letter (``language/safety``): the
    secretary is told where and why; the text is never changed."""

    kind: str  # "sound-alike", "dose", "laterality", "negation", "omission"
    reason: str  # the Word comment
    char_start: int  # the stretch of Analysis.text it is about
    char_end: int
    start: float | None = None  # seconds in the recording, when it has one
    end: float | None = None
    # nats the written reading beat its rival by on the recording (the audio checks), else None
    lead: float | None = None


@dataclass(frozen=True)
class Analysis:
    """What the language stage found in one letter; saved as JSON beside the draft."""

    text: str  # the analysed text; every offset points into it
    sections: tuple[Section, ...]
    terms: tuple[Term, ...]
    facts: dict[str, Any]
    flags: tuple[str, ...] = ()
    safety: tuple[SafetyFlag, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Analysis":
        return cls(text=data["text"], sections=tuple(Section(**x) for x in data.get("sections", ())),
                   terms=tuple(Term(**x) for x in data.get("terms", ())), facts=dict(data.get("facts", {})),
                   flags=tuple(data.get("flags", ())), safety=tuple(SafetyFlag(**x) for x in data.get("safety", ())))


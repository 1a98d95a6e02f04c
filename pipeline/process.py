"""The stages one dictation goes through, as plain functions: audio → transcript → letter."""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .asr import Engine, Progress
from .asr.audio import decode
from .config import Settings
from .errors import AudioError
from .language import preamble
from .letters.draft import render_draft
from .files import Blob
from .records import Analysis, DecodeOptions, Dictated, LetterInfo, Transcript


def new_job_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def decode_options(settings: Settings) -> DecodeOptions:
    """How Whisper decodes for these settings: the safe defaults, plus the vocabulary hotwords
    when ``vocabulary = "hotwords"``."""
    if settings.vocabulary == "off":
        return DecodeOptions(beam_size=settings.beam_size)
    from .language import vocabulary

    return DecodeOptions(beam_size=settings.beam_size,
                         hotwords=vocabulary.prompt(vocabulary.author_words(settings.vocabulary_words)))


def transcribe_audio(audio: np.ndarray, name: str, engine: Engine, options: DecodeOptions,
                     progress: Progress | None = None) -> Transcript:
    """Transcribe decoded audio; no recognisable speech is an error, never an empty letter.
    With hotwords, speech they made Whisper skip is caught and transcribed without them."""
    if options.hotwords:
        from .language import vocabulary

        transcript = vocabulary.transcribe(engine, audio, options, source=name, progress=progress)
    else:
        transcript = engine.transcribe(audio, options, source=name, progress=progress)
    if not transcript.words:
        raise AudioError("no speech was recognised in the recording",
                         "check that it is the dictation and not a blank or muted recording; record it again if so",
                         file=name)
    return transcript


def transcribe_file(path: Path, engine: Engine, options: DecodeOptions) -> Transcript:
    return transcribe_audio(decode(path), path.name, engine, options)


def letter_info(transcript: Transcript, job_id: str, source: str, when: dt.datetime) -> LetterInfo:
    """The header facts the recording's preamble states, or a scan's labelled fields."""
    if transcript.is_scan:
        from .language.typed import note_fields

        fields, _ = note_fields(transcript)
        return LetterInfo(job_id=job_id, source=source, dictated_on=when.date().isoformat(),
                          **{k: v for k, v in fields.items() if k in ("author", "patient", "dob", "mrn")})
    return LetterInfo(job_id=job_id, source=source, dictated_on=when.date().isoformat(),
                      **preamble.extract(transcript.text))


def header(transcript: Transcript, job_id: str, source: str, when: dt.datetime, stated: dict) -> LetterInfo:
    """The preamble's facts, overridden by whatever the sidecar (``stated``) gives."""
    heard = letter_info(transcript, job_id, source, when)
    return LetterInfo(job_id=job_id, source=source, dictated_on=heard.dictated_on,
                      author=stated.get("author") or heard.author, patient=stated.get("patient") or heard.patient,
                      letter_type=stated.get("letter_type") or heard.letter_type, dob=stated.get("dob"),
                      mrn=stated.get("mrn"), recipient=stated.get("recipient"))


def recognise(source: Path | Blob, name: str, engine: Engine, options: DecodeOptions, settings: Settings,
              reader, on_page=None) -> tuple[Transcript, np.ndarray | None]:
    """The input (a path, or a ``Blob`` of its bytes) → its transcript, and the decoded audio
    that the language stage checks against (None for a scan). ``reader()`` gives the OCR
    models; each page image as read goes to ``on_page(number, image)``."""
    from .ocr.pages import is_scan

    if is_scan(source):
        from .ocr import read as ocr

        return ocr.read_file(source, reader, settings.scan_limits(), name, on_page=on_page), None
    audio = decode(source)
    return transcribe_audio(audio, name, engine, options), audio


@dataclass(frozen=True)
class Made:
    """What the pure stages made of one input: a letter's text and analysis, or, for a
    voicemail, its message on the callback list (``phone.message.Message``)."""

    transcript: Transcript
    dictated: Dictated | None = None
    analysis: Analysis | None = None
    message: object | None = None


def run_stages(source: Path | Blob, name: str, saved: Transcript | None, job: dict, engine: Engine,
               options: DecodeOptions, settings: Settings, reader, practice, *, on_page=None,
               on_transcript=None) -> Made:
    """One job's pure stages, on the desk or on a cluster's worker: recognise (unless a
    ``saved`` transcript survived an interruption; ``on_transcript`` is told of a new one),
    then the language stage, or for a voicemail the phone stage. ``job``: its id, received
    time (ISO) and metadata (``kind``, the sidecar's facts)."""
    from .phone import listen
    from .phone.message import decode_options as phone_options

    voicemail = job["metadata"].get("kind") == "voicemail"
    if voicemail:
        options = phone_options(options)
    transcript, audio = saved, None
    if transcript is None:
        transcript, audio = recognise(source, name, engine, options, settings, reader, on_page=on_page)
        if on_transcript:
            on_transcript(transcript)
    elif not transcript.is_scan and (voicemail or settings.check_corrections):
        audio = decode(source)  # transcribed before an interruption: the audio, for the checks
    if voicemail:  # the callback list's facts, no letter
        return Made(transcript, message=listen.message(transcript, audio, engine, options))
    info = header(transcript, job["id"], name, dt.datetime.fromisoformat(job["received_at"]), job["metadata"])
    dictated, analysis = understand(transcript, audio, engine, settings, info, practice)
    return Made(transcript, dictated, analysis)


def understand(transcript: Transcript, audio: np.ndarray | None, engine: Engine, settings: Settings,
               info: LetterInfo, practice) -> tuple[Dictated, Analysis]:
    """The language stage for one job, with the audio checks when the settings ask for them.
    ``practice(author)`` gives what the practice has learned for the author heard (or None)."""
    scorer = scorer_for(engine, audio, transcript) if settings.check_corrections else None
    return language(transcript, dt.date.fromisoformat(info.dictated_on), scorer, speech_of(audio, transcript),
                    practice(info.author))


def scorer_for(engine: Engine, audio: np.ndarray | None, transcript: Transcript):
    """The engine's check of readings against this recording's audio (``asr.scorer``), for
    the language stage to verify its corrections with; None for a scan or without the audio."""
    if transcript.is_scan or audio is None:
        return None
    return engine.scorer(audio, transcript)


def speech_of(audio: np.ndarray | None, transcript: Transcript) -> list[tuple[float, float]] | None:
    """The stretches of the recording the voice detector takes for speech, for the omission
    check (``language.safety.omission``); None for a scan or without the audio."""
    if transcript.is_scan or audio is None:
        return None
    from .language.vocabulary import speech

    return speech(audio)


def language(transcript: Transcript, dictated_on: dt.date, scorer=None,
             speech: list[tuple[float, float]] | None = None, practice=None) -> tuple[Dictated, Analysis]:
    """The language stage: spoken commands, corrections, headings, then sections, terms and facts,
    and the safety flags. With a ``scorer`` every drug-name correction is checked against the
    audio first, and the safety checks ask the audio too; ``speech`` (``speech_of``) lets them
    find speech no word covers. ``practice`` (``language.practice.Practice``, from
    ``pipeline/learning``): the practice's words, trigram model and accepted rules."""
    from dataclasses import replace

    from .language import safety
    from .language.clinical import analyse

    if transcript.is_scan:  # print: no spoken commands, no mishearing to correct
        from .language.typed import typed

        dictated = typed(transcript)
        analysis = analyse(dictated.text, dictated.preamble, dictated_on, {}, ())
        return dictated, replace(analysis, safety=safety.check(dictated, analysis))
    from .language.correction import correct
    from .language.dictation import dictate

    dictated = dictate(transcript.words, lambda tokens: correct(tokens, scorer=scorer, practice=practice))
    heard = {(t.char_start, t.char_end): t.heard for t in dictated.tokens if t.heard is not None}
    analysis = analyse(dictated.text, dictated.preamble, dictated_on, heard, dictated.notes)
    flags = safety.check(dictated, analysis, scorer, speech, [(w.start, w.end) for w in transcript.words])
    return dictated, replace(analysis, safety=flags)


def warm_up() -> None:
    """Load what the language stage loads on first use (spaCy, the drug lexicon, ICD-10-CM, the
    correction indexes) by running it on one made-up sentence. The watcher calls this at
    start-up (otherwise the first dictation of the day waits 6 s longer for its draft), the
    batch beside its first recognitions."""
    from .language import correction
    from .records import Segment, Word

    correction.load()  # the made-up sentence is heard clearly: nothing in it is corrected

    said = [" Start", " metformin", " 500", " milligrams", " daily", " for", " diabetes."]
    words = tuple(Word(w, i * 0.4, i * 0.4 + 0.3, 0.9) for i, w in enumerate(said))
    segment = Segment(id=0, start=0.0, end=3.0, text="".join(said), words=words)
    language(Transcript(source="warm-up", language="en", duration=3.0, engine="", model="", settings={},
                        segments=(segment,)), dt.date.today())


def complete_info(info: LetterInfo, settings: Settings, dictated: Dictated, analysis: Analysis,
                  stated_type: str | None = None,
                  stated: frozenset[str] = frozenset()) -> tuple[LetterInfo, Analysis, Path]:
    """The letter's kind, title and header facts once the language stage has run, the analysis
    with the header's names (the registers' spellings), and the template.
    ``stated_type`` is the sidecar's letter_type, which wins over the preamble's; ``stated``
    names the header fields the sidecar gave, which are not second-guessed by the registers."""
    from dataclasses import replace

    from .language import identity
    from .letters import kinds as letter_kinds

    authors = identity.read_authors(settings.authors)
    kind = letter_kinds.choose([stated_type, dictated.preamble.get("letter_type")], dictated.text,
                               info.recipient or analysis.facts.get("recipient"), info.patient)
    info = replace(info, letter_type=kind.title, dob=info.dob or dictated.preamble.get("dob"),
                   mrn=info.mrn or dictated.preamble.get("mrn"),
                   recipient=info.recipient or analysis.facts.get("recipient"))
    who = identity.resolve(None if "author" in stated else info.author,
                           None if "patient" in stated else info.patient,
                           info.dob, info.mrn, authors,
                           identity.read_patients(settings.patients))
    info = replace(info, author=info.author if "author" in stated else who.author,
                   patient=info.patient if "patient" in stated else who.patient,
                   dob=info.dob if "dob" in stated else who.dob, mrn=who.mrn, checks=who.checks)
    facts = analysis.facts | {"author": info.author, "letter_type": info.letter_type,
                              "patient": {"name": info.patient, "dob": info.dob, "mrn": info.mrn}}
    own = next((p.templates for p in authors if p.name == info.author and p.templates), None)
    if own is not None and (own / kind.template).is_file():  # the author's own letterhead for this kind
        return info, replace(analysis, facts=facts), own / kind.template
    return info, replace(analysis, facts=facts), settings.template or letter_kinds.template_path(kind, settings.templates)


def draft_bytes(transcript: Transcript, info: LetterInfo, settings: Settings,
                dictated: Dictated | None = None, analysis: Analysis | None = None,
                template: Path | None = None) -> bytes:
    return render_draft(transcript, info, low_confidence=settings.low_confidence,
                        paragraph_pause=settings.paragraph_pause, template=template or settings.template,
                        dictated=dictated, analysis=analysis)

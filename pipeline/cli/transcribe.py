"""Commands on files given by hand, outside any desk: ``transcribe`` (audio and scans),
``analyse`` (text) and ``models``."""
from __future__ import annotations

import datetime as dt
import functools
import sys
from pathlib import Path

from ..asr.audio import SAMPLE_RATE
from ..desk import outbox as ob
from ..errors import DictationError
from ..letters.writers import FORMATS, WRITERS
from .common import engine_for, engine_options, settings_of

PROGRESS_AFTER_SECONDS = 60.0  # shorter audio finishes before a bar is worth drawing


def _progress_bar(duration: float):
    if duration < PROGRESS_AFTER_SECONDS:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=round(duration, 1), unit="s", desc="transcribing", leave=False, disable=None)
    done = [0.0]

    def update(seconds: float) -> None:
        bar.update(round(min(seconds, duration) - done[0], 1))
        done[0] = min(seconds, duration)

    return bar, update


def cmd_transcribe(args) -> int:
    from ..asr.audio import decode
    from ..letters.writers import to_json
    from ..ocr.pages import is_scan
    from ..ocr.reader import Reader
    from ..process import (
        complete_info,
        decode_options,
        draft_bytes,
        language,
        letter_info,
        new_job_id,
        transcribe_audio,
    )

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise DictationError(f"unknown format {', '.join(bad)}", f"use some of: {','.join(FORMATS)}")
    if "docx" in formats and not args.out:
        raise DictationError("a docx draft needs a folder to go into", "add --out DIR")
    settings = settings_of(args)
    # Whisper is loaded (and a bad model reported) up front unless every file is a scan.
    engine = engine_for(settings) if not all(is_scan(Path(name)) for name in args.files) else None
    # The OCR models, loaded at the first scanned page (a text-layer PDF needs none).
    reader = functools.cache(functools.partial(Reader, settings.threads))
    options = decode_options(settings)
    failures = 0
    for name in args.files:
        path = Path(name)
        try:
            if is_scan(path):
                from ..ocr.read import read_file

                transcript = read_file(path, reader, settings.scan_limits())
            else:
                audio = decode(path)
                bar, update = _progress_bar(len(audio) / SAMPLE_RATE)
                try:
                    transcript = transcribe_audio(audio, path.name, engine, options, progress=update)
                finally:
                    if bar:
                        bar.close()
        except DictationError as err:
            print(f"error: {err}", file=sys.stderr)
            failures += 1
            continue
        for fmt in formats:
            if fmt == "docx":
                now = dt.datetime.now()
                info = letter_info(transcript, new_job_id(now), path.name, now)
                dictated, analysis = language(transcript, now.date())
                info, analysis, template = complete_info(info, settings, dictated, analysis)
                data: bytes | str = draft_bytes(transcript, info, settings, dictated, analysis, template)
                if args.out:
                    ob.write_atomic(ob.ensure_dir(Path(args.out)) / f"{path.stem}.analysis.json", to_json(analysis))
            else:
                data = WRITERS[fmt](transcript)
            if args.out:
                ob.write_atomic(ob.ensure_dir(Path(args.out)) / f"{path.stem}.{fmt}", data)
            else:
                if len(args.files) > 1:
                    print(f"==> {path.name} <==")
                sys.stdout.write(data)
    return 1 if failures else 0


def _analysis_of(path: Path, day: dt.date):
    """The language stage's record for a text file (analysed as written) or a transcript JSON."""
    import json

    from ..language.clinical import analyse
    from ..process import language
    from ..records import Transcript

    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DictationError(f"cannot be read as UTF-8 text ({type(err).__name__})",
                             "give a plain-text file or a transcript .json", path.name)
    if path.suffix.lower() != ".json":
        return analyse(raw, dictated_on=day)  # typed text: offsets point into the file as given
    try:
        transcript = Transcript.from_dict(json.loads(raw))
    except (ValueError, KeyError, TypeError) as err:
        raise DictationError(f"not a transcript JSON ({type(err).__name__})",
                             "give the transcript.json the pipeline wrote, or a plain-text file", path.name)
    return language(transcript, day)[1]


def cmd_analyse(args) -> int:
    """One JSON line per file: the language stage's record (sections, terms, facts, flags)."""
    import json

    day = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    failures = 0
    for name in args.files:
        path = Path(name)
        try:
            analysis = _analysis_of(path, day)
        except DictationError as err:
            print(f"error: {err}", file=sys.stderr)
            failures += 1
            continue
        print(json.dumps({"file": path.name} | analysis.to_dict(), ensure_ascii=False))
    return 1 if failures else 0


def cmd_models(args) -> int:
    from ..asr.precision import DEFAULT, supported
    from ..asr.weights import load_registry, status

    default, _ = load_registry()
    ok_all = True
    for entry, ok, detail in status():
        mark = "*" if entry.name == default else " "
        print(f"{mark} {entry.name:10s} {'OK     ' if ok else 'MISSING'} {entry.description}")
        print(f"  {'':10s} {detail}")
        ok_all &= ok
    print("(* default; a local CTranslate2 folder or openai-whisper .pt file may be given with --model PATH)")
    print(f"faster engine precisions this CPU runs: {', '.join(supported())} (default {DEFAULT})")
    return 0 if ok_all else 1


def register(sub) -> None:
    p = sub.add_parser("transcribe", help="transcribe audio files and read scanned notes (PNG, JPEG, TIFF, PDF)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", default="txt", help=f"comma-separated: {','.join(FORMATS)} (default: txt)")
    p.add_argument("--out", type=Path, help="write files here instead of printing (needed for docx)")
    engine_options(p)
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("analyse", aliases=["analyze"],
                       help="sections, medical terms and facts of text or transcript JSON files, one JSON line each")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--date", help="date the follow-up intervals count from, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("models", help="list models and whether each is installed and verified")
    p.set_defaults(func=cmd_models)

"""The ``dictation`` command: transcribe, models, watch."""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import logging
import os
import sys
from pathlib import Path

from . import outbox as ob
from .asr import COMPUTE_TYPES, ENGINES, load_engine
from .audio import SAMPLE_RATE
from .config import Settings, load
from .errors import DictationError
from .writers import FORMATS, WRITERS

PROGRESS_AFTER_SECONDS = 60.0  # shorter audio finishes before a bar is worth drawing


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, help="recognition engine (default: faster)")
    p.add_argument("--model", help="registry name (see `dictation models`) or a local model path")
    p.add_argument("--compute-type", choices=COMPUTE_TYPES, help="faster engine precision (default: int8)")
    p.add_argument("--config", type=Path, help="settings file (TOML)")


def _settings(args) -> Settings:
    return load(args.config).replace(engine=args.engine, model=args.model, compute_type=args.compute_type)


def _engine(settings: Settings):
    from .worker import default_workers

    workers = settings.workers or default_workers(settings.engine)
    threads = settings.threads or max(1, (os.cpu_count() or 1) // workers)
    return load_engine(settings.engine, settings.model, settings.compute_type, threads, workers)


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
    from .audio import decode
    from .ocr.pages import is_scan
    from .ocr.reader import Reader
    from .process import (complete_info, decode_options, draft_bytes, language, letter_info, new_job_id,
                          transcribe_audio)
    from .writers import to_json

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise DictationError(f"unknown format {', '.join(bad)}", f"use some of: {','.join(FORMATS)}")
    if "docx" in formats and not args.out:
        raise DictationError("a docx draft needs a folder to go into", "add --out DIR")
    settings = _settings(args)
    # Whisper is loaded (and a bad model reported) up front unless every file is a scan.
    engine = _engine(settings) if not all(is_scan(Path(name)) for name in args.files) else None
    # The OCR models, loaded at the first scanned page (a text-layer PDF needs none).
    reader = functools.cache(functools.partial(Reader, settings.threads))
    options = decode_options(settings)
    failures = 0
    for name in args.files:
        path = Path(name)
        try:
            if is_scan(path):
                from .ocr.read import read_file

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
                info, template = complete_info(info, settings, dictated, analysis)
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

    from .clinical import analyse
    from .process import language
    from .records import Transcript

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
    from .weights import load_registry, status

    default, _ = load_registry()
    ok_all = True
    for entry, ok, detail in status():
        mark = "*" if entry.name == default else " "
        print(f"{mark} {entry.name:10s} {'OK     ' if ok else 'MISSING'} {entry.description}")
        print(f"  {'':10s} {detail}")
        ok_all &= ok
    print("(* default; a local CTranslate2 folder or openai-whisper .pt file may be given with --model PATH)")
    return 0 if ok_all else 1


def _desk(args) -> Settings:
    """Settings for the commands that work on one desk: inbox, outbox and job database."""
    return _settings(args).replace(inbox=args.inbox, outbox=args.outbox, db=args.db,
                                   settle_seconds=getattr(args, "settle", None), workers=getattr(args, "workers", None))


def cmd_watch(args) -> int:
    from .watch import Service

    settings = _desk(args)
    service = Service(settings, _engine(settings))
    try:
        service.watch(polling=args.polling)
    except KeyboardInterrupt:
        service.stop()
    return 0


def cmd_batch(args) -> int:
    from .watch import Service

    settings = _desk(args)
    service = Service(settings, _engine(settings))
    try:
        summary = service.batch(progress=not args.quiet)
    except KeyboardInterrupt:
        service.stop()
        return 130
    print(f"{summary.drafted} drafted, {summary.failed} failed (see {settings.outbox / 'failed'}), "
          f"{summary.waiting} waiting for a retry")
    return 1 if summary.failed or summary.waiting else 0


def cmd_status(args) -> int:
    import datetime as dt
    from collections import Counter

    from .store import ACTIVE, Store

    settings = _desk(args)
    store = Store(settings.db)
    jobs = store.jobs()
    counts = Counter(j.state for j in jobs)
    print("  ".join(f"{state.replace('_', ' ')}: {n}" for state, n in counts.items()) or "no jobs yet")
    queue = [j for j in jobs if j.state in ACTIVE or j.state in ("drafted", "in_review", "returned")]
    if queue:
        now = dt.datetime.now().astimezone()
        print(f"\n{'job':24s} {'state':13s} {'priority':8s} {'age':>7s} {'tries':>5s}  author / type")
        for j in queue:
            age = now - dt.datetime.fromisoformat(j.received_at)
            hours, rest = divmod(int(age.total_seconds()), 3600)
            print(f"{j.id:24s} {j.state:13s} {'URGENT' if j.priority else 'routine':8s} {hours:4d}:{rest // 60:02d} "
                  f"{j.attempts:5d}  {j.author or '-'} / {j.letter_type or '-'}")
    waiting = [p for p in settings.inbox.iterdir() if p.is_file() and not p.name.startswith(".")] if settings.inbox.is_dir() else []
    print(f"\n{len(waiting)} file(s) in the inbox not yet taken")
    return 0


def cmd_report(args) -> int:
    import datetime as dt

    from . import report
    from .store import Store

    settings = _desk(args)
    day = args.day or dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        raise DictationError(f"{day!r} is not a date", "give --day as YYYY-MM-DD")
    docx_path, csv_path = report.write(Store(settings.db), settings.outbox, day)
    print(docx_path)
    print(csv_path)
    return 0


def cmd_approve(args) -> int:
    from . import review
    from .store import Store

    settings = _desk(args)
    final = review.approve(Store(settings.db), settings, args.job, actor=args.reviewer)
    print(final)
    print(final.with_suffix(".fhir.json"))
    return 0


def cmd_return(args) -> int:
    from . import review
    from .store import Store

    settings = _desk(args)
    print(review.return_to_author(Store(settings.db), settings, args.job, args.reason, actor=args.reviewer))
    return 0


def cmd_review(args) -> int:
    from .web.app import serve

    settings = _desk(args)
    print(f"review page: http://{args.host}:{args.port}/  (Ctrl+C to stop)")
    serve(settings, host=args.host, port=args.port, token=settings.review_token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dictation", description="Offline dictation to draft letters.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("transcribe", help="transcribe audio files and read scanned notes (PNG, JPEG, TIFF, PDF)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", default="txt", help=f"comma-separated: {','.join(FORMATS)} (default: txt)")
    p.add_argument("--out", type=Path, help="write files here instead of printing (needed for docx)")
    _engine_options(p)
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("analyse", aliases=["analyze"],
                       help="sections, medical terms and facts of text or transcript JSON files, one JSON line each")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--date", help="date the follow-up intervals count from, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("models", help="list models and whether each is installed and verified")
    p.set_defaults(func=cmd_models)

    def desk(p, engine=True):
        p.add_argument("--inbox", type=Path, help="drop folder (default: the config file's, else inbox/)")
        p.add_argument("--outbox", type=Path, help="output folder (default: the config file's, else outbox/)")
        p.add_argument("--db", type=Path, help="job database, on a local disk (default: your data folder)")
        if engine:
            p.add_argument("--settle", type=float, help="seconds a file must stay unchanged before it is taken")
            p.add_argument("--workers", type=int, help="parallel transcriptions (default: chosen for the cores)")
            _engine_options(p)
        else:
            p.add_argument("--config", type=Path, help="settings file (TOML)")
            p.set_defaults(engine=None, model=None, compute_type=None)

    p = sub.add_parser("watch", help="turn dictations dropped in the inbox into draft letters, until stopped")
    desk(p)
    p.add_argument("--polling", action="store_true", help="poll the folder (network shares that send no events)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("batch", help="process everything waiting, then exit (status 1 if anything failed)")
    desk(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("status", help="show the queue")
    desk(p, engine=False)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("report", help="write the day's report (.docx and .csv) into outbox/reports/")
    desk(p, engine=False)
    p.add_argument("--day", help="YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("approve", help="approve a draft (as edited in Word): final letter and FHIR record")
    p.add_argument("job", metavar="JOB", help="the job id (dictation status lists them)")
    p.add_argument("--as", dest="reviewer", help="who approves (default: your login name)")
    desk(p, engine=False)
    p.set_defaults(func=cmd_approve)

    p = sub.add_parser("return", help="send a draft back to its author with a reason")
    p.add_argument("job", metavar="JOB", help="the job id (dictation status lists them)")
    p.add_argument("--reason", required=True, help="what the author should fix")
    p.add_argument("--as", dest="reviewer", help="who returns it (default: your login name)")
    desk(p, engine=False)
    p.set_defaults(func=cmd_return)

    p = sub.add_parser("review", help="serve the review page (queue, audio beside the text, approve/return)")
    p.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1; others need review_token)")
    p.add_argument("--port", type=int, default=8765)
    desk(p, engine=False)
    p.set_defaults(func=cmd_review)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # every file we create is readable by its owner only
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DictationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

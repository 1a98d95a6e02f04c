"""The ``dictation`` command: transcribe, models, watch."""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path

from . import outbox as ob
from .asr import COMPUTE_TYPES, ENGINES, load_engine
from .audio import SAMPLE_RATE
from .config import Settings, load
from .errors import DictationError
from .records import DecodeOptions
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
    return load_engine(settings.engine, settings.model, settings.compute_type, settings.threads)


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
    from .process import draft_bytes, letter_info, new_job_id, transcribe_audio

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise DictationError(f"unknown format {', '.join(bad)}", f"use some of: {','.join(FORMATS)}")
    if "docx" in formats and not args.out:
        raise DictationError("a docx draft needs a folder to go into", "add --out DIR")
    settings = _settings(args)
    engine = _engine(settings)
    options = DecodeOptions()
    failures = 0
    for name in args.files:
        path = Path(name)
        try:
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
                data: bytes | str = draft_bytes(transcript, info, settings)
            else:
                data = WRITERS[fmt](transcript)
            if args.out:
                ob.write_atomic(ob.ensure_dir(Path(args.out)) / f"{path.stem}.{fmt}", data)
            else:
                if len(args.files) > 1:
                    print(f"==> {path.name} <==")
                sys.stdout.write(data)
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


def cmd_watch(args) -> int:
    from .watch import Watcher

    settings = _settings(args).replace(inbox=args.inbox, outbox=args.outbox, settle_seconds=args.settle)
    engine = _engine(settings)
    watcher = Watcher(settings, engine)
    try:
        watcher.run(until_idle=args.once)
    except KeyboardInterrupt:
        pass
    print(f"{watcher.processed} drafted, {watcher.failed} set aside in failed/", file=sys.stderr)
    return 1 if args.once and watcher.failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dictation", description="Offline dictation to draft letters.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("transcribe", help="transcribe audio files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", default="txt", help=f"comma-separated: {','.join(FORMATS)} (default: txt)")
    p.add_argument("--out", type=Path, help="write files here instead of printing (needed for docx)")
    _engine_options(p)
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("models", help="list models and whether each is installed and verified")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("watch", help="turn dictations dropped in the inbox into draft letters")
    p.add_argument("--inbox", type=Path)
    p.add_argument("--outbox", type=Path)
    p.add_argument("--settle", type=float, help="seconds a file must stay unchanged before it is taken")
    p.add_argument("--once", action="store_true", help="process what is waiting, then exit")
    _engine_options(p)
    p.set_defaults(func=cmd_watch)
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

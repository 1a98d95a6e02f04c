"""What the command groups share: engine options, settings, the loaded engine, desk options."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..asr import COMPUTE_TYPES, ENGINES, load_engine
from ..config import Settings, load


def engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, help="recognition engine (default: faster)")
    p.add_argument("--model", help="registry name (see `dictation models`) or a local model path")
    p.add_argument("--compute-type", choices=COMPUTE_TYPES, help="faster engine precision (default: int8)")
    p.add_argument("--batch-size", type=int, help="faster engine: speech chunks decoded together, 1 for sequential "
                   "(default: 4)")
    p.add_argument("--beam-size", type=int, help="beam search width (default: 2)")
    p.add_argument("--config", type=Path, help="settings file (TOML)")


def settings_of(args) -> Settings:
    return load(args.config).replace(engine=args.engine, model=args.model, compute_type=args.compute_type,
                                     batch_size=getattr(args, "batch_size", None),
                                     beam_size=getattr(args, "beam_size", None))


def engine_for(settings: Settings):
    from ..desk.worker import default_workers

    workers = settings.workers or default_workers(settings.engine)
    threads = settings.threads or max(1, (os.cpu_count() or 1) // workers)
    return load_engine(settings.engine, settings.model, settings.compute_type, threads, workers,
                       settings.batch_size if settings.engine == "faster" else 1)


def desk_options(p: argparse.ArgumentParser, engine: bool = True) -> None:
    """Options of the commands that work on one desk: inbox, outbox and job database."""
    p.add_argument("--inbox", type=Path, help="drop folder (default: the config file's, else inbox/)")
    p.add_argument("--outbox", type=Path, help="output folder (default: the config file's, else outbox/)")
    p.add_argument("--db", type=Path, help="job database, on a local disk (default: your data folder)")
    if engine:
        p.add_argument("--settle", type=float, help="seconds a file must stay unchanged before it is taken")
        p.add_argument("--workers", type=int, help="parallel transcriptions (default: chosen for the cores)")
        engine_options(p)
    else:
        p.add_argument("--config", type=Path, help="settings file (TOML)")
        p.set_defaults(engine=None, model=None, compute_type=None)


def desk_settings(args) -> Settings:
    return settings_of(args).replace(inbox=args.inbox, outbox=args.outbox, db=args.db,
                                     settle_seconds=getattr(args, "settle", None),
                                     workers=getattr(args, "workers", None))

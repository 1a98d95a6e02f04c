"""Hot-folder overhead, apart from speech recognition, and batch throughput.

    python bench/intake.py                    # 500 files; batch over the whole dev set, 2 rounds
    python bench/intake.py --limit 4 --rounds 1

1. Intake and store per file: 500 small recordings dropped at once are scanned, claimed
   (atomic rename), hashed and registered (SQLite, WAL, synchronous=FULL), then walked
   through the store's state changes as a worker does (lease, transcribing, analysing,
   drafted), with no recognition. Prints milliseconds per file.
2. `dictation batch` end to end on the dev dictations (decode, recognise, draft, archive,
   job store) against bare faster-whisper on the same files with the same settings and
   the same loaded model, alternated; prints the ratio (target: within 5%).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.asr import load_engine  # noqa: E402
from pipeline.asr.faster import decode_kwargs  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.desk.intake import Intake  # noqa: E402
from pipeline.records import DecodeOptions  # noqa: E402
from pipeline.desk.store import Store  # noqa: E402
from pipeline.desk.watch import Service  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "dictations"


def overhead(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        inbox = root / "inbox"
        inbox.mkdir()
        for i in range(n):  # one second of near-silence each, all different
            with wave.open(str(inbox / f"file {i:04d}.wav"), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(16000)
                out.writeframes(i.to_bytes(4, "little") + bytes(32000))
        store = Store(root / "jobs.sqlite3")
        intake = Intake(inbox, root / "outbox", store, settle_seconds=0.0)
        start = time.perf_counter()
        created = intake.poll(trust_mtime=True)
        claim = time.perf_counter() - start
        assert created == n, created
        start = time.perf_counter()
        while (job := store.take_next()) is not None:
            store.update(job.id, "transcribing", state="transcribing")
            store.update(job.id, "analysing", state="analysing", audio_seconds=1.0)
            store.update(job.id, "drafted", state="drafted", lease_owner=None, lease_until=None)
        states = time.perf_counter() - start
        print(f"intake, {n} files: scan + claim + hash + register {claim / n * 1000:.2f} ms/file; "
              f"store state changes (lease + 3 updates) {states / n * 1000:.2f} ms/file; "
              f"total {(claim + states) / n * 1000:.2f} ms/file")


def throughput(limit: int | None, rounds: int) -> None:
    files = sorted(p for p in DATA.iterdir() if p.suffix in (".wav", ".mp3", ".m4a", ".ogg", ".flac"))[:limit]
    audio = 0.0
    import av

    for f in files:
        with av.open(str(f)) as c:
            audio += c.duration / av.time_base
    engine = load_engine("faster", "base", "int8")
    options = DecodeOptions()
    bare_walls, batch_walls = [], []
    for r in range(rounds):
        start = time.perf_counter()
        for f in files:
            segments, _ = engine._whisper.transcribe(str(f), **decode_kwargs(options))
            list(segments)
        bare_walls.append(time.perf_counter() - start)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "inbox").mkdir()
            for f in files:
                shutil.copyfile(f, root / "inbox" / f.name)
            settings = Settings(inbox=root / "inbox", outbox=root / "outbox", db=root / "jobs.sqlite3",
                                settle_seconds=0.0, workers=1)
            start = time.perf_counter()
            summary = Service(settings, engine, options).batch(progress=False)
            batch_walls.append(time.perf_counter() - start)
            assert summary.drafted == len(files) and summary.failed == 0, summary
        print(f"round {r + 1}: bare {bare_walls[-1]:.1f} s, batch {batch_walls[-1]:.1f} s", flush=True)
    ratios = [b / a for a, b in zip(bare_walls, batch_walls)]
    print(f"batch, {len(files)} dev dictations ({audio:.0f} s of audio): bare faster-whisper "
          f"{statistics.median(bare_walls):.1f} s, `dictation batch` {statistics.median(batch_walls):.1f} s; "
          f"batch/bare {statistics.median(ratios):.3f} (target <= 1.05; median of {rounds})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--limit", type=int, help="only the first N dev dictations")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    overhead(args.files)
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: the throughput part needs the shared dev dictations")
    throughput(args.limit, args.rounds)


if __name__ == "__main__":
    main()

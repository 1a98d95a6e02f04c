"""Transcribe the dev dictations once per model and vocabulary setting, and keep the result.

    python bench/transcripts.py --model base --vocab none  dictations dictations-drugs

The clinical bench (bench/clinical.py) reads these cached transcripts, so tuning the
language stage never waits for Whisper. The cache lives in bench/.cache/ (git-ignored);
a transcript is reused only if it was made with the same model and decoding options.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.records import Transcript  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
CACHE = REPO / "bench" / ".cache"


def manifest(dataset: str) -> list[dict]:
    path = SHARED / dataset / "manifest.jsonl"
    if not path.exists():
        sys.exit(f"{path} is absent: the benchmark needs ../shared/data/{dataset}")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def cache_path(model: str, vocab: str, entry: dict) -> Path:
    return CACHE / model / vocab / f"{entry['id']}.json"


def cached(model: str, vocab: str, entry: dict) -> Transcript | None:
    path = cache_path(model, vocab, entry)
    return Transcript.from_dict(json.loads(path.read_text())) if path.exists() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--model", default="base")
    parser.add_argument("--vocab", default="none", choices=["none", "lexicon"])
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()

    from pipeline.asr import load_engine
    from pipeline.asr.audio import decode
    from pipeline.records import DecodeOptions

    engine = load_engine("faster", args.model)
    for dataset in args.datasets:
        entries = manifest(dataset)[: args.limit]
        for entry in entries:
            out = cache_path(args.model, args.vocab, entry)
            if out.exists():
                continue
            audio = decode(SHARED / dataset / entry["audio"])
            began = time.perf_counter()
            if args.vocab == "none":
                transcript = engine.transcribe(audio, DecodeOptions(), source=entry["audio"])
            else:
                from pipeline.language import vocabulary

                transcript = vocabulary.transcribe(engine, audio, DecodeOptions(), source=entry["audio"])
            wall = time.perf_counter() - began
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(transcript.to_dict() | {"wall_s": wall}))
            print(f"{entry['id']} {entry['duration_s']:.0f}s audio in {wall:.0f}s", flush=True)


if __name__ == "__main__":
    main()

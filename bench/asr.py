"""Speed and accuracy of recognition, as ratios against anchors run in the same process.

    python bench/asr.py                     # the whole dev set, 3 interleaved runs
    python bench/asr.py --limit 3 --runs 1  # a quick look
    python bench/asr.py --wer               # int8 vs float32 WER and speed on the dev set
    python bench/asr.py --wer --compute-types int8,float32,int16
    CT2_USE_MKL=0 ONEDNN_MAX_CPU_ISA=AVX2 python bench/asr.py --wer
                                            # through oneDNN on AVX2, as on an AMD CPU
    MKL_ENABLE_INSTRUCTIONS=AVX2 python bench/asr.py --wer --compute-types int8,float32,int16
                                            # MKL on AVX2, as on an Intel CPU without AVX-512

For each file and run, in turn: bare faster-whisper called directly with our settings;
our pipeline on the faster engine (decode, transcribe, guards, draft letter); bare
openai-whisper; our openai engine; faster-whisper's BatchedInferencePipeline. Models are
loaded once. Prints audio seconds, wall seconds and real-time factor (wall / audio) per
configuration, then the ratios pipeline/bare per engine and faster/openai, each the
median over the runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from pipeline.asr import load_engine  # noqa: E402
from pipeline.asr.faster import decode_kwargs as faster_kwargs  # noqa: E402
from pipeline.asr.reference import decode_kwargs as openai_kwargs  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.process import draft_bytes, letter_info, transcribe_file  # noqa: E402
from pipeline.records import DecodeOptions  # noqa: E402

SHARED = REPO.parent / "shared" / "data"


def load_manifest(folder: Path, limit: int | None) -> list[dict]:
    if not folder.exists():
        sys.exit(f"{folder} is absent: the benchmark needs the shared dev dictations")
    entries = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines() if line.strip()]
    return entries[:limit] if limit else entries


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def speed(args) -> None:
    from faster_whisper import BatchedInferencePipeline
    from faster_whisper.audio import decode_audio

    entries = load_manifest(args.data, args.limit)
    options = DecodeOptions()
    settings = Settings()
    fast = load_engine("faster", args.model, args.compute_type)
    configs = {}

    def bare_faster(path):
        segments, _ = fast._whisper.transcribe(str(path), **faster_kwargs(options))
        return " ".join(s.text.strip() for s in segments)

    def pipeline_run(engine):
        def run(path):
            t = transcribe_file(path, engine, options)
            now = dt.datetime.now()
            draft_bytes(t, letter_info(t, "bench", path.name, now), settings)
            return t.text
        return run

    configs["bare faster-whisper"] = bare_faster
    configs["pipeline faster"] = pipeline_run(fast)
    if "openai" in args.engines.split(","):
        import whisper

        ref = load_engine("openai", args.model)

        def bare_openai(path):
            # openai-whisper's own loader shells out to ffmpeg, which a clinic PC lacks;
            # faster-whisper's PyAV decoder stands in, as a bare user would do.
            audio = decode_audio(str(path))
            return whisper.transcribe(ref._whisper, audio, fp16=False, **openai_kwargs(options))["text"]

        configs["bare openai-whisper"] = bare_openai
        configs["pipeline openai"] = pipeline_run(ref)
    if args.batched:
        batched = BatchedInferencePipeline(fast._whisper)

        def bare_batched(path):
            kwargs = faster_kwargs(options) | {"batch_size": args.batch_size}
            kwargs.pop("vad_filter")  # the batched pipeline always splits on voice activity
            kwargs.pop("condition_on_previous_text")
            segments, _ = batched.transcribe(str(path), **kwargs)
            return " ".join(s.text.strip() for s in segments)

        configs["faster-whisper batched"] = bare_batched

    audio_s = sum(e["duration_s"] for e in entries)
    walls = {name: [] for name in configs}
    for run in range(args.runs):
        totals = dict.fromkeys(configs, 0.0)
        for entry in entries:
            path = args.data / entry["audio"]
            for name, fn in configs.items():  # interleaved: each file under every config in turn
                start = time.perf_counter()
                fn(path)
                totals[name] += time.perf_counter() - start
        for name, wall in totals.items():
            walls[name].append(wall)
        print(f"run {run + 1}: " + ", ".join(f"{n} {w:.1f}s" for n, w in totals.items()), flush=True)

    print(f"\nmachine: {machine()}")
    print(f"CTranslate2: {ct2_backend()}")
    print(f"model {args.model}, compute type {args.compute_type} (faster), beam {options.beam_size}; "
          f"{len(entries)} files, {audio_s:.1f} s of audio; median of {args.runs} interleaved runs\n")
    print(f"{'configuration':28s} {'audio s':>8s} {'wall s':>8s} {'RTF':>7s} {'x real time':>12s}")
    for name, ws in walls.items():
        wall = statistics.median(ws)
        print(f"{name:28s} {audio_s:8.1f} {wall:8.1f} {wall / audio_s:7.3f} {audio_s / wall:12.1f}")

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(walls[a], walls[b]))

    print()
    print(f"pipeline/bare, faster engine: {ratio('pipeline faster', 'bare faster-whisper'):.3f}  (target <= 1.02)")
    if "pipeline openai" in configs:
        print(f"pipeline/bare, openai engine: {ratio('pipeline openai', 'bare openai-whisper'):.3f}  (target <= 1.02)")
        print(f"openai/faster wall time (bare): {ratio('bare openai-whisper', 'bare faster-whisper'):.2f}x")
    if args.batched:
        print(f"batched/sequential faster-whisper wall time: {ratio('faster-whisper batched', 'bare faster-whisper'):.3f}")


def ct2_backend() -> str:
    """What CTranslate2 chose on this CPU (ISA and GEMM backends), from its own log.

    CTranslate2 only says so in its info log at the first model load, so a child process
    loads the model with ``CT2_VERBOSE=1`` (the environment, ``CT2_USE_MKL`` or
    ``ONEDNN_MAX_CPU_ISA`` included, is inherited)."""
    import subprocess

    code = "from pipeline.asr import load_engine; load_engine('faster', 'tiny.en', 'int8')"
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         env=os.environ | {"CT2_VERBOSE": "1"})
    keep = ("CPU:", "Selected ISA", "Use Intel MKL", "SGEMM backend", "GEMM_S16 backend", "GEMM_S8 backend")
    lines = [line.split("[info]", 1)[1].strip(" -") for line in run.stderr.splitlines()
             if "[info]" in line and any(k in line for k in keep)]
    caps = [f"{lib} capped at {os.environ[var]}" for lib, var in (("oneDNN", "ONEDNN_MAX_CPU_ISA"),
                                                                  ("MKL", "MKL_ENABLE_INSTRUCTIONS")) if os.environ.get(var)]
    return "; ".join(lines + caps)


def wer_check(args) -> None:
    """WER and wall time of each compute type on the same files, interleaved file by file."""
    from conftest import wer

    entries = load_manifest(args.data, args.limit)
    options = DecodeOptions()
    types = args.compute_types.split(",")
    print(f"machine: {machine()}")
    print(f"CTranslate2: {ct2_backend()}")
    print(f"model {args.model}, beam {options.beam_size}, {len(entries)} files, "
          f"{sum(e['duration_s'] for e in entries):.1f} s of audio\n", flush=True)
    engines = {ct: load_engine("faster", args.model, ct) for ct in types}
    refs, hyps, walls = [], {ct: [] for ct in types}, dict.fromkeys(types, 0.0)
    print(f"{'file':22s} " + " ".join(f"{ct:>8s}" for ct in types))
    for entry in entries:
        path = args.data / entry["audio"]
        row = []
        for ct, engine in engines.items():
            start = time.perf_counter()
            text = transcribe_file(path, engine, options).text
            walls[ct] += time.perf_counter() - start
            hyps[ct].append(text)
            row.append(wer(entry["spoken_script"], text))
        refs.append(entry["spoken_script"])
        print(f"{entry['audio']:22s} " + " ".join(f"{w:8.2%}" for w in row), flush=True)
    audio_s = sum(e["duration_s"] for e in entries)
    total = {ct: wer(" ".join(refs), " ".join(h)) for ct, h in hyps.items()}
    print(f"{'all (pooled)':22s} " + " ".join(f"{total[ct]:8.2%}" for ct in types))
    print(f"{'x real time':22s} " + " ".join(f"{audio_s / walls[ct]:8.1f}" for ct in types))
    base = types[0]
    for ct in types[1:]:
        print(f"{base} - {ct} = {(total[base] - total[ct]) * 100:+.2f} WER points; "
              f"{ct}/{base} wall time {walls[ct] / walls[base]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--engines", default="faster,openai")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, help="only the first N dictations")
    parser.add_argument("--no-batched", dest="batched", action="store_false")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--wer", action="store_true", help="compare the compute types' WER and speed instead")
    parser.add_argument("--compute-types", default="int8,float32", help="for --wer: the types to compare")
    parser.add_argument("--day", action="store_true", help="a day's dictations: dictation batch against the bare "
                        "engines, the settings swept, where the time goes, latency (bench/day.py)")
    parser.add_argument("--quick", action="store_true", help="for --day: 3 + 3 files")
    parser.add_argument("--set", default="dictations", help="the shared folder of dictations "
                        "(default: the 12 dev ones; dictations-drugs: 48 more)")
    args = parser.parse_args()
    args.data = SHARED / args.set
    import logging

    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    if args.day:
        sys.path.insert(0, str(REPO / "bench"))
        import day

        return day.report(args, machine(), ct2_backend())
    wer_check(args) if args.wer else speed(args)


if __name__ == "__main__":
    main()

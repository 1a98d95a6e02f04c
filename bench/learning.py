"""Learning from the practice's letters and approvals (issue 14), replayed on the dev dictations.

    python bench/learning.py --model base [--weights 0,0.25,0.5,1]

1. ``dictation learn``'s own code (``pipeline.learning.learn``) on the MTSamples dev reports,
   each written to a .txt file, **except** the reports the dev dictations were made from
   (their ``source_id``): the practice's past letters.
2. Every dev dictation's transcript (the product's recognition, cached by bench/verify.py)
   through the language stage with the recording's scorer, as the worker runs it: without
   the practice, then with it (its names as candidates, its trigram model as the audio
   check's prior at each weight given). Also text only (no scorer), without and with.
   Printed: written WER (mean per letter), drug names spelled right (the frozen mentions of
   bench/drug_mentions.json), corrections right / made.
3. Approvals replayed: the first half of each set approved as if the secretary typed the
   written reference (``pipeline.learning.approvals``, per author), every suggested rule
   accepted; the second half scored with the practice before and after those rules.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench"), str(REPO / "tests")]

from live import Memo, SharedPieces  # noqa: E402
from scoring import corrections_right, mentions_found, wer  # noqa: E402
from transcripts import SHARED, manifest  # noqa: E402

from pipeline.records import Transcript  # noqa: E402

CACHE = REPO / "bench" / ".cache" / "verify"
MENTIONS = json.loads((REPO / "bench" / "drug_mentions.json").read_text())["mentions"]
DATASETS = ("dictations", "dictations-drugs")
DAY = dt.date(2026, 1, 1)


def past_letters(folder: Path, excluded: set[str]) -> int:
    """The MTSamples dev reports, less the dictations' sources, one .txt file each."""
    with gzip.open(SHARED / "mtsamples" / "dev.csv.gz", "rt", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["id"] not in excluded and r["transcription"].strip()]
    for r in rows:
        (folder / f"{r['id']}.txt").write_text(r["transcription"], encoding="utf-8")
    return len(rows)


def score(rows, letters) -> dict:
    written, right, made, found, mentions = [], 0, 0, 0, 0
    for row, (dictated, _) in zip(rows, letters):
        reference = row["entry"]["reference_text"]
        written.append(wer(reference, dictated.text))
        r, m = corrections_right(dictated.tokens, reference)
        right, made = right + r, made + m
        drugs = MENTIONS.get(row["entry"]["id"], []) if row["dataset"] == "dictations-drugs" else []
        found += mentions_found(drugs, dictated.text)
        mentions += len(drugs)
    return dict(written=statistics.mean(written), drugs=found / max(mentions, 1), right=right, made=made,
                mentions=mentions)


def line(name: str, m: dict) -> str:
    return (f"{name:44s} WER {m['written']:7.2%}  drugs {m['drugs']:.3f} of {m['mentions']}  "
            f"corrections right {m['right']}/{m['made']} = {m['right'] / max(m['made'], 1):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--weights", default="0,0.25,0.5,1", help="prior weights to try (nats per nat)")
    parser.add_argument("--approvals-only", action="store_true", help="only the approvals replay (step 3)")
    args = parser.parse_args()

    from pipeline.asr.audio import decode
    from pipeline.cli.common import engine_for
    from pipeline.config import Settings
    from pipeline.language import verify
    from pipeline.learning.approvals import learn_approval
    from pipeline.learning.learn import learn
    from pipeline.learning.store import PracticeStore
    from pipeline.process import language

    entries = [(d, e) for d in DATASETS for e in manifest(d)]
    rows = []
    for dataset, entry in entries:
        cached = CACHE / args.model / f"{entry['id']}.json"
        if not cached.exists():
            sys.exit(f"{cached} is missing: run python bench/verify.py --model {args.model} first")
        rows.append(dict(dataset=dataset, entry=entry,
                         transcript=Transcript.from_dict(json.loads(cached.read_text())["transcript"])))

    work = Path(tempfile.mkdtemp(prefix="learning-bench-"))
    letters_dir = work / "letters"
    letters_dir.mkdir()
    began = time.perf_counter()
    n = past_letters(letters_dir, {e["source_id"] for _, e in entries})
    db = work / "jobs.sqlite3"
    learned = learn(letters_dir, db)
    print(f"learned {learned.letters} of {n} MTSamples dev reports (the dictations' {len({e['source_id'] for _, e in entries})} "
          f"sources left out): {learned.words} words, {learned.grams} trigrams kept, {time.perf_counter() - began:.0f} s")
    with PracticeStore(db) as store:
        practice = store.practice()

    engine = engine_for(Settings(model=args.model))
    began = time.perf_counter()
    scorers = []
    for row in rows:
        audio = decode(SHARED / row["dataset"] / row["entry"]["audio"])
        words = list(row["transcript"].words)
        scorers.append(Memo(SharedPieces(engine._whisper, audio, words).scorer(row["transcript"].language, words)))

    pool = ThreadPoolExecutor(2)  # the engine's two recognisers: CTranslate2 runs one call each at once

    def run(practice_, scorer=True, subset=None):
        chosen = [(k, r) for k, r in enumerate(rows) if subset is None or k in subset]
        out = list(pool.map(lambda kr: language(kr[1]["transcript"], DAY, scorers[kr[0]] if scorer else None, None,
                                                practice_), chosen))
        return [r for _, r in chosen], out

    shipped = verify.rules()
    results = {}
    print(f"\n{len(rows)} dev dictations, {args.model}; the shipped prior weight is {shipped.prior_weight:g}")
    if not args.approvals_only:
        print(line("text only, no practice", score(*run(None, scorer=False))))
        print(line("text only, practice vocabulary", score(*run(practice, scorer=False))))
        print(line("checked, no practice", score(*run(None))))
        for weight in (float(w) for w in args.weights.split(",")):
            verify.rules = lambda w=weight: replace(shipped, prior_weight=w)
            results[weight] = score(*run(practice))
            print(line(f"checked, practice, prior weight {weight:g}", results[weight]))
        verify.rules = lambda: shipped
        print(f"  (scoring and language stage: {time.perf_counter() - began:.0f} s)")

    # approvals: the first half of each set approved with the reference as the secretary's text
    first = {k for d in DATASETS for k in [i for i, r in enumerate(rows) if r["dataset"] == d][::2]}
    second = set(range(len(rows))) - first
    before = score(*run(practice, subset=second))
    chosen, drafts = run(practice, subset=first)
    for row, (dictated, _) in zip(chosen, drafts):
        learn_approval(db, row["entry"]["id"], row["entry"]["author"], DAY.isoformat(), dictated.text,
                       row["entry"]["reference_text"])
    with PracticeStore(db) as store:
        suggested = [s for s in store.suggestions(("suggested",))]
        for s in suggested:
            store.decide(s["id"], "accepted")
        rates = store.correction_rates("2000-01-01", "2100-01-01")
    print(f"\napprovals replayed: {len(first)} letters approved, {len(suggested)} suggested rules (all accepted):")
    for s in suggested[:20]:
        print(f"  {s['author']}: \u201c{s['heard']}\u201d \u2192 \u201c{s['typed']}\u201d ({s['count']} times)")
    for author, letters_, words_, changed in rates:
        print(f"  correction rate {author}: {100 * changed / max(words_, 1):.1f} words per 100 over {letters_} letters")
    after = []
    for k in sorted(second):
        with PracticeStore(db) as store:
            own = store.practice(rows[k]["entry"]["author"])
        after.append(language(rows[k]["transcript"], DAY, scorers[k], None, own))
    print(line(f"other half ({len(second)}), practice, before approvals", before))
    print(line(f"other half ({len(second)}), practice + approvals' rules", score([rows[k] for k in sorted(second)], after)))


if __name__ == "__main__":
    main()

"""The language stage, measured on the dev data. Prints every figure issue 4 asks for.

    python bench/transcripts.py --model base --vocab none dictations dictations-drugs     # once per model/vocab
    python bench/transcripts.py --model base --vocab lexicon dictations dictations-drugs
    python bench/clinical.py --model base          # then tiny.en

Figures, each over the files whose transcripts are cached for every setting compared:
- WER against the written reference: raw transcript vs after commands, formatting and
  correction (words; and words plus punctuation marks and paragraph breaks).
- Drug names spelled right (frozen list in bench/drug_mentions.json), raw / after
  correction / with the vocabulary hotwords / hotwords and correction; and how many
  corrections name a drug the reference holds.
- Spoken commands executed correctly (manifest `choices` with spoken = true).
- Section detection F1: MTSamples dev written headers, and dictation transcripts
  against the manifest's sections (matched in order by canonical type); and against the
  fair truth (scoring.fair_headings: the reference's title-case labels too, issue 13).
  Without bench/transcripts.py's cache, the transcripts bench/verify.py collected are used.
- Throughput: MTSamples dev reports per second through the spaCy pipeline.
- Tasks and billing codes (issue 17): bench/worklist.py's figures.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))

from scoring import (commands_executed, corrections_right, dictation_headings_fair, dictation_sections,  # noqa: E402
                     f1, header_table, mentions_found, mtsamples_headers, wer, wer_marks)
from transcripts import SHARED, cached, manifest  # noqa: E402
from worklist import bench_codes, bench_tasks  # noqa: E402

from pipeline.language import lexicons  # noqa: E402
from pipeline.language.clinical import nlp  # noqa: E402
from pipeline.language.correction import correct  # noqa: E402
from pipeline.language.dictation import dictate  # noqa: E402
from pipeline.records import Transcript  # noqa: E402

MENTIONS = json.loads((REPO / "bench" / "drug_mentions.json").read_text())["mentions"]


def mtsamples(limit: int | None) -> list[str]:
    with gzip.open(SHARED / "mtsamples" / "dev.csv.gz", "rt", encoding="utf-8") as handle:
        rows = [r["transcription"] for r in csv.DictReader(handle) if r["transcription"]]
    return rows[:limit] if limit else rows


def bench_mtsamples(limit: int | None) -> None:
    reports = mtsamples(limit)
    pipeline = nlp()
    began = time.perf_counter()
    docs = list(pipeline.pipe(reports, batch_size=32))
    wall = time.perf_counter() - began
    tp = predicted = gold = 0
    for text, doc in zip(reports, docs):
        a, b, g = mtsamples_headers(text, doc)
        tp, predicted, gold = tp + a, predicted + b, gold + g
    p, r, f = f1(tp, predicted, gold)
    unmapped = [h for h, n in header_table(SHARED / "mtsamples" / "mtsamples_section_headers_freq.tsv") if n >= 5 and h.lower() not in lexicons.sections()[0]]
    print(f"MTSamples dev: {len(reports)} reports, {sum(map(len, reports)) / 1e6:.2f} M chars")
    print(f"  section headers P {p:.3f} R {r:.3f} F1 {f:.3f} ({gold} headers)")
    print(f"  headers seen >= 5 times without a canonical type: {len(unmapped)} {unmapped[:10]}")
    print(f"  throughput {len(reports) / wall:.1f} reports/s ({wall:.1f} s, spaCy pipeline incl. terms and context)")


def verified_transcript(model: str, entry: dict) -> Transcript | None:
    path = REPO / "bench" / ".cache" / "verify" / model / f"{entry['id']}.json"
    return Transcript.from_dict(json.loads(path.read_text())["transcript"]) if path.exists() else None


def bench_dictations(model: str) -> None:
    rows = []
    for dataset in ("dictations", "dictations-drugs"):
        for entry in manifest(dataset):
            plain, prompted = cached(model, "none", entry), cached(model, "lexicon", entry)
            if plain is None:  # the product's own recognition, as bench/verify.py collected it
                plain = verified_transcript(model, entry)
            if plain is not None:
                rows.append((dataset, entry, plain, prompted))
    if not rows:
        sys.exit(f"no cached transcripts for {model}: run bench/transcripts.py first")
    print(f"\nDictations, model {model}: {len(rows)} files with a plain transcript")

    wer_raw, wer_after, marks_raw, marks_after = [], [], [], []
    said = done = right = made = 0
    tp = predicted = gold = 0
    fair = [0, 0, 0]
    for dataset, entry, plain, _ in rows:
        letter = dictate(plain.words, correct)
        wer_raw.append(wer(entry["reference_text"], plain.text))
        wer_after.append(wer(entry["reference_text"], letter.text))
        marks_raw.append(wer_marks(entry["reference_text"], plain.text))
        marks_after.append(wer_marks(entry["reference_text"], letter.text))
        c, n = commands_executed(entry, letter.text)
        done, said = done + c, said + n
        a, b, g = dictation_sections(entry, letter.text)
        tp, predicted, gold = tp + a, predicted + b, gold + g
        fair = [x + y for x, y in zip(fair, dictation_headings_fair(entry, letter.text))]
        r, m = corrections_right(letter.tokens, entry["reference_text"])
        right, made = right + r, made + m
    mean = statistics.mean
    print(f"  WER vs written reference (words): raw {mean(wer_raw):.3f} -> after {mean(wer_after):.3f} "
          f"({1 - mean(wer_after) / mean(wer_raw):.0%} lower)")
    print(f"  WER incl. punctuation and paragraphs: raw {mean(marks_raw):.3f} -> after {mean(marks_after):.3f} "
          f"({1 - mean(marks_after) / mean(marks_raw):.0%} lower)")
    print(f"  spoken commands executed correctly: {done}/{said} = {done / said:.3f}")
    p, r, f = f1(tp, predicted, gold)
    print(f"  sections in dictations: P {p:.3f} R {r:.3f} F1 {f:.3f} ({gold} manifest headings)")
    p, r, f = f1(*fair)
    print(f"  headings in dictations, fair truth: P {p:.3f} R {r:.3f} F1 {f:.3f} ({fair[2]} headings in the references, "
          f"title case and capitals)")
    print(f"  drug corrections whose name the reference holds: {right}/{made} = {right / max(made, 1):.3f}")

    drugs = [(e, pl, pr) for d, e, pl, pr in rows if d == "dictations-drugs"]
    total = sum(len(MENTIONS[e["id"]]) for e, _, _ in drugs)
    if drugs:
        raw = sum(mentions_found(MENTIONS[e["id"]], pl.text) for e, pl, _ in drugs)
        fixed = sum(mentions_found(MENTIONS[e["id"]], dictate(pl.words, correct).text) for e, pl, _ in drugs)
        print(f"  drug names spelled right, dictations-drugs ({len(drugs)} files, {total} mentions): "
              f"raw {raw / total:.3f}, corrected {fixed / total:.3f}")
    both = [(e, pl, pr) for e, pl, pr in drugs if pr is not None]
    if not both:
        print("  vocabulary hotwords: no transcripts cached (bench/transcripts.py --vocab lexicon)")
        return
    total = sum(len(MENTIONS[e["id"]]) for e, _, _ in both)
    score = {"raw": 0, "corrected": 0, "hotwords": 0, "hotwords+corrected": 0}
    wer_plain, wer_hot, fallbacks = [], [], 0
    for entry, plain, prompted in both:
        expected = MENTIONS[entry["id"]]
        score["raw"] += mentions_found(expected, plain.text)
        score["corrected"] += mentions_found(expected, dictate(plain.words, correct).text)
        score["hotwords"] += mentions_found(expected, prompted.text)
        score["hotwords+corrected"] += mentions_found(expected, dictate(prompted.words, correct).text)
        wer_plain.append(wer(entry["reference_text"], dictate(plain.words, correct).text))
        wer_hot.append(wer(entry["reference_text"], dictate(prompted.words, correct).text))
        fallbacks += "dropped" in prompted.settings.get("vocabulary", "")
    print(f"  with vocabulary hotwords ({len(both)} files, {total} mentions): "
          + ", ".join(f"{k} {v / total:.3f}" for k, v in score.items()))
    print(f"  WER after, same files: without hotwords {mean(wer_plain):.3f}, with {mean(wer_hot):.3f}")
    print(f"  hotwords dropped for lost speech on {fallbacks} of {len(both)} files")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--mtsamples-limit", type=int)
    args = parser.parse_args()
    bench_mtsamples(args.mtsamples_limit)
    bench_dictations(args.model)
    # issue 17: the tasks each letter asks to book, and the codes a billing sheet carries
    bench_tasks(misses=False)
    bench_codes(misses=False)


if __name__ == "__main__":
    main()

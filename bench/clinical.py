"""The language stage, measured on the dev data. Prints every figure issue 4 asks for.

    python bench/transcripts.py --model base --vocab none dictations dictations-drugs     # once per model/vocab
    python bench/transcripts.py --model base --vocab lexicon dictations dictations-drugs
    python bench/clinical.py --model base          # then tiny.en

Figures, each over the files whose transcripts are cached for every setting compared:
- WER against the written reference: raw transcript vs after commands, formatting and
  correction (words; and words plus punctuation marks and paragraph breaks).
- Drug names spelled right (frozen list in bench/drug_mentions.json), raw / after
  correction / with the vocabulary prompt / prompt and correction.
- Spoken commands executed correctly (manifest `choices` with spoken = true).
- Section detection F1: MTSamples dev written headers, and dictation transcripts
  against the manifest's sections (matched in order by canonical type).
- Throughput: MTSamples dev reports per second through the spaCy pipeline.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))

from scoring import commands_executed, mentions_found, wer, wer_marks  # noqa: E402
from transcripts import SHARED, cached, manifest  # noqa: E402

from pipeline import lexicons  # noqa: E402
from pipeline.clinical import nlp  # noqa: E402
from pipeline.correction import correct  # noqa: E402
from pipeline.dictation import dictate  # noqa: E402

HEADER = re.compile(r"^([A-Z][A-Z0-9 ,/&()'\-]{2,}):", re.MULTILINE)
MENTIONS = json.loads((REPO / "bench" / "drug_mentions.json").read_text())["mentions"]


def f1(tp: int, predicted: int, gold: int) -> tuple[float, float, float]:
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def section_type(title: str) -> str:
    headings, _ = lexicons.sections()
    return headings.get(title.lower().strip(), title.lower().strip())


def sections_in_order(gold: list[str], found: list[str]) -> int:
    """Matched headings: longest common subsequence of the two type sequences."""
    table = [[0] * (len(found) + 1) for _ in range(len(gold) + 1)]
    for i, g in enumerate(gold):
        for j, f in enumerate(found):
            table[i + 1][j + 1] = table[i][j] + 1 if g == f else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def dictation_sections(entry: dict, text: str) -> tuple[int, int, int]:
    gold = [section_type(s["title"]) for s in entry["sections"]]
    doc = nlp()(text)
    found = [s.label_ for s in doc.spans["headings"]]
    return sections_in_order(gold, found), len(found), len(gold)


def mtsamples(limit: int | None) -> list[str]:
    with gzip.open(SHARED / "mtsamples" / "dev.csv.gz", "rt", encoding="utf-8") as handle:
        rows = [r["transcription"] for r in csv.DictReader(handle) if r["transcription"]]
    return rows[:limit] if limit else rows


def bench_mtsamples(limit: int | None) -> None:
    reports = mtsamples(limit)
    pipeline = nlp()
    tp = predicted = gold = 0
    began = time.perf_counter()
    docs = list(pipeline.pipe(reports, batch_size=32))
    wall = time.perf_counter() - began
    for text, doc in zip(reports, docs):
        truth = {m.start(1) for m in HEADER.finditer(text)}
        mine = {h.start_char for h in doc.spans["headings"] if h.text.rstrip(":").strip().isupper()}
        everything = {h.start_char for h in doc.spans["headings"]}
        tp += len(truth & mine)
        predicted += len(everything)
        gold += len(truth)
    p, r, f = f1(tp, predicted, gold)
    unmapped = [h for h, n in header_table() if n >= 5 and h.lower() not in lexicons.sections()[0]]
    print(f"MTSamples dev: {len(reports)} reports, {sum(map(len, reports)) / 1e6:.2f} M chars")
    print(f"  section headers P {p:.3f} R {r:.3f} F1 {f:.3f} ({gold} headers)")
    print(f"  headers seen >= 5 times without a canonical type: {len(unmapped)} {unmapped[:10]}")
    print(f"  throughput {len(reports) / wall:.1f} reports/s ({wall:.1f} s, spaCy pipeline incl. terms and context)")


def header_table() -> list[tuple[str, int]]:
    rows = (SHARED / "mtsamples" / "mtsamples_section_headers_freq.tsv").read_text().splitlines()[1:]
    return [(line.split("\t")[0], int(line.split("\t")[1])) for line in rows if line.strip()]


def bench_dictations(model: str) -> None:
    rows = []
    for dataset in ("dictations", "dictations-drugs"):
        for entry in manifest(dataset):
            plain, prompted = cached(model, "none", entry), cached(model, "lexicon", entry)
            if plain is None:
                continue
            rows.append((dataset, entry, plain, prompted))
    if not rows:
        sys.exit(f"no cached transcripts for {model}: run bench/transcripts.py first")
    print(f"\nDictations, model {model}: {len(rows)} files with a plain transcript")

    wer_raw, wer_after, marks_raw, marks_after = [], [], [], []
    said = done = 0
    tp = predicted = gold = 0
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
    mean = statistics.mean
    print(f"  WER vs written reference (words): raw {mean(wer_raw):.3f} -> after {mean(wer_after):.3f} "
          f"({1 - mean(wer_after) / mean(wer_raw):.0%} lower)")
    print(f"  WER incl. punctuation and paragraphs: raw {mean(marks_raw):.3f} -> after {mean(marks_after):.3f} "
          f"({1 - mean(marks_after) / mean(marks_raw):.0%} lower)")
    print(f"  spoken commands executed correctly: {done}/{said} = {done / said:.3f}")
    p, r, f = f1(tp, predicted, gold)
    print(f"  sections in dictations: P {p:.3f} R {r:.3f} F1 {f:.3f} ({gold} manifest headings)")

    both = [(d, e, pl, pr) for d, e, pl, pr in rows if d == "dictations-drugs" and pr is not None]
    total = sum(len(MENTIONS[e["id"]]) for _, e, _, _ in both)
    if not both:
        print("  drug names: no prompted transcripts cached for dictations-drugs")
        return
    score = {"raw": 0, "corrected": 0, "prompt": 0, "prompt+corrected": 0}
    fallbacks = 0
    for _, entry, plain, prompted in both:
        expected = MENTIONS[entry["id"]]
        score["raw"] += mentions_found(expected, plain.text)
        score["corrected"] += mentions_found(expected, dictate(plain.words, correct).text)
        score["prompt"] += mentions_found(expected, prompted.text)
        score["prompt+corrected"] += mentions_found(expected, dictate(prompted.words, correct).text)
        fallbacks += "vocabulary" in prompted.settings
    print(f"  drug names spelled right, dictations-drugs ({len(both)} files, {total} mentions): "
          + ", ".join(f"{k} {v / total:.3f}" for k, v in score.items()))
    print(f"  vocabulary prompt fell back or flagged lost speech on {fallbacks} of {len(both)} files")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--mtsamples-limit", type=int)
    args = parser.parse_args()
    bench_mtsamples(args.mtsamples_limit)
    bench_dictations(args.model)


if __name__ == "__main__":
    main()

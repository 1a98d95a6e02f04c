"""The secretary's worklist, measured on the dev dictations (issue 17).

    python bench/worklist.py            # also run by bench/clinical.py
    python bench/worklist.py --misses   # every task missed or made up, with its words
    python bench/worklist.py --model tiny.en   # the dictated letters of another model's transcripts

Tasks: what pipeline/language/tasks.py reads from each dev reference (the written letter)
against bench/follow_ups.json, labelled by hand from the same references. A found task
matches a labelled one of the same kind whose words it overlaps. Precision, recall, and
the due date exact over the matched tasks (a task with no stated time must have none).
The same is measured on the letters as dictated (Whisper transcripts cached by
bench/verify.py, after the language stage), matched there by kind and due date.

Codes: the conditions a billing sheet would carry (pipeline/desk/billing.confirmed) on
each reference, each checked against the sentence it comes from: none may be negated,
a family member's, or uncertain ("probable", "rule out", "possible").
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections import Counter
from pathlib import Path

from dateutil.relativedelta import relativedelta

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from transcripts import SHARED, manifest  # noqa: E402

from pipeline.desk.billing import confirmed  # noqa: E402
from pipeline.language import tasks as tasks_  # noqa: E402
from pipeline.language.clinical import analyse, nlp  # noqa: E402

LABELS = json.loads((REPO / "bench" / "follow_ups.json").read_text())["letters"]
DAY = dt.date(2026, 3, 2)  # a Monday; every due date counts from it
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Words that make a condition uncertain, negated or somebody else's, looked for just before it.
DOUBT = re.compile(r"\b(?:no|not|denies|without|negative for|free of|ruled? out|rule out|probable|probably|possible|"
                   r"possibly|suspected|suspect|likely|questionable|versus|vs|to evaluate|evaluate for|evaluation for|referred for evaluation|work-?up for|screen(?:ing)? for|family history|mother|father|"
                   r"sister|brother)\b[^.;:]{0,40}$", re.IGNORECASE)


def labelled_due(due: str | None) -> str | None:
    """The label's due ('2 weeks', 'thursday') as a date from DAY: independent of tasks.py."""
    if due is None:
        return None
    if due in WEEKDAYS:
        return (DAY + dt.timedelta(days=(WEEKDAYS.index(due) - DAY.weekday() - 1) % 7 + 1)).isoformat()
    count, unit = due.split()
    return (DAY + relativedelta(**{unit if unit.endswith("s") else unit + "s": int(count)})).isoformat()


def match_reference(text: str, gold: list[dict], found: list[dict]) -> tuple[list, list, list]:
    """(matched pairs, missed labels, made-up tasks)."""
    spans = [[(text.index(e), text.index(e) + len(e)) for e in g["evidence"]] for g in gold]
    free = list(found)
    pairs, missed = [], []
    for g, g_spans in zip(gold, spans):
        hit = next((f for f in free if f["kind"] == g["kind"]
                    and any(f["start"] < b and a < f["end"] for a, b in g_spans)), None)
        if hit is None:
            missed.append(g)
        else:
            free.remove(hit)
            pairs.append((g, hit))
    return pairs, missed, free


def references() -> dict[str, str]:
    return {e["id"]: e["reference_text"] for name in ("dictations", "dictations-drugs") for e in manifest(name)}


def bench_tasks(misses: bool) -> dict[str, float]:
    texts = references()
    pairs, missed, extra = [], [], []
    for letter, gold in LABELS.items():
        found = tasks_.extract(nlp()(texts[letter]), DAY)
        p, m, x = match_reference(texts[letter], gold, found)
        pairs += p
        missed += [(letter, g) for g in m]
        extra += [(letter, f) for f in x]
    exact = sum(labelled_due(g["due"]) == f["due"] for g, f in pairs)
    dated = [(g, f) for g, f in pairs if g["due"]]
    figures = {"labelled": sum(map(len, LABELS.values())), "found": len(pairs) + len(extra), "matched": len(pairs),
               "precision": len(pairs) / max(1, len(pairs) + len(extra)),
               "recall": len(pairs) / max(1, len(pairs) + len(missed)),
               "due_exact": exact / max(1, len(pairs)),
               "due_exact_dated": sum(labelled_due(g["due"]) == f["due"] for g, f in dated) / max(1, len(dated))}
    print(f"Tasks on the {len(LABELS)} dev references ({figures['labelled']} labelled, {figures['found']} found): "
          f"precision {figures['precision']:.3f} recall {figures['recall']:.3f}, due date exact "
          f"{figures['due_exact']:.3f} of matched ({figures['due_exact_dated']:.3f} of the {len(dated)} with a time)")
    by_kind = Counter(g["kind"] for g, _ in pairs)
    print("  matched by kind: " + ", ".join(f"{k} {by_kind[k]}" for k in tasks_.KINDS))
    if misses:
        for letter, g in missed:
            print(f"  missed  {letter} {g['kind']:9} {g['due']}: {g['evidence'][0]}")
        for letter, f in extra:
            print(f"  made up {letter} {f['kind']:9} {f['when']}: {f['what'][:100]}")
        for g, f in pairs:
            if labelled_due(g["due"]) != f["due"]:
                print(f"  due     {g['kind']:9} labelled {g['due']}, read {f['when']}: {f['what'][:90]}")
    return figures


def bench_dictated(model: str) -> dict[str, float] | None:
    """The same tasks read from the letters as dictated: Whisper's transcript (cached by
    bench/verify.py) after the language stage. Words differ there, so a found task matches a
    labelled one of the same kind in the same letter, its due date compared after."""
    from pipeline.language.correction import correct
    from pipeline.language.dictation import dictate
    from pipeline.records import Transcript

    found_n = gold_n = matched = exact = letters = 0
    for letter, gold in LABELS.items():
        path = REPO / "bench" / ".cache" / "verify" / model / f"{letter}.json"
        if not path.exists():
            continue
        letters += 1
        words = Transcript.from_dict(json.loads(path.read_text())["transcript"]).words
        dictated = dictate(words, correct)
        found = tasks_.extract(nlp()(dictated.text), DAY)
        free = list(found)
        for g in gold:
            hit = next((f for f in free if f["kind"] == g["kind"] and f["due"] == labelled_due(g["due"])), None) \
                or next((f for f in free if f["kind"] == g["kind"]), None)
            if hit:
                free.remove(hit)
                matched += 1
                exact += hit["due"] == labelled_due(g["due"])
        found_n, gold_n = found_n + len(found), gold_n + len(gold)
    if not letters:
        print(f"Tasks in the dictated letters: no transcripts cached for {model} (run bench/verify.py --model {model})")
        return None
    print(f"Tasks in the {letters} letters as dictated (model {model}): precision {matched / max(1, found_n):.3f} "
          f"recall {matched / max(1, gold_n):.3f}, due date exact {exact / max(1, matched):.3f} of matched")
    return {"precision": matched / max(1, found_n), "recall": matched / max(1, gold_n)}


def bench_codes(misses: bool) -> dict[str, float]:
    """Every code the billing sheet would carry, checked against the words just before its condition."""
    texts = references()
    billed = doubtful = 0
    for letter, text in texts.items():
        analysis = analyse(text, {}, DAY)
        for code, condition in confirmed(analysis):
            term = next(t for t in analysis.terms if t.code == code and t.type == "condition"
                        and not (t.negated or t.family or t.possible or t.historical))
            sentence_start = max(text.rfind(".", 0, term.start), text.rfind("\n", 0, term.start)) + 1
            billed += 1
            if DOUBT.search(text[sentence_start:term.start]):
                doubtful += 1
                if misses:
                    print(f"  doubtful code {letter} {code} {condition}: …{text[sentence_start:term.end][-90:]}")
    print(f"Billing codes on the {len(texts)} dev references: {billed} billed, {doubtful} from a negated, family or "
          f"uncertain mention (precision {1 - doubtful / max(1, billed):.3f})")
    return {"billed": billed, "doubtful": doubtful}


def held_out(seed: int, count: int = 20) -> None:
    """Print the tasks found in ``count`` MTSamples dev reports that no dictation was made from
    (shuffled with ``seed``; those whose last 700 characters mention a follow-up, a return, a
    referral, a schedule or a recheck), with each report's end, for judging by hand."""
    import csv
    import gzip
    import random

    used = {e["source_sample_name"] for name in ("dictations", "dictations-drugs") for e in manifest(name)}
    with gzip.open(SHARED / "mtsamples" / "dev.csv.gz", "rt", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["transcription"] and r.get("sample_name") not in used]
    random.Random(seed).shuffle(rows)
    cue = re.compile(r"follow|return|refer|schedul|recheck", re.IGNORECASE)
    for i, row in enumerate([r for r in rows if cue.search(r["transcription"][-700:])][:count]):
        text = row["transcription"]
        print(f"##### {i} {row.get('sample_name')}\n  end: {' '.join(text[-700:].split())}")
        for t in tasks_.extract(nlp()(text), DAY):
            print(f"   -> {t['kind']} {t['when']} {t['with']} | {t['what'][:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--held-out", type=int, metavar="SEED", help="print the tasks of 20 other MTSamples reports "
                                                                      "for judging by hand (seeds 31 and 41 in the README)")
    parser.add_argument("--model", default="base", help="whose cached transcripts to read for the dictated letters")
    args = parser.parse_args()
    if not (SHARED / "dictations").is_dir():
        sys.exit(f"no dev dictations at {SHARED}: the worklist bench needs ../shared/data")
    if args.held_out is not None:
        held_out(args.held_out)
        return
    bench_tasks(args.misses)
    bench_dictated(args.model)
    bench_codes(args.misses)


if __name__ == "__main__":
    main()

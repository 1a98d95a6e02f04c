"""The spoken preamble, however Whisper heard it (issue 13, item 5).

    python bench/preamble.py --model base

Reads the transcripts bench/verify.py collected (bench/.cache/verify/<model>/, made with the
product's defaults) and checks, for each of the 60 dev dictations, what the language stage
took from its preamble against the manifest: author, patient, date of birth and letter kind
exact, and whether any of the preamble was left in the letter body (target 0). The figures
are the ones the issue names; the rules live in models/preamble.toml and models/letters.toml.

Then again with the practice's registers (pipeline/language/identity.py): the authors are the
manifest's physicians (a practice knows its own); the patient register holds the manifest's
patients among decoys a practice's list would have: every other first-name/surname pairing
of the same names, each with a random date of birth (so alike names compete). It prints how
many header fields end up with a check on the secretary's list, and how many of those
were really wrong (and how many wrong fields went unchecked: the ones that matter).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from transcripts import manifest  # noqa: E402

from pipeline.records import Transcript  # noqa: E402

CACHE = REPO / "bench" / ".cache" / "verify"
DATASETS = ("dictations", "dictations-drugs")
# The manifest's kinds as the letter kinds (pipeline/letters/kinds.py) a draft gets.
KINDS = {"consultation": "consultation_reply", "clinic note": "progress_note", "discharge summary": "discharge_summary",
         "letter": None}  # a plain "letter" is decided by its body; not scored


def left_in_body(body: str) -> bool:
    """The letter body still opens with the preamble: "This is Dr ...", or its first sentence
    holds the verb or the date of birth ("... getting a letter for patient ..., date of birth")."""
    first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0].lower()
    return bool(re.match(r"this is (?:dr|doctor)\b", first) or re.search(r"\b(?:dictat\w*|date of birth)\b", first))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--show", action="store_true", help="print each miss")
    args = parser.parse_args()

    from pipeline.letters import kinds
    from pipeline.process import language

    from pipeline.language import identity

    entries = [e for dataset in DATASETS for e in manifest(dataset)]
    authors = tuple(identity.Person(a) for a in sorted({e["author"] for e in entries}))
    real = {(e["patient"], e["dob"]) for e in entries}
    rng = random.Random(13)
    firsts, lasts = sorted({p.split()[0] for p, _ in real}), sorted({p.split()[-1] for p, _ in real})
    decoys = {(f"{f} {s}", dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000))) for f in firsts for s in lasts}
    patients = tuple(identity.Person(p, d) for p, d in sorted(real))
    patients += tuple(identity.Person(p, d.isoformat()) for p, d in sorted(decoys) if p not in {q for q, _ in real})
    registered = {"author": 0, "patient": 0, "dob": 0}
    checked = {False: {"right": 0, "wrong": 0}, True: {"right": 0, "wrong": 0}}  # without / with registers
    unchecked_wrong = {False: 0, True: 0}

    right = {"author": 0, "patient": 0, "dob": 0, "kind": 0}
    kinds_scored = left = n = 0
    for dataset in DATASETS:
        for entry in manifest(dataset):
            path = CACHE / args.model / f"{entry['id']}.json"
            if not path.exists():
                sys.exit(f"{path} is absent: run bench/verify.py --model {args.model} first (it collects the transcripts)")
            transcript = Transcript.from_dict(json.loads(path.read_text())["transcript"])
            dictated, analysis = language(transcript, dt.date(2026, 1, 1))
            found = dictated.preamble
            n += 1
            misses = []
            for field in ("author", "patient", "dob"):
                if found.get(field, "").lower() == entry[field].lower():
                    right[field] += 1
                else:
                    misses.append(f"{field} {found.get(field)!r} for {entry[field]!r}")
            wanted = KINDS.get(entry["kind"])
            if wanted:
                kinds_scored += 1
                got = kinds.choose([found.get("letter_type")], dictated.text, None, found.get("patient")).key
                right["kind"] += got == wanted
                if got != wanted:
                    misses.append(f"kind {got} for {wanted}")
            for with_registers in (False, True):
                who = identity.resolve(found.get("author"), found.get("patient"), found.get("dob"), found.get("mrn"),
                                       authors if with_registers else (), patients if with_registers else ())
                for field in ("author", "patient", "dob"):
                    value = getattr(who, field) or ""
                    ok = value.lower() == entry[field].lower()
                    if with_registers:
                        registered[field] += ok
                    flagged = any(c.lower().startswith(field) or field.replace("dob", "date of birth") in c.lower().split(":")[0]
                                  for c in who.checks)
                    if flagged:
                        checked[with_registers]["right" if ok else "wrong"] += 1
                    elif not ok:
                        unchecked_wrong[with_registers] += 1
                        if args.show and with_registers:
                            misses.append(f"UNCHECKED wrong {field} {value!r}")
            if left_in_body(dictated.text):
                left += 1
                misses.append("preamble left in the body: " + dictated.text[:80])
            if args.show and misses:
                print(f"  {entry['id']}: " + "; ".join(misses) + f"\n      heard: {transcript.text[:150]!r}")
    print(f"Preambles, model {args.model}, {n} dev dictations:")
    for field in ("author", "patient", "dob"):
        print(f"  {field} exact: {right[field]}/{n} = {right[field] / n:.3f}")
    print(f"  letter kind right: {right['kind']}/{kinds_scored} = {right['kind'] / kinds_scored:.3f}")
    print(f"  preambles left in the body: {left} (target 0)")
    print(f"With the registers ({len(authors)} authors; {len(patients)} patients, {len(patients) - len(real)} of them decoys):")
    for field in ("author", "patient", "dob"):
        print(f"  {field} exact: {registered[field]}/{n} = {registered[field] / n:.3f}")
    for with_registers in (False, True):
        c = checked[with_registers]
        print(f"  header checks {'with' if with_registers else 'without'} registers: {c['right'] + c['wrong']} "
              f"of {3 * n} fields, {c['wrong']} of them really wrong; wrong and not checked: {unchecked_wrong[with_registers]}")


if __name__ == "__main__":
    main()

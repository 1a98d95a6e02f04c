"""The spoken preamble, however Whisper heard it (issue 13, item 5).

    python bench/preamble.py --model base

Reads the transcripts bench/verify.py collected (bench/.cache/verify/<model>/, made with the
product's defaults) and checks, for each of the 60 dev dictations, what the language stage
took from its preamble against the manifest: author, patient, date of birth and letter kind
exact, and whether any of the preamble was left in the letter body (target 0). The figures
are the ones the issue names; the rules live in models/preamble.toml and models/letters.toml.
"""
from __future__ import annotations

import argparse
import json
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

    import datetime as dt

    from pipeline.letters import kinds
    from pipeline.process import language

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


if __name__ == "__main__":
    main()

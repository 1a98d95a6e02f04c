"""Safety flags (issue 14): errors inserted into the dev transcripts, and the share caught.

    python bench/safety.py --model base [--limit N]

Each dev dictation's transcript (the product's recognition, cached by bench/verify.py) goes
through the language stage with the recording's scorer and speech, as the worker runs it:
once clean, then once per kind of error inserted into what the recogniser wrote, as a
recogniser would have made it:
- sound-alike: a medicine on the ISMP list replaced by its twin;
- side: "left" for "right" and the reverse;
- unit: "milligrams"/"mg" for "micrograms"/"mcg" and the reverse, after a medicine;
- negation: a "no"/"not"/"denies"/"without" up to three words before a finding, removed;
- omission: a sentence of four words or more (not the preamble's) removed.
Errors of one kind in one letter are at least 12 s apart (one scorer passage is 8 s), at
most one variant per kind and letter. An error is caught when a flag of its kind covers its
time (0.5 s either side; a dropped cue, the finding after it). Printed: caught / inserted per
kind and the safety flags per 100 words of the clean drafts, at the shipped thresholds, then
for the audio checks at other margins and for omissions at other lengths (the checks run once,
with their thresholds opened wide, each flag keeping its lead: the sweep costs nothing more). The encoder's output is computed once per
recording and shared by all its variants, as it would be in one recognition.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench"), str(REPO / "tests")]

from live import SharedPieces  # noqa: E402
from transcripts import SHARED, manifest  # noqa: E402

from pipeline.records import Transcript, Word  # noqa: E402

CACHE = REPO / "bench" / ".cache" / "verify"
DATASETS = ("dictations", "dictations-drugs")
SPACING_S = 12.0
KINDS = ("sound-alike", "laterality", "dose", "negation", "omission")
UNIT_SWAP = {"milligrams": "micrograms", "micrograms": "milligrams", "mg": "mcg", "mcg": "mg",
             "milligram": "microgram", "microgram": "milligram"}
CUES = {"no", "not", "denies", "without"}


def bare(word: Word) -> str:
    return re.sub(r"[^\w-]", "", word.text).lower()


def with_words(transcript: Transcript, words: list[Word]) -> Transcript:
    """The transcript with its words replaced, as one segment per original segment's time."""
    segments = []
    for s in transcript.segments:
        inside = tuple(w for w in words if s.start - 0.01 <= w.start < s.end + 0.01)
        segments.append(replace(s, words=inside, text="".join(w.text for w in inside)))
    return replace(transcript, segments=tuple(segments))


def spaced(candidates: list[tuple[int, ...]], words: list[Word]) -> list[list[tuple[int, ...]]]:
    """One variant: the candidates, each SPACING_S from the one before (the rest are left out)."""
    variants = []
    left = list(candidates)
    while left and len(variants) < 1:
        chosen, rest, last = [], [], -1e9
        for c in left:
            if words[c[0]].start - last >= SPACING_S:
                chosen.append(c)
                last = words[c[0]].start
            else:
                rest.append(c)
        variants.append(chosen)
        left = rest
    return variants


def insertions(words: list[Word], analysis) -> dict[str, list[tuple[list[Word], list[tuple[float, float]]]]]:
    """Per kind, variants: (the words with the errors in, the time span of each error)."""
    from pipeline.language.safety.soundalike import twins

    out = defaultdict(list)
    sentence_ends = [k for k, w in enumerate(words) if w.text.rstrip().endswith((".", "?", "!"))]
    negated = {t.text.lower().split()[0] for t in analysis.terms if t.type == "condition" and t.negated}
    finding_words = {t.text.lower().split()[0] for t in analysis.terms if t.type == "condition"}

    def swap(k, text):
        w = words[k]
        lead = w.text[:len(w.text) - len(w.text.lstrip())]
        tail = w.text[len(w.text.rstrip(".,;:?!")):]
        return replace(w, text=lead + text + tail)

    sound = [(k,) for k, w in enumerate(words) if bare(w) in twins()]
    sides = [(k,) for k, w in enumerate(words) if bare(w) in ("left", "right")]
    units = [(k,) for k, w in enumerate(words) if bare(w) in UNIT_SWAP and k >= 2]
    findings = finding_words | negated
    cues = [(k,) for k, w in enumerate(words[:-1]) if bare(w) in CUES
            and any(bare(x) in findings for x in words[k + 1:k + 4])]  # "no lower extremity edema"
    sentences = [tuple(range(a + 1, b + 1)) for a, b in zip(sentence_ends, sentence_ends[1:]) if b - a >= 4
                 and words[a + 1].start > 10.0]
    for kind, found in (("sound-alike", sound), ("laterality", sides), ("dose", units), ("negation", cues),
                        ("omission", sentences)):
        for variant in spaced(found, words):
            changed, spans = list(words), []
            drop = set()
            for c in variant:
                k = c[0]
                # a dropped cue is caught by a flag on the finding it negated, up to three words on
                last = min(c[-1] + 3, len(words) - 1) if kind == "negation" else c[-1]
                spans.append((words[c[0]].start, words[last].end))
                if kind == "sound-alike":
                    changed[k] = swap(k, twins()[bare(words[k])][0])
                elif kind == "laterality":
                    changed[k] = swap(k, "right" if bare(words[k]) == "left" else "left")
                elif kind == "dose":
                    changed[k] = swap(k, UNIT_SWAP[bare(words[k])])
                else:
                    drop |= set(c)
            out[kind].append(([w for k, w in enumerate(changed) if k not in drop], spans))
    return out


AUDIO_KINDS = ("laterality", "dose", "negation")  # the checks with a margin in rules.toml
SWEEP = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
GAPS = (1.0, 1.25, 1.5, 2.0, 2.5)  # omission: shortest stretch of unworded speech flagged, seconds
NEVER = float("inf")


def lead_at(flags, kind: str, span: tuple[float, float]) -> float:
    """The lowest lead of the flags of this kind covering the span: a text check's flag has
    none (-inf: flagged at any margin); no flag, +inf (never flagged)."""
    leads = [value(f) for f in flags
             if f.kind == kind and f.start is not None and f.start - 0.5 <= span[1] and span[0] <= f.end + 0.5]
    return min(leads, default=NEVER)


def value(flag) -> float:
    """What a flag's threshold is judged on: an audio check's lead; an omission's length,
    negated (flagged at min_gap g when -length <= -g); a text check's -inf."""
    if flag.kind == "omission":
        return -(flag.end - flag.start)
    return -NEVER if flag.lead is None else flag.lead


def widened():
    """The audio checks' margins opened wide, so every reading's lead is kept on its flag and
    each margin can be judged afterwards from the leads (a flag is raised at margin m when
    its lead is m or less)."""
    import copy

    from pipeline.language.safety import common, doses, laterality, negation

    from pipeline.language.safety import omission

    shipped = common.rules()
    wide = copy.deepcopy(shipped)
    for kind in AUDIO_KINDS:
        wide[kind]["margin"] = 1e6
    wide["omission"]["min_gap_s"] = min(GAPS)
    for module in (doses, laterality, negation, omission):
        module.rules = lambda: wide
    return {kind: shipped[kind]["margin"] for kind in AUDIO_KINDS} | {"omission": -shipped["omission"]["min_gap_s"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="base")
    parser.add_argument("--limit", type=int, default=0, help="only the first N dictations of each set")
    parser.add_argument("--kinds", default=",".join(KINDS), help="only these kinds of error, comma-separated")
    parser.add_argument("--misses", type=Path, help="write the errors missed at the shipped margins here (JSON)")
    args = parser.parse_args()

    from pipeline.asr.audio import decode
    from pipeline.cli.common import engine_for
    from pipeline.config import Settings
    from pipeline.language import safety
    from pipeline.language.vocabulary import speech
    from pipeline.process import language

    engine = engine_for(Settings(model=args.model))
    whisper = engine._whisper
    entries = [(d, e) for d in DATASETS for e in manifest(d)[:args.limit or None]]
    margins = widened()
    kinds = args.kinds.split(",")
    misses = []
    inserted, clean_flags, clean_words, costs = defaultdict(list), [], 0, []
    began, letters = time.perf_counter(), 0
    day = dt.date(2026, 1, 1)

    def one(item):
        """One dictation: its clean letter, then each kind's variant; counted once it is done."""
        dataset, entry = item
        cached = CACHE / args.model / f"{entry['id']}.json"
        transcript = Transcript.from_dict(json.loads(cached.read_text())["transcript"])
        audio = decode(SHARED / dataset / entry["audio"])
        words = list(transcript.words)
        shared = SharedPieces(whisper, audio, words)
        heard_speech = speech(audio)
        dictated, analysis = language(transcript, day, shared.scorer(transcript.language, words), heard_speech)
        # the cost: the clean letter's audio checks again, on a scorer of their own
        alone = shared.scorer(transcript.language, words)
        safety.check(dictated, analysis, alone, heard_speech, [(w.start, w.end) for w in words])
        collected = json.loads(cached.read_text())
        out = dict(words=sum(1 for t in dictated.tokens if t.kind == "word"),
                   clean=[(f.kind, value(f)) for f in analysis.safety],
                   inserted=defaultdict(list), letters=1,
                   cost=(alone.readings, collected["readings"], collected["scoring_s"], collected["recognition_s"]))
        for kind, variants in insertions(words, analysis).items():
            if kind not in kinds:
                continue
            for changed, spans in variants:
                _, found = language(with_words(transcript, changed), day, shared.scorer(transcript.language, changed),
                                    heard_speech)
                out["letters"] += 1
                leads = [lead_at(found.safety, kind, span) for span in spans]
                out["inserted"][kind] += leads
                for span, lead in zip(spans, leads):
                    if lead > margins.get(kind, 0.0):  # missed at the shipped margin: what was around it
                        near = [w.text for w in changed if span[0] - 4 <= w.start <= span[1] + 3]
                        misses.append(dict(id=entry["id"], kind=kind, at=round(span[0], 2), lead=lead,
                                           text="".join(near), flags=[(f.start, f.end, f.lead, f.reason)
                                                                      for f in found.safety if f.kind == kind]))
        return entry["id"], out

    missing = [e["id"] for _, e in entries if not (CACHE / args.model / f"{e['id']}.json").exists()]
    if missing:
        sys.exit(f"{missing[0]} is not in {CACHE / args.model}: run python bench/verify.py --model {args.model} first")
    with ThreadPoolExecutor(2) as pool:  # the engine's two recognisers: CTranslate2 runs one call each at once
        for name, out in pool.map(one, entries):
            for kind, leads in out["inserted"].items():
                inserted[kind] += leads
            clean_flags += out["clean"]
            clean_words += out["words"]
            letters += out["letters"]
            costs.append(out["cost"])
            print(f"  {name}: " + ", ".join(f"{k} {len(out['inserted'][k])}" for k in KINDS) + " inserted", flush=True)
    print(f"\n{len(entries)} dev dictations, {args.model}; {letters} letters through the language stage in "
          f"{time.perf_counter() - began:.0f} s")
    margin = lambda kind: margins.get(kind, 0.0)  # noqa: E731  (the text checks have no margin: 0 >= -inf)
    print("inserted errors flagged, at the margins of models/clinical/safety/rules.toml:")
    for kind in KINDS:
        caught = sum(lead <= margin(kind) for lead in inserted[kind])
        print(f"  {kind:12s} {caught:4d} / {len(inserted[kind]):4d} = {caught / max(len(inserted[kind]), 1):.3f}"
              + (f"   (margin {margins[kind]:g} nats)" if kind in AUDIO_KINDS else "")
              + (f"   (speech of {-margins[kind]:g} s or more)" if kind == "omission" else ""))
    kept = [(k, lead) for k, lead in clean_flags if lead <= margin(k)]
    print(f"clean drafts: {len(kept)} safety flags on {clean_words} words = {100 * len(kept) / clean_words:.2f} per 100 words")
    for kind in KINDS:
        n = sum(k == kind for k, _ in kept)
        print(f"  {kind:12s} {n:4d} = {100 * n / clean_words:.2f} per 100 words")
    ours, theirs, scoring, recognition = (sum(c[k] for c in costs) for k in range(4))
    print(f"cost: the audio checks ask {ours} readings on the clean letters ({ours / len(costs):.0f} a letter; the "
          f"corrections' check asked {theirs}), about {ours * scoring / max(theirs, 1):.0f} s against {recognition:.0f} s "
          f"of recognition wall = {100 * ours * scoring / max(theirs, 1) / recognition:.1f} % (pro rata of the "
          f"readings, as bench/verify.py counts its own cost)")
    if args.misses:
        args.misses.write_text(json.dumps(misses, indent=1, default=str), encoding="utf-8")
    print("\nthe audio checks at other margins (nats): inserted errors flagged, and clean flags per 100 words")
    print("  margin      " + "".join(f"{m:>14g}" for m in SWEEP))
    for kind in AUDIO_KINDS:
        cells = []
        for m in SWEEP:
            share = sum(lead <= m for lead in inserted[kind]) / max(len(inserted[kind]), 1)
            clean = sum(k == kind and lead <= m for k, lead in clean_flags)
            cells.append(f"{share:6.3f} / {100 * clean / clean_words:4.2f}")
        print(f"  {kind:12s}" + "".join(f"{c:>14s}" for c in cells))
    print("  omission, shortest unworded speech flagged (s): " + ", ".join(
        f"{g:g}: {sum(v <= -g for v in inserted['omission']) / max(len(inserted['omission']), 1):.3f} / "
        f"{100 * sum(k == 'omission' and v <= -g for k, v in clean_flags) / clean_words:.2f}" for g in GAPS))


if __name__ == "__main__":
    main()

"""A second look at doubtful windows (issue 13, item 3): what it could win, before building it.

    python bench/second_look.py --model base     # needs bench/verify.py's collection for the model

Every drug mention of the 48 drug-rich dev dictations that the checked letter still has
wrong, inside a phrase the correction stage proposed names for, is decoded again: the
stretch of audio (the phrase, a second either side) with the proposal's names as hotwords
(as CB-Whisper prompts a frozen Whisper with retrieved entities), and, to bound what better
retrieval could add, with the right name put in the hotwords too ("oracle"). Counted: the
mentions the re-decode spells right, and, on the proposals where the reference holds no
drug, how often the re-decode writes one of the names anyway (a wrong name the second look
would have to reject). Nothing here is taken into the product.
"""
from __future__ import annotations

import argparse
import difflib
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench"), str(REPO / "tests")]

from scoring import letter_words, mention_places  # noqa: E402
from transcripts import SHARED  # noqa: E402
from verify import MENTIONS, Replay, collect, holds  # noqa: E402

PAD_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    args = parser.parse_args()

    from conftest import words

    from pipeline.asr.audio import SAMPLE_RATE, decode
    from pipeline.cli.common import engine_for
    from pipeline.config import Settings
    from pipeline.language import correction
    from pipeline.language.dictation import prepare
    from pipeline.language.verify import verified

    rows = [r for r in collect(args.model) if r["dataset"] == "dictations-drugs"]
    whisper = engine_for(Settings(model=args.model))._whisper
    rules = correction.CorrectionRules()
    out, began, decodes = Counter(), time.perf_counter(), 0

    def redecode(audio, start, end, names) -> str:
        nonlocal decodes
        decodes += 1
        clip = audio[max(0, int((start - PAD_S) * SAMPLE_RATE)):int((end + PAD_S) * SAMPLE_RATE)]
        segments, _ = whisper.transcribe(clip, language="en", beam_size=2, hotwords=", ".join(names),
                                         condition_on_previous_text=False, vad_filter=False, without_timestamps=True)
        return " ".join(s.text for s in segments)

    for row in rows:
        audio = decode(SHARED / "dictations-drugs" / row["entry"]["audio"])
        tokens, _, _ = prepare(row["transcript"].words)
        hyp, owner = letter_words(tokens)
        ref = words(row["entry"]["reference_text"])
        ops = difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes()
        replay = Replay(row["scores"], row["lengths"])
        # each token's proposals, and what the checked letter made of them
        at = {}
        for i in range(len(tokens)):
            found = list(correction.proposals(tokens, i, rules))
            if found:
                fixed = verified(tokens, i, iter(found), replay, correction.familiar)
                at[i] = (found, fixed[0][0].text if fixed and fixed[0][0].heard is not None else None)
        mentioned = set()
        for name, place in mention_places(ref, MENTIONS[row["entry"]["id"]]):
            op, _, _, b1, b2 = next(o for o in ops if o[1] <= place < max(o[2], o[1] + 1))
            if op == "equal":
                continue
            span = {owner[j] for j in range(b1, b2)}
            near = [(i, p, made) for i, (found, made) in at.items() for p in found if span & set(range(i, i + p.n))]
            mentioned |= {i for i, _, _ in near}
            if not near:
                continue
            if any(made and made.lower() == name.lower() for _, _, made in near):
                out["fixed already by the check"] += 1
                continue
            out["wrong, in a proposed phrase"] += 1
            i, p, _ = near[0]
            names = [d.name for d, _, _ in p.names]
            if holds(redecode(audio, p.start, p.end, names), name):
                out["second look right (proposal's names)"] += 1
            if holds(redecode(audio, p.start, p.end, list(dict.fromkeys([*names, name]))), name):
                out["second look right (the right name added: oracle)"] += 1
        for i, (found, made) in at.items():
            if i in mentioned or made:
                continue
            p = found[0]
            names = [d.name for d, _, _ in p.names]
            if any(holds(row["entry"]["reference_text"], n) for n in names):
                continue  # a name the letter holds elsewhere: not a clean no-drug window
            out["proposals with no drug behind them"] += 1
            if any(holds(redecode(audio, p.start, p.end, names), n) for n in names):
                out["  ... where the second look writes a name"] += 1
        print(f"  {row['entry']['id']}: {dict(out)}", flush=True)
    mentions = sum(len(MENTIONS[r["entry"]["id"]]) for r in rows)
    print(f"\n{args.model}, {len(rows)} drug-rich dictations, {mentions} mentions; {decodes} re-decodes in "
          f"{time.perf_counter() - began:.0f} s")
    for what, n in out.items():
        print(f"{n:5d}  {what}")


if __name__ == "__main__":
    main()

"""Corrections checked against the audio: a drug name replaces what Whisper wrote only if
the recording supports it.

Text alone proposes ("Prodynx" is spelled like Protonix, Pradaxa and Prodine); the
recogniser decides between the proposals and what it heard (``pipeline/asr/scorer.py``:
each reading's summed log probability for the stretch's audio, the names given as a
prompt). The decision weighs three things, with weights fitted on the dev dictations by
``bench/verify.py`` and kept in ``models/clinical/verify.toml``:
- how much better the best name fits the audio than the heard text (nats), each token of a
  reading given a fitted allowance (``token_bonus``): a summed log probability charges every
  token, so without it a shorter name wins on length alone (Pradax over the spoken Protonix);
- how much better it fits than the next name (a near-tie between names is a guess);
- its text score (spelling and sound likeness, popularity), and whether letters often hold it.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from typing import Iterator, Sequence

from ..files import models_dir, once
from ..records import Token

CLIP = 15.0  # nats: beyond this either way, the audio has spoken


@dataclass(frozen=True)
class Proposal:
    """A doubtful phrase and the names it may be."""

    n: int  # tokens it spans
    heard: str
    start: float
    end: float
    names: tuple  # ((drug, likeness, score), ...), best text score first


@dataclass(frozen=True)
class VerifyRules:
    floor: float  # text score a name needs to be put to the audio at all
    candidates: int  # names put to the audio per phrase
    token_bonus: float  # nats allowed per token of a reading, fitted with the weights
    bias: float
    support: float  # weight of (name − heard), nats, clipped
    margin: float  # weight of (name − next name), nats, clipped
    text: float  # weight of the text score
    familiar: float  # weight of "letters often hold it"
    accept: float  # probability needed
    doubt: float  # probability above which a name not accepted is still worth a flag
    prior_weight: float = 0.0  # nats of audio score per nat of the practice's trigram prior


@once
def rules() -> VerifyRules:
    data = tomllib.loads((models_dir() / "clinical" / "verify.toml").read_text(encoding="utf-8"))
    return VerifyRules(**data["rules"], **data["weights"])


def adjusted(scores: Sequence[float], lengths: Sequence[int], bonus: float) -> list[float]:
    """The readings' scores with each token's allowance: comparable across lengths."""
    return [s + bonus * n for s, n in zip(scores, lengths)]


def features(verdict_scores: Sequence[float], names: tuple, familiar) -> tuple[int, list[float]]:
    """The best-fitting name's index and its features: support, margin, text score, familiar.
    ``verdict_scores``: the heard text's then each name's (``adjusted``)."""
    heard, rest = verdict_scores[0], list(verdict_scores[1:])
    best = max(range(len(rest)), key=lambda k: rest[k])
    others = [s for k, s in enumerate(rest) if k != best]
    support = max(-CLIP, min(CLIP, rest[best] - heard))
    margin = max(-CLIP, min(CLIP, rest[best] - max(others))) if others else CLIP
    drug, _, score = names[best]
    return best, [support, margin, score, 1.0 if familiar(drug) else 0.0]


def probability(x: list[float], r: VerifyRules) -> float:
    z = r.bias + r.support * x[0] + r.margin * x[1] + r.text * x[2] + r.familiar * x[3]
    return 1 / (1 + math.exp(-z))


def verified(tokens: list[Token], i: int, proposals: Iterator[Proposal], scorer, familiar,
             prior=None) -> tuple[list[Token], int] | None:
    """The first proposal (longest phrase first) whose best name the audio supports, as the
    token replacing its phrase. When none is, but one came near (``doubt``), the phrase's
    words stay as heard, marked with that name: a flag worth a listen. ``prior``: the
    practice's trigram model (``Practice.prior``), weighted beside the audio's scores."""
    r = rules()
    near = None
    for proposal in proposals:
        names = [d.name for d, _, _ in proposal.names]
        readings = [proposal.heard] + names
        scores = adjusted(scorer.compare(proposal.start, proposal.end, readings, prompt=names),
                          scorer.lengths(readings), r.token_bonus)
        if prior is not None and r.prior_weight:
            before = [t.text for t in tokens[max(0, i - 2):i] if t.kind == "word"]
            after = [t.text for t in tokens[i + proposal.n:i + proposal.n + 1] if t.kind == "word"]
            scores = [s + r.prior_weight * prior(before, reading, after) for s, reading in zip(scores, readings)]
        best, x = features(scores, proposal.names, familiar)
        p = probability(x, r)
        if p >= r.accept:
            return [Token.replacing(tokens[i:i + proposal.n], proposal.names[best][0].name, proposal.heard,
                                    round(x[0], 1))], proposal.n
        if p >= r.doubt and (near is None or p > near[0]):
            near = (p, proposal.n, proposal.names[best][0].name)
    if near is None:
        return None
    _, n, name = near
    return [replace(t, doubt=name) for t in tokens[i:i + n]], n

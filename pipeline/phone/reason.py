"""Why the caller rang (``models/phone/reasons.toml``): the reason whose cues weigh most."""
from __future__ import annotations

import re
import tomllib

from ..files import models_dir, once

REASONS = ("appointment", "refill", "results", "referral", "billing", "records", "clinical", "other")
RED_FLAG_WEIGHT = 3  # a red flag heard is a clinical cue


@once
def _rules() -> list[tuple[str, int, tuple[re.Pattern, ...]]]:
    data = tomllib.loads((models_dir() / "phone" / "reasons.toml").read_text(encoding="utf-8"))
    return [(name, int(r["weight"]), tuple(re.compile(p) for p in r["patterns"])) for name, r in data.items()]


def reason(text: str, red_flags: int = 0) -> tuple[str, dict[str, int]]:
    """The reason, and every reason's score (for the bench and for a curious reader)."""
    flat = text.lower().replace("’", "'")
    scores = {name: weight * sum(1 for p in patterns if p.search(flat)) for name, weight, patterns in _rules()}
    scores["clinical"] = scores.get("clinical", 0) + RED_FLAG_WEIGHT * red_flags
    best = max(scores.items(), key=lambda kv: kv[1], default=("other", 0))  # ties: the earlier in reasons.toml
    return (best[0] if best[1] > 0 else "other"), scores

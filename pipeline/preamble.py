"""Author, letter type and patient from the dictation's spoken preamble (rules in models/preamble.toml)."""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache

from .weights import models_dir


@lru_cache(maxsize=1)
def _rules() -> tuple[int, tuple[re.Pattern, ...], dict[str, str]]:
    data = tomllib.loads((models_dir() / "preamble.toml").read_text(encoding="utf-8"))
    patterns = tuple(re.compile(p, re.IGNORECASE) for p in data["patterns"])
    return int(data.get("search_chars", 400)), patterns, {k.lower(): v for k, v in data["letter_types"].items()}


def _name(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def extract(text: str) -> dict[str, str]:
    """Return whichever of author, patient and letter_type the preamble states."""
    limit, patterns, types = _rules()
    head = text[:limit]
    for pattern in patterns:
        match = pattern.search(head)
        if not match:
            continue
        found = {k: v.strip() for k, v in match.groupdict().items() if v and v.strip()}
        if "letter_type" in found:
            kind = found.pop("letter_type").lower()
            if kind in types:
                found["letter_type"] = types[kind]
        for key in ("author", "patient"):
            if key in found:
                found[key] = _name(found[key])
        return found
    return {}

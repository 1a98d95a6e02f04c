"""Sidecar metadata: ``<name>.json`` or ``<name>.yaml`` beside the audio, validated.

Fields a sidecar may give (all optional): author, patient, dob, mrn, letter_type,
recipient, priority (routine | urgent | stat), due (an ISO date or date-time), kind
(dictation | voicemail: a voicemail goes on the callback list, not into a letter).
Fields not given are left for the language stage to find in the dictation's preamble.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..errors import DictationError

SIDECAR_SUFFIXES = (".json", ".yaml", ".yml")
TEXT_FIELDS = ("author", "patient", "mrn", "letter_type", "recipient")
PRIORITIES = {"routine": 0, "normal": 0, "urgent": 1, "stat": 1}
KINDS = ("dictation", "voicemail")
ALIASES = {"date_of_birth": "dob", "type": "letter_type", "due_date": "due"}


class MetadataError(DictationError):
    pass


def find_sidecar(audio: Path) -> Path | None:
    for suffix in SIDECAR_SUFFIXES:
        candidate = audio.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def _date(value: Any, key: str, path: Path, with_time: bool) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        parsed = dt.datetime.fromisoformat(str(value)) if with_time else dt.date.fromisoformat(str(value))
    except ValueError:
        example = "2026-11-25 or 2026-11-25T16:00" if with_time else "1970-03-03"
        raise MetadataError(f"the sidecar's {key!r} is not a date: {value!r}", f"write it as {example}", path.name)
    return parsed.isoformat()


def load(path: Path) -> dict[str, Any]:
    """Read and validate a sidecar; any fault is a MetadataError naming the field and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except (UnicodeDecodeError, ValueError) as err:
        raise MetadataError(f"the sidecar cannot be read ({type(err).__name__}: {err})",
                            "save it as UTF-8 JSON or YAML with one 'field: value' per line", path.name)
    except Exception as err:  # yaml.YAMLError and friends
        raise MetadataError(f"the sidecar is not valid YAML ({err})", "fix the line named above", path.name)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MetadataError("the sidecar must be a set of 'field: value' pairs", "see the README for the fields", path.name)
    result: dict[str, Any] = {}
    allowed = (*TEXT_FIELDS, "dob", "priority", "due", "kind")
    for raw_key, value in data.items():
        key = ALIASES.get(str(raw_key).strip().lower(), str(raw_key).strip().lower())
        if key not in allowed:
            raise MetadataError(f"the sidecar has an unknown field {raw_key!r}",
                                f"use only: {', '.join(allowed)}", path.name)
        if value is None or value == "":
            continue
        if key in TEXT_FIELDS:
            if not isinstance(value, (str, int)):
                raise MetadataError(f"the sidecar's {key!r} must be text", f"write it as {key}: some text", path.name)
            result[key] = str(value).strip()
        elif key == "dob":
            result[key] = _date(value, key, path, with_time=False)
        elif key == "due":
            result[key] = _date(value, key, path, with_time=True)
        elif key == "kind":
            if str(value).strip().lower() not in KINDS:
                raise MetadataError(f"the sidecar's kind {value!r} is unknown", f"use one of: {', '.join(KINDS)}",
                                    path.name)
            result[key] = str(value).strip().lower()
        elif key == "priority":
            if str(value).strip().lower() not in PRIORITIES:
                raise MetadataError(f"the sidecar's priority {value!r} is unknown",
                                    f"use one of: {', '.join(PRIORITIES)}", path.name)
            result[key] = str(value).strip().lower()
    return result


def priority_of(meta: dict[str, Any]) -> int:
    """A voicemail goes before routine dictations: it is short, and it may be urgent."""
    if meta.get("kind") == "voicemail":
        return max(1, PRIORITIES.get(meta.get("priority", "urgent"), 1))
    return PRIORITIES.get(meta.get("priority", "routine"), 0)

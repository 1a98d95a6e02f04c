"""Transcript writers keyed by format name (txt, json, srt, vtt). docx is draft.py's job."""
from __future__ import annotations

import json

from ..records import Analysis, Transcript


def _stamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_txt(t: Transcript) -> str:
    return t.text + "\n"


def to_json(t: "Transcript | Analysis") -> str:
    return json.dumps(t.to_dict(), ensure_ascii=False, indent=1) + "\n"


def to_srt(t: Transcript) -> str:
    blocks = [
        f"{i}\n{_stamp(s.start, ',')} --> {_stamp(s.end, ',')}\n{s.text.strip()}\n"
        for i, s in enumerate(t.segments, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(t: Transcript) -> str:
    blocks = [f"{_stamp(s.start, '.')} --> {_stamp(s.end, '.')}\n{s.text.strip()}\n" for s in t.segments]
    return "WEBVTT\n\n" + "\n".join(blocks)


WRITERS = {"txt": to_txt, "json": to_json, "srt": to_srt, "vtt": to_vtt}
FORMATS = (*WRITERS, "docx")

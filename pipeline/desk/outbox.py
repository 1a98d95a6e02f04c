"""Everything the pipeline writes: atomic, owner-only, in the layout of ARCHITECTURE.md.

    drafts/<date>/<patient> - <letter type> - <author> - <time>.docx
    archive/<date>/<job id>/   original input, transcript.json, language.json (the letter's
                               tokens and analysis), draft.docx
    failed/<name> + <name>.error.txt
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ..records import LetterInfo

FILE_MODE = 0o600
DIR_MODE = 0o700
LANGUAGE_FILE = "language.json"  # in a job's archive: the language stage's output, read by the review page
# Characters Windows or macOS refuse in file names, and control characters.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def ensure_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents owner-only (mkdir's parents get the umask's mode)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)
    return path


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write to a temporary name in the same folder, then rename: never a half-written file."""
    ensure_dir(path.parent)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def safe_name(text: str) -> str:
    return _UNSAFE.sub("_", text).strip(" .") or "untitled"


def unique(path: Path) -> Path:
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        n += 1
    return candidate


def draft_path_base(outbox: Path, info: LetterInfo, hhmm: str) -> Path:
    """The readable name a draft gets; the worker adds " (2)" and so on when it is taken."""
    name = " - ".join((info.patient or "Unknown patient", info.letter_type, info.author or "Unknown author", hhmm))
    return outbox / "drafts" / info.dictated_on / f"{safe_name(name)}.docx"


def archive_path(outbox: Path, date: str, job_id: str) -> Path:
    return outbox / "archive" / date / job_id


def move(src: Path, dest: Path) -> Path:
    ensure_dir(dest.parent)
    dest = unique(dest)
    shutil.move(str(src), dest)
    os.chmod(dest, FILE_MODE)
    return dest


def fail(outbox: Path, src: Path, original_name: str, message: str) -> Path:
    """Set an input aside in failed/ with a plain-words reason beside it."""
    dest = move(src, outbox / "failed" / original_name)
    write_atomic(dest.with_name(dest.name + ".error.txt"), message.rstrip() + "\n")
    return dest

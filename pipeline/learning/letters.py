"""Past letters as text: Word documents and plain text, and who wrote each.

A letter's body is its paragraphs; its tables (the header's patient, date of birth, MRN)
are left out, since they are the patient's details and not the practice's language. The
author is the roster's physician whose name the letter holds (its signature); a letter
naming none of them, or more than one, counts for the practice only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import DictationError

SUFFIXES = (".docx", ".txt")


class LetterError(DictationError):
    pass


@dataclass(frozen=True)
class PastLetter:
    name: str  # the file's name, for messages only
    text: str
    author: str | None


def read_text(path: Path) -> str:
    if path.suffix.lower() == ".txt":
        try:
            return path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise LetterError("the letter is not UTF-8 text", "save it again as UTF-8 text or as .docx", path.name)
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as err:  # a file Word left half-saved, or not a .docx at all
        raise LetterError(f"the letter cannot be read as a Word document ({type(err).__name__})",
                          "open it in Word and save it again as .docx", path.name)
    return "\n".join(p.text for p in document.paragraphs)


def author_of(text: str, authors: tuple[str, ...]) -> str | None:
    """The one roster name the letter holds (whole name, or "Dr." and the surname)."""
    found = set()
    for name in authors:
        surname = name.replace("Dr.", "").split()[-1]
        if re.search(re.escape(name), text, re.IGNORECASE) or re.search(
                r"\bDr\.?\s+" + re.escape(surname) + r"\b", text, re.IGNORECASE):
            found.add(name)
    return found.pop() if len(found) == 1 else None


def read_folder(folder: Path, authors: tuple[str, ...] = ()) -> tuple[list[PastLetter], list[str]]:
    """The letters of a folder (and its subfolders), and one line for each file that could not be read."""
    if not folder.is_dir():
        raise LetterError("the folder of letters does not exist", "give the folder that holds the .docx or .txt letters",
                          str(folder))
    letters, skipped = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES):
        if path.name.startswith(("~$", ".")):
            continue  # Word's lock files
        try:
            text = read_text(path)
        except LetterError as err:
            skipped.append(str(err))
            continue
        if text.strip():
            letters.append(PastLetter(path.name, text, author_of(text, authors)))
    return letters, skipped


def docx_text(data: bytes) -> str:
    """The paragraphs of a Word document given as bytes (the header's tables left out)."""
    import io

    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)

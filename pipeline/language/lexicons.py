"""The rules and word lists of the language stage, read once from data files under models/clinical/."""
from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..files import models_dir, once


def _load(name: str) -> dict:
    return tomllib.loads((models_dir() / "clinical" / name).read_text(encoding="utf-8"))


def read_list(path: Path) -> list[str]:
    """A word list: one entry a line; blank lines and lines starting with # are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def read_table(path: Path) -> list[list[str]]:
    """A tab-separated table; lines starting with # are skipped."""
    with path.open(encoding="utf-8") as handle:
        return [row for row in csv.reader(handle, delimiter="\t") if row and not row[0].startswith("#")]


def terms_dir() -> Path:
    return models_dir() / "clinical" / "terms"


ICD_WORDS = "icd10cm_words.txt"


@once
def medical_words() -> list[str]:
    """Every word of our condition, procedure, anatomy and lab lists and of the ICD-10-CM code
    descriptions (about 7,500 words: "clostridium", "bariatric", "mucosa"), lower case."""
    terms = [row[0] for name in ("conditions.tsv", "procedures.tsv") for row in read_table(terms_dir() / name)]
    terms += read_list(terms_dir() / "anatomy.txt") + read_list(terms_dir() / "labs.txt")
    words = {w for term in terms for w in re.findall(r"[a-z]+", term.lower())}
    return sorted(words | set(read_list(terms_dir() / ICD_WORDS)))


def icd10cm_words() -> list[str]:
    """The words of every ICD-10-CM code description, from simple-icd-10-cm (a test
    dependency): the source of ``terms/icd10cm_words.txt``, and a test checks the file
    against it. The product reads the file, because importing the package costs 3 s and
    420 MB (the whole code tree as objects) for a list of words."""
    import simple_icd_10_cm as icd

    return sorted({w for code in icd.get_all_codes(True) for w in re.findall(r"[a-z]+", icd.get_description(code).lower())})


@dataclass(frozen=True)
class Command:
    phrase: tuple[str, ...]  # lower-case words
    insert: str = ""
    attach: str = "left"  # "left", "right" or "both"
    action: str = "insert"  # or "scratch"
    keep_after: frozenset[str] = frozenset()
    keep_before: frozenset[str] = frozenset()
    needs_pause: bool = False
    # A word Whisper writes for the command ("common" for "comma"): a command only when the
    # word after it is one of these (or a mark, or nothing). Empty: no such condition.
    only_before: frozenset[str] = frozenset()
    always_after: frozenset[str] = frozenset()  # ... unless the word before is one of these
    # keep_after holds even when a mark follows ("in a coma." is a coma; "a period." may be a command)
    strict: bool = False

    @property
    def kind(self) -> str:
        return "break" if self.insert.startswith("\n") else "mark"


@once
def commands() -> tuple[Command, ...]:
    found = []
    for entry in _load("commands.toml")["command"]:
        for phrase in entry["phrases"]:
            found.append(Command(tuple(phrase.lower().split()), entry.get("insert", ""), entry.get("attach", "left"),
                                 entry.get("action", "insert"), frozenset(entry.get("keep_after", ())),
                                 frozenset(entry.get("keep_before", ())), entry.get("needs_pause", False),
                                 frozenset(entry.get("only_before", ())), frozenset(entry.get("always_after", ())),
                                 entry.get("strict", False)))
    return tuple(sorted(found, key=lambda c: -len(c.phrase)))  # longest phrase first


@once
def units() -> tuple[tuple[tuple[tuple[str, ...], str], ...], dict[str, str]]:
    """((spoken unit words, written unit), … longest first), and the words between two numbers."""
    data = _load("units.toml")
    spoken = sorted(((tuple(k.split()), v) for k, v in data["units"].items()), key=lambda kv: -len(kv[0]))
    return tuple(spoken), dict(data["between"])


@once
def sections() -> tuple[dict[str, str], dict[str, str]]:
    """(heading → canonical type, spoken opener → canonical type), keys in lower case."""
    data = _load("sections.toml")
    headings = {h.lower(): kind for kind, names in data["types"].items() for h in names}
    spoken = {h.lower(): kind for kind, names in data.get("spoken", {}).items() for h in names}
    return headings, spoken


@once
def misheard_headings() -> dict[str, str]:
    """Words Whisper writes for a spoken heading ("Plant," for "Plan,"): a heading only with a cue after it."""
    return dict(_load("sections.toml").get("misheard", {}))


def letters_only(text: str) -> str:
    """Lower-case letters only: how heard text is compared with names and headings."""
    return re.sub(r"[^a-z]", "", text.lower())


def _section_words(table: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _load("sections.toml").get(table, {}).get("words", []))


@once
def not_headings() -> frozenset[str]:
    """Items said with a colon inside a section ("pulse colon 88"), never read as a near-miss heading."""
    return _section_words("not_headings")


@once
def measurements() -> frozenset[str]:
    """Measurements written as a label when their value follows at once ("Pulse: 88")."""
    return _section_words("measurements")


@once
def findings_after_heading() -> frozenset[str]:
    """Words of a finding that, right after a body part opening a sentence, make it a heading."""
    return _section_words("findings_after_heading")


@once
def prose_after_heading() -> frozenset[str]:
    """Words that, right after a heading's words with no colon, make it a sentence, not a heading."""
    return _section_words("prose_after_heading")


@dataclass(frozen=True)
class Drug:
    name: str  # as a letter writes it: generic in lower case, brand capitalised
    generic: str  # the generic (canonical) name
    drugbank_id: str | None
    common: bool  # on models/clinical/common_drugs.txt


@once
def common_drugs() -> tuple[str, ...]:
    return tuple(dict.fromkeys(read_list(models_dir() / "clinical" / "common_drugs.txt")))


@once
def drugs() -> dict[str, Drug]:
    """Lower-case drug name → Drug: the ~107,000 names of drug-named-entity-recognition
    (DrugBank, MeSH and Wikipedia names with brands) plus our common list.

    The package's data file is read directly: importing its finder module would also
    read a cache under the home directory and pull in its web-lookup helpers.
    """
    import bz2
    import importlib.util
    import pickle

    spec = importlib.util.find_spec("drug_named_entity_recognition")
    with bz2.open(Path(spec.origin).parent / "drug_ner_dictionary.pkl.bz2", "rb") as handle:
        data = pickle.load(handle)  # the package's own bundled file, not user input
    canonical = data["drug_canonical_to_data"]
    common = {name.lower(): name for name in common_drugs()}
    found: dict[str, Drug] = {}
    for variant, generics in data["drug_variant_to_canonical"].items():
        generic = generics[0]
        info = canonical.get(generic, {})
        written = common.get(variant) or (variant if variant == generic else variant.title())
        found[variant] = Drug(written, generic, info.get("drugbank_id"), variant in common)
    for lower, written in common.items():
        if lower not in found:
            found[lower] = Drug(written, lower, None, True)
    return found

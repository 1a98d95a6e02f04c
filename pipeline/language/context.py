"""ConText for our terms: negated, possible, historical, family (triggers in models/clinical/context.toml).

A trigger phrase casts its scope forward to the end of the sentence, or backward to its
start, stopping at a terminator ("but", "however") or after ``max_tokens`` tokens. Every
term inside the scope gets the attribute. Terms in a family-history section are family.
"""
from __future__ import annotations

import tomllib

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from ..files import models_dir

ATTRIBUTES = ("negated", "possible", "historical", "family")
for _name in ATTRIBUTES:
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=False)


def _boundary(token) -> bool:
    return token.is_space or token.text in {".", "?", "!", ";", ":"}


@Language.factory("dictation_context")
class ContextFinder:
    def __init__(self, nlp: Language, name: str):
        rules = tomllib.loads((models_dir() / "clinical" / "context.toml").read_text(encoding="utf-8"))
        self.max_tokens = int(rules.get("max_tokens", 10))
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for attribute in ATTRIBUTES:
            for direction in ("forward", "backward"):
                phrases = rules.get(attribute, {}).get(direction, [])
                self.matcher.add(f"{attribute}:{direction}", [nlp.make_doc(p) for p in phrases])
        self.matcher.add("terminator", [nlp.make_doc(p) for p in rules.get("terminators", [])])

    def __call__(self, doc: Doc) -> Doc:
        matches = [(doc.vocab.strings[m], s, e) for m, s, e in self.matcher(doc)]
        stops = {s for label, s, _ in matches if label == "terminator"}
        terms = list(doc.spans.get("terms", []))
        for label, start, end in matches:
            if label == "terminator":
                continue
            attribute, direction = label.split(":")
            if direction == "forward":
                lo, hi = end, end
                while hi < len(doc) and hi - end < self.max_tokens and not _boundary(doc[hi]) and hi not in stops:
                    hi += 1
            else:
                lo, hi = start, start
                while lo > 0 and start - lo < self.max_tokens and not _boundary(doc[lo - 1]) and lo - 1 not in stops:
                    lo -= 1
            for term in terms:
                if lo <= term.start and term.end <= hi and not (start <= term.start < end):
                    setattr(term._, attribute, True)
        for section in doc.spans.get("sections", []):
            if section.label_ == "family_history":
                for term in terms:
                    if section.start <= term.start < section.end:
                        term._.family = True
        return doc

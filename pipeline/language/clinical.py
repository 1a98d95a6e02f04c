"""The clinical language stage on spaCy 3.8: sections, medical terms and their context.

``spacy.blank("en")`` plus the sentencizer and three components of our own, registered
as spaCy factories so the pipeline can be inspected, saved and extended like any other:

- ``dictation_sections``: headings (PhraseMatcher over models/clinical/sections.toml, and
  a Matcher for any other ALL-CAPS ``HEADER:``), written at a line start with a colon, or
  spoken ("assessment colon", "the plan is …"). Sections run to the next heading.
- ``dictation_terms``: medications (the drug lexicon, looked up on 1–3 token windows),
  conditions with ICD-10-CM codes, procedures, anatomy and lab tests (a SpanRuler over
  the lists in models/clinical/terms/).
- ``dictation_context``: ConText triggers (models/clinical/context.toml) mark each term
  negated, possible, historical or family.
"""
from __future__ import annotations

import datetime as dt

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc, Span

from ..files import once
from ..records import Analysis, Section, Term
from . import facts, lexicons
from .context import ContextFinder  # noqa: F401  (registers the factory)

TERMS = lexicons.terms_dir()
MAX_DRUG_TOKENS = 3

for _name in ("kind", "normalised", "code", "heard"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)


def _line_start(doc: Doc, char: int) -> bool:
    before = doc.text[:char].rstrip(" \t")
    return not before or before.endswith("\n")


def _sentence_start(doc: Doc, token_i: int) -> bool:
    if token_i == 0:
        return True
    prev = doc[token_i - 1]
    return prev.is_space or prev.text in {".", "?", "!", ":"} or doc[token_i].is_sent_start


@Language.factory("dictation_sections")
class SectionFinder:
    def __init__(self, nlp: Language, name: str):
        headings, spoken = lexicons.sections()
        # Looked up by their tokens, as the matcher saw them: "ASSESSMENT / PLAN" matches "assessment/plan".
        self.headings = {self._key(nlp.make_doc(h)): kind for h, kind in headings.items()}
        self.spoken = {self._key(nlp.make_doc(h)): kind for h, kind in spoken.items()}
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.phrases.add("HEADING", [nlp.make_doc(h) for h in headings])
        self.phrases.add("SPOKEN", [nlp.make_doc(h) for h in spoken])
        self.caps = Matcher(nlp.vocab)  # any other ALL-CAPS header: "HPI:", "AXIS VI:"
        # ... also "DIAGNOSTIC STUDIES/LAB DATA:", "FEMUR, RIGHT:", "HEAD--CENTRAL NERVOUS SYSTEM:"
        self.caps.add("CAPS", [[{"IS_UPPER": True, "LENGTH": {">=": 2}},
                                {"TEXT": {"REGEX": r"^(?:[A-Z0-9][A-Z0-9'\-]*|[,/&()\-]+)$"}, "OP": "*"},
                                {"ORTH": ":"}]])

    @staticmethod
    def _key(tokens) -> tuple[str, ...]:
        return tuple(t.lower_ for t in tokens)

    def __call__(self, doc: Doc) -> Doc:
        found: dict[int, Span] = {}  # heading start token → heading span (label = type)
        for match_id, start, end in self.phrases(doc):
            label = doc.vocab.strings[match_id]
            span = doc[start:end]
            cue = doc[end] if end < len(doc) else None
            if label == "HEADING":
                written = cue is not None and cue.text == ":" and _line_start(doc, span.start_char)
                spoken = cue is not None and cue.lower_ in (":", "colon") and _sentence_start(doc, start)
                if not (written or spoken):
                    continue
                kind = self.headings[self._key(span)]
                span = doc[start:end + 1]  # the colon belongs to the heading
            else:
                if not _sentence_start(doc, start):
                    continue
                kind = self.spoken[self._key(span)]
            if start not in found or len(found[start]) < len(span):
                found[start] = Span(doc, span.start, span.end, label=kind)
        for _, start, end in self.caps(doc):
            while start < end - 1 and not _line_start(doc, doc[start].idx):
                start += 1  # greedy match: keep the part that starts the line
            if _line_start(doc, doc[start].idx) and not any(s.start <= start < s.end for s in found.values()):
                found[start] = Span(doc, start, end, label="other")
        headings = sorted(spacy.util.filter_spans(list(found.values())), key=lambda s: s.start)
        doc.spans["headings"] = headings
        doc.spans["sections"] = [
            Span(doc, h.start, headings[k + 1].start if k + 1 < len(headings) else len(doc), label=h.label_)
            for k, h in enumerate(headings)
        ]
        return doc


def _read_terms(name: str) -> list[list[str]]:
    return lexicons.read_table(TERMS / name)


@Language.factory("dictation_terms")
class TermFinder:
    def __init__(self, nlp: Language, name: str):
        self.drugs = lexicons.drugs()
        self.ruler = SpanRuler(nlp, name="term_ruler", spans_key="listed", phrase_matcher_attr="LOWER")
        patterns = []
        for term, normalised, code in _read_terms("conditions.tsv"):
            patterns.append({"label": "condition", "pattern": term, "id": f"{normalised}|{code}"})
        for term, normalised in _read_terms("procedures.tsv"):
            patterns.append({"label": "procedure", "pattern": term, "id": f"{normalised}|"})
        for term in lexicons.read_list(TERMS / "anatomy.txt"):
            patterns.append({"label": "anatomy", "pattern": term, "id": f"{term}|"})
        for term in lexicons.read_list(TERMS / "labs.txt"):
            patterns.append({"label": "lab", "pattern": term, "id": f"{term}|"})
        self.ruler.add_patterns(patterns)

    def _drug_spans(self, doc: Doc) -> list[Span]:
        spans = []
        for i in range(len(doc)):
            for n in range(MAX_DRUG_TOKENS, 0, -1):
                span = doc[i:i + n]
                if len(span) < n or not span[0].is_alpha or span[-1].is_punct:
                    continue
                drug = self.drugs.get(span.text.lower())
                if drug and (n > 1 or len(span.text) > 2):
                    label = Span(doc, i, i + n, label="medication")
                    label._.normalised = drug.generic
                    label._.code = drug.drugbank_id
                    spans.append(label)
                    break
        return spans

    def __call__(self, doc: Doc) -> Doc:
        listed = []
        for span in self.ruler(doc).spans.get("listed", []):
            normalised, _, code = span.id_.partition("|")
            span._.normalised, span._.code = normalised, code or None
            listed.append(span)
        # a drug name wins over a listed word it overlaps; then longer wins
        terms = spacy.util.filter_spans(self._drug_spans(doc) + listed)
        doc.spans["terms"] = terms
        for span in terms:
            span._.kind = span.label_
        return doc


@once
def nlp() -> Language:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("dictation_sections")
    pipeline.add_pipe("dictation_terms")
    pipeline.add_pipe("dictation_context")
    return pipeline


def analyse(text: str, preamble: dict[str, str] | None = None, dictated_on: dt.date | None = None,
            heard: dict[tuple[int, int], str] | None = None, flags: tuple[str, ...] = ()) -> Analysis:
    """Sections, terms and facts of one letter text. ``heard`` maps the character span of a
    corrected word to what Whisper wrote, so the term carries it."""
    doc = nlp()(text)
    headings = list(doc.spans["headings"])
    sections = tuple(
        Section(s.label_, h.text, h.start_char, h.end_char, h.end_char, s.end_char)
        for h, s in zip(headings, doc.spans["sections"])
    )
    heard = heard or {}
    terms = tuple(
        Term(t.text, t.start_char, t.end_char, t.label_, t._.normalised, t._.code, t._.negated, t._.possible,
             t._.historical, t._.family, heard.get((t.start_char, t.end_char)))
        for t in doc.spans["terms"]
        if not any(h.start <= t.start < h.end for h in headings)  # "assessment colon" is a heading, not the bowel
    )
    found = facts.extract(doc, preamble or {}, dictated_on or dt.date.today())
    corrections = [f"corrected: heard {w!r}, wrote {text[a:b]!r}" for (a, b), w in heard.items()]
    return Analysis(text, sections, terms, found, tuple(flags) + tuple(corrections))

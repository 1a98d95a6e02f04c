"""The language stage: a transcript's words → the letter's text and what it says.

Spoken commands and numbers (``dictation``), headings (``headings``), drug names heard wrong
(``correction``, on the ``lexicons``), the preamble's header facts (``preamble``); a scan's
print takes ``typed`` instead. spaCy then finds sections, terms and their context
(``clinical``, ``context``) and facts (``facts``). It hands on a ``Dictated`` (the letter's
tokens, each pointing at its audio or its box on the page) and an ``Analysis``.
"""
import sys

# spaCy's machine-learning layer (thinc) imports torch whenever it is installed, to offer torch
# models: 4 s and 230 MB of every process that drafts a letter, for blank-pipeline rules that
# never touch it (torch is here for the openai engine). So spaCy is imported here, first, with
# torch hidden; a process that already loaded torch (the openai engine) imports it as it is.
if "torch" in sys.modules or "spacy" in sys.modules:
    import spacy  # noqa: F401
else:
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError
    try:
        import spacy  # noqa: F401
    finally:
        del sys.modules["torch"]

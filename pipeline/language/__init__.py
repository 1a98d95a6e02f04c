"""The language stage: a transcript's words → the letter's text and what it says.

Spoken commands and numbers (``dictation``), headings (``headings``), drug names heard wrong
(``correction``, on the ``lexicons``), the preamble's header facts (``preamble``); a scan's
print takes ``typed`` instead. spaCy then finds sections, terms and their context
(``clinical``, ``context``) and facts (``facts``). It hands on a ``Dictated`` (the letter's
tokens, each pointing at its audio or its box on the page) and an ``Analysis``.
"""

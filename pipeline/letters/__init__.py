"""Letters: a ``Dictated`` and its ``Analysis`` → the draft ``.docx`` and its records.

``kinds`` picks the letter's template, ``draft`` renders it with every word to check
highlighted and ``marks`` adds Word comments (and strips them for the final letter);
``fhir`` builds the DocumentReference, ``writers`` the plain transcript formats.
It hands on bytes; the desk decides where they are written.
"""

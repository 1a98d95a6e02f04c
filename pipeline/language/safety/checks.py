"""All the safety checks of one letter, in one call (the package's docstring says what each looks for)."""
from __future__ import annotations

from ...records import Analysis, Dictated, SafetyFlag


def check(dictated: Dictated, analysis: Analysis, scorer=None, speech: list[tuple[float, float]] | None = None,
          heard: list[tuple[float, float]] = ()) -> tuple[SafetyFlag, ...]:
    """Every safety flag of one letter, in the order of the text. ``speech``: the stretches the
    voice detector took for speech; ``heard``: the (start, end) of every recognised word."""
    from . import doses, laterality, negation, omission, soundalike

    found = soundalike.check(dictated, analysis, scorer) + doses.check(dictated, analysis, scorer)
    found += laterality.check(dictated, analysis, scorer)
    if scorer is not None:
        found += negation.check(dictated, analysis, scorer)
    if speech is not None:
        found += omission.check(dictated, speech, list(heard))
    return tuple(sorted(found, key=lambda f: (f.char_start, f.kind)))

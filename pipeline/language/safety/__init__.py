"""Safety flags: the few recognition errors that hurt a patient, looked for in every letter.

Raw speech recognition makes about one clinically significant error per 250 words, and
deletions are the commonest kind (Zhou et al., JAMA Netw Open 2018). The kinds are few and
known, and each has its check here, one module each, rules as data in
``models/clinical/safety/``:

- ``soundalike``: a medicine on the ISMP list of confused drug names, flagged with its twin;
- ``doses``: a dose outside the medicine's usual range, or in a unit that does not fit it;
- ``laterality``: left or right where the audio fits the other side almost as well, and one
  body part given both sides;
- ``negation``: a "no" the audio has and the text lost, or one the text has and the audio not;
- ``omission``: speech the voice detector heard that no word of the transcript covers.

The checks that ask the audio need the recording's scorer (``asr.scorer``) and its speech
stretches; without them (a scan, a transcript alone) only the text checks run. A flag never
changes the text: it tells the secretary where to listen and why.
"""
from .checks import check

__all__ = ["check"]

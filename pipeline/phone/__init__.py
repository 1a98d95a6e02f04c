"""Phone messages: a voicemail's transcript → the facts a secretary acts on.

``numbers`` (callback numbers and dates of birth, spoken or written), ``facts`` (caller,
patient, medication, pharmacy, preferred times), ``urgency`` (red flags, a negated mention
not counting), ``reason`` (why they called) and ``message`` (all of it as one ``Message``).
Rules and word lists are data under ``models/phone/``. Nothing here gives medical advice:
an urgent message is put in front of a clinician, with what was heard.
"""

"""dictation-pipeline: a dictation or a scanned note in, a draft letter out, offline.

The core here holds what every part shares: ``records`` (the typed records between stages),
``config`` (settings), ``errors``, ``files`` (where ``models/`` is), ``process`` (the stages
as plain functions) and ``cli``. The parts, in the order data flows through them:
``desk`` (folders and job database) → ``asr`` (audio) or ``ocr`` (scans) → ``language`` →
``letters`` → ``review``. A part imports only parts below it in that order.
"""

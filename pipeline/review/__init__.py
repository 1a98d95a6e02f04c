"""Review: the secretary's page (``web``) — the queue, a draft beside its audio or scan, edits
that keep each word's timing (``edits``) — whose approve and return are recorded by
``desk.approval``, as are those made in Word.
"""

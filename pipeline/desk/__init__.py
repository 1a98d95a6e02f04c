"""The desk: everything that touches the folders and the job database.

It claims files dropped in the inbox (``intake``, ``metadata``), keeps jobs and their
events in SQLite (``store``), runs each job through the stages resumably (``worker``,
``watch``), writes drafts and archives privately (``outbox``), records approvals and returns
(``approval``) and reports the day (``report``, ``status``). It hands the stages a file's
audio or pages and writes what they hand back.
"""

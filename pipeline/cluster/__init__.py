"""The cluster: the pure stages of many jobs spread over Dask distributed workers.

The desk (``desk/dispatch.py``) stays the single writer: it claims each job, ships the
input's bytes to a worker and writes what comes back. A worker (``task``) decodes,
recognises and runs the language stage in memory, with the models its ``EnginePlugin``
loaded once; nothing on it touches the inbox, the outbox or the job database.
``connect`` opens the client: a ``LocalCluster`` of N processes for ``local:N``, or a
scheduler's address, over TLS whenever it is not on this machine.
"""

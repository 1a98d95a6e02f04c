"""What the practice has learned, in ``practice.sqlite3`` beside the job database (owner-only).

Stored, and nothing else:
- ``words``: each word of the letters with its count, per scope (the practice, "", or an author);
- ``grams``: each word trigram with its count, per scope (the n-gram model is built from these);
- ``learned``: a SHA-256 digest of each letter already learned, so a folder learned twice
  is counted once (a digest, not the text);
- ``substitutions``: what a secretary replaced in an approved draft (heard → typed), per
  author, how often, and whether it is a suggested, accepted or rejected rule;
- ``approvals``: per approved letter, its job id, author, day, the draft's words and how
  many the secretary changed (the correction rate in the day report).
A word or trigram found in only one letter of an import is not stored: a patient's name, an
address, a one-off phrase stay out; the words a practice uses again and again go in.
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections import Counter
from pathlib import Path

from ..language.ngram import KneserNey
from ..language.practice import Practice, Rule

SCHEMA = """
CREATE TABLE IF NOT EXISTS words (scope TEXT NOT NULL, word TEXT NOT NULL, count INTEGER NOT NULL,
                                  PRIMARY KEY (scope, word));
CREATE TABLE IF NOT EXISTS grams (scope TEXT NOT NULL, w1 TEXT NOT NULL, w2 TEXT NOT NULL, w3 TEXT NOT NULL,
                                  count INTEGER NOT NULL, PRIMARY KEY (scope, w1, w2, w3));
CREATE TABLE IF NOT EXISTS learned (digest TEXT PRIMARY KEY, scope TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS substitutions (id INTEGER PRIMARY KEY, author TEXT NOT NULL, heard TEXT NOT NULL,
                                          typed TEXT NOT NULL, count INTEGER NOT NULL, status TEXT NOT NULL,
                                          first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
                                          UNIQUE (author, heard, typed));
CREATE TABLE IF NOT EXISTS approvals (job_id TEXT PRIMARY KEY, author TEXT NOT NULL, day TEXT NOT NULL,
                                      draft_words INTEGER NOT NULL, changed_words INTEGER NOT NULL);
"""
SUGGEST_AFTER = 2  # a substitution seen this often becomes a suggested rule


def practice_path(db: Path) -> Path:
    return Path(db).with_name("practice.sqlite3")


def snapshot(db: Path) -> bytes | None:
    """The practice database's bytes (SQLite's own serialisation), or None before anything was
    learned: a cluster's desk ships them to its workers once a batch, never as a file."""
    path = practice_path(db)
    if not path.is_file():
        return None
    conn = sqlite3.connect(path, timeout=30)
    try:
        return conn.serialize()
    finally:
        conn.close()


class PracticeStore:
    def __init__(self, db: Path | None = None, data: bytes | None = None):
        """The store beside the job database ``db``, or a read-only copy of ``snapshot`` bytes
        opened in memory (a cluster worker: nothing touches its disk)."""
        if data is not None:
            self.path = None
            self.conn = sqlite3.connect(":memory:")
            self.conn.deserialize(data)
            return
        self.path = practice_path(db)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        self.conn = sqlite3.connect(self.path, timeout=30)
        if fresh:
            os.chmod(self.path, 0o600)
        self.conn.executescript(SCHEMA)

    def __enter__(self) -> "PracticeStore":
        return self

    def __exit__(self, *exc) -> None:
        self.conn.close()

    # -- learning from letters -------------------------------------------------------------
    def is_learned(self, digest: str) -> bool:
        return self.conn.execute("SELECT 1 FROM learned WHERE digest = ?", (digest,)).fetchone() is not None

    def add(self, scope: str, words: Counter, grams: Counter, digests: list[str]) -> None:
        with self.conn:
            self.conn.executemany(
                "INSERT INTO words VALUES (?, ?, ?) ON CONFLICT (scope, word) DO UPDATE SET count = count + excluded.count",
                [(scope, w, n) for w, n in words.items()])
            self.conn.executemany(
                "INSERT INTO grams VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, w1, w2, w3) "
                "DO UPDATE SET count = count + excluded.count", [(scope, *g, n) for g, n in grams.items()])
            now = dt.datetime.now().isoformat(timespec="seconds")
            self.conn.executemany("INSERT OR IGNORE INTO learned VALUES (?, ?, ?)", [(d, scope, now) for d in digests])

    def sizes(self) -> list[tuple[str, int, int, int]]:
        """(scope, letters, words, trigrams) for each scope."""
        rows = self.conn.execute(
            "SELECT scope, (SELECT COUNT(*) FROM learned l WHERE l.scope = s.scope), "
            "(SELECT COUNT(*) FROM words w WHERE w.scope = s.scope), COUNT(*) FROM grams s GROUP BY scope").fetchall()
        return [tuple(r) for r in rows]

    def written_words(self) -> frozenset[str]:
        """Every word (lower case) of the practice's letters and of what its secretaries typed."""
        return frozenset(w.lower() for (w,) in self.conn.execute("SELECT DISTINCT word FROM words"))

    # -- the practice record for the language stage ----------------------------------------
    def practice(self, author: str | None = None) -> Practice:
        """The practice's words and model, the author's own letters counted on top of the
        practice's, and the author's accepted rules (and the practice-wide ones)."""
        scopes = ("", author) if author else ("",)
        marks = ",".join("?" * len(scopes))
        vocabulary: Counter = Counter()
        for word, n in self.conn.execute(f"SELECT word, count FROM words WHERE scope IN ({marks})", scopes):
            vocabulary[word] += n
        grams: Counter = Counter()
        for w1, w2, w3, n in self.conn.execute(f"SELECT w1, w2, w3, count FROM grams WHERE scope IN ({marks})", scopes):
            grams[w1, w2, w3] += n
        rules = tuple(Rule(i, heard, typed) for i, heard, typed in self.conn.execute(
            "SELECT id, heard, typed FROM substitutions WHERE status = 'accepted' AND author IN (?, '')",
            (author or "",)))
        return Practice(dict(vocabulary), KneserNey(dict(grams)) if grams else None, rules)

    # -- learning from approvals -----------------------------------------------------------
    def add_typed_words(self, author: str, words: Counter) -> None:
        self.add(author, words, Counter(), [])

    def record_substitution(self, author: str, heard: str, typed: str) -> None:
        now = dt.datetime.now().isoformat(timespec="seconds")
        with self.conn:
            self.conn.execute(
                "INSERT INTO substitutions (author, heard, typed, count, status, first_seen, last_seen) "
                "VALUES (?, ?, ?, 1, 'seen', ?, ?) ON CONFLICT (author, heard, typed) DO UPDATE SET "
                "count = count + 1, last_seen = excluded.last_seen", (author, heard, typed, now, now))
            self.conn.execute("UPDATE substitutions SET status = 'suggested' WHERE status = 'seen' AND count >= ?",
                              (SUGGEST_AFTER,))

    def record_approval(self, job_id: str, author: str, day: str, draft_words: int, changed: int) -> None:
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO approvals VALUES (?, ?, ?, ?, ?)",
                              (job_id, author, day, draft_words, changed))

    def suggestions(self, statuses: tuple[str, ...] = ("suggested", "accepted", "rejected")) -> list[dict]:
        marks = ",".join("?" * len(statuses))
        rows = self.conn.execute(f"SELECT id, author, heard, typed, count, status, last_seen FROM substitutions "
                                 f"WHERE status IN ({marks}) ORDER BY status, count DESC, id", statuses).fetchall()
        keys = ("id", "author", "heard", "typed", "count", "status", "last_seen")
        return [dict(zip(keys, r)) for r in rows]

    def decide(self, rule_id: int, status: str) -> dict | None:
        """Accept or reject a suggested rule; None when there is no such suggestion."""
        with self.conn:
            changed = self.conn.execute("UPDATE substitutions SET status = ? WHERE id = ? AND status != 'seen'",
                                        (status, rule_id)).rowcount
        if not changed:
            return None
        return next((s for s in self.suggestions() if s["id"] == rule_id), None)

    def correction_rates(self, since: str, until: str) -> list[tuple[str, int, int, int]]:
        """(author, letters, draft words, words changed) of the letters approved from one day to another."""
        return [tuple(r) for r in self.conn.execute(
            "SELECT author, COUNT(*), SUM(draft_words), SUM(changed_words) FROM approvals WHERE day >= ? AND day <= ? "
            "GROUP BY author ORDER BY author", (since, until))]


_RECALLED: dict = {}  # (the practice's identity, author) → Practice: built once, not per letter


def recall(source: Path | bytes | None, author: str | None, authors: tuple[str, ...] = ()) -> Practice | None:
    """What the practice has learned for this author: ``source`` is the job database's path
    (the practice file beside it) or ``snapshot`` bytes (a cluster worker); None before
    anything was learned. The author as heard is taken from the roster when it names them."""
    import hashlib

    from ..language import identity

    if source is None:
        return None
    if isinstance(source, bytes):
        key: tuple = (hashlib.sha256(source).hexdigest(),)
    else:
        path = practice_path(source)
        if not path.is_file():
            return None
        key = (path, path.stat().st_mtime_ns)
    roster = tuple(identity.Person(name) for name in authors)
    author = identity.resolve(author, None, None, None, roster).author
    key = (*key, author)
    if key not in _RECALLED:
        _RECALLED.clear()
        with (PracticeStore(data=source) if isinstance(source, bytes) else PracticeStore(source)) as store:
            _RECALLED[key] = store.practice(author)
    return _RECALLED[key]

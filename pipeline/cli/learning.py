"""``dictation learn FOLDER`` (past letters into the practice's words) and ``dictation vocabulary``
(the rules learned from approvals: list, accept, reject)."""
from __future__ import annotations

from pathlib import Path

from ..errors import DictationError
from .common import desk_options, desk_settings


def _authors(settings) -> tuple[str, ...]:
    from ..language import identity

    return tuple(p.name for p in identity.read_authors(settings.authors))


def cmd_learn(args) -> int:
    from ..learning.learn import learn
    from ..learning.store import practice_path

    settings = desk_settings(args)
    done = learn(args.folder, settings.db, _authors(settings))
    print(f"learned {done.letters} letters ({done.already} learned before, not counted again): "
          f"{done.words} words and {done.grams} trigrams kept for the practice (each in two letters or more)")
    for author, n in sorted(done.by_author.items()):
        print(f"  {author}: {n} letters")
    for line in done.skipped:
        print(f"  skipped: {line}")
    print(f"stored in {practice_path(settings.db)} (owner-only)")
    return 0


def cmd_vocabulary(args) -> int:
    from ..learning.store import PracticeStore

    settings = desk_settings(args)
    with PracticeStore(settings.db) as store:
        if args.action in ("accept", "reject"):
            if args.id is None:
                raise DictationError(f"`dictation vocabulary {args.action}` needs a rule's number",
                                     "list the suggestions with `dictation vocabulary` and give the number in the first column")
            done = store.decide(args.id, "accepted" if args.action == "accept" else "rejected")
            if done is None:
                raise DictationError(f"there is no suggested rule {args.id}",
                                     "list the suggestions with `dictation vocabulary`")
            print(f"{done['id']}: \u201c{done['heard']}\u201d \u2192 \u201c{done['typed']}\u201d {done['status']}")
            return 0
        rows = store.suggestions()
        if not rows:
            print("no suggested rules yet: a correction the secretaries make twice for one author becomes one")
        for s in rows:
            print(f"{s['id']:4d}  {s['status']:9s}  {s['author'] or '(practice)'}: \u201c{s['heard']}\u201d \u2192 "
                  f"\u201c{s['typed']}\u201d  seen {s['count']} times, last {s['last_seen'][:10]}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("learn", help="learn the practice's words from a folder of past letters (.docx, .txt)")
    p.add_argument("folder", type=Path)
    desk_options(p, engine=False)
    p.set_defaults(func=cmd_learn)
    p = sub.add_parser("vocabulary", help="list the rules learned from approvals; accept or reject one")
    p.add_argument("action", nargs="?", choices=("list", "accept", "reject"), default="list")
    p.add_argument("id", nargs="?", type=int)
    desk_options(p, engine=False)
    p.set_defaults(func=cmd_vocabulary)

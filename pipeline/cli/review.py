"""``dictation review``: the review page on this machine (or beyond it, with a token)."""
from __future__ import annotations

from .common import desk_options, desk_settings


def cmd_review(args) -> int:
    from ..review.web.app import serve

    settings = desk_settings(args)
    print(f"review page: http://{args.host}:{args.port}/  (Ctrl+C to stop)")
    serve(settings, host=args.host, port=args.port, token=settings.review_token)
    return 0


def register(sub) -> None:
    p = sub.add_parser("review", help="serve the review page (queue, audio beside the text, approve/return)")
    p.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1; others need review_token)")
    p.add_argument("--port", type=int, default=8765)
    desk_options(p, engine=False)
    p.set_defaults(func=cmd_review)

"""Who is reviewing: the secretary gives her name once on the page (kept in a cookie; the
token still guards access from other machines), a letter she opens is hers for 15 minutes
(``desk/holds.py``) and shown as hers to the others, and her name goes into the audit
events of what she does."""
from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...desk.holds import Holds
from ...desk.store import Store

COOKIE = "dictation_reviewer"
NAME = re.compile(r"[^\W\d_][\w .'-]{0,39}")  # a person's name, as typed: letters first, short


class WhoRoutes:
    def __init__(self, store: Store):
        self.holds = Holds(store)

    @staticmethod
    def name(request: Request) -> str | None:
        given = request.cookies.get(COOKIE, "").strip()
        return given if NAME.fullmatch(given) else None

    def me(self, request: Request) -> JSONResponse:
        return JSONResponse({"name": self.name(request)})

    async def set_me(self, request: Request) -> JSONResponse:
        name = " ".join(str((await request.json()).get("name", "")).split())
        if not NAME.fullmatch(name):
            return JSONResponse({"error": "give your name: letters, up to 40 characters"}, status_code=400)
        response = JSONResponse({"name": name})
        response.set_cookie(COOKIE, name, max_age=365 * 24 * 3600, httponly=True, samesite="strict")
        return response

    def hold(self, request: Request) -> JSONResponse:
        """The letter is opened: held by whoever opens it first within 15 minutes."""
        who = self.name(request)
        if who is None:
            return JSONResponse({"held_by": self.holds.current().get(request.path_params["job_id"]), "mine": False})
        holder = self.holds.take(request.path_params["job_id"], who)
        return JSONResponse({"held_by": holder, "mine": holder == who})

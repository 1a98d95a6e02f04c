"""The review page's "Phone messages" tab: the callback list, and marking what was done."""
from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...desk.messages import STATUSES, Messages
from ...desk.store import Store
from ...errors import DictationError
from .who import WhoRoutes


class PhoneRoutes:
    def __init__(self, store: Store):
        self.messages = Messages(store)

    def listed(self, request: Request) -> JSONResponse:
        """Urgent first, then oldest; the answered ones too with ?all=1."""
        now = dt.datetime.now().astimezone()
        rows = []
        for item in self.messages.listed(open_only=request.query_params.get("all") != "1"):
            age = now - dt.datetime.fromisoformat(item.received_at)
            rows.append({"id": item.job_id, "received_at": item.received_at, "status": item.status,
                         "note": item.note, "status_by": item.status_by, "status_at": item.status_at,
                         "age_minutes": int(age.total_seconds() // 60)} | item.message.to_dict())
        return JSONResponse({"statuses": list(STATUSES), "messages": rows})

    async def mark(self, request: Request) -> JSONResponse:
        body = await request.json()
        try:
            item = self.messages.set_status(request.path_params["job_id"], str(body.get("status", "")),
                                            WhoRoutes.name(request) or str(body.get("reviewer") or "review page"),
                                            str(body.get("note", "")))
        except DictationError as err:
            return JSONResponse({"error": str(err)}, status_code=409)
        return JSONResponse({"id": item.job_id, "status": item.status, "status_by": item.status_by})

"""The review page's worklist and billing tabs, and the tasks panel beside each letter.

/worklist: every approved letter's tasks, overdue first, filtered by status, due week and
author; mark one booked (with its date), done or not needed; download the list as CSV,
iCalendar or FHIR. /billing: a day's approved letters with their ICD-10-CM codes; remove
one, put it back, or add one, kept for every later sheet. On a letter's review page: the
tasks it proposes, to edit, drop or add before approving.
"""
from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ...desk import billing, exports
from ...desk.store import Store
from ...desk.tasks import STATUSES, Tasks
from ...errors import DictationError
from .who import WhoRoutes


def _actor(request: Request) -> str:
    return WhoRoutes.name(request) or "review page"


def _error(err: DictationError) -> JSONResponse:
    return JSONResponse({"error": str(err)}, status_code=409)


class WorklistRoutes:
    def __init__(self, store: Store):
        self.store = store
        self.tasks = Tasks(store)

    # -- the tasks a letter proposes --------------------------------------------------------
    def _job(self, request: Request):
        return self.store.get(request.path_params["job_id"])

    def proposed(self, request: Request) -> JSONResponse:
        job = self._job(request)
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        today = dt.date.today()
        return JSONResponse({"tasks": [t.to_dict(today) for t in self.tasks.for_job(job)]})

    async def add(self, request: Request) -> JSONResponse:
        job = self._job(request)
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        body = await request.json()
        try:
            task = self.tasks.add(job, str(body.get("kind", "follow_up")), str(body.get("what", "")),
                                  body.get("due") or None, _actor(request))
        except DictationError as err:
            return _error(err)
        return JSONResponse(task.to_dict(dt.date.today()))

    async def change(self, request: Request) -> JSONResponse:
        """A proposal edited or dropped (before approval), or a task's status (after)."""
        body = await request.json()
        task_id = request.path_params["task_id"]
        try:
            if "status" in body:
                task = self.tasks.set_status(task_id, str(body["status"]), _actor(request), body.get("booked_for"))
            else:
                task = self.tasks.edit(task_id, _actor(request), kind=body.get("kind"), what=body.get("what"),
                                       due=body.get("due", ""), drop=bool(body.get("drop")))
        except DictationError as err:
            return _error(err)
        return JSONResponse(task.to_dict(dt.date.today()))

    # -- the worklist ------------------------------------------------------------------------
    def _listed(self, request: Request):
        q = request.query_params
        statuses = tuple(s for s in q.get("status", "to_book").split(",") if s in STATUSES) or STATUSES
        week = q.get("week")  # a date in the week wanted: Monday to Sunday
        start = end = None
        if week:
            day = dt.date.fromisoformat(week)
            start = day - dt.timedelta(days=day.weekday())
            end = start + dt.timedelta(days=7)
        return self.tasks.worklist(statuses=statuses, author=q.get("author") or None,
                                   due_from=start.isoformat() if start else None,
                                   due_before=end.isoformat() if end else None,
                                   approved_on=q.get("approved_on") or None)

    def listed(self, request: Request) -> JSONResponse:
        try:
            found = self._listed(request)
        except (ValueError, DictationError) as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        today = dt.date.today()
        authors = sorted({r["author"] for r in self.store.db.execute("SELECT DISTINCT author FROM tasks "
                                                                     "WHERE author IS NOT NULL")})
        return JSONResponse({"statuses": list(STATUSES), "authors": authors,
                             "overdue": sum(t.overdue(today) for t in found),
                             "tasks": [t.to_dict(today) for t in found]})

    def export(self, request: Request) -> Response:
        """The listed tasks as a file: csv, ics or fhir."""
        kind = request.path_params["kind"]
        try:
            found = self._listed(request)
        except (ValueError, DictationError) as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        day = request.query_params.get("approved_on") or dt.date.today().isoformat()
        if kind == "csv":
            body, media = exports.to_csv(found, dt.date.today()), "text/csv"
        elif kind == "ics":
            body, media = exports.to_ics(found), "text/calendar"
        elif kind == "fhir":
            body, media = exports.fhir_json(found), "application/fhir+json"
        else:
            return Response(status_code=404)
        name = f"tasks {day}.{'fhir.json' if kind == 'fhir' else kind}"
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                         "Cache-Control": "no-store"})

    # -- billing -----------------------------------------------------------------------------
    def sheet(self, request: Request) -> JSONResponse:
        day = request.query_params.get("day") or dt.date.today().isoformat()
        letters = [{"id": job.id, "author": job.author, "patient": billing.patient(job),
                    "codes": billing.letter_codes(self.store, job)} for job in billing.approved_on(self.store, day)]
        return JSONResponse({"day": day, "letters": letters})

    async def code(self, request: Request) -> JSONResponse:
        body = await request.json()
        try:
            billing.change(self.store, request.path_params["job_id"], str(body.get("action", "")),
                           str(body.get("code", "")), str(body.get("condition", "")), _actor(request))
        except DictationError as err:
            return _error(err)
        job = self.store.get(request.path_params["job_id"])
        return JSONResponse({"codes": billing.letter_codes(self.store, job)})

    def routes(self, page) -> list[Route]:
        return [
            Route("/worklist", page("worklist.html")),
            Route("/billing", page("billing.html")),
            Route("/api/jobs/{job_id}/tasks", self.proposed),
            Route("/api/jobs/{job_id}/tasks", self.add, methods=["POST"]),
            Route("/api/tasks", self.listed),
            Route("/api/tasks/{task_id:int}", self.change, methods=["POST"]),
            Route("/api/tasks.{kind}", self.export),
            Route("/api/billing", self.sheet),
            Route("/api/billing/{job_id}", self.code, methods=["POST"]),
        ]

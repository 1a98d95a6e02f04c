"""The review page: the queue, and one draft beside its audio, served on this machine only.

Starlette (FastAPI's own foundation, without what we do not need) behind uvicorn. Plain
HTML, CSS and JavaScript from ``static/``; nothing comes from a CDN.

Security, for a page that shows patient letters:
- it binds 127.0.0.1; any other address needs ``review_token`` set, and every request
  then carries the token (a cookie set by ``/login?token=…``, or an ``Authorization:
  Bearer`` header);
- a request that changes state must come from this page: it carries the page's CSRF token
  in ``X-CSRF-Token`` (a cross-site form cannot set headers) and, if it has an Origin,
  that Origin must be this server;
- jobs are looked up by id in the job store, and the only files served are the job's own
  audio from its archive and the packaged static files: no path from a request is opened.
"""
from __future__ import annotations

import datetime as dt
import hmac
import io
import json
import re
import secrets
import tempfile
import wave
from pathlib import Path

import numpy as np
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ...asr.audio import AUDIO_SUFFIXES, SAMPLE_RATE, decode
from ...config import Settings
from ...desk import approval
from ...desk import outbox as ob
from ...desk import turnaround
from ...desk.store import Store
from ...errors import DictationError
from ...language.clinical import analyse
from ...letters.draft import HIGHLIGHT, NEGATION, SAFETY, review_marks, scan_place
from ...ocr.pages import page_name
from ...process import complete_info, draft_bytes, language
from ...records import Analysis, Dictated, LetterInfo, Transcript
from .. import edits
from .phone import PhoneRoutes
from .who import WhoRoutes
from .worklist import WorklistRoutes

STATIC = Path(__file__).with_name("static")
JOB_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
QUEUE_STATES = ("drafted", "in_review")
# the page shows a mark in the draft's colour: a safety flag (the errors that hurt) apart from the rest
MARK_CLASS = {HIGHLIGHT: "flag", NEGATION: "negation", SAFETY: "safety"}


class ReviewApp:
    def __init__(self, settings: Settings, token: str | None = None):
        self.settings = settings
        self.token = token
        self.csrf = secrets.token_urlsafe(32)
        self.store = Store(settings.db)
        self.phone = PhoneRoutes(self.store)  # the "Phone messages" tab
        self.who = WhoRoutes(self.store)  # the secretary's name, and who is on which letter
        self.worklist = WorklistRoutes(self.store)  # tasks to book, and the billing sheet

    # -- guards ----------------------------------------------------------------------------
    def _authorised(self, request: Request) -> bool:
        if not self.token:
            return True
        given = request.cookies.get("dictation_token") or request.headers.get("authorization", "").removeprefix(
            "Bearer ")
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _same_origin(self, request: Request) -> bool:
        if not hmac.compare_digest(request.headers.get("x-csrf-token", "").encode(), self.csrf.encode()):
            return False
        origin = request.headers.get("origin")
        return origin is None or origin.split("://", 1)[-1] == request.headers.get("host")

    def _actor(self, request: Request, body: dict) -> str:
        """Who does it, for the audit events: the name the secretary gave the page."""
        return self.who.name(request) or str(body.get("reviewer") or "review page")

    def _job(self, job_id: str):
        if not JOB_ID.match(job_id):
            return None
        job = self.store.get(job_id)
        return job if job and job.archive_dir else None

    # -- pages -----------------------------------------------------------------------------
    def page(self, name: str):
        def handler(request: Request) -> Response:
            html = (STATIC / name).read_text(encoding="utf-8").replace("{{csrf}}", self.csrf)
            return Response(html, media_type="text/html", headers={"Cache-Control": "no-store"})
        return handler

    def login(self, request: Request) -> Response:
        given = request.query_params.get("token", "")
        if not self.token or not hmac.compare_digest(given.encode(), self.token.encode()):
            return Response("wrong or missing token", status_code=401)
        response = Response(status_code=303, headers={"Location": "/"})
        response.set_cookie("dictation_token", self.token, httponly=True, samesite="strict")
        return response

    # -- data ------------------------------------------------------------------------------
    def queue(self, request: Request) -> JSONResponse:
        now = dt.datetime.now().astimezone()
        rows = []
        jobs = [j for j in self.store.jobs() if j.state in QUEUE_STATES]
        held = self.who.holds.current()
        for job in sorted(jobs, key=lambda j: (-j.priority, j.received_at)):
            age = now - dt.datetime.fromisoformat(job.received_at)
            due = turnaround.due(job, self.settings)
            rows.append({"id": job.id, "urgent": bool(job.priority), "age_minutes": int(age.total_seconds() // 60),
                         "author": job.author or "", "patient": self._patient(job), "type": job.letter_type or "",
                         "state": job.state, "due": due.isoformat(timespec="minutes") if due else None,
                         "late": turnaround.is_late(job, self.settings, now), "held_by": held.get(job.id)})
        rows.sort(key=lambda r: not r["late"])  # late letters first, each group in its own order
        return JSONResponse(rows)

    def _patient(self, job) -> str:
        draft = Path(job.draft_path) if job.draft_path else None
        if draft and draft.with_suffix(".analysis.json").is_file():
            return approval.patient_facts(draft).get("name") or ""
        return job.metadata.get("patient", "")

    def _letter(self, job):
        archive = Path(job.archive_dir)
        transcript = Transcript.from_dict(json.loads((archive / "transcript.json").read_text()))
        saved = archive / ob.LANGUAGE_FILE
        if saved.is_file():  # written by the worker with the draft
            data = json.loads(saved.read_text(encoding="utf-8"))
            return transcript, Dictated.from_dict(data["dictated"]), Analysis.from_dict(data["analysis"])
        # a draft made before the worker kept the stage's output: run the stage again
        received = dt.datetime.fromisoformat(job.received_at)
        dictated, analysis = language(transcript, received.date())
        return transcript, dictated, analysis

    def job(self, request: Request) -> JSONResponse:
        job = self._job(request.path_params["job_id"])
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        transcript, dictated, analysis = self._letter(job)
        marks = review_marks(transcript, dictated, analysis, self.settings.low_confidence)
        words = transcript.words
        tokens = [{"text": t.text, "kind": t.kind, "start": t.start, "end": t.end,
                   "flag": marks[i][1] if i in marks else None,
                   "mark": MARK_CLASS.get(marks[i][0]) if i in marks else None,
                   **(dict(zip(("page", "box"), scan_place(words, t.sources))) if transcript.is_scan else {})}
                  for i, t in enumerate(dictated.tokens)]
        return JSONResponse({"id": job.id, "state": job.state, "type": job.letter_type, "author": job.author,
                             "patient": self._patient(job), "tokens": tokens, "text": dictated.text,
                             "kind": transcript.kind, "pages": transcript.pages})

    def page_image(self, request: Request) -> Response:
        """Page n of the job's scan as it was read (the word boxes fit it), from its archive."""
        job = self._job(request.path_params["job_id"])
        if job is None or not job.archive_dir:
            return Response(status_code=404)
        archive = Path(job.archive_dir).resolve()
        number = request.path_params["number"]
        image = archive / page_name(number)
        if not archive.is_relative_to(self.settings.outbox.resolve()) or not image.is_file():
            return Response(status_code=404)
        return FileResponse(image, media_type="image/png")

    def audio(self, request: Request) -> Response:
        """The job's own recording from its archive, as 16 kHz WAV every browser plays."""
        job = self._job(request.path_params["job_id"])
        if job is None:
            return Response(status_code=404)
        archive = Path(job.archive_dir).resolve()
        if not archive.is_relative_to(self.settings.outbox.resolve()):
            return Response(status_code=404)
        original = next((p for p in archive.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES), None)
        if original is None:
            return Response(status_code=404)
        cached = archive / "review-audio.wav"
        if not cached.is_file():
            samples = np.clip(decode(original) * 32767, -32768, 32767).astype("<i2")
            buffer = io.BytesIO()
            with wave.open(buffer, "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(SAMPLE_RATE)
                out.writeframes(samples.tobytes())
            cached.write_bytes(buffer.getvalue())
            cached.chmod(0o600)
        return FileResponse(cached, media_type="audio/wav")

    async def approve(self, request: Request) -> JSONResponse:
        job = self._job(request.path_params["job_id"])
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        body = await request.json()
        transcript, dictated, _ = self._letter(job)
        edited = edits.apply(dictated, str(body.get("text", dictated.text)))
        # the letter's sections and facts as the secretary left them
        analysis = analyse(edited.text, edited.preamble, dt.date.fromisoformat(job.received_at[:10]))
        info = LetterInfo(job_id=job.id, source=job.original_name, dictated_on=job.received_at[:10],
                          author=job.author, patient=self._patient(job) or None, mrn=job.metadata.get("mrn"))
        info, analysis, template = complete_info(info, self.settings, edited, analysis, job.metadata.get("letter_type"),
                                       frozenset(job.metadata))
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "edited.docx"
            copy.write_bytes(draft_bytes(transcript, info, self.settings, edited, analysis, template))
            try:
                final = approval.approve(self.store, self.settings, job.id, actor=self._actor(request, body),
                                         edited=copy)
            except DictationError as err:
                return JSONResponse({"error": str(err)}, status_code=409)
        return JSONResponse({"state": "approved", "final": final.name})

    async def return_(self, request: Request) -> JSONResponse:
        job = self._job(request.path_params["job_id"])
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        body = await request.json()
        try:
            approval.return_to_author(self.store, self.settings, job.id, str(body.get("reason", "")),
                                    actor=self._actor(request, body))
        except DictationError as err:
            return JSONResponse({"error": str(err)}, status_code=409)
        return JSONResponse({"state": "returned"})

    def vocabulary(self, request: Request) -> JSONResponse:
        """The rules learned from approvals (``pipeline/learning``), for a secretary to accept or reject."""
        from ...learning.store import PracticeStore

        with PracticeStore(self.settings.db) as store:
            return JSONResponse(store.suggestions())

    async def decide(self, request: Request) -> JSONResponse:
        from ...learning.store import PracticeStore

        action = request.path_params["action"]
        if action not in ("accept", "reject"):
            return JSONResponse({"error": "accept or reject"}, status_code=404)
        with PracticeStore(self.settings.db) as store:
            done = store.decide(request.path_params["rule_id"], "accepted" if action == "accept" else "rejected")
        if done is None:
            return JSONResponse({"error": "no such suggestion"}, status_code=404)
        return JSONResponse(done)

    # -- the ASGI app ------------------------------------------------------------------------
    def build(self) -> Starlette:
        routes = [
            Route("/", self.page("queue.html")),
            Route("/login", self.login),
            Route("/review/{job_id}", self.page("review.html")),
            Route("/api/queue", self.queue),
            Route("/api/jobs/{job_id}", self.job),
            Route("/api/jobs/{job_id}/audio", self.audio),
            Route("/api/jobs/{job_id}/pages/{number:int}", self.page_image),
            Route("/api/jobs/{job_id}/approve", self.approve, methods=["POST"]),
            Route("/api/jobs/{job_id}/return", self.return_, methods=["POST"]),
            Route("/api/vocabulary", self.vocabulary),
            Route("/api/vocabulary/{rule_id:int}/{action}", self.decide, methods=["POST"]),
            Route("/api/me", self.who.me),
            Route("/api/me", self.who.set_me, methods=["POST"]),
            Route("/api/jobs/{job_id}/hold", self.who.hold, methods=["POST"]),
            Route("/messages", self.page("messages.html")),
            Route("/api/messages", self.phone.listed),
            Route("/api/messages/{job_id}", self.phone.mark, methods=["POST"]),
            *self.worklist.routes(self.page),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
        guard = self

        async def security(request: Request, call_next):
            if request.url.path != "/login" and not guard._authorised(request):
                return Response("a token is needed: open /login?token=… first", status_code=401)
            if request.method not in ("GET", "HEAD") and not guard._same_origin(request):
                return Response("refused: this request did not come from the review page", status_code=403)
            response = await call_next(request)
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Content-Security-Policy"] = "default-src 'self'; media-src 'self' blob:"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

        return Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=security)])


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8765, token: str | None = None) -> None:
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        raise DictationError(f"the review page would be open to the network on {host} without a password",
                             "set review_token in the settings (or DICTATION_REVIEW_TOKEN), or leave --host out")
    uvicorn.run(ReviewApp(settings, token).build(), host=host, port=port, log_level="warning")

"""The review page, in a real headless Chromium (Debian's, driven by Playwright), against a
real server on 127.0.0.1 with real drafts made from synthesised dictations."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import docx
import httpx
import pytest

from pipeline.cli import main
from pipeline.config import Settings
from pipeline.desk.store import Store
from pipeline.errors import DictationError
from pipeline.process import language
from pipeline.records import Analysis, Dictated, Transcript
from pipeline.review.web.app import ReviewApp, serve

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
NOTE = ("This is Doctor Anna Lee dictating a clinic note for patient Mary Jones. "
        "She is well and her blood pressure is controlled. She denies chest pain. "
        "Plan colon continue lisinopril 10 milligrams daily period")


def _chromium() -> Path:
    """Debian's chromium, installed here if it is missing; the test skips only if that fails."""
    if not CHROMIUM.exists() and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], capture_output=True, timeout=600)
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed and `apt-get install chromium` failed here")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, settings: Settings, token: str | None = None):
        import uvicorn

        self.port = _free_port()
        self.app = ReviewApp(settings, token)
        self.server = uvicorn.Server(uvicorn.Config(self.app.build(), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def desk(tmp_path_factory, synth) -> Settings:
    """One dictation through `dictation batch`: a real draft waiting for review."""
    return batch_desk(tmp_path_factory.mktemp("review"),
                      lambda inbox: (inbox / "jones.wav").write_bytes(synth("review-note", NOTE, steady=1.0).read_bytes()))


@contextlib.contextmanager
def review_page(settings: Settings, **context):
    """(server, page): the review page served on a free port and opened in Debian's chromium.
    bypass_csp: Playwright's wait_for_function evaluates strings, which the page's CSP forbids."""
    from playwright.sync_api import sync_playwright

    with Server(settings) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(_chromium()))
        try:
            yield server, browser.new_context(bypass_csp=True, **context).new_page()
        finally:
            browser.close()


def batch_desk(root: Path, drop) -> Settings:
    """A fresh inbox, outbox and job database; ``drop(inbox)`` puts the files in; one `dictation batch`."""
    settings = Settings(inbox=root / "inbox", outbox=root / "outbox", db=root / "jobs.sqlite3")
    settings.inbox.mkdir()
    drop(settings.inbox)
    args = ["--inbox", str(settings.inbox), "--outbox", str(settings.outbox), "--db", str(settings.db)]
    assert main(["batch", "--quiet", "--settle", "0.2", *args]) == 0
    return settings


def test_review_in_a_real_browser(desk):
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    [job] = Store(desk.db).jobs()
    with Server(desk) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--autoplay-policy=no-user-gesture-required"])
        # bypass_csp: Playwright's wait_for_function evaluates strings, which the page's CSP forbids
        page = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True).new_page()
        page.goto(server.url + "/")
        page.wait_for_selector("#rows tr")
        assert "Mary Jones" in page.inner_text("#rows") and "Progress note" in page.inner_text("#rows")
        page.screenshot(path=str(ARTIFACTS / "review-queue.png"))

        page.click("#rows a")
        page.wait_for_selector("#letter .w")
        page.wait_for_function("document.getElementById('audio').readyState >= 1")
        word = page.locator("#letter .w", has_text="controlled")
        start = float(word.get_attribute("data-start"))
        word.click()
        page.wait_for_function("!document.getElementById('audio').paused")
        played_from = page.evaluate("document.getElementById('audio').currentTime")
        assert start - 0.05 <= played_from <= start + 1.5  # playback started at the clicked word
        page.wait_for_selector("#letter .w.current")
        page.keyboard.press("F4")  # the pedal: pause
        assert page.evaluate("document.getElementById('audio').paused")
        page.keyboard.press("F8")
        assert page.inner_text("#rate") == "speed 1.1×"
        assert page.locator("#flags li").count() >= 1  # at least the negation to confirm
        page.screenshot(path=str(ARTIFACTS / "review-page.png"))

        # the secretary edits a word, then approves
        word.evaluate("(el) => { el.textContent = 'well controlled'; }")
        page.click("#approve")
        page.wait_for_function("document.getElementById('status').textContent === 'approved'")
        page.screenshot(path=str(ARTIFACTS / "review-approved.png"))
        browser.close()

    job = Store(desk.db).get(job.id)
    assert job.state == "approved"
    from pipeline.learning.store import PracticeStore

    with PracticeStore(desk.db) as store:  # the edit is learned from: the author's correction rate
        [(_, letters, words, changed)] = store.correction_rates("2000-01-01", "2100-01-01")
    assert letters == 1 and words > 10 and changed >= 1
    final = docx.Document(job.final_path)
    text = "\n".join(p.text for p in final.paragraphs)
    assert "well controlled" in text and not final.comments
    assert Path(job.final_path).with_suffix(".fhir.json").is_file()


def test_suggested_rules_are_accepted_on_the_page(tmp_path):
    """A correction the secretaries made twice is listed on the queue page; Accept makes it a rule."""
    from pipeline.learning.approvals import learn_approval
    from pipeline.learning.store import PracticeStore

    settings = Settings(inbox=tmp_path / "inbox", outbox=tmp_path / "outbox", db=tmp_path / "jobs.sqlite3")
    for job in ("j1", "j2"):
        learn_approval(settings.db, job, "Anna Lee", "2026-12-01", "Start Prylisic daily.", "Start Prilosec daily.")
    learn_approval(settings.db, "j3", "Anna Lee", "2026-12-01", "He has a dry coff.", "He has a dry cough.")
    with review_page(settings) as (server, page):
        page.goto(server.url + "/")
        page.wait_for_selector("#rules tr")
        assert page.locator("#rules tr").count() == 1  # seen once ("coff") is not suggested yet
        row = page.locator("#rules tr").first
        assert "prylisic" in row.inner_text() and "Prilosec" in row.inner_text() and "2 times" in row.inner_text()
        row.locator("button.accept").click()
        page.wait_for_function("document.querySelector('#rules tr').innerText.includes('accepted')")
    with PracticeStore(settings.db) as store:
        assert [(r.heard, r.typed) for r in store.practice("Anna Lee").rules] == [("prylisic", "Prilosec")]


@pytest.fixture(scope="module")
def scan_desk(tmp_path_factory) -> Settings:
    """A scanned note, with a handwritten scribble, through `dictation batch`."""
    import scans

    page = scans.render_page(["Patient: Mary Jones    DOB: 03/04/1950",
                              "ASSESSMENT: Hypertension, well controlled. She denies chest pain.",
                              "PLAN: Continue lisinopril 10 mg daily and furosemide 20 mg daily.",
                              "Hydroxyzine 25 mg at night for itching."])
    return batch_desk(tmp_path_factory.mktemp("scan-review"),
                      lambda inbox: scans.degrade(scans.scribble(page, (0.5, 0.5, 0.85, 0.58))).save(inbox / "jones scan.png"))


def test_scan_review_boxes_the_word_on_the_page(scan_desk):
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    [job] = Store(scan_desk.db).jobs()
    with Server(scan_desk) as server, sync_playwright() as p:
        data = httpx.get(f"{server.url}/api/jobs/{job.id}").json()
        assert data["kind"] == "scan" and data["pages"] == 1
        want = next(t for t in data["tokens"] if t["text"] == "furosemide")["box"]
        browser = p.chromium.launch(executable_path=str(chromium))
        page = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
        page.goto(f"{server.url}/review/{job.id}")
        page.wait_for_selector("#letter .w")
        page.wait_for_function("document.querySelector('#pages img') && document.querySelector('#pages img').naturalWidth > 0")
        assert page.is_hidden("#player") and page.is_visible("#scan")
        page.hover("#letter .w >> text=furosemide")
        page.wait_for_selector("#pages .box:not([hidden])")
        shown = page.evaluate("""() => { const b = document.querySelector('#pages .box').getBoundingClientRect();
            const i = document.querySelector('#pages img').getBoundingClientRect();
            return [(b.left - i.left) / i.width, (b.top - i.top) / i.height,
                    (b.right - i.left) / i.width, (b.bottom - i.top) / i.height]; }""")
        assert all(abs(a - b) < 0.01 for a, b in zip(shown, want)), (shown, want)  # the box sits on the word
        flags = page.inner_text("#flags")
        assert "not read: read it on the scan (page 1)" in flags and "Negated" in flags
        # a safety flag (ISMP: hydroxyzine/hydralazine) in its own colour, at the head of the list
        assert page.locator("#letter .w.safety").first.inner_text() == "Hydroxyzine"
        assert page.locator("#flags li").first.get_attribute("class") == "safety"
        assert page.inner_text("#flags li >> nth=0").startswith("Sound-alike medicine: \u201cHydroxyzine\u201d")
        assert page.locator("#letter .w.flag").count() >= 1  # the other marks keep theirs
        page.click("#letter .w >> text=lisinopril")  # the text cursor in a word moves the box too
        moved = page.evaluate("document.querySelector('#pages .box').style.left")
        assert moved and float(moved.rstrip("%")) / 100 != pytest.approx(want[0], abs=0.005)
        page.screenshot(path=str(ARTIFACTS / "review-scan.png"))
        page.click("#approve")
        page.wait_for_function("document.getElementById('status').textContent === 'approved'")
        browser.close()
    job = Store(scan_desk.db).get(job.id)
    assert job.state == "approved" and "furosemide 20 mg daily" in "\n".join(
        p.text for p in docx.Document(job.final_path).paragraphs)


def test_page_edits_keep_every_words_audio():
    from pipeline.review import edits
    from pipeline.language.dictation import dictate
    from pipeline.records import Word

    spoken = "the patient is well period new paragraph plan colon continue metformin period".split()
    letter = dictate([Word(" " + w, i * 0.5, i * 0.5 + 0.4, 0.9) for i, w in enumerate(spoken)])
    edited = edits.apply(letter, letter.text.replace("well", "very well").replace("metformin", "insulin"))
    times = {t.text: (t.start, t.end) for t in edited.tokens if t.kind == "word"}
    assert edited.text == "The patient is very well.\n\nPLAN: Continue insulin."
    assert times["well"] == (1.5, 1.9) and times["Continue"] == (4.5, 4.9)  # unchanged words keep their time
    assert times["very"] == (1.4, 1.5)  # an inserted word: the gap between its neighbours
    assert times["insulin"] == (5.0, 5.4)  # an edited word: the span of the word it replaced


def test_beyond_localhost_needs_a_token(desk):
    with pytest.raises(DictationError, match="review_token"):
        serve(desk, host="0.0.0.0", port=_free_port(), token=None)


def test_token_csrf_and_paths(desk, tmp_path):
    (desk.outbox.parent / "secret.txt").write_text("not for the browser")
    with Server(desk, token="s3cret-token") as server:
        client = httpx.Client(base_url=server.url)
        assert client.get("/").status_code == 401  # no token
        assert client.get("/api/queue").status_code == 401
        assert client.get("/login", params={"token": "wrong"}).status_code == 401
        assert client.get("/login", params={"token": "s3cret-token"}).status_code == 303
        assert client.get("/api/queue").status_code == 200  # the cookie carries the token now

        # nothing outside the outbox and the static folder can be asked for
        for path in ("/static/../../../pyproject.toml", "/static/%2e%2e/app.py", "/api/jobs/..%2F..%2Fsecret.txt",
                     "/api/jobs/../secret.txt/audio", "/api/jobs/20261126-000000-abcdef/audio"):
            response = client.get(path)
            assert response.status_code == 404 and b"not for the browser" not in response.content, path

        # state changes only from the page: the CSRF header, and a same-origin Origin
        job = Store(desk.db).jobs()[0]
        url = f"/api/jobs/{job.id}/return"
        assert client.post(url, json={"reason": "x"}).status_code == 403
        assert client.post(url, json={"reason": "x"}, headers={"X-CSRF-Token": server.app.csrf,
                                                                "Origin": "http://evil.example"}).status_code == 403
        form = client.post(url, data={"reason": "x"}, headers={"Origin": server.url})  # a cross-site form post
        assert form.status_code == 403
        assert Store(desk.db).get(job.id).state == job.state  # nothing changed


def test_the_page_reads_the_letter_the_worker_saved(tmp_path, synth):
    """The worker keeps the language stage's output (the letter's tokens and the analysis) in
    the job's archive; the page shows that file instead of running the stage again."""
    settings = batch_desk(tmp_path, lambda inbox: (inbox / "jones.wav").write_bytes(
        synth("review-note", NOTE, steady=1.0).read_bytes()))
    job = Store(settings.db).jobs()[0]
    saved_path = Path(job.archive_dir) / "language.json"
    assert saved_path.stat().st_mode & 0o777 == 0o600
    saved = json.loads(saved_path.read_text(encoding="utf-8"))
    transcript = Transcript.from_dict(json.loads((Path(job.archive_dir) / "transcript.json").read_text()))
    dictated, analysis = language(transcript, dt.date.fromisoformat(job.received_at[:10]))
    assert Dictated.from_dict(saved["dictated"]) == dictated  # the same record the draft was made from
    # the safety checks asked the recording, which this text-only rerun has not got: the rest is the same
    fresh = json.loads(json.dumps(analysis.to_dict()))
    assert {k: v for k, v in saved["analysis"].items() if k != "safety"} == {k: v for k, v in fresh.items() if k != "safety"}
    assert json.loads(json.dumps(Analysis.from_dict(saved["analysis"]).to_dict()))["safety"] == saved["analysis"]["safety"]
    assert Analysis.from_dict(saved["analysis"]).sections == analysis.sections

    words = [i for i, t in enumerate(saved["dictated"]["tokens"]) if t["kind"] == "word"]
    saved["dictated"]["tokens"][words[-1]]["text"] = "WORD-FROM-THE-FILE"  # what the page shows comes from here
    saved_path.write_text(json.dumps(saved), encoding="utf-8")
    with Server(settings) as server:
        body = httpx.get(f"{server.url}/api/jobs/{job.id}").json()
    assert [t["text"] for t in body["tokens"]] == [t["text"] for t in saved["dictated"]["tokens"]]
    assert body["tokens"][words[-1]]["text"] == "WORD-FROM-THE-FILE"

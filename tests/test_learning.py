"""Learning from the practice's letters and approvals (pipeline/learning/), through the CLI.

Real files (Word documents written here), real SQLite, the real batch command on speech
synthesised here and recognised by base."""
from __future__ import annotations

import math
import re
import stat
from pathlib import Path

import docx
import pytest
from conftest import distinct_copies

from pipeline.cli import main
from pipeline.desk.store import Store
from pipeline.language.ngram import KneserNey, trigrams
from pipeline.learning.approvals import compare, learn_approval
from pipeline.learning.learn import learn
from pipeline.learning.store import PracticeStore, practice_path

LETTERS = [
    "Dear Dr. Thistlewood,\nThank you for seeing Mr. Albert Quimby. He was started on Prilosec 20 mg daily for reflux.\n"
    "Yours sincerely,\nDr. Jane Smith",
    "Dear Dr. Thistlewood,\nI reviewed Mrs. Edna Vantongeren today. She continues Prilosec 20 mg daily.\n"
    "Yours sincerely,\nDr. Jane Smith",
    "Dear colleague,\nMs. Ruth Pallister was started on Prilosec 20 mg daily at St. Wilfrid's Hospital.\n"
    "Kind regards,\nDr. Omar Haddad",
]


def write_letters(folder):
    folder.mkdir()
    for i, text in enumerate(LETTERS[:2]):
        document = docx.Document()
        for line in text.split("\n"):
            document.add_paragraph(line)
        document.save(folder / f"letter {i}.docx")
    (folder / "letter 2.txt").write_text(LETTERS[2], encoding="utf-8")
    (folder / "broken.docx").write_bytes(b"this is not a Word document")


def test_kneser_ney_is_a_distribution_and_prefers_the_practices_sentences():
    model = KneserNey(trigrams(" ".join(LETTERS)))
    vocabulary = list(model.uni_cont) + ["an-unseen-word"]
    for context in (("<s>", "<s>"), ("started", "on"), ("for", "seeing"), ("never", "seen")):
        assert math.isclose(sum(model.probability(w, *context) for w in vocabulary), 1.0, rel_tol=1e-9), context
    assert model.log_prob(["prilosec"], ["started", "on"]) > model.log_prob(["prylisic"], ["started", "on"])
    assert model.probability("an-unseen-word", "started", "on") > 0  # a prior never rules a word out


def test_learn_reads_letters_keeps_what_recurs_and_counts_each_letter_once(tmp_path, capsys):
    folder, db = tmp_path / "letters", tmp_path / "jobs.sqlite3"
    write_letters(folder)
    roster = tmp_path / "authors.txt"
    roster.write_text("Dr. Jane Smith\nDr. Omar Haddad\n")
    config = tmp_path / "config.toml"
    config.write_text(f'authors = "{roster}"\n')
    assert main(["learn", str(folder), "--db", str(db), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "learned 3 letters" in out and "Dr. Jane Smith: 2 letters" in out and "Dr. Omar Haddad: 1 letters" in out
    assert "skipped: broken.docx: the letter cannot be read as a Word document" in out
    assert stat.S_IMODE(practice_path(db).stat().st_mode) == 0o600
    with PracticeStore(db) as store:
        practice = store.practice()
        smith = store.practice("Dr. Jane Smith")
    assert practice.vocabulary["Prilosec"] == 3 and "Prilosec" in practice.names()
    # a name in one letter only (a patient's) is not kept; the colleague in two is
    assert not {"Quimby", "Vantongeren", "Pallister"} & set(practice.vocabulary)
    assert practice.vocabulary["Thistlewood"] == 2
    assert smith.vocabulary["Prilosec"] == 3 + 2  # the author's own letters count again on top
    assert main(["learn", str(folder), "--db", str(db)]) == 0
    assert "learned 0 letters (3 learned before, not counted again)" in capsys.readouterr().out
    assert main(["learn", str(tmp_path / "nowhere"), "--db", str(db)]) == 2
    assert "the folder of letters does not exist" in capsys.readouterr().err


def test_approvals_make_suggestions_that_a_secretary_accepts_or_rejects(tmp_path, capsys):
    db = tmp_path / "jobs.sqlite3"
    subs, typed, words, changed = compare("He takes Prylisic daily for reflux.", "He takes Prilosec daily for reflux.")
    assert subs == [("prylisic", "Prilosec")] and typed["Prilosec"] == 1 and (words, changed) == (6, 1)
    learn_approval(db, "job-1", "Dr. Jane Smith", "2026-12-01", "He takes Prylisic daily.", "He takes Prilosec daily.")
    assert main(["vocabulary", "--db", str(db)]) == 0
    assert "no suggested rules yet" in capsys.readouterr().out  # once is not yet a pattern
    learn_approval(db, "job-2", "Dr. Jane Smith", "2026-12-02", "Stop Prylisic now.", "Stop Prilosec now.")
    learn_approval(db, "job-3", "Dr. Jane Smith", "2026-12-02", "Lungs clear.", "Lungs clear.")
    for _ in range(2):
        learn_approval(db, "job-4", "Dr. Omar Haddad", "2026-12-02", "Seen in clinic.", "Seen in the clinic.")
    assert main(["vocabulary", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "suggested  Dr. Jane Smith: \u201cprylisic\u201d \u2192 \u201cPrilosec\u201d  seen 2 times" in out
    rule = int(out.split()[0])
    assert main(["vocabulary", "accept", str(rule), "--db", str(db)]) == 0
    assert "accepted" in capsys.readouterr().out
    with PracticeStore(db) as store:
        assert [(r.heard, r.typed) for r in store.practice("Dr. Jane Smith").rules] == [("prylisic", "Prilosec")]
        assert store.practice("Dr. Omar Haddad").rules == ()  # one author's rule is not another's
        rates = {a: (n, w, c) for a, n, w, c in store.correction_rates("2026-12-02", "2026-12-02")}
    assert rates["Dr. Jane Smith"] == (2, 5, 1)
    assert main(["vocabulary", "reject", "999", "--db", str(db)]) == 2
    assert "there is no suggested rule 999" in capsys.readouterr().err


def test_a_word_the_practices_letters_use_is_not_a_mishearing(tmp_path):
    """"dilated" is rare in everyday English but the practice writes it ("pupils dilated"): a
    secretary replacing it with "Dilaudid" in one sentence is not a rule for every letter."""
    assert compare("Given dilated 2 mg.", "Given Dilaudid 2 mg.")[0] == [("dilated", "Dilaudid")]
    letters = tmp_path / "letters"
    letters.mkdir()
    for n in range(2):
        (letters / f"eye-{n}.txt").write_text("Pupils were dilated and the fundi were normal.", encoding="utf-8")
    db = tmp_path / "jobs.sqlite3"
    learn(letters, db)
    for job in ("j1", "j2"):
        learn_approval(db, job, "Dr. Jane Smith", "2026-12-02", "Given dilated 2 mg.", "Given Dilaudid 2 mg.")
        learn_approval(db, job + "b", "Dr. Jane Smith", "2026-12-02", "Start Prylisic.", "Start Prilosec.")
    with PracticeStore(db) as store:
        assert [(s["heard"], s["status"]) for s in store.suggestions()] == [("prylisic", "suggested")]


@pytest.fixture(scope="module")
def clip(synth):
    return synth("learning", "Follow up visit for acne. She will continue Tazorac cream at night. Review in one month.",
                 steady=1.0)


def test_an_accepted_rule_reaches_the_next_draft_flagged(tmp_path, clip):
    """The whole loop on the real desk: a draft, the secretary's edit approved twice, the
    suggestion accepted, and the author's next draft has the word she typed, flagged."""
    import shutil

    settings = ["--inbox", str(tmp_path / "inbox"), "--outbox", str(tmp_path / "outbox"), "--db", str(tmp_path / "j.db")]
    (tmp_path / "inbox").mkdir()
    (tmp_path / "clips").mkdir()
    names = ["first.wav", "second.wav", "third.wav"]
    copies = dict(zip(names, distinct_copies(clip, tmp_path / "clips", names)))  # one recording would be taken once

    def drafted(name: str):
        shutil.copy(copies[name], tmp_path / "inbox" / name)
        assert main(["batch", "--quiet", "--settle", "0.2", *settings]) == 0
        job = next(j for j in Store(tmp_path / "j.db").jobs() if j.original_name == name)
        assert job.state == "drafted", job.error
        return job

    from wordfreq import zipf_frequency

    heard = typed = None
    for name in ("first.wav", "second.wav"):
        job = drafted(name)
        draft = docx.Document(job.draft_path)
        if heard is None:  # the word the draft has for "Tazorac", however base spelled it: not everyday English
            body = next(p for p in draft.paragraphs if "cream" in p.text.lower())
            heard = next(w for w in re.findall(r"[A-Za-z]+", body.text) if zipf_frequency(w, "en") < 3.0)
            typed = "tazarotene" if heard.lower() != "tazarotene" else "Tazorac"  # the secretary writes the generic
        paragraph = next(p for p in draft.paragraphs if heard in p.text)
        for run in paragraph.runs:  # the secretary's edit, in Word
            run.text = run.text.replace(heard, typed)
        if name == "first.wav":  # approved with the command
            draft.save(job.draft_path)
            assert main(["approve", job.id, *settings]) == 0
        else:  # saved into outbox/approved/, where the watcher (and the batch) collects it
            draft.save(tmp_path / "outbox" / "approved" / Path(job.draft_path).name)
            Path(job.draft_path).unlink()
            assert main(["batch", "--quiet", "--settle", "0.2", *settings]) == 0
            assert Store(tmp_path / "j.db").get(job.id).state == "approved"
    with PracticeStore(tmp_path / "j.db") as store:
        [suggestion] = [s for s in store.suggestions(("suggested",)) if s["typed"] == typed]
    assert main(["vocabulary", "accept", str(suggestion["id"]), *settings]) == 0
    job = drafted("third.wav")
    draft = docx.Document(job.draft_path)
    assert typed in "\n".join(p.text for p in draft.paragraphs)
    assert any(f"Corrected from \u201c{heard}\u201d" in c.text for c in draft.comments)
    assert main(["report", "--day", job.received_at[:10], *settings]) == 0
    [report] = (tmp_path / "outbox" / "reports").glob("*.docx")
    tables = docx.Document(report).tables
    assert any("Corrections by author" in h.text for h in docx.Document(report).paragraphs)
    assert any(row.cells[2].text not in ("", "–") for t in tables for row in t.rows[1:] if len(row.cells) == 5)


def test_the_practices_names_are_candidates_for_a_doubtful_word_and_the_model_a_prior(tmp_path):
    from pipeline.language.correction import correct
    from pipeline.language.dictation import prepare
    from pipeline.records import Word

    folder, db = tmp_path / "letters", tmp_path / "jobs.sqlite3"
    write_letters(folder)
    assert main(["learn", str(folder), "--db", str(db)]) == 0
    with PracticeStore(db) as store:
        practice = store.practice()
    said = [(" Dear", 0.9), (" Dr.", 0.9), (" Thistlewod,", 0.3), (" thank", 0.9), (" you.", 0.9)]
    tokens, _, _ = prepare([Word(w, i * 0.4, i * 0.4 + 0.3, p) for i, (w, p) in enumerate(said)])
    assert "Thistlewod" in [t.text for t in correct(tokens)]  # no such medicine: as heard
    fixed = {t.text: t.heard for t in correct(tokens, practice=practice)}
    assert fixed.get("Thistlewood") == "Thistlewod"  # the colleague the practice writes to, flagged as a correction
    assert practice.prior(["started", "on"], "Prilosec", ["20"]) > practice.prior(["started", "on"], "Prylisic", ["20"])

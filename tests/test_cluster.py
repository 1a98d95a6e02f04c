"""The end-of-day batch on a real Dask cluster: a LocalCluster of 2 worker processes on this
machine, real Whisper weights, real piper speech, the real job store. The desk stays the
single writer: every dictation is drafted exactly once, whatever dies in the middle."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import docx
import pytest

from conftest import wait_for, watching
from pipeline.cluster import connect
from pipeline.config import Settings
from pipeline.desk.store import Store
from pipeline.errors import ConfigError

# Six short dictations written for these tests (no real patient), each a different recording.
LETTERS = [
    "This is Doctor Sarah Patel dictating a clinic letter for patient Maria Lopez. "
    "She has mild asthma, well controlled on albuterol as needed. Follow up in three months.",
    "This is Doctor James Okafor dictating a progress note for patient Peter Novak. "
    "His blood pressure today was 132 over 84. Continue lisinopril 10 milligrams daily.",
    "This is Doctor Sarah Patel dictating a clinic letter for patient Helen Brooks. "
    "She reports knee pain on the right side after a fall. An X-ray showed no fracture.",
    "This is Doctor James Okafor dictating a clinic letter for patient Ahmed Karimi. "
    "He has type 2 diabetes. His hemoglobin A1c was 7.2 percent. Continue metformin.",
    "This is Doctor Sarah Patel dictating a progress note for patient Laura Chen. "
    "She denies chest pain or shortness of breath. Her migraine is better on sumatriptan.",
    "This is Doctor James Okafor dictating a clinic letter for patient Thomas Reid. "
    "He has gout in the left great toe. Start colchicine and review in two weeks.",
]


@pytest.fixture(scope="module")
def clips(synth) -> list[Path]:
    return [synth(f"cluster-{i}", text, steady=1.0) for i, text in enumerate(LETTERS)]


def fill(inbox: Path, clips: list[Path], bad: bool = False) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for i, clip in enumerate(clips):
        (inbox / f"visit {i}.wav").write_bytes(clip.read_bytes())
    if bad:
        (inbox / "scan of a fax.mp3").write_text("not audio at all")


def desk_args(root: Path, *more: str) -> list[str]:
    # one recognition thread everywhere, so a local batch and a worker decode alike
    root.mkdir(parents=True, exist_ok=True)
    config = root / "settings.toml"
    config.write_text("threads = 1\n")
    return ["--inbox", str(root / "inbox"), "--outbox", str(root / "outbox"), "--db", str(root / "jobs.sqlite3"),
            "--config", str(config), "--settle", "0.2", *more]


def dictation(*args: str, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True,
                          timeout=timeout, **kw)


def letters(outbox: Path) -> dict[str, str]:
    """Each draft's job id → its text (header table and body), as python-docx reads it."""
    out = {}
    for path in sorted((outbox / "drafts").rglob("*.docx")):
        doc = docx.Document(str(path))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        out[doc.core_properties.identifier] = "\n".join(cells + [p.text for p in doc.paragraphs])
    return out


def by_source(root: Path) -> dict[str, str]:
    """The drafts' texts by the recording's name: a cluster's and a local batch's job ids differ."""
    store = Store(root / "jobs.sqlite3")
    names = {j.id: j.original_name for j in store.jobs()}
    store.close()
    # the job id is printed in the letter: it differs between the two batches
    return {names[job_id]: text.replace(job_id, "JOB") for job_id, text in letters(root / "outbox").items()}


def assert_each_drafted_once(root: Path, expected: int) -> list:
    store = Store(root / "jobs.sqlite3")
    jobs = store.jobs()
    store.close()
    drafted = [j for j in jobs if j.state == "drafted"]
    assert len(drafted) == expected, [(j.original_name, j.state, j.error) for j in jobs]
    assert len({j.original_name for j in jobs}) == len(jobs)  # one job per input
    texts = letters(root / "outbox")
    assert sorted(texts) == sorted(j.id for j in drafted)  # one draft per job: none missing, none twice
    assert len(list((root / "outbox" / "drafts").rglob("*.docx"))) == expected
    inbox = root / "inbox"
    assert sorted(p.name for p in inbox.iterdir()) == [".work", "phone"] and not any((inbox / ".work").iterdir())
    return jobs


def test_batch_on_a_local_cluster_drafts_each_dictation_once_as_a_local_batch_does(tmp_path, clips):
    on_cluster, here = tmp_path / "cluster", tmp_path / "local"
    fill(on_cluster / "inbox", clips, bad=True)
    fill(here / "inbox", clips)
    # and a phone message: on a cluster too it goes on the callback list, not into a letter
    (on_cluster / "inbox" / "phone").mkdir()
    (on_cluster / "inbox" / "phone" / "voicemail 1.wav").write_bytes(clips[1].read_bytes() + b"\x00\x00")
    run = dictation("batch", *desk_args(on_cluster, "--cluster", "local:2", "--quiet"))
    assert run.returncode == 1, run.stdout + run.stderr  # 1: the bad file failed
    assert "6 drafted, 1 failed" in run.stdout, run.stdout + run.stderr
    local = dictation("batch", *desk_args(here, "--workers", "1", "--quiet"))
    assert local.returncode == 0 and "6 drafted, 0 failed" in local.stdout, local.stdout + local.stderr

    jobs = assert_each_drafted_once(on_cluster, 6)
    assert [j.state for j in jobs].count("failed") == 1
    [phoned] = [j for j in jobs if j.original_name == "voicemail 1.wav"]
    assert phoned.state == "listed" and (phoned.metadata or {}).get("kind") == "voicemail"
    listed = dictation("messages", "--json", *desk_args(on_cluster)[:6])
    assert phoned.id in listed.stdout, listed.stdout + listed.stderr
    reason = (on_cluster / "outbox" / "failed" / "scan of a fax.mp3.error.txt").read_text()
    assert "scan of a fax.mp3: the file cannot be read as audio" in reason and "What to do:" in reason
    assert (on_cluster / "outbox" / "failed" / "scan of a fax.mp3").is_file()  # nothing lost
    # the same letters, word for word, as the workstation's own batch writes
    cluster_texts, local_texts = by_source(on_cluster), by_source(here)
    assert sorted(cluster_texts) == [f"visit {i}.wav" for i in range(6)]
    for name, text in local_texts.items():
        assert cluster_texts[name] == text, name
    assert "Maria Lopez" in cluster_texts["visit 0.wav"] and "great toe" in cluster_texts["visit 5.wav"]
    # no patient's name, no file name in what the desk logged
    for leak in ("Maria", "Lopez", "visit 0", "scan of a fax"):
        assert leak not in run.stderr, leak
    for path in (on_cluster / "outbox").rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, path  # owner-only


def times_run(dask_scheduler, keys) -> dict:
    """How often each task was handed to a worker (the scheduler's own transition log)."""
    return {k: sum(1 for t in dask_scheduler.transition_log if str(t[0]) == k and t[2] == "processing") for k in keys}


def test_a_worker_killed_with_sigkill_mid_task_loses_nothing(tmp_path, clips):
    """A worker process dies in the middle of a recognition: its nanny starts a new one, the
    scheduler runs the task again elsewhere, and the desk writes each letter once."""
    from pipeline.desk.watch import Service

    root = tmp_path / "office"
    fill(root / "inbox", clips)
    settings = Settings(inbox=root / "inbox", outbox=root / "outbox", db=root / "jobs.sqlite3", settle_seconds=0.2,
                        model="tiny.en", threads=1)
    client, cluster = connect.open_client("local:2")
    try:
        connect.wait_for_workers(client)
        client.wait_for_workers(2, timeout=120)
        service = Service(settings, None, cluster=client, cluster_threads=1)
        summary = []
        batch = threading.Thread(target=lambda: summary.append(service.batch(progress=False)), daemon=True)
        batch.start()
        # the moment a worker is busy with a dictation (its models loaded), kill it
        def busy() -> list[str]:
            return [w for w, keys in client.processing().items() if any(str(k).startswith("dictation-") for k in keys)]

        pids = client.run(os.getpid)
        assert wait_for(lambda: bool(busy()), 180), "no worker took a dictation"
        time.sleep(1.0)  # into the recognition, not at its very start
        victim = (busy() or list(pids))[0]
        on_victim = [str(k) for k in client.processing()[victim]]
        os.kill(pids[victim], signal.SIGKILL)
        batch.join(timeout=600)
        assert not batch.is_alive()
        assert summary[0].drafted == 6 and summary[0].failed == 0, summary
        after = client.run(os.getpid)
        assert pids[victim] not in after.values()  # it really died; a fresh process took its place
        # and the scheduler gave what it was running to a worker again
        assert max(client.run_on_scheduler(times_run, keys=on_victim).values()) >= 2
        assert_each_drafted_once(root, 6)

        # the hot folder on the same cluster: a dictation dropped in is drafted by a worker
        with watching(Service(settings, None, cluster=client, cluster_threads=1)):
            (root / "inbox" / "late visit.wav").write_bytes(clips[0].read_bytes()[:-2] + b"\x00\x00\x01\x00")
            assert wait_for(lambda: len(letters(root / "outbox")) == 7, 120), "the watcher drafted nothing"
    finally:
        client.close()
        cluster.close()


def test_a_dictation_whose_workers_keep_dying_goes_to_failed_with_its_reason(tmp_path, clips):
    """Dask gives up on a task after its allowed failures (KilledWorker); here none is allowed,
    so the first real SIGKILL is the last, and the job goes to failed/ like any other failure."""
    import dask

    from pipeline.desk.watch import Service

    root = tmp_path / "office"
    fill(root / "inbox", clips[:1])
    settings = Settings(inbox=root / "inbox", outbox=root / "outbox", db=root / "jobs.sqlite3", settle_seconds=0.2,
                        model="tiny.en", threads=1)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        client, cluster = connect.open_client("local:1")
    try:
        connect.wait_for_workers(client)
        service = Service(settings, None, cluster=client, cluster_threads=1)
        summary = []
        batch = threading.Thread(target=lambda: summary.append(service.batch(progress=False)), daemon=True)
        batch.start()
        assert wait_for(lambda: any(keys for keys in client.processing().values()), 180), "no worker took it"
        time.sleep(0.5)
        for pid in client.run(os.getpid).values():
            os.kill(pid, signal.SIGKILL)
        batch.join(timeout=300)
        assert summary and summary[0].failed == 1 and summary[0].drafted == 0, summary
    finally:
        client.close()
        cluster.close()
    reason = (root / "outbox" / "failed" / "visit 0.wav.error.txt").read_text()
    assert reason.startswith("visit 0.wav: the cluster's workers died") and "What to do:" in reason
    assert (root / "outbox" / "failed" / "visit 0.wav").is_file()


def test_desk_killed_mid_batch_and_started_again_loses_and_repeats_nothing(tmp_path, clips):
    root = tmp_path / "office"
    fill(root / "inbox", clips)
    args = ["batch", *desk_args(root, "--cluster", "local:2", "--model", "tiny.en", "--quiet")]
    # a session of its own, so the kill takes the desk's LocalCluster processes with it
    desk = subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)

    def drafted() -> int:
        if not (root / "jobs.sqlite3").exists():
            return 0
        with Store(root / "jobs.sqlite3") as store:
            return sum(j.state == "drafted" for j in store.jobs())

    try:
        assert wait_for(lambda: drafted() >= 1, 300), "the first batch drafted nothing"
    finally:
        os.killpg(desk.pid, signal.SIGKILL)
        desk.wait()
    first = drafted()
    assert first < 6, "the batch finished before the kill: nothing was tested"
    again = dictation(*args)
    assert again.returncode == 0 and "0 failed" in again.stdout, again.stdout + again.stderr
    assert_each_drafted_once(root, 6)
    with Store(root / "jobs.sqlite3") as store:  # the jobs the dead desk had on the cluster were taken over
        assert any(e["event"] == "resumed" for e in store.events())


def test_plain_tcp_to_another_machine_is_refused():
    with pytest.raises(ConfigError, match="not encrypted"):
        connect.scheduler_address("tcp://192.0.2.10:8786", None)  # TEST-NET-1: never this machine
    with pytest.raises(ConfigError, match="certificates"):
        connect.scheduler_address("tls://192.0.2.10:8786", None)
    assert connect.scheduler_address("127.0.0.1", None) == "tcp://127.0.0.1:8786"
    assert connect.scheduler_address("tcp://localhost:9000", None) == "tcp://localhost:9000"
    certs = connect.Certificates(Path("ca.pem"), Path("me.pem"), Path("me-key.pem"))
    assert connect.scheduler_address("tcp://192.0.2.10:8786", certs) == "tls://192.0.2.10:8786"
    with pytest.raises(ConfigError, match="three files"):
        connect.certificates(Path("ca.pem"), None, None)
    with pytest.raises(ConfigError, match="local cluster size"):
        connect.local_size("local:0")
    run = dictation("worker", "tcp://192.0.2.10:8786", timeout=60)
    assert run.returncode == 2 and "not encrypted" in run.stderr and "--tls-ca" in run.stderr


# The README's recipe ("Running on a cluster"), the three machines played by one.
MAKE_CERTS = """
openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=Practice dictation CA" -keyout ca-key.pem -out ca.pem
for host in scheduler worker desk; do
  openssl req -newkey rsa:3072 -nodes -subj "/CN=$host" -keyout $host-key.pem -out $host.csr
  openssl x509 -req -in $host.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 825 -out $host.pem
done
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scheduler_worker_and_desk_over_tls(tmp_path, clips):
    import shutil

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed here: the README's certificate recipe needs it")
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(["bash", "-ec", MAKE_CERTS], cwd=certs, check=True, capture_output=True, timeout=120)
    port = free_port()
    address = f"tls://127.0.0.1:{port}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--protocol", "tls", "--no-dashboard",
                                  "--tls-ca-file", str(certs / "ca.pem"), "--tls-cert", str(certs / "scheduler.pem"),
                                  "--tls-key", str(certs / "scheduler-key.pem")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    worker = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "worker", address, "--nthreads", "1",
                               "--tls-ca", str(certs / "ca.pem"), "--tls-cert", str(certs / "worker.pem"),
                               "--tls-key", str(certs / "worker-key.pem")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        root = tmp_path / "office"
        fill(root / "inbox", clips[:2])
        tls = ["--tls-ca", str(certs / "ca.pem"), "--tls-cert", str(certs / "desk.pem"),
               "--tls-key", str(certs / "desk-key.pem")]
        run = dictation("batch", *desk_args(root, "--cluster", address, "--model", "tiny.en", "--quiet", *tls))
        assert run.returncode == 0 and "2 drafted, 0 failed" in run.stdout, run.stdout + run.stderr
        assert_each_drafted_once(root, 2)
        # the scheduler speaks TLS only: a desk without the certificates gets nowhere
        with pytest.raises(ConfigError, match="cannot reach the cluster's scheduler"):
            connect.open_client(f"tcp://127.0.0.1:{port}", None, timeout=5)
    finally:
        for proc in (worker, scheduler):
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def test_a_model_the_workers_cannot_load_stops_the_batch_with_its_reason(tmp_path, clips):
    root = tmp_path / "office"
    fill(root / "inbox", clips[:1])
    run = dictation("batch", *desk_args(root, "--cluster", "local:1", "--model", str(tmp_path / "no-such-model"),
                                        "--quiet"), timeout=300)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "no-such-model" in run.stderr and "What to do:" in run.stderr, run.stderr
    with Store(root / "jobs.sqlite3") as store:  # nothing was taken from the inbox's queue for good
        assert all(j.state != "failed" for j in store.jobs())

"""The end-of-day batch on Dask (issue 15): a local batch against a 1-worker and a 2-worker
cluster on this machine, the same dev dictations through each, one run.

    python bench/cluster.py --model base          # 12 dev dictations, about 10 minutes on 2 cores

Every configuration has one recognition thread per worker (the local batch: one job at a
time, one thread), its models loaded before the clock starts; the start-up (engine and
language models, and for a cluster its processes) is timed apart. Printed: each wall time,
the cluster's overhead at 1 worker (target <= 5 %), the speed-up of 2 workers over 1
(target >= 1.7x), whether the three batches wrote the same letters, and, from the measured
per-worker throughput, how many 2-core machines a 200-hour day needs.
"""
from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from transcripts import SHARED, manifest  # noqa: E402

from pipeline.config import Settings  # noqa: E402

DAY_HOURS = 200.0  # 200 physicians x 20 letters x 3 minutes


def desk(root: Path, files: list[Path], model: str) -> Settings:
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    for f in files:
        shutil.copy(f, inbox / f.name)
    return Settings(inbox=inbox, outbox=root / "outbox", db=root / "jobs.sqlite3", model=model, threads=1, workers=1,
                    settle_seconds=0.0)


def letters(settings: Settings) -> dict[str, str]:
    import docx

    from pipeline.desk.store import Store

    with Store(settings.db) as store:
        names = {j.id: j.original_name for j in store.jobs()}
    out = {}
    for path in (settings.outbox / "drafts").rglob("*.docx"):
        doc = docx.Document(str(path))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        job_id = doc.core_properties.identifier  # printed in the letter, and different in each batch
        out[names[job_id]] = "\n".join(cells + [p.text for p in doc.paragraphs]).replace(job_id, "JOB")
    return out


def run_local(root: Path, files: list[Path], model: str) -> tuple[float, float, dict]:
    from pipeline.asr import load_engine
    from pipeline.desk.watch import Service
    from pipeline.process import warm_up

    settings = desk(root, files, model)
    t0 = time.perf_counter()
    engine = load_engine("faster", model, "int8", 1, 1, settings.batch_size)
    warm_up()
    start_up = time.perf_counter() - t0
    service = Service(settings, engine)
    t0 = time.perf_counter()
    summary = service.batch(progress=False)
    wall = time.perf_counter() - t0
    assert summary.drafted == len(files) and summary.failed == 0, summary
    return start_up, wall, letters(settings)


def run_cluster(root: Path, files: list[Path], model: str, n: int) -> tuple[float, float, dict]:
    from pipeline.cluster import connect
    from pipeline.cluster.task import EnginePlugin
    from pipeline.desk.watch import Service
    from pipeline.process import decode_options

    settings = desk(root, files, model)
    t0 = time.perf_counter()
    client, cluster = connect.open_client(f"local:{n}")
    try:
        client.wait_for_workers(n, timeout=300)
        client.register_plugin(EnginePlugin(settings, decode_options(settings), 1))  # the models, loaded
        start_up = time.perf_counter() - t0
        service = Service(settings, None, cluster=client, cluster_threads=1)  # registers the same: no reload
        t0 = time.perf_counter()
        summary = service.batch(progress=False)
        wall = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    assert summary.drafted == len(files) and summary.failed == 0, summary
    return start_up, wall, letters(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--files", type=int, default=12, help="dev dictations (the manifest's first N)")
    args = parser.parse_args()
    entries = manifest("dictations")[: args.files]
    files = [SHARED / "dictations" / e["audio"] for e in entries]
    audio = sum(e["duration_s"] for e in entries)
    print(f"{len(files)} dev dictations, {audio / 60:.1f} min of audio, model {args.model}, one thread per worker")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, run in (("local batch", lambda r: run_local(r, files, args.model)),
                           ("cluster, 1 worker", lambda r: run_cluster(r, files, args.model, 1)),
                           ("cluster, 2 workers", lambda r: run_cluster(r, files, args.model, 2))):
            start_up, wall, texts = run(Path(tmp) / label.replace(" ", "-").replace(",", ""))
            results[label] = (start_up, wall, texts)
            print(f"  {label:<20} start-up {start_up:6.1f} s   batch {wall:7.1f} s   {audio / wall:5.1f}x real time")
    local, one, two = (results[k] for k in ("local batch", "cluster, 1 worker", "cluster, 2 workers"))
    overhead = one[1] / local[1] - 1
    with_start = (one[0] + one[1]) / (local[0] + local[1]) - 1
    speedup = one[1] / two[1]
    print(f"cluster overhead at 1 worker: {overhead:+.1%} (target <= 5 %); with start-up {with_start:+.1%}")
    print(f"2 workers over 1: {speedup:.2f}x (target >= 1.7x)")
    for label in ("cluster, 1 worker", "cluster, 2 workers"):
        differ = sorted(name for name, text in local[2].items() if results[label][2].get(name) != text)
        print(f"letters that differ from the local batch's, {label}: {len(differ)} of {len(files)} {differ}")
    per_worker = audio / two[1] / 2  # audio seconds per second, per one-thread worker (one core)
    machine = per_worker * 2  # a 2-core machine runs two one-thread workers
    for hours in (24, 10):
        need = math.ceil(DAY_HOURS / (machine * hours))
        print(f"a {DAY_HOURS:.0f}-hour day in {hours} h: {need} two-core machines "
              f"(each {machine:.1f}x real time, {machine * hours:.0f} h of audio in {hours} h)")


if __name__ == "__main__":
    main()

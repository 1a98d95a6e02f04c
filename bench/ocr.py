"""Scanned notes: character accuracy and pages per second, per set.

    python bench/ocr.py                 # every set, 20 MTSamples reports
    python bench/ocr.py --reports 5

Sets:
- shared pages (../shared/data/ocr): each page whole; the two UNLV magazine pages also zone by
  zone as their README prescribes (their truth covers only the text zones, in zone order).
- MTSamples dev reports rendered as a printed page (Pillow's own font, 300 dpi) and read
  (a) clean, (b) degraded like a fax (150 dpi, 1.5° skew, blur, sensor noise) as PNG,
  (c) degraded and fed sideways, inside an image-only PDF (rendered back at 300 dpi),
  (d) exported with a text layer (no OCR).
Also how often the language stage finds, in the scan, every section type and medication
it finds in the clean text.

Character accuracy is 1 − CER after collapsing white space; placeholders for unread regions
are left out. Pages per second count the whole OCR stage (loading, turning, reading, layout).
"""
from __future__ import annotations

import argparse
import csv
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import scans  # noqa: E402
from pipeline.ocr import read as ocr  # noqa: E402
from pipeline.ocr.reader import Reader  # noqa: E402
from pipeline.records import ScanLimits, Transcript  # noqa: E402

DATA = REPO.parent / "shared" / "data"


def timed_read(path: Path, reader: Reader) -> tuple[Transcript, float]:
    start = time.perf_counter()
    transcript = ocr.read_file(path, lambda: reader, ScanLimits())
    return transcript, time.perf_counter() - start


def report(name: str, scores: list[float], seconds: list[float]) -> None:
    print(f"{name:<34} pages {len(scores):>3}  chars mean {statistics.mean(scores):.4f}  min {min(scores):.4f}  "
          f"{len(scores) / sum(seconds):.2f} pages/s ({statistics.mean(seconds):.2f} s/page)", flush=True)


def shared_pages(reader: Reader, tmp: Path) -> None:
    folder = DATA / "ocr"
    if not folder.is_dir():
        print("shared pages: skipped (../shared/data/ocr is absent)")
        return
    print("\nshared scanned pages")
    scores, seconds = [], []
    for image in sorted(folder.glob("*.tif")) + sorted(folder.glob("*.png")):
        stem = image.name.rsplit(".", 1)[0]
        truth = (folder / f"{stem}.gt.txt").read_text(encoding="utf-8")
        transcript, took = timed_read(image, reader)
        score = scans.char_accuracy(truth, ocr.reading(transcript))
        line = f"  {image.name:<30} whole page {score:.4f}  {took:5.1f} s"
        zones = folder / f"{stem}.uzn"
        if zones.is_file():
            page, parts, took = Image.open(image).convert("RGB"), [], 0.0
            for k, zone in enumerate(scans.zones(zones)):
                crop = tmp / f"{stem}-{k}.png"
                page.crop(zone).save(crop)
                part, t = timed_read(crop, reader)
                parts.append(ocr.reading(part))
                took += t
            score = scans.char_accuracy(truth, "\n".join(parts))
            line += f"   by zones {score:.4f}  {took:5.1f} s"
        print(line)
        scores.append(score)
        seconds.append(took)
    report("shared pages (zones where given)", scores, seconds)


def rendered_reports(reader: Reader, tmp: Path, count: int) -> None:
    source = DATA / "mtsamples" / "dev.csv.gz"
    if not source.is_file():
        print("MTSamples pages: skipped (../shared/data/mtsamples is absent)")
        return
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        reports = [r["transcription"] for r in csv.DictReader(handle) if len(r["transcription"]) > 800]
    reports = reports[:: max(1, len(reports) // count)][:count]
    sets = {"clean 300 dpi PNG": [], "degraded 150 dpi PNG": [], "degraded sideways scanned PDF": [],
            "text-layer PDF (no OCR)": []}
    times = {name: [] for name in sets}
    complete = {name: 0 for name in sets}
    misses: list[str] = []
    for k, text in enumerate(reports):
        paragraphs = scans.fit([text])
        truth = "\n".join(paragraphs)
        page = scans.render_page(paragraphs)
        files = {
            "clean 300 dpi PNG": tmp / f"r{k}.png",
            "degraded 150 dpi PNG": tmp / f"r{k}-degraded.png",
            "degraded sideways scanned PDF": tmp / f"r{k}-scanned.pdf",
            "text-layer PDF (no OCR)": tmp / f"r{k}-text.pdf",
        }
        page.save(files["clean 300 dpi PNG"])
        scans.degrade(page, angle=1.5, seed=k).save(files["degraded 150 dpi PNG"])
        scans.degrade(page.rotate(90, expand=True), angle=-1.0, seed=k).convert("RGB").save(
            files["degraded sideways scanned PDF"], resolution=150)
        files["text-layer PDF (no OCR)"].write_bytes(scans.text_pdf(_lines(paragraphs)))
        for name, path in files.items():
            printed = truth if "text-layer" not in name else " ".join(_lines(paragraphs))  # what the page holds
            want_sections, want_drugs = scans.found(scans.as_typed(printed))
            transcript, took = timed_read(path, reader)
            sets[name].append(scans.char_accuracy(printed, ocr.reading(transcript)))
            times[name].append(took)
            sections, drugs = scans.found(transcript)
            if want_sections <= sections and want_drugs <= drugs:
                complete[name] += 1
            else:
                misses.append(f"  {name}, report {k}: missing {sorted(want_sections - sections)} "
                              f"{sorted(want_drugs - drugs)}")
    print(f"\nMTSamples dev reports rendered as pages ({len(reports)} reports)")
    for name in sets:
        report(name, sets[name], times[name])
        print(f"  every section type and medication of the clean text found: {complete[name]}/{len(reports)}")
    print("\n".join(misses))


def _lines(paragraphs: list[str]) -> list[str]:
    """The report as printed lines for a text-layer PDF (Helvetica 11 pt, 14 pt leading)."""
    import textwrap

    lines = [line for p in paragraphs for line in textwrap.wrap(p.encode("latin-1", "replace").decode("latin-1"), 95)]
    return lines[:48]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=20, help="MTSamples reports to render (default 20)")
    args = parser.parse_args()
    start = time.perf_counter()
    reader = Reader()
    print(f"OCR models loaded in {time.perf_counter() - start:.1f} s ({ocr.model_name()})")
    with tempfile.TemporaryDirectory() as folder:
        shared_pages(reader, Path(folder))
        rendered_reports(reader, Path(folder), args.reports)


if __name__ == "__main__":
    main()

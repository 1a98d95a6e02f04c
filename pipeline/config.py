"""One settings object, from defaults, a TOML file and ``DICTATION_*`` environment variables.

Order (later wins): built-in defaults, the config file (``--config``, else
``$DICTATION_CONFIG``, else ``~/.config/dictation/config.toml`` when it exists), then
environment variables, then command-line options.

Example config file::

    inbox = "/srv/dictation/inbox"
    outbox = "/srv/dictation/outbox"
    engine = "faster"          # or "openai" (reference, needs the [reference] extra)
    model = "base"             # or "tiny.en", or a local model path
    compute_type = "int8"      # or "float32", or "int16" (Intel CPUs only)
    batch_size = 4             # speech chunks decoded together; 1: sequential
    beam_size = 2              # beam search width (Whisper's own default is 5)
    low_confidence = 0.5       # words heard with less probability are highlighted
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .files import REPO
from .records import ScanLimits

USER_CONFIG = Path.home() / ".config" / "dictation" / "config.toml"


def default_db_path() -> Path:
    """The user's data folder: a local disk, outside the outbox."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "dictation" / "jobs.sqlite3"


@dataclass(frozen=True)
class Settings:
    inbox: Path = REPO / "inbox"
    outbox: Path = REPO / "outbox"
    engine: str = "faster"
    model: str | None = None  # None: the registry's default
    compute_type: str = "int8"  # asr/precision.py says why
    threads: int = 0  # threads per recognition; 0: the cores shared out between the workers
    # Recognition speed, settled by bench/asr.py --day (README, "Speed"): the faster engine
    # decodes speech chunks of several recordings at once, batch_size of them per batch
    # (1: faster-whisper's sequential mode), with beam search of beam_size.
    batch_size: int = 4
    beam_size: int = 2
    low_confidence: float = 0.5
    paragraph_pause: float = 2.0  # seconds of silence that start a new paragraph
    template: Path | None = None  # one .docx for every letter, overriding the kinds' templates
    templates: Path | None = None  # a folder of practice templates, one per letter kind (models/letters.toml)
    db: Path = field(default_factory=default_db_path)  # the job database, on a local disk
    workers: int = 0  # recognitions at a time; 0: chosen for the engine and the machine's cores
    settle_seconds: float = 2.0  # a file is complete once unchanged this long
    rescan_seconds: float = 30.0  # full inbox rescan, for events a network share misses
    vocabulary: str = "off"  # "hotwords": bias Whisper toward drug names (measured in bench/clinical.py)
    review_token: str | None = None  # needed to serve the review page beyond this machine
    vocabulary_words: Path | None = None  # the author's own word list, one a line, for the hotwords
    # Drug-name corrections put to the recording first (issue 13): 0.91 of them right against
    # 0.69 by text alone, fewer names fixed (0.40 against 0.51), and every name the audio did
    # not settle flagged for a listen (82 % of wrong drug names flagged against 73 %);
    # measured in bench/verify.py. Off: the text alone decides, as for a scan.
    check_corrections: bool = True
    # The practice's registers (language/identity.py): the preamble's names are taken from them.
    authors: Path | None = None  # the physicians, one name a line
    patients: Path | None = None  # a CSV: name,dob[,mrn], dates as 1970-03-03
    # Scanned notes (ocr/): files beyond these limits go to outbox/failed with the reason.
    scan_max_pages: int = 100
    scan_max_pixels: int = 150_000_000  # one page; A4 at 600 dpi is 35 million
    scan_dpi: int = 300  # scanned PDF pages are rendered at this resolution for OCR
    # Turnaround targets (desk/turnaround.py): a letter is due this long after it arrives,
    # unless its sidecar gives `due`; routine letters count working days (Monday to Friday).
    due_stat_hours: float = 1.0
    due_urgent_hours: float = 4.0
    due_routine_days: int = 1

    def scan_limits(self) -> ScanLimits:
        return ScanLimits(max_pages=self.scan_max_pages, max_pixels=self.scan_max_pixels, pdf_dpi=self.scan_dpi)

    def replace(self, **changes: Any) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(name: str, value: Any, source: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if "Path" in kind:
            return Path(value).expanduser() if value not in (None, "") else None
        if kind.startswith("bool"):  # TOML gives a bool; the environment gives text
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "1", "yes", "false", "0", "no"):
                return str(value).lower() in ("true", "1", "yes")
            raise ValueError(value)
        if kind.startswith("float"):
            return float(value)
        if kind.startswith("int"):
            return int(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name!r} has a bad value {value!r}", f"give a {kind} in {source}")


def load(config: Path | None = None) -> Settings:
    values: dict[str, Any] = {}
    path = config or (Path(os.environ["DICTATION_CONFIG"]) if os.environ.get("DICTATION_CONFIG") else None)
    if path is None and USER_CONFIG.is_file():
        path = USER_CONFIG
    known = {f.name for f in fields(Settings)}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("the config file does not exist", "check the path given with --config", str(path))
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"the config file is not valid TOML: {err}", "fix the line named above", str(path))
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}",
                              f"use only: {', '.join(sorted(known))}", str(path))
        values.update({k: _coerce(k, v, str(path)) for k, v in data.items()})
    for name in known:
        env = os.environ.get(f"DICTATION_{name.upper()}")
        if env is not None:
            values[name] = _coerce(name, env, f"the environment variable DICTATION_{name.upper()}")
    if values.get("vocabulary", "off") not in ("off", "hotwords"):
        raise ConfigError(f"setting 'vocabulary' has a bad value {values['vocabulary']!r}",
                          'use "off" or "hotwords"', str(path or "the environment"))
    for name, what in (("authors", "a text file, one physician's name a line"),
                       ("patients", "a CSV file whose first line is name,dob (and optionally ,mrn)")):
        if values.get(name) is not None and not values[name].is_file():
            raise ConfigError(f"the {name} register {values[name]} does not exist", f"give {what}",
                              str(path or f"the environment variable DICTATION_{name.upper()}"))
    return Settings(**values)

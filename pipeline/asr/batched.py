"""Batched recognition: the speech chunks of every recording waiting, decoded together.

On a CPU, CTranslate2 gains from batching in the decoder's beam search (one step for many
chunks), not in the encoder. faster-whisper's BatchedInferencePipeline batches the chunks
of one recording, so a 40 s dictation fills two of eight rows, and it never re-decodes a
chunk whose text fails Whisper's fallback tests. So the packing is ours, built from its
pieces: any number of threads submit recordings; ``replicas`` recogniser threads (one
CTranslate2 replica each, see ``FasterWhisperEngine``) take up to ``batch_size`` chunks
from whichever recordings are queued, run one encoder pass and one ``generate()`` for the
lot, align word timings for the batch, and hand each chunk back to its recording. A lone
recording is never held for company: an idle recogniser takes what is there at once, and
idle recognisers share a short queue so one dictation's chunks are decoded side by side.

A chunk whose text is too repetitive (compression ratio) or too unlikely (mean log
probability) is decoded again on its own with the remaining temperatures, as the
sequential mode does for a window; the better of the two is kept.
"""
from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

import ctranslate2
import numpy as np

from ..records import DecodeOptions
from .chunks import Chunk
from .guards import longest_repeat

PREPEND = "\"'“¿([{-"
APPEND = "\"'.。,，!！?？:：”)]}、"


@dataclass
class Request:
    """One recording's chunks, and the event its caller waits on."""

    chunks: list[Chunk]
    options: DecodeOptions
    language: str
    left: int = 0
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def key(self) -> tuple:  # chunks share a batch only if they share a prompt and a decoder
        o = self.options
        return (self.language, o.beam_size, o.hotwords, o.initial_prompt, o.word_timestamps)


class Batcher:
    def __init__(self, whisper, replicas: int, batch_size: int):
        self.whisper = whisper
        self.replicas = max(1, replicas)
        self.batch_size = max(1, batch_size)
        self.stats: Counter = Counter()  # seconds per stage, and counts: the bench prints them
        self._queue: deque[tuple[Request, Chunk]] = deque()
        self._cond = threading.Condition()
        self._idle = 0
        self._threads: list[threading.Thread] = []

    def recognise(self, request: Request) -> None:
        """Queue the recording's chunks and wait until every one is recognised."""
        request.left = len(request.chunks)
        if not request.chunks:
            return
        with self._cond:
            if not self._threads:
                self._threads = [threading.Thread(target=self._loop, daemon=True, name=f"recogniser-{i}")
                                 for i in range(self.replicas)]
                for t in self._threads:
                    t.start()
            self._queue.extend((request, c) for c in request.chunks)
            self._cond.notify_all()
        request.done.wait()
        if request.error is not None:
            raise request.error

    def _take(self) -> list[tuple[Request, Chunk]]:
        """The next batch: chunks that can share a prompt, a fair share of a short queue."""
        with self._cond:
            self._idle += 1
            while not self._queue:
                self._cond.wait()
            key = self._queue[0][0].key
            same = [item for item in self._queue if item[0].key == key]
            n = min(self.batch_size, math.ceil(len(same) / max(1, self._idle)))
            batch = same[:n]
            for item in batch:
                self._queue.remove(item)
            self._idle -= 1
            return batch

    def _loop(self) -> None:
        while True:
            batch = self._take()
            try:
                self._decode(batch)
            except BaseException as err:  # every recording in the batch hears of it
                for request, _ in batch:
                    request.error = err
            for request, _ in batch:
                with self._cond:
                    request.left -= 1
                    finished = request.left == 0 or request.error is not None
                if finished:
                    request.done.set()

    def record(self, stage: str, amount: float) -> None:
        with self._cond:
            self.stats[stage] += amount

    def timed(self, stage: str, fn, *args, **kwargs):
        began = time.perf_counter()
        result = fn(*args, **kwargs)
        self.record(stage, time.perf_counter() - began)
        return result

    def _decode(self, batch: list[tuple[Request, Chunk]]) -> None:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

        w = self.whisper
        request = batch[0][0]
        options = request.options
        tokenizer = Tokenizer(w.hf_tokenizer, w.model.is_multilingual, task="transcribe", language=request.language)
        prompt = w.get_prompt(tokenizer, tokenizer.encode(" " + options.initial_prompt.strip())
                              if options.initial_prompt else [], without_timestamps=True, hotwords=options.hotwords)
        # The encoder runs one chunk at a time: batching gains it nothing on a CPU (measured:
        # four chunks one by one take 0.84x the time of one batch of four, with the same
        # output), and a batch's attention scores cost about 70 MB a chunk. The decoder gets them stacked.
        encoded = self.timed("encoder", lambda: [np.asarray(w.encode(chunk.features)) for _, chunk in batch])
        encoder_output = ctranslate2.StorageView.from_array(np.concatenate(encoded))
        results = self.timed(
            f"decoder (beam {options.beam_size})", w.model.generate, encoder_output, [list(prompt) for _ in batch],
            beam_size=options.beam_size, patience=1, length_penalty=1, max_length=w.max_length, suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]), return_scores=True, return_no_speech_prob=True,
            sampling_temperature=options.temperatures[0])
        outputs, sizes = [], []
        for (_, chunk), result in zip(batch, results):
            tokens = result.sequences_ids[0]
            text = tokenizer.decode(tokens)
            sizes.append(int(math.ceil(chunk.duration) * w.frames_per_second))
            outputs.append([dict(text=text, tokens=tokens, start=chunk.offset, end=chunk.offset + chunk.duration,
                                 avg_logprob=result.scores[0] * len(tokens) / (len(tokens) + 1),
                                 no_speech_prob=result.no_speech_prob, compression_ratio=get_compression_ratio(text),
                                 seek=int(chunk.offset * w.frames_per_second), temperature=options.temperatures[0])])
        if options.word_timestamps:
            # Aligned chunk by chunk: the cross-attention of a whole batch held 225 MB more per
            # recogniser (measured), for no gain in speed on a CPU.
            for one, frames, output in zip(encoded, sizes, outputs):
                self.timed("word alignment", w.add_word_timestamps, [output], tokenizer,
                           ctranslate2.StorageView.from_array(one), [frames], PREPEND, APPEND, 0.0)
        self.record("batches", 1)
        self.record("chunks", len(batch))
        self.record("batches shared by recordings", len({id(r) for r, _ in batch}) > 1)
        for (req, chunk), segments, one in zip(batch, outputs, encoded):
            chunk.segments = [s for s in segments if s["text"].strip()]
            chunk.encoded = np.array(one, copy=True)  # its own memory: the view of CTranslate2's output is let go as before
            if fails(segments[0], options):
                self.timed("fallback re-decodes", self._redecode, req, chunk, segments[0])

    def _redecode(self, request: Request, chunk: Chunk, first: dict) -> None:
        """The chunk alone at the higher temperatures; kept if it passes, or scores better."""
        from .faster import decode_kwargs

        options = request.options
        if len(options.temperatures) < 2:
            return
        kwargs = decode_kwargs(options) | dict(language=request.language, temperature=list(options.temperatures[1:]),
                                               vad_filter=False)
        segments, _ = self.whisper.transcribe(chunk.audio, **kwargs)
        again = [s for s in segments if s.text.strip()]
        self.record("fallback chunks", 1)
        if not again:
            return
        mean = sum(s.avg_logprob for s in again) / len(again)
        if not all(fails(dict(text=s.text, compression_ratio=s.compression_ratio, avg_logprob=s.avg_logprob), options)
                   for s in again) or mean > first["avg_logprob"]:
            chunk.segments = [dict(text=s.text, tokens=s.tokens, start=chunk.offset + s.start, end=chunk.offset + s.end,
                                   avg_logprob=s.avg_logprob, no_speech_prob=s.no_speech_prob,
                                   compression_ratio=s.compression_ratio, temperature=s.temperature,
                                   words=[dict(word=x.word, start=chunk.offset + x.start, end=chunk.offset + x.end,
                                               probability=x.probability) for x in s.words or ()])
                              for s in again]


def fails(segment: dict, options: DecodeOptions) -> bool:
    """Whisper's own fallback tests, as its sequential mode applies them to a window, and a
    loop: a chunk that says "1 1 1 1 …" 59 times amid other text stays under the compression
    ratio's threshold (dev dict-d3-012 lost eight drug names to one), so the guard's own
    repeat test sends it back for another decoding too."""
    return bool((options.compression_ratio_threshold and segment["compression_ratio"] > options.compression_ratio_threshold)
                or (options.log_prob_threshold is not None and segment["avg_logprob"] < options.log_prob_threshold)
                or longest_repeat(segment["text"])[1] >= options.flag_repeats)

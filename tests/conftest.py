from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = REPO / "corpus" / "samples"

# The API tests' admin token and the small notice they upload.
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

NEW_DOC = """UBND HUYỆN SÔNG MÂY

Số: 77/TB-UBND

Sông Mây, ngày 2 tháng 12 năm 2024

THÔNG BÁO
Kết luận về nuôi ong lấy mật

1. Nhiệm vụ

Phòng Nông nghiệp và PTNT hướng dẫn các hộ nuôi ong lấy mật tại xã Khe Mơ trước ngày 20/12/2024.
"""


def shared_path(*parts: str) -> Path:
    """A file in ../shared; its absence is a failure, not a skip (CI always has it)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests need ../shared beside the checkout")
    return path


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    """The converted model's folder where vanban keeps it ($VANBAN_HOME/models), so the
    real-model tests share one conversion and one ONNX export with the product."""
    home = os.environ.get("VANBAN_HOME")
    path = (Path(home).expanduser() if home else Path.home() / ".cache" / "vanban") / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path

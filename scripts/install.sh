#!/usr/bin/env bash
# Install vanban and everything it needs into .venv/ at the repository root.
# Idempotent: a second run with an unchanged pyproject.toml does nothing.
#   WITH_DEV=1  also install the test dependencies (pytest, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

# OCR of scans: Tesseract's Vietnamese model (and the engine, for its data files),
# from Debian as root. Never fatal: without them vanban runs, and a scan gets an
# `ocr_unavailable` error naming these packages.
if [ ! -f /usr/share/tesseract-ocr/5/tessdata/vie.traineddata ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> Cài Tesseract và mô hình tiếng Việt (tesseract-ocr tesseract-ocr-vie)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-vie) \
            >/dev/null 2>&1 || echo "    (không cài được; vanban vẫn chạy, chưa nhận dạng được chữ trong bản quét)"
    else
        echo "==> Chưa có Tesseract tiếng Việt: để nhận dạng bản quét, cài gói tesseract-ocr tesseract-ocr-vie"
    fi
fi

# Word 97–2003 (.doc): LibreOffice converts it to DOCX, which keeps lists, bold, headings and
# the fonts of TCVN3/VNI text (antiword, a tenth of a megabyte, gives the text alone when
# LibreOffice is missing). Never fatal: without them a .doc gets a `doc_unsupported` error
# naming these packages, and every other file is indexed.
if ! command -v soffice >/dev/null 2>&1 || ! command -v antiword >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> Cài LibreOffice không giao diện và antiword để đọc tệp .doc (libreoffice-writer-nogui antiword)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            libreoffice-writer-nogui antiword) >/dev/null 2>&1 \
            || echo "    (không cài được; vanban vẫn chạy, chưa đọc được tệp Word 97–2003 .doc)"
    elif ! command -v soffice >/dev/null 2>&1; then
        echo "==> Chưa có LibreOffice: để đọc tệp Word 97–2003 (.doc), cài gói libreoffice-writer-nogui (hoặc antiword)"
    fi
fi

VENV=.venv
STAMP="$VENV/.vanban-install"
want="$(cat pyproject.toml scripts/install.sh | sha256sum | cut -c1-16) dev=${WITH_DEV:-0}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> Tạo môi trường ảo $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    exit 0
fi

"$VENV/bin/python" -m pip install -q --upgrade pip
# torch first, pinned to the local CPU build: any other torch requirement
# would pull several GB of CUDA packages.
if ! "$VENV/bin/python" -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.13.0")' 2>/dev/null; then
    echo "==> Cài torch==2.13.0 (CPU)"
    "$VENV/bin/python" -m pip install -q torch==2.13.0
fi
extras=""
[ "${WITH_DEV:-0}" = "1" ] && extras="[dev]"
echo "==> Cài vanban$extras"
printf 'torch==2.13.0\n' > "$VENV/constraints.txt"
"$VENV/bin/python" -m pip install -q -c "$VENV/constraints.txt" -e ".$extras"
echo "$want" > "$STAMP"

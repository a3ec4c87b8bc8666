#!/usr/bin/env bash
# Install what the browser tests (tests/test_browser.py) need:
#   - Debian's chromium at /usr/bin/chromium (apt-get, as root), with fonts that
#     carry Vietnamese glyphs for the screenshots;
#   - the Playwright Python package in .venv/.
# Playwright drives that system Chromium through executable_path; its own
# browser download (`playwright install`) is never used: the machines reach
# the package registries only.
# Idempotent: does nothing when both are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
    echo "Lỗi: chưa có $VENV; hãy chạy scripts/install.sh trước" >&2
    exit 1
fi

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = "0" ]; then
        echo "==> Cài chromium (apt)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-noto-core >/dev/null
    else
        # Not fatal here: the other tests still run, and the browser tests fail saying what is missing.
        echo "Cảnh báo: chưa có /usr/bin/chromium và cần quyền root để cài (sudo bash scripts/install_browser.sh)" >&2
    fi
fi

if ! "$VENV/bin/python" -c 'import playwright.sync_api' 2>/dev/null; then
    echo "==> Cài playwright (pip)"
    "$VENV/bin/python" -m pip install -q "playwright>=1.50"
fi

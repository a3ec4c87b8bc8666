#!/usr/bin/env bash
# Install vanban with its test dependencies and run the whole test suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_DEV=1 bash scripts/install.sh
# Browser tests: Debian's chromium driven by Playwright (never `playwright install`).
bash scripts/install_browser.sh
# The PDF tests draw Vietnamese text with DejaVu Sans (Debian's fonts-dejavu-core).
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ "$(id -u)" = "0" ]; then
    echo "==> Cài phông DejaVu"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core) >/dev/null
fi
exec .venv/bin/python -m pytest "$@"

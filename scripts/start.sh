#!/usr/bin/env bash
# Install vanban into .venv/, index the bundled sample documents and serve them.
#   VANBAN_PORT (default 8000), VANBAN_DATA_DIR (default ~/.cache/vanban/data)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/vanban inspect corpus/samples
.venv/bin/vanban index corpus/samples
exec .venv/bin/vanban serve --host 127.0.0.1 --port "${VANBAN_PORT:-8000}"

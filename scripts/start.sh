#!/usr/bin/env bash
# Install vanban into .venv/ and run it on the bundled sample documents.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/vanban inspect corpus/samples "$@"

#!/usr/bin/env bash
# The test command: lint, type-check, then the whole test suite. Tests start their own JACK server (dummy driver)
# where they need MIDI or audio, and fail (not skip) when it cannot start.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
# one command a line: under `set -e` a failure inside an `a && b` list does not stop the script (a lint error would
# have been printed and then ignored)
echo "== ruff"
"$PY" -m ruff check .
"$PY" -m ruff format --check .
echo "== mypy"; "$PY" -m mypy
echo "== pytest"; "$PY" -m pytest -q -p no:cacheprovider "$@"

#!/usr/bin/env bash
# Fresh-venv install of the Python package and its pytest suite (issue 5).
#
#   bash bench/python_install_and_test.sh
#
# Creates a clean virtual environment, runs `pip install ./crates/nomaqkd-py pytest`
# (pip fetches maturin, the build backend, and numpy from PyPI or its cache; cargo
# builds the extension in release mode), then runs pytest against the installed
# package. Exits non-zero on any failure, including pytest collecting no test
# (its exit code 5). Environment: PYTHON (default python3), NOMAQKD_SHARED (the
# shared/ folder; default ../shared beside the repository), KEEP_VENV=1 keeps the venv,
# NOMAQKD_WHEELHOUSE=DIR installs without PyPI from wheels fetched earlier with
# `pip download -d DIR "maturin>=1.9.4,<2" numpy pytest` (cargo's crates must be cached too).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d)"
VENV="$WORK/venv"
cleanup() { if [[ "${KEEP_VENV:-0}" != 1 ]]; then rm -rf "$WORK"; else echo "venv kept at $VENV"; fi; }
trap cleanup EXIT

echo "== python venv: $("$PYTHON" --version) at $VENV"
"$PYTHON" -m venv "$VENV"
start=$(date +%s)
offline=()
if [[ -n "${NOMAQKD_WHEELHOUSE:-}" ]]; then offline=(--no-index --find-links "$NOMAQKD_WHEELHOUSE"); fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${offline[@]}" "$ROOT/crates/nomaqkd-py" pytest
echo "== pip install took $(( $(date +%s) - start )) s"

# Import from site-packages, not the source tree.
cd "$WORK"
"$VENV/bin/python" -c 'import nomaqkd, sys; print("== nomaqkd", nomaqkd.__version__, "from", nomaqkd.__file__)'

set +e
"$VENV/bin/python" -m pytest -p no:cacheprovider -q -rs "$ROOT/crates/nomaqkd-py/tests"
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit $rc

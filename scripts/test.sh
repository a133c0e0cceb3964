#!/usr/bin/env bash
# The project's test command (README "Set up"): every test suite, in the order CI runs them.
#   1. the Rust workspace: library, CLI (including `nomaqkd reproduce --quick`), checkpoints;
#   2. the Python package: clean venv, `pip install ./crates/nomaqkd-py pytest`, pytest.
# Set NOMAQKD_SKIP_PYTHON=1 to run only the Rust part (e.g. without PyPI access).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo test (workspace) =="
cargo test --workspace --locked
if [[ "${NOMAQKD_SKIP_PYTHON:-0}" == 1 ]]; then
  echo "== python: skipped (NOMAQKD_SKIP_PYTHON=1)"
else
  echo "== python: clean venv install + pytest =="
  bash bench/python_install_and_test.sh
fi

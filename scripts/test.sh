#!/usr/bin/env bash
# The project's test command (README "Set up"): every test suite, in the order CI runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo test (workspace) =="
cargo test --workspace --locked

#!/usr/bin/env bash
# Fig. 3-sized sweep benchmark (issue 4): K = 8, 3 sigma_x, 20 powers, 1000 realizations,
# one policy per realization, with 1 and 2 rayon threads. Prints wall time and evaluations/s
# (one evaluation = one policy allocation + rate evaluation for one fading realization).
# Usage: bench/sweep_fig3.sh [POLICY] (default uqpa; the issue-4 benchmark uses sca)
set -euo pipefail
cd "$(dirname "$0")/.."
policy="${1:-uqpa}"
cargo build --release -q -p nomaqkd-cli
tmp="$(mktemp -d)"
sed "s/^policies = .*/policies = [\"$policy\"]/" scenarios/bench-fig3.toml > "$tmp/bench-fig3.toml"
for threads in 1 2; do
  RAYON_NUM_THREADS=$threads ./target/release/nomaqkd sweep --scenario "$tmp/bench-fig3.toml" --out "$tmp/t$threads" > /dev/null
  python3 - "$tmp/t$threads/bench-fig3.json" "$threads" "$policy" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
t = m["timings"]
print(f"policy={sys.argv[3]} threads={sys.argv[2]} points={m['points']} evaluations={t['evaluations']} "
      f"wall_s={t['wall_seconds']:.3f} evaluations_per_s={t['evaluations_per_second']:.0f}")
PY
done
cmp "$tmp/t1/bench-fig3.csv" "$tmp/t2/bench-fig3.csv" && echo "CSV identical for 1 and 2 threads"
rm -rf "$tmp"

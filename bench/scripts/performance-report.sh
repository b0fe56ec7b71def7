#!/usr/bin/env bash
# Regenerates docs/performance.md: runs the recur bench suites side by side with PyTorch and ONNX
# Runtime (about 12 minutes on the 2-core VM), writes their JSON, PNG and text under bench/results/, then renders
# docs/performance.template.md with bench/scripts/render_performance.py.
#   bench/scripts/performance-report.sh            run the suites, then render
#   bench/scripts/performance-report.sh --render   render from the results already committed
# The JMH runs it cites (./recur jmh ...) take hours and are run separately; their summaries are
# included as committed. Needs the peers (.venv-peer, see docs/cli.md) for the side-by-side runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [ "${1:-}" != "--render" ]; then
  DATE=$(date -u +%F)
  for suite in deepbench-cpu latency; do
    out="bench/results/$suite-cpu-$DATE"
    [ "$suite" = deepbench-cpu ] && out="bench/results/deepbench-cpu-$DATE"
    ./recur bench --suite "$suite" --peer torch,ort --json "$out.json" --png "$out.png" | tee "$out.txt"
  done
  # Only the suites' own files: the template also cites results that this script does not remake.
  sed -i -E "s#(bench/results/(deepbench-cpu|latency-cpu))-20[0-9]{2}-[0-9]{2}-[0-9]{2}\.(json|png|txt)#\1-$DATE.\3#g" \
    docs/performance.template.md
fi
python3 bench/scripts/render_performance.py docs/performance.template.md docs/performance.md
echo "wrote docs/performance.md" >&2

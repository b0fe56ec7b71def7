#!/usr/bin/env bash
# The forecasting results of docs/results.md: recur train --task forecast on the two committed real
# series (bench/data), reading levels and differences, each scored by recur eval on its test part
# beside the naive forecast, then PyTorch with the same recipe (bench/scripts/torch_forecast.py) when
# the peer venv exists. Prints everything; about 2 minutes on 2 cores.
#   bash bench/scripts/forecast-real.sh | tee docs/results/forecast-real-$(date +%F).txt
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
echo "# $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
for series in "co2-mauna-loa-weekly.csv co2" "sunspots-yearly.csv sunspots"; do
    set -- $series
    for inputs in levels differences; do
        flag=(); [[ $inputs == differences ]] && flag=(--differences)
        out="$runs/$2-$inputs"
        cmd=(./recur train --task forecast --csv "bench/data/$1" --column "$2" --missing interpolate "${flag[@]}" --out "$out")
        echo "\$ ${cmd[*]}"
        "${cmd[@]}" 2>/dev/null | grep -E '^(done|naive|note|wrote)'
        echo "\$ ./recur eval --checkpoint $out/checkpoint.safetensors"
        ./recur eval --checkpoint "$out/checkpoint.safetensors" 2>/dev/null
    done
done
if [[ -x .venv-peer/bin/python ]]; then
    for series in "co2-mauna-loa-weekly.csv co2" "sunspots-yearly.csv sunspots"; do
        set -- $series
        for flag in "" --differences; do
            echo "\$ .venv-peer/bin/python bench/scripts/torch_forecast.py bench/data/$1 $2 $flag"
            .venv-peer/bin/python bench/scripts/torch_forecast.py "bench/data/$1" "$2" $flag
        done
    done
    .venv-peer/bin/python -c "import torch; print('torch', torch.__version__)"
fi

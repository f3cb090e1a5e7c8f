#!/usr/bin/env bash
# Runs `python -m benchmarks.device` on a device machine with the image's own python3 and packages,
# plus the wheels in .whl/ (benchmarks/fetch_wheels.sh); results go to $OUT (default results/device).
#   benchmarks/device.sh [benchmarks.device ARGS]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${OUT:-results/device}"
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/jaxgan-site \
    .whl/*.whl || exit 1
  export PYTHONPATH="/tmp/jaxgan-site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH=".:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
python3 -m benchmarks.device --out "$OUT" --data-dir .device_data "$@" 2>&1 | tee "$OUT/log.txt"
exit "${PIPESTATUS[0]}"

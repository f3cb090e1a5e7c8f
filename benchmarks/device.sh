#!/usr/bin/env bash
# Runs a jaxgan module on a device machine with the image's own python3 and packages, plus the
# wheels in .whl/ (benchmarks/fetch_wheels.sh), reading MNIST from .device_data/; results go to
# $OUT (default results/device), the log to $OUT/log.txt.
#   benchmarks/device.sh [benchmarks.device ARGS]                  # the accelerator benchmark script
#   benchmarks/device.sh --module experiments.studies.accelerator_studies [ARGS]   # the reproduction studies
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODULE=benchmarks.device
if [ "${1:-}" = "--module" ]; then MODULE="$2"; shift 2; fi
OUT="${OUT:-results/device}"
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/jaxgan-site \
    .whl/*.whl || exit 1
  export PYTHONPATH="/tmp/jaxgan-site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH=".:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
python3 -m "$MODULE" --out "$OUT" --data-dir .device_data "$@" 2>&1 | tee "$OUT/log.txt"
exit "${PIPESTATUS[0]}"

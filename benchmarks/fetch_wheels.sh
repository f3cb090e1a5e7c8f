#!/usr/bin/env bash
# Prepares what travels to a device machine, on a machine with internet access to PyPI:
#   .whl/           the wheels listed in benchmarks/wheels.txt, for CPython 3.12 on x86-64 Linux
#   .device_data/   the official MNIST files for the training run of benchmarks.device
#                   (from $JAXGAN_DATASETS/mnist, default ../shared/datasets/mnist)
# Both folders are git-ignored; name them in the device tool's `carry`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}"
rm -rf .whl && mkdir -p .whl
grep -v '^\s*#' benchmarks/wheels.txt | grep -v '^\s*$' | while read -r requirement; do
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl "$requirement"
done
datasets="${JAXGAN_DATASETS:-../shared/datasets}"
if [ -d "$datasets/mnist" ]; then
  rm -rf .device_data/mnist && mkdir -p .device_data/mnist
  install -m 644 "$datasets"/mnist/*-ubyte.gz .device_data/mnist/
else
  echo "no MNIST files at $datasets/mnist: the training run of benchmarks.device will be skipped" >&2
fi
ls -la .whl .device_data/mnist 2>/dev/null

#!/usr/bin/env bash
# Prepares what travels to a device machine, on a machine with internet access to PyPI:
#   .whl/           the wheels listed in benchmarks/wheels.txt, for CPython 3.12 on x86-64 Linux
#   .device_data/   the official MNIST and Fashion-MNIST files for the device's training runs
#                   (from $JAXGAN_DATASETS/{mnist,fashion_mnist}, default ../shared/datasets)
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
for name in mnist fashion_mnist; do
  if [ -d "$datasets/$name" ]; then
    rm -rf ".device_data/$name" && mkdir -p ".device_data/$name"
    install -m 644 "$datasets/$name"/*-ubyte.gz ".device_data/$name/"
  else
    echo "no $name files at $datasets/$name: the device's runs on it will be skipped" >&2
  fi
done
ls -la .whl .device_data/mnist .device_data/fashion_mnist 2>/dev/null

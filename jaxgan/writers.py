"""Metric output: JSON lines and TensorBoard event files, written by process 0 only."""

import json
import math
import os

import jax

from jaxgan.errors import require


def tensorboard_writer(logdir, purge_step=None):
    """A tensorboardX `SummaryWriter` for `logdir`; tensorboardX is imported only here, so runs
    that do not log to TensorBoard (`train.tensorboard=False`) do not need it installed. With
    `purge_step`, TensorBoard discards the earlier events at steps >= it (a resumed run's replay)."""
    tensorboardx = require("tensorboardX", feature="train.tensorboard=True (TensorBoard event files)",
                           instead="pass --config.train.tensorboard=False (metrics.jsonl is written either way)")
    return tensorboardx.SummaryWriter(logdir, purge_step=purge_step)


class MetricWriter:
    """Appends `{"step": t, name: value, ...}` lines to `metrics.jsonl` and, with `tensorboard`,
    writes the same scalars as TensorBoard events under `tensorboard/`. A no-op on processes
    other than 0. A run resumed at step s passes `resumed_at=s`: TensorBoard then drops the
    events past s that an interrupted earlier process wrote (metrics.jsonl is cut by the loop)."""

    def __init__(self, workdir, *, tensorboard=True, resumed_at=None):
        self.enabled = jax.process_index() == 0
        if not self.enabled:
            return
        purge = None if resumed_at is None else resumed_at + 1
        self._tb = tensorboard_writer(os.path.join(workdir, "tensorboard"), purge) if tensorboard else None
        os.makedirs(workdir, exist_ok=True)
        self.jsonl_path = os.path.join(workdir, "metrics.jsonl")
        self._jsonl = open(self.jsonl_path, "a")

    def write(self, step, scalars):
        if not self.enabled:
            return
        clean = {k: (float(v) if math.isfinite(float(v)) else str(float(v))) for k, v in scalars.items()}
        self._jsonl.write(json.dumps({"step": int(step), **clean}) + "\n")
        self._jsonl.flush()
        if self._tb is not None:
            for name, value in scalars.items():
                self._tb.add_scalar(name, float(value), int(step))

    def close(self):
        if self.enabled:
            self._jsonl.close()
            if self._tb is not None:
                self._tb.close()


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]

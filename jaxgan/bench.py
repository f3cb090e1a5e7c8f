"""Train-step throughput of a config: the compiled step that `train` runs, timed on random batches.

    jaxgan bench --config experiments/images/dcgan.py [--config.KEY=VALUE ...] [--batch 64,256]
        [--steps 10] [--devices N] [--out FILE.jsonl]

For each batch size: compile time (`lower` + `compile`), median, min and max time of one
iteration over `steps` timed calls after a warm-up call (each ended by `block_until_ready`; a
call of a fused step runs `train.fused_steps` iterations and is divided by them), images/s
(examples of all seeds per second), XLA's FLOP count of one iteration (counted on the lowered
HLO of the unfused step), the achieved FLOP/s and its ratio to this machine's matmul peak
measured in the same run, and XLA's memory plan of the step (argument, output, temporary,
aliased and code bytes). Batches are random arrays of the data's shape and structure (labels,
labeled subsets, image pairs): a step's cost does not depend on pixel values, so no dataset is
needed.

The peak is the better of XLA's `jnp.dot` and, on CPU, NumPy's BLAS (2048^3 float32 products),
so a slow XLA dot does not flatter the achieved fraction.

`benchmarks.throughput` measures its built-in models through these same functions.
"""

import copy
import importlib.metadata
import os
import platform
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.config import validate
from jaxgan.run import Program
from jaxgan.run.memory import memory_plan


def random_batch(program, config, batch_size, key):
    """A batch of the structure `program.step` takes, of random values: the game's
    `example_batch` ((K fused steps, n_critic, B, ...) arrays, a leading seed axis when
    `config.num_seeds > 1`; images in [-1, 1], labels in range; 2D points from their mixture)."""
    return program.game.example_batch(config, key, batch_size=batch_size, fused=config.train.fused_steps)


def step_flops(compiled):
    """XLA's FLOP count of one call of a lowered or compiled function (summed over its
    computations). Count on the lowered HLO (`jax.jit(f).lower(...)`): it is the same on every
    backend, while a GPU executable's own count leaves out the convolutions and matrix products
    it hands to cuDNN / cuBLAS as custom calls (measured on an H200: 4.9 of DCGAN-64's
    1,120 GFLOP per iteration at batch 256)."""
    analysis = compiled.cost_analysis()
    if isinstance(analysis, (list, tuple)):
        return float(sum(a.get("flops", 0.0) for a in analysis))
    return float(analysis.get("flops", 0.0))


def step_bytes(compiled):
    """Arguments + outputs + temporaries - aliased bytes of a compiled function (XLA's plan)."""
    plan = memory_plan(compiled)
    return None if plan is None else plan["total"]


def _median_seconds(run, repeats):
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def xla_matmul_peak(n=2048, repeats=7, dtype=jnp.float32, device=None):
    """Measured matmul FLOP/s of `device` (default: the first) in `dtype`: median over repeats of
    an n x n x n `jnp.dot` of random matrices."""
    device = device or jax.devices()[0]
    a = jax.device_put(jax.random.normal(jax.random.key(0), (n, n), jnp.float32).astype(dtype), device)
    b = jax.device_put(jax.random.normal(jax.random.key(1), (n, n), jnp.float32).astype(dtype), device)
    dot = jax.jit(jnp.dot)
    return 2.0 * n**3 / _median_seconds(lambda: jax.block_until_ready(dot(a, b)), repeats)


def numpy_matmul_peak(n=2048, repeats=7):
    """Measured float32 matmul FLOP/s of NumPy's BLAS on this host (median over repeats)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n), np.float32), rng.standard_normal((n, n), np.float32)
    return 2.0 * n**3 / _median_seconds(lambda: a @ b, repeats)


def matmul_peaks(n=2048, repeats=7):
    """{"xla_dot": FLOP/s, ["numpy_blas": FLOP/s (CPU only),] "peak": the larger, "source": its
    name}: the float32 reference for the achieved fraction, measured now."""
    peaks = {"xla_dot": xla_matmul_peak(n, repeats)}
    if jax.devices()[0].platform == "cpu":
        peaks["numpy_blas"] = numpy_matmul_peak(n, repeats)
    source = max(peaks, key=peaks.get)
    return {**peaks, "peak": peaks[source], "source": source}


def lower_step(config, batch_size, *, devices=None, fused_steps=None):
    """(lowered train step, its Program, placed state, placed random batch) of `config` at
    `batch_size` on `devices` (default: all), with `fused_steps` instead of the config's if given."""
    config = copy.deepcopy(config)
    config.data.batch_size = batch_size
    if fused_steps is not None:
        config.train.fused_steps = fused_steps
    program = Program(validate(config), devices=devices)
    state = program.to_device(program.init_state())
    batch = program.place_batch(random_batch(program, config, batch_size, jax.random.key(0)))
    return program.step.lower(state, batch), program, state, batch


def compile_config(config, batch_size, *, devices=None):
    """Compile `config`'s train step at `batch_size` on `devices` (default: all) without running
    it; returns (compiled step, placed state, placed batch, facts). Safe to call from several
    threads at once."""
    started = time.perf_counter()
    lowered, program, state, batch = lower_step(config, batch_size, devices=devices)
    compiled = lowered.compile()
    compile_s = time.perf_counter() - started
    fused = config.train.fused_steps
    # XLA's cost analysis counts a loop body once: a fused step (a scan) would report one
    # iteration or K depending on unrolling, so count on the unfused step.
    flops = step_flops(lowered if fused == 1 else lower_step(config, batch_size, devices=devices, fused_steps=1)[0])
    plan = memory_plan(compiled)
    facts = {"batch": batch_size, "seeds": config.num_seeds, "devices": len(program.devices or jax.devices()),
             "parallel": program.mode, "fused_steps": fused, "cpu_convolutions": config.train.cpu_convolutions,
             "dtype": config.model.get("dtype", "float32"), "compile_s": compile_s, "flops": flops,
             "xla_bytes": None if plan is None else plan["total"], "xla_memory": plan}
    return compiled, state, batch, facts


def runner(compiled, state, batch, facts):
    """(run: () -> seconds of one iteration, facts with a `finite` check of the last metrics) of a
    compiled step; runs one warm-up call. A call of a fused step runs `fused_steps` iterations."""
    carry = {"state": state}

    def run():
        started = time.perf_counter()
        carry["state"], metrics = compiled(carry["state"], batch)
        jax.block_until_ready(metrics)
        carry["metrics"] = metrics
        return (time.perf_counter() - started) / facts["fused_steps"]

    run()  # warm-up
    finite = lambda: bool(all(np.all(np.isfinite(np.asarray(v))) for v in jax.tree.leaves(carry["metrics"])))
    return run, {**facts, "finite": finite}


def summarize(facts, times, peak):
    """One result row: the facts with the step-time statistics of `times` (seconds per
    iteration) and the achieved FLOP/s against `peak`."""
    median = statistics.median(times)
    row = {k: v for k, v in facts.items() if k not in ("flops", "finite")}
    return {**row, "step_ms_median": 1e3 * median, "step_ms_min": 1e3 * min(times), "step_ms_max": 1e3 * max(times),
            "images_per_s": facts["batch"] * facts.get("seeds", 1) / median, "gflop_per_step": facts["flops"] / 1e9,
            "gflop_per_s": facts["flops"] / median / 1e9, "fraction_of_matmul_peak": facts["flops"] / median / peak,
            "repeats": len(times), "finite": facts["finite"]()}


def measure_config(config, batch_size, *, steps, peak, devices=None):
    """Compile, warm up and time `steps` calls of `config`'s train step at `batch_size`."""
    run, facts = runner(*compile_config(config, batch_size, devices=devices))
    return summarize(facts, [run() for _ in range(steps)], peak)


def versions():
    """Versions of Python and the packages a step's speed depends on."""
    found = {"python": platform.python_version()}
    for package in ("jax", "jaxlib", "flax", "optax", "numpy"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def environment():
    """The device, its count, versions and the host this measurement ran on."""
    return {"device": str(jax.devices()[0].device_kind), "platform": jax.devices()[0].platform,
            "devices": jax.device_count(), "jax": jax.__version__, "versions": versions(),
            "cpu_count": os.cpu_count(), "machine": platform.machine(), "host_platform": platform.platform(),
            "xla_flags": os.environ.get("XLA_FLAGS", ""), "argv": sys.argv}


def table(rows, peak):
    """A Markdown table of result rows (a `model` column when the rows have one)."""
    named = any("model" in r for r in rows)
    lines = [f"matmul peak (float32, measured): {peak / 1e9:.0f} GFLOP/s",
             ("| model " if named else "") + "| batch | devices | convolutions | compile s | step ms (median, min-max) "
             "| images/s | GFLOP/step | GFLOP/s | of peak | XLA MB |",
             "|---" * (11 if named else 10) + "|"]
    for r in rows:
        memory = f"{r['xla_bytes'] / 2**20:.0f}" if r["xla_bytes"] is not None else "-"
        lines.append(
            (f"| {r['model']} " if named else "")
            + f"| {r['batch']} | {r['devices']} | {r['cpu_convolutions']} | {r['compile_s']:.1f} "
            f"| {r['step_ms_median']:.1f} ({r['step_ms_min']:.1f}-{r['step_ms_max']:.1f}) | {r['images_per_s']:.0f} "
            f"| {r['gflop_per_step']:.2f} | {r['gflop_per_s']:.0f} | "
            f"{100 * r['fraction_of_matmul_peak']:.0f}% | {memory} |"
        )
    return "\n".join(lines)

"""The accelerator script: one command that proves jaxgan on whatever device JAX sees (an NVIDIA
GPU when one is lent), in sections run by priority within a time budget.

    PYTHONUNBUFFERED=1 python -m benchmarks.device --out DIR [--size full|tiny] [--budget-s 420]
        [--sections env,train,targets,choices,table,compile] [--torch-python PY] [--data-dir DIR]

On a device machine with the image's packages, carry the wheels of `benchmarks/wheels.txt` and the
MNIST files (`benchmarks/fetch_wheels.sh` gets both) and run `benchmarks/device.sh`.

Sections (each row runs only while the budget lasts: a row that would start after it is recorded
as skipped, a failing row is recorded with its error and the script goes on, and every row is
appended to DIR/results.jsonl as soon as it is measured):

  env      versions, device, `nvidia-smi`, XLA flags; the matmul peak in float32 (JAX's default
           precision: TF32 on NVIDIA GPUs) and bfloat16, measured by JAX in this run.
  train    `jaxgan train` of experiments/images/dcgan.py on MNIST (official files, data.source=idx) for a
           few thousand steps, alone on the device, evaluated at the end (FID, KID,
           precision/recall, IS with the shipped MNIST classifier); its sample grid is copied to
           DIR/samples.png.
  targets  DCGAN-64 and WGAN-GP (DCGAN-28 LayerNorm critic, penalty) at batch 256, float32 and
           bfloat16, alternating with the same iterations in PyTorch, eager and torch.compile.
  choices  each per-backend choice of `jaxgan.backend` measured both ways on this device: the
           transposed-convolution form (DCGAN-64, CycleGAN), the critic's convolution with and
           without a gradient penalty, unrolled vs scanned critic loops (WGAN-GP, n_critic 5),
           fused steps (DCGAN-32, MLP 2D), donation of the state, optimized initialization.
  table    the throughput table: DCGAN 32/64, WGAN-GP, SNGAN-ResNet, Pix2Pix, CycleGAN, MLP 2D (100
           steps fused, 10 seeds vmapped) at batches 64 and 256, float32 and bfloat16, with
           PyTorch eager where `benchmarks.torch_reference` has the model.
  compile  every recipe's train step compile time (`benchmarks.compile_times`), in worker
           processes, against the 60 s limit.

The rows of targets, choices and table are planned in priority order (targets; the table at batch
256; the choices, those not yet measured on the H200 first; the table at batch 64) and compiled in
that order (`--compile-workers`, default 1: on the H200, 6 threads had not finished 44 programs
after 8 minutes, while one thread compiles one every 5-15 s), while the PyTorch process builds and warms
up its models (torch.compile included); what the budget does not reach is recorded as skipped.
Then every compiled row is timed alone on the otherwise idle device. The compile section runs
last, `--recipe-workers` recipes at a time in processes (its times are upper bounds).

On the H200 (2026-11-30) a DCGAN-64 or WGAN-GP step compiles in 5-15 s, so the default
`--budget-s 420` covers the environment, the training run, the targets, the table at batch 256
and part of the choices; run again with `--sections choices,table,compile` for the rest.

`--size tiny` runs every section at toy widths and batches (the CPU test runs it this way).
DIR gets results.jsonl (every row), report.md (the tables, also printed last) and samples.png.
"""

import argparse
import datetime
import glob
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from typing import NamedTuple

os.environ.setdefault("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.45")  # leave room for the PyTorch process

import jax
import jax.numpy as jnp

from benchmarks import throughput
from jaxgan import backend, bench

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTIONS = ("env", "train", "targets", "choices", "table", "compile")
TABLE_MODELS = (
    "dcgan32",
    "dcgan64",
    "wgan_gp28",
    "sngan_resnet32",
    "pix2pix32",
    "cyclegan32",
    "mlp_2d_fused100_seeds10",
)
TARGET_MODELS = ("dcgan64", "wgan_gp28")
DTYPES = ("float32", "bfloat16")
COMPILE_LIMIT_S = 60.0

SIZES = {
    # batches, repeats per round, rounds, matmul size, training steps, eval samples, compile-section recipes
    "full": dict(batches=(64, 256), target_batch=256, repeats=10, rounds=3, matmul=8192, train_steps=3000,
                 eval_samples=10_000, recipes=None, cost_scale=1.0, timing_reserve=25),
    "tiny": dict(batches=(8,), target_batch=8, repeats=2, rounds=1, matmul=256, train_steps=4, eval_samples=100,
                 recipes=("gan_ns_2d", "wgan_gp"), cost_scale=0.05, timing_reserve=90),
}
# Toy networks for --size tiny (the CPU test): same code paths, seconds instead of minutes.
TINY_WIDTH = {"model.g_width": 8, "model.d_width": 8}
TINY_OVERRIDES = {"sngan_resnet32": {"n_critic": 1}, "cyclegan32": {"translation.resnet_blocks": 1},
                  "wgan_gp28_n_critic5": {"n_critic": 2}}


class Budget:
    """Seconds left of the script's budget; `fits(cost)` says whether a row estimated to take
    `cost` seconds at full size (times `scale`) still fits."""

    def __init__(self, seconds, scale=1.0):
        self.deadline = time.monotonic() + seconds
        self.scale = scale

    def left(self):
        return self.deadline - time.monotonic()

    def fits(self, cost):
        return self.left() >= cost * self.scale


class Recorder:
    """Appends every row to results.jsonl as it comes and keeps them for the report."""

    def __init__(self, out):
        self.rows = []
        self.path = os.path.join(out, "results.jsonl")
        self.file = open(self.path, "a")

    def __call__(self, section, **row):
        row = {"section": section, **row}
        self.rows.append(row)
        self.file.write(json.dumps(row, default=str) + "\n")
        self.file.flush()
        summary = {k: v for k, v in row.items() if not isinstance(v, (list, dict)) or k == "error"}
        print(json.dumps(summary, default=str), flush=True)
        return row

    def section(self, name):
        return [r for r in self.rows if r["section"] == name]


def _attempt(record, section, budget, cost, what, fn):
    """Run `fn()` (-> dict) as one row of `section` if `cost` seconds still fit in the budget;
    a failure is recorded with its error and traceback instead of stopping the script."""
    if not budget.fits(cost):
        return record(section, **what, status="skipped",
                      reason=f"budget: {budget.left():.0f} s left, row needs ~{cost * budget.scale:.0f} s")
    started = time.perf_counter()
    try:
        result = fn()
    except Exception as error:  # one broken row must not cost the rest of a device lease
        return record(section, **what, status="failed", error=f"{type(error).__name__}: {error}"[:2000],
                      traceback=traceback.format_exc()[-4000:], wall_s=time.perf_counter() - started)
    return record(section, **{**what, **result}, status="done", wall_s=time.perf_counter() - started)


def _overrides(model, size, dtype="float32", extra=None):
    overrides = {"model.dtype": dtype} if dtype != "float32" else {}
    if size == "tiny":
        if not model.startswith("mlp"):
            overrides.update(TINY_WIDTH)
        overrides.update(TINY_OVERRIDES.get(model, {}))
    overrides.update(extra or {})
    return overrides


def _package_versions():
    """Installed versions (None: not installed), read from package metadata without importing."""
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in ("jax", "jaxlib", "flax", "optax", "chex", "orbax-checkpoint", "numpy", "ml-collections", "torch",
                 "tensorboardX", "tensorflow-datasets"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _nvidia_smi():
    if shutil.which("nvidia-smi") is None:
        return None
    query = "name,driver_version,memory.total,clocks.sm,clocks.max.sm,power.limit,temperature.gpu"
    done = subprocess.run(["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"], capture_output=True,
                          text=True, timeout=30)
    return done.stdout.strip() or done.stderr.strip()


def section_env(args, size, record, budget, state):
    platform_name = backend.platform()
    record("env", status="done", date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
           backend=jax.default_backend(), platform=platform_name, devices=[str(d) for d in jax.devices()],
           device_kind=jax.devices()[0].device_kind, device_count=jax.device_count(), versions=_package_versions(),
           nvidia_smi=_nvidia_smi(), xla_flags=os.environ.get("XLA_FLAGS", ""),
           default_matmul_precision=str(jax.config.jax_default_matmul_precision),
           choices=backend.choices()._asdict(), cpu_count=os.cpu_count(), machine=platform.platform())
    for dtype in DTYPES:
        _attempt(record, "peak", budget, 10, {"dtype": dtype},
                 lambda: {"flop_per_s": throughput.matmul_peak(n=size["matmul"], repeats=10, dtype=getattr(jnp, dtype)),
                          "n": size["matmul"]})
    for row in record.section("peak"):
        if row["status"] == "done":
            state["peaks"][row["dtype"]] = row["flop_per_s"]


def _mnist_dir(data_dir):
    for candidate in (data_dir, os.path.join(data_dir, "mnist")):
        if candidate and glob.glob(os.path.join(candidate, "train-images-idx3-ubyte*")):
            return candidate
    return None


def section_train(args, size, record, budget, state):
    mnist = _mnist_dir(args.data_dir)
    what = {"recipe": "dcgan", "data": "mnist"}
    if mnist is None:
        record(
            "train",
            **what,
            status="skipped",
            reason=f"no MNIST files (train-images-idx3-ubyte.gz) in {args.data_dir!r}",
        )
        return
    steps = size["train_steps"]
    workdir = os.path.join(args.workdir, "train_dcgan_mnist")
    shutil.rmtree(workdir, ignore_errors=True)
    argv = ["train", "--config", os.path.join(ROOT, "experiments", "images", "dcgan.py"), "--config.data.source=idx",
            f"--config.data.dir={mnist}", f"--config.train.num_steps={steps}", f"--config.train.plot_every={steps}",
            f"--config.train.checkpoint_every={steps}", "--config.train.eval_every=0", "--config.train.log_every=100",
            "--config.train.progress=False", "--config.train.tensorboard=False",
            f"--config.eval.num_samples={size['eval_samples']}", "--workdir", workdir]
    if args.size == "tiny":
        argv[3:3] = ["--config.model.g_width=8", "--config.model.d_width=8", "--config.data.batch_size=16",
                     "--config.eval.num_reference=200", "--config.eval.batch_size=50"]

    def run():
        from jaxgan import cli
        from jaxgan.writers import read_jsonl

        started = time.perf_counter()
        code = cli.main(argv)
        wall = time.perf_counter() - started
        if code != 0:
            raise RuntimeError(f"jaxgan train exited with {code}")
        grids = sorted(glob.glob(os.path.join(workdir, "samples", "*.png")))
        if grids:
            shutil.copy(grids[-1], os.path.join(args.out, "samples.png"))
        with open(os.path.join(workdir, "config.json")) as f:
            config = json.load(f)
        evaluation = {}
        for path in glob.glob(os.path.join(workdir, "eval", "*.json")):
            with open(path) as f:
                evaluation = json.load(f)
        metrics = read_jsonl(os.path.join(workdir, "metrics.jsonl"))
        return {"steps": steps, "batch": config["data"]["batch_size"], "width": config["model"]["g_width"],
                "train_wall_s": wall, "summary": evaluation.get("summary", {}), "losses": metrics[-3:],
                "protocol": {k: evaluation.get("protocol", {}).get(k) for k in ("n_real", "n_fake", "feature_network")},
                "sample_grid": os.path.basename(grids[-1]) if grids else None}

    _attempt(record, "train", budget, 60, what, run)


def _peak_for(state, dtype):
    return state["peaks"].get(dtype) or state["peaks"].get("float32") or 1.0


class Job(NamedTuple):
    """One measured row: a model's compiled step at one batch with config `overrides`, compiled
    with the backend's choices changed by `changes` (if any), timed alone or against PyTorch
    (`torch_modes`)."""

    section: str
    what: tuple  # ((key, value), ...) identifying the row in results.jsonl
    model: str
    batch: int
    overrides: tuple  # ((dotted key, value), ...)
    changes: tuple = ()
    torch_modes: tuple = ()


def _job(section, what, model, batch, overrides, changes=None, torch_modes=()):
    return Job(section, tuple(what.items()), model, batch, tuple(sorted(overrides.items())),
               tuple(sorted((changes or {}).items())), tuple(torch_modes))


# (choice, what it is measured on, model, batch index into size["batches"],
#  {option: (config overrides, backend choice changes)})
CHOICE_EXPERIMENTS = [
    # Not measured on the H200 yet (2026-11-30): first.
    (
        "critic_conv",
        "DCGAN-64 step (critic differentiated once)",
        "dcgan64",
        -1,
        {"xla": ({"model.d_conv": "xla"}, {}), "matmul": ({"model.d_conv": "matmul"}, {})},
    ),
    (
        "donate_state",
        "DCGAN-64 step, state donated to the step or copied",
        "dcgan64",
        -1,
        {"True": ({}, {"donate_state": True}), "False": ({}, {"donate_state": False})},
    ),
    (
        "fused_steps",
        "DCGAN-32, steps per compiled call (time per step)",
        "dcgan32",
        0,
        {"1": ({"train.fused_steps": 1}, {}), "10": ({"train.fused_steps": 10}, {})},
    ),
    (
        "fused_steps",
        "MLP 2D, steps per compiled call (time per step)",
        "mlp_2d",
        0,
        {"1": ({"train.fused_steps": 1}, {}), "100": ({"train.fused_steps": 100}, {})},
    ),
    (
        "upsample",
        "CycleGAN step (2 x 2 transposed 3x3 convs)",
        "cyclegan32",
        0,
        {
            "transpose": ({"model.upsample": "transpose"}, {}),
            "transpose_dilated": ({"model.upsample": "transpose_dilated"}, {}),
        },
    ),
    # Measured on the H200 (README "Speed"): again, to confirm.
    (
        "upsample",
        "DCGAN-64 step (G: 4 transposed convs)",
        "dcgan64",
        -1,
        {
            "transpose": ({"model.upsample": "transpose"}, {}),
            "transpose_dilated": ({"model.upsample": "transpose_dilated"}, {}),
        },
    ),
    (
        "critic_conv_with_penalty",
        "WGAN-GP step (critic differentiated twice)",
        "wgan_gp28",
        -1,
        {"xla": ({"model.d_conv": "xla"}, {}), "matmul": ({"model.d_conv": "matmul"}, {})},
    ),
    (
        "max_unrolled",
        "WGAN-GP step, n_critic 5: unrolled (8) or lax.scan (0)",
        "wgan_gp28_n_critic5",
        0,
        {"8": ({}, {"max_unrolled": 8}), "0": ({}, {"max_unrolled": 0})},
    ),
]


def plan(args, size, sections, with_torch):
    """The rows of the targets, choices and table sections, in priority order (the order they
    are compiled; what the budget does not reach is skipped): the targets, the table at the
    largest batch, the choices, the table at the other batches."""
    models = args.models.split(",") if args.models else None
    wanted = lambda model: models is None or model in models
    targets, table, choices = [], [], []
    if "targets" in sections:
        for model in TARGET_MODELS:
            for dtype in DTYPES:
                if wanted(model):
                    targets.append(
                        _job(
                            "targets",
                            {"model": model, "batch": size["target_batch"], "dtype": dtype},
                            model,
                            size["target_batch"],
                            _overrides(model, args.size, dtype),
                            torch_modes=("eager", "compile") if with_torch else (),
                        )
                    )
    done = {(j.model, j.batch, dict(j.what)["dtype"]) for j in targets}
    if "table" in sections:
        for batch in sorted(size["batches"], reverse=True):
            for model in TABLE_MODELS:
                for dtype in DTYPES:
                    if (model, batch, dtype) in done or not wanted(model):
                        continue
                    torch_modes = ("eager",) if with_torch and model in throughput.TORCH_MODELS else ()
                    table.append(_job("table", {"model": model, "batch": batch, "dtype": dtype}, model, batch,
                                      _overrides(model, args.size, dtype), torch_modes=torch_modes))
    if "choices" in sections:
        for choice, what, model, batch_index, options in CHOICE_EXPERIMENTS:
            if args.choices and choice not in args.choices.split(","):
                continue
            batch = size["batches"][batch_index]
            for option, (extra, changes) in options.items():
                choices.append(
                    _job(
                        "choices",
                        {"choice": choice, "option": option, "what": what, "model": model, "batch": batch},
                        model,
                        batch,
                        _overrides(model, args.size, extra=extra),
                        changes,
                    )
                )
    largest = max(size["batches"])
    return targets + [j for j in table if j.batch == largest] + choices + [j for j in table if j.batch != largest]


def _with_choice(**changes):
    """Run a measurement with this backend's choices changed (restored after)."""
    key = backend.platform()
    original = backend.CHOICES[key]

    class _Changed:
        def __enter__(self):
            backend.CHOICES[key] = original._replace(**changes)

        def __exit__(self, *exc):
            backend.CHOICES[key] = original

    return _Changed()


def _compile(job, budget, reserve):
    """("ok", compiled program) or ("skipped" | "failed", reason) of one job."""
    if not budget.fits(15 + reserve):
        return "skipped", f"budget: {budget.left():.0f} s left when its compilation was due"
    try:
        with _with_choice(**dict(job.changes)):
            return "ok", throughput.compile_model(job.model, job.batch, overrides=dict(job.overrides))
    except Exception as error:  # one broken row must not cost the rest of a device lease
        return "failed", f"{type(error).__name__}: {error}"[:2000] + "\n" + traceback.format_exc()[-3000:]


def compile_all(jobs, budget, workers, reserve):
    """Compile every job's program in priority order. `workers` > 1 compiles the jobs without
    backend changes that many at a time in threads (the others, which change the process-wide
    choices while tracing, one by one); on the H200, 6 threads had not finished 44 programs after
    8 minutes while one thread compiles one every 5-15 s (README "Speed"), so 1 is the default. Returns
    {job: (status, program or reason)}."""
    if workers <= 1:
        return {job: _compile(job, budget, reserve) for job in jobs}
    from concurrent.futures import ThreadPoolExecutor

    pooled = [j for j in jobs if not j.changes]
    with ThreadPoolExecutor(workers, thread_name_prefix="jaxgan-compile") as pool:
        compiled = dict(zip(pooled, pool.map(lambda j: _compile(j, budget, reserve), pooled)))
    for job in jobs:
        if job.changes:
            compiled[job] = _compile(job, budget, reserve)
    return compiled


def _init_time(args, choice):
    """Seconds of `Program.init_state()` (compiling initialization) of the CycleGAN program."""
    from jaxgan import state as state_lib
    from jaxgan.run import Program

    config = throughput.apply_overrides(throughput.MODELS["cyclegan32"][0](), _overrides("cyclegan32", args.size))
    with _with_choice(**choice):
        state_lib._compiled_create.cache_clear()
        program = Program(config)
        started = time.perf_counter()
        jax.block_until_ready(program.init_state())
        seconds = time.perf_counter() - started
    state_lib._compiled_create.cache_clear()
    return {"init_s": seconds}


def time_job(job, program, size, state):
    """Time a compiled job: alone (rounds x repeats steps) or alternating with PyTorch."""
    run, facts = bench.runner(*program)
    dtype = dict(job.overrides).get("model.dtype", "float32")
    peak = _peak_for(state, dtype)
    if job.torch_modes and state["torch"] is not None:
        row = throughput.compare(job.model, job.batch, rounds=size["rounds"], repeats=size["repeats"], peak=peak,
                                 torch=state["torch"], overrides=dict(job.overrides), torch_modes=job.torch_modes,
                                 prepared=(run, facts))
    else:
        row = bench.summarize(facts, [run() for _ in range(size["rounds"] * size["repeats"])], peak)
        if job.torch_modes:
            row["torch_status"] = state["torch_status"]
    row.pop("what", None)
    return row


def measure_jobs(args, size, sections, record, budget, state):
    """The targets, choices and table sections: plan the rows, compile them all (while PyTorch
    builds its models), wait for PyTorch, then time the rows one at a time on an otherwise idle
    device."""
    jobs = plan(args, size, sections, state["torch"] is not None)
    torch = state["torch"]
    if torch is not None:
        builds = {
            (
                throughput.TORCH_MODELS[j.model],
                j.batch,
                mode == "compile",
                dict(j.overrides).get("model.dtype", "float32"),
            )
            for j in jobs
            for mode in j.torch_modes
        }
        for build in sorted(builds, key=lambda b: b[2]):  # eager builds first
            torch.prebuild(*build)
    reserve = size["timing_reserve"]  # seconds at full size (the budget scales them)
    started = time.perf_counter()
    programs = compile_all(jobs, budget, args.compile_workers, reserve)
    record("compile_phase", status="done", jobs=len(jobs), workers=args.compile_workers,
           compiled=sum(status == "ok" for status, _ in programs.values()), wall_s=time.perf_counter() - started)
    if torch is not None:
        waited = time.perf_counter()
        try:
            replies = torch.wait(timeout=max(budget.left() - reserve * budget.scale, 1))
            failed = [r for r in replies if "error" in r]
            state["torch_status"] = f"ready ({len(replies)} builds, {len(failed)} failed: {failed[:2]})"
        except TimeoutError:
            torch.kill()
            state["torch"], torch = None, None
            state["torch_status"] = "not ready: its builds (torch.compile) outlasted the budget"
        record("torch_builds", status="done", torch_status=state["torch_status"], waited_s=time.perf_counter() - waited)
    for job in jobs:
        status, program = programs[job]
        what = dict(job.what)
        if status != "ok":
            record(job.section, **what, status=status, reason=program)
        else:
            _attempt(record, job.section, budget, 10, what, lambda: time_job(job, program, size, state))
        programs[job] = (status, None)  # free the program and its buffers
    if "choices" in sections and (not args.choices or "optimize_init" in args.choices.split(",")):
        # last, so that its compilations run alone (PyTorch's builds are done)
        for option in (True, False):
            _attempt(
                record,
                "choices",
                budget,
                40,
                {
                    "choice": "optimize_init",
                    "option": str(option),
                    "what": "CycleGAN initialization (compile + run)",
                    "model": "cyclegan32",
                },
                lambda: _init_time(args, {"optimize_init": option}),
            )


def start_compile_section(args, size):
    """Start `benchmarks.compile_times` over every recipe in `--recipe-workers` processes at
    once; `finish_compile_section` collects them (stopping them when the budget ends)."""
    from benchmarks.compile_times import recipes

    names = list(size["recipes"] or recipes())
    workers = min(args.recipe_workers, len(names))
    env = {**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    processes = []
    for w in range(workers):
        chunk = names[w::workers]
        out = os.path.join(args.workdir, f"compile_{w}.jsonl")
        command = [sys.executable, "-m", "benchmarks.compile_times", "--recipes", ",".join(chunk), "--out", out]
        if args.size == "tiny":
            command += ["--override", json.dumps(TINY_WIDTH)]
        log = open(os.path.join(args.workdir, f"compile_{w}.log"), "w")
        processes.append(
            (subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), out, chunk, log)
        )
    return processes, workers


def finish_compile_section(processes, workers, record, budget):
    for process, out, chunk, log in processes:
        try:
            process.wait(timeout=max(budget.left(), 1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        measured = {}
        if os.path.exists(out):
            with open(out) as f:
                measured = {row["recipe"]: row for row in map(json.loads, f) if "recipe" in row}
        for name in chunk:
            if name in measured:
                record("compile", **measured[name], status="done", concurrent_workers=workers)
            else:
                with open(log.name) as f:
                    tail = f.read()[-1500:]
                record("compile", recipe=name, status="skipped" if process.returncode == -9 else "failed",
                       reason=f"worker exit {process.returncode}: {tail}")


def _fmt(value, digits=1):
    return "-" if value is None else f"{value:,.{digits}f}"


def report(record, size_name):
    rows = record.rows
    env = next((r for r in rows if r["section"] == "env"), {})
    lines = [f"# jaxgan on {env.get('device_kind', '?')} ({env.get('backend', '?')}), {env.get('date', '')}", ""]
    versions = env.get("versions", {})
    lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v))
    if env.get("nvidia_smi"):
        lines.append(f"nvidia-smi: {env['nvidia_smi']}")
    lines.append(f"size: {size_name}; default matmul precision: {env.get('default_matmul_precision')}")
    for r in record.section("peak"):
        if r["status"] == "done":
            lines.append(f"matmul peak {r['dtype']} ({r['n']}^3 jnp.dot): {r['flop_per_s'] / 1e12:.1f} TFLOP/s")
    for r in record.section("train"):
        lines += ["", "## Training run (experiments/images/dcgan.py on MNIST)", ""]
        if r["status"] != "done":
            lines.append(f"{r['status']}: {r.get('reason') or r.get('error')}")
            continue
        summary = ", ".join(
            f"{k} {v['mean']:.4g}" for k, v in r["summary"].items() if isinstance(v, dict) and "mean" in v
        )
        lines.append(f"{r['steps']} steps at batch {r['batch']}, width {r['width']}: {r['train_wall_s']:.1f} s wall "
                     f"(compile, training, final evaluation); final checkpoint: {summary}; protocol {r['protocol']}")
    compared = [r for r in record.section("targets") + record.section("table") if r["status"] == "done"]
    if compared:
        lines += [
            "",
            "## Throughput (one D and one G update per iteration; ms are medians)",
            "",
            "| model | batch | dtype | compile s | jaxgan ms | images/s | GFLOP/iter | TFLOP/s | of peak | XLA MB "
            "| torch eager ms | torch.compile ms | jaxgan / eager | jaxgan / compile |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(compared, key=lambda r: (TABLE_MODELS.index(r["model"]) if r["model"] in TABLE_MODELS else 99,
                                                 r["batch"], r["dtype"])):
            memory = _fmt(r["xla_bytes"] / 2**20, 0) if r.get("xla_bytes") else "-"
            lines.append(
                f"| {r['model']} | {r['batch']} | {r['dtype']} | {r['compile_s']:.1f} | {r['step_ms_median']:.2f} "
                f"| {r['images_per_s']:,.0f} | {r['gflop_per_step']:.2f} | {r['gflop_per_s'] / 1e3:.2f} "
                f"| {100 * r['fraction_of_matmul_peak']:.1f}% | {memory} | {_fmt(r.get('torch_eager_ms'), 2)} "
                f"| {_fmt(r.get('torch_compile_ms'), 2)} | {_fmt(r.get('ratio_to_torch_eager'), 2)} "
                f"| {_fmt(r.get('ratio_to_torch_compile'), 2)} |"
            )
        by_key = {(r["model"], r["batch"], r["dtype"]): r for r in compared}
        speedups = [
            f"{m} @ {b}: "
            f"{by_key[(m, b, 'float32')]['step_ms_median'] / by_key[(m, b, 'bfloat16')]['step_ms_median']:.2f}x"
            for (m, b, d) in sorted(by_key)
            if d == "float32" and (m, b, "bfloat16") in by_key
        ]
        lines += ["", "bfloat16 speedup over float32 (step time ratio): " + "; ".join(speedups)]
    choices = record.section("choices")
    if choices:
        lines += [
            "",
            "## Per-backend choices, measured both ways",
            "",
            "| choice | measured on | option | step ms | compile s | XLA MB |",
            "|---|---|---|---|---|---|",
        ]
        for r in choices:
            if r["status"] != "done":
                lines.append(
                    f"| {r['choice']} | {r['what']} | {r['option']} | {r['status']}: "
                    f"{r.get('reason') or r.get('error', '')[:80]} | | |"
                )
            elif "init_s" in r:
                lines.append(f"| {r['choice']} | {r['what']} | {r['option']} | {r['init_s']:.2f} s | | |")
            else:
                memory = _fmt(r["xla_bytes"] / 2**20, 0) if r.get("xla_bytes") else "-"
                lines.append(
                    f"| {r['choice']} | {r['what']} @ {r['batch']} | {r['option']} | {r['step_ms_median']:.3f} "
                    f"| {r['compile_s']:.1f} | {memory} |"
                )
        lines += ["", "fastest: " + "; ".join(f"{k}: {v}" for k, v in fastest_choices(choices).items())]
    compiles = record.section("compile")
    if compiles:
        done = [r for r in compiles if r["status"] == "done"]
        lines += [
            "",
            f"## Compile time of every recipe's step ({done[0]['concurrent_workers'] if done else '?'} at a time)",
            "",
            "| recipe | model | batch | n_critic | compile s |",
            "|---|---|---|---|---|",
        ]
        for r in compiles:
            if r["status"] == "done":
                lines.append(
                    f"| {r['recipe']} | {r['model']} | {r['batch']} | {r['n_critic']} | {r['compile_s']:.1f} |"
                )
            else:
                lines.append(f"| {r['recipe']} | | | | {r['status']} |")
        if done:
            slowest = max(done, key=lambda r: r["compile_s"])
            over = [r["recipe"] for r in done if r["compile_s"] >= COMPILE_LIMIT_S]
            lines.append(
                f"\nslowest: {slowest['recipe']} {slowest['compile_s']:.1f} "
                f"s; over {COMPILE_LIMIT_S:.0f} s: {over or 'none'}"
            )
    problems = [r for r in rows if r.get("status") in ("failed", "skipped")]
    if problems:
        lines += ["", "## Not measured", ""]
        lines += [
            f"- {r['section']} "
            f"{ ({k: r[k] for k in ('model', 'batch', 'dtype', 'choice', 'option', 'recipe') if k in r}) }: "
            f"{r['status']}: {(r.get('reason') or r.get('error') or '')[:300]}"
            for r in problems
        ]
    return "\n".join(lines)


def fastest_choices(rows):
    """{choice (what it was measured on): fastest option} from the choices rows."""
    best = {}
    for r in rows:
        if r["status"] != "done":
            continue
        key = f"{r['choice']} ({r['model']})"
        value = r.get("init_s", r.get("step_ms_median"))
        if key not in best or value < best[key][1]:
            best[key] = (r["option"], value)
    return {k: v[0] for k, v in best.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.environ.get("OUT", "results/device"))
    parser.add_argument("--size", default="full", choices=sorted(SIZES))
    parser.add_argument("--budget-s", type=float, default=420.0, help="stop starting new rows after this many seconds")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--torch-python", default=None,
                        help="a Python with torch for the PyTorch reference (default: this one, if it has torch; "
                             "'none' to skip)")
    parser.add_argument("--data-dir", default=os.path.join(ROOT, ".device_data"),
                        help="folder holding the official MNIST .gz files (or a mnist/ folder of them)")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--models", default="", help="comma list: only these models in targets and table")
    parser.add_argument(
        "--choices", default="", help="comma list: only these choices (e.g. max_unrolled,optimize_init)"
    )
    parser.add_argument("--compile-workers", type=int, default=1, help="programs compiled at once (threads)")
    parser.add_argument("--recipe-workers", type=int, default=2, help="processes of the compile section")
    args = parser.parse_args(argv)
    sections = [s for s in args.sections.split(",") if s]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    size = SIZES[args.size]
    os.makedirs(args.out, exist_ok=True)
    if args.workdir is None:
        import tempfile

        args.workdir = tempfile.mkdtemp(prefix="jaxgan-device-")
    os.makedirs(args.workdir, exist_ok=True)
    budget = Budget(args.budget_s, size["cost_scale"])
    record = Recorder(args.out)
    torch_python = args.torch_python
    if torch_python is None:
        torch_python = sys.executable if importlib.util.find_spec("torch") else "none"
    state = {"peaks": {}, "torch": None, "torch_status": "not used"}
    measured = [s for s in sections if s in ("targets", "choices", "table")]
    if torch_python != "none" and ({"targets", "table"} & set(sections)):
        device = "cuda" if jax.default_backend() == "gpu" else "cpu"
        state["torch"] = throughput.TorchReference(torch_python, device=device)
        state["torch_status"] = "building"
    try:
        for name in sections:
            print(f"== {name} ({budget.left():.0f} s of budget left)", flush=True)
            if name in ("env", "train"):
                globals()[f"section_{name}"](args, size, record, budget, state)
            elif name == "compile":
                finish_compile_section(*start_compile_section(args, size), record, budget)
            elif name == measured[0]:  # the three measured sections run as one
                measure_jobs(args, size, measured, record, budget, state)
    finally:
        if state["torch"] is not None:
            state["torch"].kill()
        record.file.close()
        text = report(record, args.size)
        with open(os.path.join(args.out, "report.md"), "w") as f:
            f.write(text + "\n")
        print("\n" + text, flush=True)
    return record


if __name__ == "__main__":
    main()

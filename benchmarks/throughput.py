"""Train-step throughput of every model family, with the XLA cost model and this machine's
matmul peak measured in the same run.

    .venv/bin/python -m benchmarks.throughput [--models dcgan32,mlp_mnist] [--batches 64,256]
        [--repeats 7] [--out results/bench_throughput.jsonl] [--torch-python PYTHON]

For each model and batch size: compile time (`lower` + `compile`), median, min and max step time
over `--repeats` timed steps after one warm-up step (each ended by `block_until_ready`),
images/s, XLA's FLOP count of one step (`compiled.cost_analysis()`), the achieved FLOP/s and its
ratio to the float32 matmul peak, and XLA's buffer sizes (arguments + outputs + temporaries,
`compiled.memory_analysis()`), the memory the step needs. Batches are random arrays of the data's
shape: the step's cost does not depend on the pixel values, and no dataset is needed. The device
count is whatever JAX sees (set `XLA_FLAGS=--xla_force_host_platform_device_count=N` for virtual
CPU devices, which share the cores: they show the overhead of data parallelism, not speedup).

With `--torch-python` (an interpreter that has torch, e.g. a Python 3.11 venv with
`pip install torch==2.13.0`), `benchmarks.torch_reference` times the same iterations in PyTorch,
eager and under `torch.compile`, right after the JAX rows, and the table gets the ratios.
"""

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys

import jax
import jax.numpy as jnp

from experiments import load_recipe
from jaxgan import backend, bench


def _image_recipe(recipe, data, **overrides):
    def build():
        config = load_recipe(recipe).get_config()
        config.data.name = data
        return apply_overrides(config, overrides)

    return build


def _fused(build, steps, seeds=1):
    def fused():
        config = build()
        config.train.fused_steps = steps
        config.num_seeds = seeds
        return config

    return fused


def _mlp_mnist():
    config = importlib.import_module("experiments.images.dcgan").get_config()
    config.model.name = "mlp"
    config.model.g_hidden = (256, 512, 1024)
    config.model.d_hidden = (512, 256)
    config.model.g_norm = "batch"
    config.model.d_norm = "none"
    return config


def _translation(run):
    def build():
        from experiments.studies.translation_recipes import configure

        return configure(run, argparse.Namespace(data_dir="", width=32, steps=100))

    return build


MODELS = {
    # name: (config builder, what one step is)
    "mlp_2d": (
        _fused(_image_recipe("gan_ns_2d", "ring"), 1),
        "MLP GAN on the 2D ring: one D and one G update per call",
    ),
    "mlp_2d_fused100": (
        _fused(_image_recipe("gan_ns_2d", "ring"), 100),
        "the mlp_2d iteration, 100 fused into one compiled call (train.fused_steps); time per iteration",
    ),
    "mlp_2d_fused100_seeds10": (
        _fused(_image_recipe("gan_ns_2d", "ring"), 100, seeds=10),
        "mlp_2d_fused100 for 10 seeds vmapped in one program (num_seeds); time per iteration of all 10",
    ),
    "mlp_mnist": (_mlp_mnist, "MLP GAN on MNIST (G 256-512-1024 BN, D 512-256): one D and one G update"),
    "dcgan28": (_image_recipe("dcgan", "mnist"), "DCGAN 28x28, width 64: one D and one G update"),
    "dcgan32": (_image_recipe("dcgan", "cifar10"), "DCGAN 32x32 RGB, width 64: one D and one G update"),
    "dcgan64": (_image_recipe("dcgan", "celeb_a"), "DCGAN 64x64 RGB, width 64: one D and one G update"),
    "sngan_resnet32": (_image_recipe("sngan_resnet", "cifar10"), "SNGAN ResNet 32x32: 5 D and one G update"),
    "wgan_gp28": (
        _image_recipe("wgan_gp", "mnist", **{"n_critic": 1}),
        "WGAN-GP DCGAN critic (LayerNorm) 28x28: one critic update with the penalty, one G update",
    ),
    "wgan_gp28_n_critic5": (
        _image_recipe("wgan_gp", "mnist"),
        "WGAN-GP as the recipe: 5 critic updates with the penalty per G update",
    ),
    "wgan_gp28_xla_critic": (
        _image_recipe("wgan_gp", "mnist", **{"n_critic": 1, "model.d_conv": "xla"}),
        "wgan_gp28 with the critic's convolutions as nn.Conv (model.d_conv='xla'), for comparison",
    ),
    "pix2pix32": (_translation("pix2pix_edges2mnist"), "Pix2Pix U-Net + PatchGAN, 32x32, width 32"),
    "cyclegan32": (
        _translation("cyclegan_mnist2fashion"),
        "CycleGAN, two ResNet G (6 blocks) + two PatchGAN, 32x32, width 16",
    ),
}


def matmul_peak(n=2048, repeats=7, dtype=jnp.float32):
    """Measured matmul FLOP/s of the first device in `dtype` (XLA's dot); the float32 rows use
    `bench.matmul_peaks`, the better of XLA's dot and NumPy's BLAS."""
    return bench.xla_matmul_peak(n, repeats, dtype)


def apply_overrides(config, overrides):
    """Set dotted keys of `config` ({"model.dtype": "bfloat16", ...}); unknown keys fail."""
    for key, value in (overrides or {}).items():
        *groups, field = key.split(".")
        target = config
        for group in groups:
            target = target[group]
        target[field] = value
    return config


def model_config(name, *, cpu_convolutions="eigen", overrides=None):
    """The config of built-in model `name` with `overrides` ({"model.dtype": "bfloat16", ...})."""
    config = apply_overrides(MODELS[name][0](), overrides)
    config.train.parallel = "auto"
    config.train.cpu_convolutions = cpu_convolutions
    return config


def compile_model(name, batch_size, *, cpu_convolutions="eigen", overrides=None):
    """Compile `name`'s step at `batch_size` (with config `overrides`) without running it;
    returns (compiled step, placed state, batch, facts). Safe to call from several threads at
    once (the device script compiles its programs concurrently)."""
    config = model_config(name, cpu_convolutions=cpu_convolutions, overrides=overrides)
    compiled, state, batch, facts = bench.compile_config(config, batch_size)
    return compiled, state, batch, {"model": name, "what": MODELS[name][1], **facts, "overrides": dict(overrides or {})}


def prepare(name, batch_size, *, cpu_convolutions="eigen", overrides=None):
    """Compile `name`'s step at `batch_size` (with config `overrides`); returns (run: () ->
    seconds of one step, facts)."""
    return bench.runner(*compile_model(name, batch_size, cpu_convolutions=cpu_convolutions, overrides=overrides))


def measure(name, batch_size, *, repeats, peak, cpu_convolutions="eigen", overrides=None):
    run, facts = prepare(name, batch_size, cpu_convolutions=cpu_convolutions, overrides=overrides)
    return bench.summarize(facts, [run() for _ in range(repeats)], peak)


class TorchReference:
    """`benchmarks.torch_reference --serve` in a Python that has torch, kept running so its
    measurements can alternate with JAX's. Replies come in request order; `prebuild` queues model
    builds (warm-ups, torch.compile) to run while this process does other work."""

    def __init__(self, python, device="cpu"):
        import queue
        import tempfile
        import threading

        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        # stderr to a file: torch.compile can log more than a pipe holds, which would stall it.
        self.stderr = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen([python, "-m", "benchmarks.torch_reference", "--serve", "--device", device],
                                        cwd=root, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.stderr)
        self.replies = queue.Queue()
        self.pending = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.replies.put(json.loads(line))
        self.replies.put(None)  # the server stopped

    def _request(self, **request):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        self.pending += 1

    def _reply(self, timeout=None):
        import queue

        try:
            reply = self.replies.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no reply from the PyTorch reference within {timeout:.0f} s") from None
        if reply is None:
            self.stderr.seek(0)
            raise RuntimeError(f"the PyTorch reference stopped:\n{self.stderr.read()[-2000:]}")
        self.pending -= 1
        return reply

    def prebuild(self, model, batch, compile_mode, dtype="float32"):
        """Queue building (and warming up) a model for later `measure` calls; no wait."""
        self._request(model=model, batch=batch, compile=compile_mode, dtype=dtype, build_only=True)

    def wait(self, timeout=None):
        """The replies of all queued requests (raises TimeoutError if they take longer)."""
        import time as _time

        deadline = None if timeout is None else _time.monotonic() + timeout
        replies = []
        while self.pending:
            replies.append(self._reply(None if deadline is None else max(deadline - _time.monotonic(), 0.01)))
        return replies

    def measure(self, model, batch, repeats, compile_mode, dtype="float32"):
        self.wait()
        self._request(model=model, batch=batch, repeats=repeats, compile=compile_mode, dtype=dtype)
        return self._reply()

    def close(self):
        self.process.stdin.close()
        self.process.wait()

    def kill(self):
        self.process.kill()


def compare(name, batch, *, rounds, repeats, peak, torch, cpu_convolutions="eigen", overrides=None,
            torch_modes=("eager", "compile"), prepared=None):
    """JAX and PyTorch (`torch_modes`: eager, compiled) measurements of the same iteration,
    alternating for `rounds` rounds of `repeats` steps each. Times are medians over all steps;
    the ratios are medians of the per-round ratios, so a slow spell of the machine hits both
    sides. A bfloat16 row (`overrides["model.dtype"]`) is compared with PyTorch under bf16
    autocast; a row of S vmapped seeds with S PyTorch iterations one after another.
    `prepared`: an earlier `prepare(...)` of the same row (run, facts)."""
    run, facts = prepared or prepare(name, batch, cpu_convolutions=cpu_convolutions, overrides=overrides)
    seeds = (overrides or {}).get("num_seeds", TORCH_SEEDS.get(name, 1))
    results = {mode: [] for mode in torch_modes}
    times = []
    for _ in range(rounds):
        ours = [run() for _ in range(repeats)]
        times += ours
        for mode in torch_modes:
            reply = torch.measure(TORCH_MODELS[name], batch, repeats, mode == "compile", facts["dtype"])
            if "step_ms_median" in reply:
                reply["step_ms_median"] *= seeds
            reply["jax_ms"] = 1e3 * statistics.median(ours)
            results[mode].append(reply)
    row = bench.summarize(facts, times, peak)
    row["torch_seeds_in_sequence"] = seeds
    for mode, replies in results.items():
        if "error" in replies[0]:
            row[f"torch_{mode}_error"] = replies[0]["error"]
            continue
        row[f"torch_{mode}_ms"] = statistics.median(r["step_ms_median"] for r in replies)
        row[f"ratio_to_torch_{mode}"] = statistics.median(r["jax_ms"] / r["step_ms_median"] for r in replies)
        row[f"ratio_to_torch_{mode}_rounds"] = [r["jax_ms"] / r["step_ms_median"] for r in replies]
        row[f"torch_{mode}_warmup_s"] = replies[0].get("warmup_s")
    row["rounds"] = rounds
    return row


# The PyTorch reference's name for each model it has (benchmarks.torch_reference.MODELS).
TORCH_MODELS = {"mlp_2d": "mlp_2d", "mlp_2d_fused100": "mlp_2d", "mlp_2d_fused100_seeds10": "mlp_2d",
                "mlp_mnist": "mlp_mnist", "dcgan28": "dcgan28", "dcgan32": "dcgan32", "dcgan64": "dcgan64",
                "wgan_gp28": "wgan_gp28"}
# Rows of several vmapped seeds: PyTorch trains them one after another (its time x seeds).
TORCH_SEEDS = {"mlp_2d_fused100_seeds10": 10}


def ratio_table(rows):
    lines = ["| model | batch | convolutions | jaxgan ms | torch eager ms | torch.compile ms | jaxgan / eager "
             "| jaxgan / compile | rounds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "torch_eager_ms" not in r:
            continue
        compiled = (f"{r['torch_compile_ms']:.1f}", f"{r['ratio_to_torch_compile']:.2f}") if r.get("torch_compile_ms") \
            else ("-", "-")
        lines.append(f"| {r['model']} | {r['batch']} | {r['cpu_convolutions']} | {r['step_ms_median']:.1f} "
                     f"| {r['torch_eager_ms']:.1f} | {compiled[0]} | {r['ratio_to_torch_eager']:.2f} | {compiled[1]} "
                     f"| {r['rounds']} |")
    return "\n".join(lines)


def other_device_counts(args, count):
    """The JAX rows with `count` virtual CPU devices: this command in a subprocess whose XLA_FLAGS
    set the device count before JAX starts."""
    flags = os.environ.get("XLA_FLAGS", "").split()
    flags = [f for f in flags if not f.startswith("--xla_force_host_platform_device_count")]
    env = {**os.environ, "XLA_FLAGS": " ".join(flags + [f"--xla_force_host_platform_device_count={count}"])}
    out = os.path.splitext(args.out)[0] + f"_devices{count}.jsonl"
    command = [sys.executable, "-m", "benchmarks.throughput", "--models", args.models, "--batches", args.batches,
               "--repeats", str(args.repeats), "--cpu-convolutions", args.cpu_convolutions, "--out", out]
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if done.returncode:
        raise RuntimeError(f"the {count}-device run failed:\n{done.stderr[-2000:]}")
    with open(out) as f:
        return [json.loads(line) for line in f if '"model"' in line]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batches", default="64")
    parser.add_argument("--repeats", type=int, default=7, help="timed steps per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of JAX and PyTorch (with --torch-python)")
    parser.add_argument("--cpu-convolutions", default="eigen", help="comma list of train.cpu_convolutions to measure")
    parser.add_argument("--devices", default="", help="comma list of virtual CPU device counts (each in a subprocess)")
    parser.add_argument("--out", default="results/bench_throughput.jsonl")
    parser.add_argument("--torch-python", default=None, help="a Python with torch: time the PyTorch reference too")
    args = parser.parse_args(argv)
    models = args.models.split(",")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; choose from {sorted(MODELS)}")
    choices = args.cpu_convolutions.split(",")
    if set(choices) - set(backend.CPU_CONVOLUTIONS):
        parser.error(f"--cpu-convolutions {args.cpu_convolutions!r}: choose from {backend.CPU_CONVOLUTIONS}")
    peaks = bench.matmul_peaks()
    peak = peaks["peak"]
    env = bench.environment()
    rows = []
    torch = TorchReference(args.torch_python) if args.torch_python else None
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(json.dumps({"environment": env, "matmul_peak_flop_per_s": peak, "matmul_peaks": peaks}) + "\n")

        def record(row):
            rows.append(row)
            f.write(json.dumps(row) + "\n")
            f.flush()
            print(json.dumps(row), flush=True)

        for name in models:
            for batch in map(int, args.batches.split(",")):
                for choice in choices:
                    if torch is not None and name in TORCH_MODELS:
                        record(compare(name, batch, rounds=args.rounds, repeats=args.repeats, peak=peak, torch=torch,
                                       cpu_convolutions=choice))
                    else:
                        record(measure(name, batch, repeats=args.repeats, peak=peak, cpu_convolutions=choice))
        for count in (int(c) for c in args.devices.split(",") if c):
            if count != jax.device_count():
                for row in other_device_counts(args, count):
                    record(row)
    if torch is not None:
        torch.close()
    print(f"\n{env['device']} x {env['devices']}, jax {env['jax']}, {env['cpu_count']} CPUs, {env['host_platform']}")
    print(bench.table(rows, peak))
    if torch is not None:
        print("\n" + ratio_table(rows))


if __name__ == "__main__":
    main()

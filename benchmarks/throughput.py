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
import platform
import statistics
import subprocess
import time

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.train import Program


def _image_recipe(recipe, data, **overrides):
    def build():
        config = importlib.import_module(f"experiments.{recipe}").get_config()
        config.data.name = data
        for key, value in overrides.items():
            *groups, field = key.split(".")
            target = config
            for group in groups:
                target = target[group]
            target[field] = value
        return config

    return build


def _mlp_mnist():
    config = importlib.import_module("experiments.dcgan").get_config()
    config.model.name = "mlp"
    config.model.g_hidden = (256, 512, 1024)
    config.model.d_hidden = (512, 256)
    config.model.g_norm = "batch"
    config.model.d_norm = "none"
    return config


def _translation(run):
    def build():
        from experiments.translation_recipes import configure

        return configure(run, argparse.Namespace(data_dir="", width=32, steps=100))

    return build


MODELS = {
    # name: (config builder, what one step is)
    "mlp_2d": (_image_recipe("gan_ns_2d", "ring"), "MLP GAN on the 2D ring: one D and one G update"),
    "mlp_mnist": (_mlp_mnist, "MLP GAN on MNIST (G 256-512-1024 BN, D 512-256): one D and one G update"),
    "dcgan28": (_image_recipe("dcgan", "mnist"), "DCGAN 28x28, width 64: one D and one G update"),
    "dcgan32": (_image_recipe("dcgan", "cifar10"), "DCGAN 32x32 RGB, width 64: one D and one G update"),
    "dcgan64": (_image_recipe("dcgan", "celeb_a"), "DCGAN 64x64 RGB, width 64: one D and one G update"),
    "sngan_resnet32": (_image_recipe("sngan_resnet", "cifar10"), "SNGAN ResNet 32x32: 5 D and one G update"),
    "wgan_gp28": (_image_recipe("wgan_gp", "mnist", **{"n_critic": 1}),
                  "WGAN-GP DCGAN critic (LayerNorm) 28x28: one critic update with the penalty, one G update"),
    "pix2pix32": (_translation("pix2pix_edges2mnist"), "Pix2Pix U-Net + PatchGAN, 32x32, width 32"),
    "cyclegan32": (_translation("cyclegan_mnist2fashion"), "CycleGAN, two ResNet G (6 blocks) + two PatchGAN, 32x32, width 16"),
}


def random_batch(program, config, batch_size, key):
    """A batch of the structure the (fused) step takes: (1 fused step, n_critic, B, ...), random
    values in [-1, 1]."""
    from jaxgan.train import make_source

    if config.game.name in ("pix2pix", "cyclegan"):
        from jaxgan.config import translation_shapes

        a, b = translation_shapes(config)
        names = ("source", "target") if config.game.name == "pix2pix" else ("a", "b")
        return {name: jax.random.uniform(jax.random.fold_in(key, i), (1, 1, batch_size) + shape, minval=-1, maxval=1)
                for i, (name, shape) in enumerate(zip(names, (a, b)))}
    if config.data.name in ("ring", "grid"):
        return jax.tree.map(lambda x: x[0], make_source(config).next(1))
    shape = program.data_shape
    return {"x": jax.random.uniform(key, (1, config.n_critic, batch_size) + tuple(shape), minval=-1, maxval=1)}


def step_flops(compiled):
    """XLA's FLOP count of one call of a compiled function (summed over its computations)."""
    analysis = compiled.cost_analysis()
    if isinstance(analysis, (list, tuple)):
        return float(sum(a.get("flops", 0.0) for a in analysis))
    return float(analysis.get("flops", 0.0))


def step_bytes(compiled):
    """Arguments + outputs + temporaries - aliased bytes of a compiled function (XLA's plan)."""
    m = compiled.memory_analysis()
    if m is None:
        return None
    return int(m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes - m.alias_size_in_bytes)


def matmul_peak(n=2048, repeats=7):
    """Measured float32 matmul FLOP/s of this machine: median over repeats of an n x n x n jnp.dot."""
    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.key(1), (n, n), jnp.float32)
    dot = jax.jit(jnp.dot)
    jax.block_until_ready(dot(a, b))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        jax.block_until_ready(dot(a, b))
        times.append(time.perf_counter() - started)
    return 2.0 * n**3 / statistics.median(times)


def measure(name, batch_size, *, repeats, peak):
    build, description = MODELS[name]
    config = build()
    config.data.batch_size = batch_size
    config.train.parallel = "auto"
    program = Program(config)
    state = program.to_device(program.init_state())
    batch = program.place_batch(random_batch(program, config, batch_size, jax.random.key(0)))
    started = time.perf_counter()
    compiled = program.step.lower(state, batch).compile()
    compile_s = time.perf_counter() - started
    state, metrics = compiled(state, batch)  # warm-up
    jax.block_until_ready(metrics)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        state, metrics = compiled(state, batch)
        jax.block_until_ready(metrics)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    flops = step_flops(compiled)
    return {"model": name, "what": description, "batch": batch_size, "devices": jax.device_count(),
            "compile_s": compile_s, "step_ms_median": 1e3 * median, "step_ms_min": 1e3 * min(times),
            "step_ms_max": 1e3 * max(times), "images_per_s": batch_size / median, "gflop_per_step": flops / 1e9,
            "gflop_per_s": flops / median / 1e9, "fraction_of_matmul_peak": flops / median / peak,
            "xla_bytes": step_bytes(compiled), "repeats": repeats,
            "finite": bool(all(np.all(np.isfinite(np.asarray(v))) for v in jax.tree.leaves(metrics)))}


def environment():
    return {"device": str(jax.devices()[0].device_kind), "devices": jax.device_count(), "jax": jax.__version__,
            "cpu_count": os.cpu_count(), "machine": platform.machine(), "platform": platform.platform(),
            "xla_flags": os.environ.get("XLA_FLAGS", "")}


def table(rows, peak):
    lines = [f"matmul peak (float32, measured): {peak / 1e9:.0f} GFLOP/s",
             "| model | batch | devices | compile s | step ms (median, min-max) | images/s | GFLOP/step | GFLOP/s | of peak | XLA MB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        memory = f"{r['xla_bytes'] / 2**20:.0f}" if r["xla_bytes"] is not None else "-"
        lines.append(f"| {r['model']} | {r['batch']} | {r['devices']} | {r['compile_s']:.1f} | {r['step_ms_median']:.1f} "
                     f"({r['step_ms_min']:.1f}-{r['step_ms_max']:.1f}) | {r['images_per_s']:.0f} | {r['gflop_per_step']:.2f} "
                     f"| {r['gflop_per_s']:.0f} | {100 * r['fraction_of_matmul_peak']:.0f}% | {memory} |")
    return "\n".join(lines)


TORCH_MODELS = ("mlp_2d", "mlp_mnist", "dcgan28", "dcgan32", "dcgan64")


def torch_rows(python, models, batch, repeats):
    """PyTorch eager and compiled iteration times of `models` (those the reference has)."""
    models = [m for m in models if m in TORCH_MODELS]
    rows = []
    for flags in ([], ["--compile"]):
        if not models:
            break
        out = subprocess.run([python, "-m", "benchmarks.torch_reference", "--models", ",".join(models), "--batch",
                              str(batch), "--repeats", str(repeats), *flags], capture_output=True, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        if out.returncode:
            raise RuntimeError(f"the PyTorch reference failed ({python}):\n{out.stderr[-2000:]}")
        rows += [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    return rows


def ratio_table(rows, reference):
    lines = ["| model | batch | jaxgan ms | torch eager ms | torch.compile ms | jaxgan / eager | jaxgan / compile |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        ref = {t["mode"]: t["step_ms_median"] for t in reference if t["model"] == r["model"] and t["batch"] == r["batch"]}
        if not ref:
            continue
        eager, compiled = ref.get("eager", float("nan")), ref.get("compile", float("nan"))
        lines.append(f"| {r['model']} | {r['batch']} | {r['step_ms_median']:.1f} | {eager:.1f} | {compiled:.1f} | "
                     f"{r['step_ms_median'] / eager:.2f} | {r['step_ms_median'] / compiled:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batches", default="64")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default="results/bench_throughput.jsonl")
    parser.add_argument("--torch-python", default=None, help="a Python with torch: time the PyTorch reference too")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models.split(",") if m not in MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; choose from {sorted(MODELS)}")
    peak = matmul_peak()
    env = environment()
    rows = []
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(json.dumps({"environment": env, "matmul_peak_flop_per_s": peak}) + "\n")
        for name in args.models.split(","):
            for batch in map(int, args.batches.split(",")):
                rows.append(measure(name, batch, repeats=args.repeats, peak=peak))
                f.write(json.dumps(rows[-1]) + "\n")
                f.flush()
                print(json.dumps(rows[-1]), flush=True)
        reference = []
        if args.torch_python:
            for batch in map(int, args.batches.split(",")):
                reference += torch_rows(args.torch_python, args.models.split(","), batch, args.repeats)
            f.writelines(json.dumps(r) + "\n" for r in reference)
    print(f"\n{env['device']} x {env['devices']}, jax {env['jax']}, {env['cpu_count']} CPUs, {env['platform']}")
    print(table(rows, peak))
    if reference:
        print("\n" + ratio_table(rows, reference))


if __name__ == "__main__":
    main()

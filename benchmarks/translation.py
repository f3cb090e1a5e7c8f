"""Cost of the translation games on this machine: the whole Pix2Pix and CycleGAN train steps at
the CPU sizes of `experiments.studies.translation_recipes` (compile time, median step, images/s), and
the CycleGAN generator's forward+backward with its 3x3 stride-2 transposed convolutions computed
by phase decomposition (`transpose`, the library's) or by XLA's input-dilated convolution
(`transpose_dilated`), in the same run.

    .venv/bin/python -m benchmarks.translation [--repeats 7] [--data-dir $JAXGAN_DATASETS]
"""

import argparse
import json
import os
import platform
import statistics
import time

import jax
import jax.numpy as jnp

from benchmarks.upsampling import _time
from experiments import datasets_dir
from experiments.studies.translation_recipes import configure
from jaxgan.nets.translation import ResNetTranslator
from jaxgan.run import Program, make_source


def step_time(run, args):
    config = configure(run, argparse.Namespace(data_dir=args.data_dir, width=32, steps=100))
    program = Program(config)
    state = program.to_device(program.init_state())
    batch = jax.tree.map(lambda x: x[0], make_source(config).next(1))
    started = time.perf_counter()
    state, metrics = program.step(state, batch)
    jax.block_until_ready(metrics)
    compile_s = time.perf_counter() - started
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        state, metrics = program.step(state, batch)
        jax.block_until_ready(metrics)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    return {
        "run": run,
        "batch": config.data.batch_size,
        "width": config.model.g_width,
        "compile_and_first_s": compile_s,
        "step_ms": 1e3 * median,
        "step_ms_min": 1e3 * min(times),
        "step_ms_max": 1e3 * max(times),
        "images_per_s": config.data.batch_size / median,
    }


def generator_time(upsample, *, width, blocks, size, batch, repeats):
    net = ResNetTranslator(channels=1, width=width, num_blocks=blocks, upsample=upsample)
    x = jax.random.normal(jax.random.key(0), (batch, size, size, 1))
    params = net.init(jax.random.key(1), x, train=False)["params"]
    grad = jax.jit(jax.grad(lambda p: jnp.mean(net.apply({"params": p}, x, train=True) ** 2)))
    median, low, high = _time(grad, params, repeats=repeats)
    return {"upsample": upsample, "width": width, "blocks": blocks, "size": size, "batch": batch,
            "forward_backward_ms": 1e3 * median, "min_ms": 1e3 * low, "max_ms": 1e3 * high}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--data-dir", default=datasets_dir())
    parser.add_argument("--out", default="results/bench_translation.jsonl")
    args = parser.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    header = {"device": str(jax.devices()[0]), "platform": platform.platform(), "jax": jax.__version__,
              "cpus": os.cpu_count(), "xla_flags": os.environ.get("XLA_FLAGS", "")}
    steps = [step_time(run, args) for run in ("pix2pix_edges2mnist", "cyclegan_mnist2fashion")]
    generators = [generator_time(u, width=16, blocks=6, size=32, batch=8, repeats=args.repeats)
                  for u in ("transpose", "transpose_dilated")]
    with open(args.out, "w") as f:
        for row in [{"machine": header}] + steps + generators:
            f.write(json.dumps(row) + "\n")
    print(f"median of {args.repeats}; {header['device']}, jax {header['jax']}, {header['cpus']} CPUs")
    print("| run | batch | width | compile + first step s | step ms (median) | images/s |")
    print("|---|---|---|---|---|---|")
    for r in steps:
        print(
            f"| {r['run']} | {r['batch']} | {r['width']} | {r['compile_and_first_s']:.1f} "
            f"| {r['step_ms']:.0f} | {r['images_per_s']:.0f} |"
        )
    base = generators[0]["forward_backward_ms"]
    print("\n| CycleGAN generator (width 16, 6 blocks, 32 x 32, batch 8) | forward+backward ms | vs transpose |")
    print("|---|---|---|")
    for r in generators:
        print(f"| {r['upsample']} | {r['forward_backward_ms']:.1f} | {r['forward_backward_ms'] / base:.2f}x |")


if __name__ == "__main__":
    main()

"""Cost of the DCGAN generator's 2x upsampling choices on this machine: 4x4 stride-2 transposed
convolution (the paper's), nearest-neighbour resize + 3x3 conv, and 3x3 conv + depth-to-space.
For each image size, times the generator's forward pass and its forward+backward (what a training
step pays for G) at batch 64; medians over repeats, all methods in the same run.

    .venv/bin/python -m benchmarks.upsampling [--sizes 28,32,64] [--batch 64] [--repeats 7]
"""

import argparse
import json
import os
import platform
import statistics
import time

import jax
import jax.numpy as jnp

from jaxgan import backend
from jaxgan.nets.dcgan import UPSAMPLING, DCGANGenerator


def _time(fn, *args, repeats):
    jax.block_until_ready(fn(*args))  # compile + warm up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), max(times)


def measure(size, method, *, batch, repeats, cpu_convolutions="eigen"):
    channels = 1 if size == 28 else 3
    model = DCGANGenerator(size=size, channels=channels, upsample=method)
    z = jax.random.normal(jax.random.key(0), (batch, 100))
    variables = model.init(jax.random.key(1), z, train=False)
    params, state = variables["params"], {"batch_stats": variables["batch_stats"]}

    def loss(p, z):
        x, _ = model.apply({"params": p, **state}, z, train=True, mutable=["batch_stats"])
        return jnp.mean(x**2)

    options = backend.compiler_options(cpu_convolutions)  # as the train step is compiled
    forward = jax.jit(lambda p, z: model.apply({"params": p, **state}, z, train=True, mutable=["batch_stats"])[0],
                      compiler_options=options)
    backward = jax.jit(jax.grad(loss), compiler_options=options)
    fwd = _time(forward, params, z, repeats=repeats)
    bwd = _time(backward, params, z, repeats=repeats)
    return {
        "size": size,
        "method": method,
        "batch": batch,
        "cpu_convolutions": cpu_convolutions,
        "forward_ms": 1e3 * fwd[0],
        "forward_backward_ms": 1e3 * bwd[0],
        "forward_backward_ms_min": 1e3 * bwd[1],
        "forward_backward_ms_max": 1e3 * bwd[2],
        "params": sum(x.size for x in jax.tree.leaves(params)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="28,32,64")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cpu-convolutions", default="eigen", choices=backend.CPU_CONVOLUTIONS)
    parser.add_argument("--out", default="results/bench_upsampling.jsonl")
    args = parser.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    header = {"device": str(jax.devices()[0]), "platform": platform.platform(), "jax": jax.__version__,
              "cpus": os.cpu_count(), "xla_flags": os.environ.get("XLA_FLAGS", "")}
    rows = []
    with open(args.out, "w") as f:
        f.write(json.dumps({"machine": header}) + "\n")
        for size in map(int, args.sizes.split(",")):
            for method in UPSAMPLING:
                row = measure(
                    size, method, batch=args.batch, repeats=args.repeats, cpu_convolutions=args.cpu_convolutions
                )
                rows.append(row)
                f.write(json.dumps(row) + "\n")
                f.flush()
    print(f"DCGAN generator, batch {args.batch}, median of {args.repeats}, {args.cpu_convolutions} convolutions; "
          f"{header['device']}, jax {header['jax']}")
    print("| size | upsampling | params | forward ms | forward+backward ms | vs transpose |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        base = next(r for r in rows if r["size"] == row["size"] and r["method"] == "transpose")
        print(f"| {row['size']} | {row['method']} | {row['params']:,} | {row['forward_ms']:.1f} | "
              f"{row['forward_backward_ms']:.1f} | {row['forward_backward_ms'] / base['forward_backward_ms']:.2f}x |")


if __name__ == "__main__":
    main()

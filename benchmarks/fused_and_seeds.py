"""Throughput of the 2D recipes' step: compile time, steps/s with 1, 10, 100 fused steps per
call, and 1 vs 10 seeds vmapped in one program. Medians over repeats, in one run.

    .venv/bin/python -m benchmarks.fused_and_seeds [--recipes gan_ns_2d,wgan_gp_2d] [--repeats 5]

Prints a markdown table and writes JSON lines to --out (default results/bench_fused_and_seeds.jsonl).
"""

import argparse
import json
import os
import platform
import statistics
import time

import jax

from experiments import load_recipe
from jaxgan.run import Program, make_source


def measure(recipe, *, fused, seeds, repeats, min_steps):
    config = load_recipe(recipe).get_config()
    config.train.fused_steps = fused
    config.num_seeds = seeds
    program = Program(config)
    source = make_source(config)
    state = program.to_device(program.init_state())

    def next_batch():
        batch = source.next(fused)
        return batch if seeds > 1 else jax.tree.map(lambda x: x[0], batch)

    batch = next_batch()
    started = time.perf_counter()
    compiled = program.step.lower(state, batch).compile()
    compile_s = time.perf_counter() - started
    state, metrics = compiled(state, batch)
    jax.block_until_ready(metrics)
    calls = max(1, min_steps // fused)
    batches = [next_batch() for _ in range(calls)]
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for b in batches:
            state, metrics = compiled(state, b)
        jax.block_until_ready(metrics)
        rates.append(calls * fused / (time.perf_counter() - started))
    return {
        "recipe": recipe,
        "fused_steps": fused,
        "seeds": seeds,
        "compile_s": compile_s,
        "steps_per_s_median": statistics.median(rates),
        "steps_per_s_min": min(rates),
        "steps_per_s_max": max(rates),
        "seed_steps_per_s_median": seeds * statistics.median(rates),
        "repeats": repeats,
        "steps_per_repeat": calls * fused,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default="gan_ns_2d,wgan_gp_2d")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-steps", type=int, default=200, help="generator steps per timed repeat")
    parser.add_argument("--out", default="results/bench_fused_and_seeds.jsonl")
    args = parser.parse_args(argv)
    env = {"device": str(jax.devices()[0].device_kind), "devices": jax.device_count(), "jax": jax.__version__,
           "cpu_count": os.cpu_count(), "machine": platform.machine(), "xla_flags": os.environ.get("XLA_FLAGS", "")}
    rows = []
    for recipe in args.recipes.split(","):
        for fused, seeds in [(1, 1), (10, 1), (100, 1), (100, 10)]:
            rows.append(measure(recipe, fused=fused, seeds=seeds, repeats=args.repeats, min_steps=args.min_steps) | env)
            print(json.dumps(rows[-1]), flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    print("\n| recipe | fused steps/call | seeds | compile s | steps/s (median) | seed-steps/s | vs 1 fused, 1 seed |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        base = next(b for b in rows if b["recipe"] == r["recipe"] and b["fused_steps"] == 1 and b["seeds"] == 1)
        print(
            f"| {r['recipe']} | {r['fused_steps']} | {r['seeds']} | "
            f"{r['compile_s']:.2f} | {r['steps_per_s_median']:.0f} "
            f"| {r['seed_steps_per_s_median']:.0f} | "
            f"{r['seed_steps_per_s_median'] / base['seed_steps_per_s_median']:.2f}x |"
        )


if __name__ == "__main__":
    main()

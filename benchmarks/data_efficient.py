"""The cost of each data-efficient technique per step: the sngan recipe and each recipe of
experiments/data_efficient at the same batch, on MNIST-shaped random batches, timed in
interleaved rounds (every recipe once per round) so that the ratios come from one run.

    .venv/bin/python -m benchmarks.data_efficient [--batch 64] [--rounds 5] [--steps 5]

Prints a markdown table (median step ms over rounds, ratio to sngan, GFLOP per step) and writes
JSON lines to --out (default results/bench_data_efficient.jsonl).
"""

import argparse
import json
import os
import statistics

from experiments import load_recipe, recipe_names
from jaxgan.bench import compile_config, environment, runner

BASELINE = "sngan"


def recipes():
    return [BASELINE] + sorted(name for name, group in recipe_names().items() if group == "data_efficient")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5, help="timed calls per recipe and round")
    parser.add_argument("--recipes", default=",".join(recipes()))
    parser.add_argument("--out", default="results/bench_data_efficient.jsonl")
    args = parser.parse_args(argv)
    names = args.recipes.split(",")
    runs, facts = {}, {}
    for name in names:
        config = load_recipe(name).get_config()
        compiled, state, batch, fact = compile_config(config, args.batch)
        runs[name], facts[name] = runner(compiled, state, batch, fact)
    times = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            times[name].append(statistics.median(runs[name]() for _ in range(args.steps)))
    base = statistics.median(times[names[0]])
    rows = [{"recipe": name, "batch": args.batch, "step_ms_median": 1e3 * statistics.median(times[name]),
             "ratio_to_" + names[0]: statistics.median(times[name]) / base,
             "gflop_per_step": facts[name]["flops"] / 1e9, "rounds": args.rounds, "steps_per_round": args.steps}
            for name in names]
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "a") as f:
        f.write(json.dumps({"environment": environment()}) + "\n")
        for row in rows:
            f.write(json.dumps(row) + "\n")
    print(f"| recipe (batch {args.batch}) | step ms (median of {args.rounds} rounds) | x {names[0]} | GFLOP per step |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['recipe']} | {row['step_ms_median']:.1f} | {row['ratio_to_' + names[0]]:.2f} | "
              f"{row['gflop_per_step']:.2f} |")


if __name__ == "__main__":
    main()

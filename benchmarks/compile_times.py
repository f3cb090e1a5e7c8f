"""Compile time of every recipe's train step (issue 8: each under 30 s on this CPU).

    .venv/bin/python -m benchmarks.compile_times [--recipes dcgan,wgan_gp] [--out results/bench_compile.jsonl]
        [--override '{"model.g_width": 8}']

For each `experiments/<recipe>.py` with `get_config()`: build the `Program` of the recipe's own
config (its networks, batch size, n_critic, penalties and game) and time `lower` + `compile` of
the train step on a random batch of the recipe's shapes (no dataset is read; recipes whose
dataset is CIFAR-10 or CelebA compile at those shapes). One process compiles them in turn, so
JAX's own start-up is not counted.
"""

import argparse
import json
import os
import time

import jax

from benchmarks.throughput import apply_overrides
from experiments import load_recipe, recipe_names
from jaxgan.bench import environment, random_batch
from jaxgan.run import Program

LIMIT_S = 30.0


def recipes():
    return sorted(recipe_names())


def compile_time(recipe, overrides=None):
    """Seconds to lower and compile `recipe`'s train step (with config `overrides`)."""
    config = apply_overrides(load_recipe(recipe).get_config(), overrides)
    program = Program(config)
    state = program.to_device(program.init_state())
    batch = program.place_batch(random_batch(program, config, config.data.batch_size, jax.random.key(0)))
    started = time.perf_counter()
    program.step.lower(state, batch).compile()
    seconds = time.perf_counter() - started
    return {"recipe": recipe, "data": config.data.name, "model": config.model.name, "batch": config.data.batch_size,
            "n_critic": config.n_critic, "compile_s": seconds, "under_limit": seconds < LIMIT_S}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default="", help="comma list (default: all)")
    parser.add_argument("--out", default="results/bench_compile.jsonl")
    parser.add_argument("--override", default="{}", help="JSON of dotted config keys applied to every recipe")
    args = parser.parse_args(argv)
    overrides = json.loads(args.override)
    names = args.recipes.split(",") if args.recipes else recipes()
    rows = []
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(json.dumps({"environment": environment()}) + "\n")
        for name in names:
            rows.append(compile_time(name, overrides))
            f.write(json.dumps(rows[-1]) + "\n")
            f.flush()
            print(json.dumps(rows[-1]), flush=True)
    print("\n| recipe | data | model | batch | n_critic | compile s |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['recipe']} | {r['data']} | {r['model']} | {r['batch']} | {r['n_critic']} | {r['compile_s']:.1f} |")
    slow = [r["recipe"] for r in rows if not r["under_limit"]]
    print(f"\nslowest {max(r['compile_s'] for r in rows):.1f} s; over {LIMIT_S:.0f} s: {slow or 'none'}")


if __name__ == "__main__":
    main()

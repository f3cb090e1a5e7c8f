"""Hidden-state hashes of recipes' first steps: a fingerprint of what the code computes, to show
that a refactor changed nothing (run before and after, then `--compare`).

    ./run python -m benchmarks.state_hashes --out before.json                 # on the old commit
    ./run python -m benchmarks.state_hashes --out after.json --compare before.json

Each recipe runs at batch 20 (DCGAN / translation widths 8) on a random batch of its structure
(`jaxgan.bench.random_batch`; the 2D mixtures from their own source) for two steps; the hash is a
SHA-256 over every array of the train state (typed keys as their data) with its tree path,
printed as the first 16 hex digits for the initial state and after each step.
"""

import argparse
import hashlib
import json
import os

import jax
import numpy as np

from experiments import datasets_dir, load_recipe, recipe_names
from jaxgan.bench import random_batch
from jaxgan.config import validate
from jaxgan.run import Program, data_init_batch


def digest(tree):
    """SHA-256 (16 hex digits) of every array leaf of `tree` with its path."""
    h = hashlib.sha256()
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        if hasattr(leaf, "dtype") and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            leaf = jax.random.key_data(leaf)
        h.update(jax.tree_util.keystr(path).encode())
        h.update(np.asarray(jax.device_get(leaf)).tobytes())
    return h.hexdigest()[:16]


def small_config(recipe, data_dir):
    config = load_recipe(recipe).get_config()
    if config.data.name in ("mnist", "fashion_mnist"):
        config.data.source, config.data.dir = "idx", os.path.join(data_dir, config.data.name)
    elif config.data.source == "idx":
        config.data.dir = data_dir
    config.data.batch_size = 20
    config.train.fused_steps = 1
    if config.game.name in ("semi_supervised", "aae"):
        config.game.labeled_batch_size = min(config.game.labeled_batch_size, 20)
    if config.model.name == "dcgan" or config.game.name in ("pix2pix", "cyclegan"):
        config.model.g_width = config.model.d_width = 8
    return validate(config)


def hashes(recipe, data_dir, steps=2):
    config = small_config(recipe, data_dir)
    program = Program(config)
    state = program.init_state(init_x=data_init_batch(config))
    values = [digest(state)]
    for i in range(steps):
        state, _ = program.step(state, random_batch(program, config, config.data.batch_size, jax.random.key(i)))
        values.append(digest(state))
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default=",".join(sorted(recipe_names())), help="default: every recipe")
    parser.add_argument("--data-dir", default=datasets_dir())
    parser.add_argument("--out", default="results/state_hashes.json")
    parser.add_argument("--compare", default=None, help="an earlier --out file: exit 1 unless every hash is equal")
    args = parser.parse_args(argv)
    result = {}
    for recipe in args.recipes.split(","):
        result[recipe] = hashes(recipe, args.data_dir)
        print(recipe, " ".join(result[recipe]), flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    if args.compare:
        with open(args.compare) as f:
            before = json.load(f)
        changed = [r for r in result if r in before and before[r] != result[r]]
        print(f"{len(result) - len(changed)} of {len(result)} recipes identical; changed: {changed or 'none'}")
        raise SystemExit(1 if changed else 0)


if __name__ == "__main__":
    main()

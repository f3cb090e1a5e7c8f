"""CPU runs of the label, code and autoencoder recipes on MNIST: trains each, evaluates its game's
measure (class accuracy of class-conditional samples, semi-supervised test error, AAE code
statistics) and FID with the shipped classifier, saves grids, writes a table.

    ./run python -m experiments.labeled_recipes --runs cgan,acgan,infogan --steps 3000 --width 32
    ./run python -m experiments.labeled_recipes --runs improved_gan_ssl --steps 6000 --seeds 3
    ./run python -m experiments.labeled_recipes --runs aae,aae_supervised,aae_semi_supervised --steps 5000

Runs are recipes, or `aae_<mode>` for the AAE modes. `--steps` and `--seeds` override the
recipe's length and number of seeds (trained together, one program); `--width` the DCGAN widths
(recipes: 64). `--resume` extends an earlier run of the same flags to a larger `--steps`.
Everything is recorded in OUT/results.jsonl.
"""

import argparse
import importlib
import json
import os
import shutil
import time

from experiments import datasets_dir
from jaxgan.train import train

RUNS = {
    "cgan": ("cgan", {}),
    "acgan": ("acgan", {}),
    "infogan": ("infogan", {}),
    "sgan": ("sgan", {}),
    "improved_gan_ssl": ("improved_gan_ssl", {}),
    # The recipe's D learning rate (1e-3) is the supervised mode's best; the unsupervised and
    # semi-supervised modes measured better with D at 2e-4 (experiments/README.md).
    "aae": ("aae", {"optimizer.d.learning_rate": 2e-4}),
    "aae_supervised": ("aae", {"game.aae_mode": "supervised"}),
    "aae_semi_supervised": ("aae", {"game.aae_mode": "semi_supervised", "model.latent_dim": 10,
                                    "optimizer.d.learning_rate": 2e-4}),
}
MEASURES = ("class_accuracy", "code_class_accuracy", "test_error", "test_errors", "code_mean_norm", "code_cov_max_dev",
            "code_frechet", "reconstruction_mse", "fid")


def configure(name, args):
    recipe, overrides = RUNS[name]
    config = importlib.import_module(f"experiments.{recipe}").get_config()
    for key, value in overrides.items():
        *groups, field = key.split(".")
        node = config
        for group in groups:
            node = node[group]
        node[field] = value
    config.data.name = args.dataset
    config.data.source = "idx"
    config.data.dir = os.path.join(args.data_dir, args.dataset)
    config.num_seeds = args.seeds
    if args.steps:
        config.train.num_steps = args.steps
    if config.model.name == "dcgan" and args.width:
        config.model.g_width = config.model.d_width = args.width
    config.train.checkpoint_every = config.train.num_steps
    config.train.plot_every = 0
    config.train.eval_every = 0
    config.train.log_every = 100
    config.train.progress = False
    if args.ema is not None and config.ema_decay > 0:
        config.ema_decay = args.ema
    return config


def run_one(name, args):
    config = configure(name, args)
    workdir = os.path.join(args.out, f"{name}_{args.dataset}")
    if not args.resume:
        shutil.rmtree(workdir, ignore_errors=True)
    started = time.perf_counter()
    result = train(config, workdir)
    seconds = time.perf_counter() - started
    evaluation = result["evaluation"]
    row = {"run": name, "dataset": args.dataset, "steps": config.train.num_steps, "seeds": config.num_seeds,
           "resumed": args.resume,  # wall_s then covers only this leg
           "batch": config.data.batch_size, "wall_s": round(seconds, 1), "steps_per_s": result["timing"]["steps_per_s"],
           "summary": evaluation["summary"],
           "per_seed": [{k: v for k, v in s.items() if k in MEASURES or k in ("code_to_class", "class_accuracy_per_class")}
                        for s in evaluation["per_seed"]],
           "workdir": workdir}
    return row


def _cell(summary, key, fmt):
    if key not in summary:
        return ""
    value = summary[key]
    return (fmt.format(value["mean"]) + (" +- " + fmt.format(value["stderr"]) if value["stderr"] == value["stderr"] and
                                          value["stderr"] else ""))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--steps", type=int, default=0, help="0: the recipe's num_steps")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--width", type=int, default=0, help="DCGAN width (0: the recipe's)")
    parser.add_argument("--ema", type=float, default=None, help="EMA decay for recipes that use one")
    parser.add_argument("--data-dir", default=datasets_dir())
    parser.add_argument("--out", default="results/labeled_recipes")
    parser.add_argument("--resume", action="store_true",
                        help="continue an earlier run in OUT from its checkpoint to --steps (same other flags)")
    run_and_record(parser, parser.parse_args(argv), RUNS, run_one, MEASURES)


def run_and_record(parser, args, runs, run_one, measures):
    """Run `args.runs` (comma list of keys of `runs`) one after another; append each row to
    OUT/results.jsonl and print its measures."""
    unknown = [r for r in args.runs.split(",") if r not in runs]
    if unknown:
        parser.error(f"unknown runs {unknown}; choose from {sorted(runs)}")
    os.makedirs(args.out, exist_ok=True)
    for name in args.runs.split(","):
        row = run_one(name, args)
        with open(os.path.join(args.out, "results.jsonl"), "a") as f:
            f.write(json.dumps(row) + "\n")
        s = row["summary"]
        print(json.dumps({"run": name, "wall_s": row["wall_s"], **{k: _cell(s, k, "{:.4f}") for k in measures if k in s}}),
              flush=True)


if __name__ == "__main__":
    main()

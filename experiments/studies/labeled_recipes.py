"""CPU runs of the label, code and autoencoder recipes on MNIST: trains each, evaluates its game's
measure (class accuracy of class-conditional samples, semi-supervised test error, AAE code
statistics) and FID with the shipped classifier, saves grids, writes a table.

    ./run python -m experiments.studies.labeled_recipes --runs cgan,acgan,infogan --steps 3000 --width 32
    ./run python -m experiments.studies.labeled_recipes --runs improved_gan_ssl --steps 6000 --seeds 3
    ./run python -m experiments.studies.labeled_recipes --runs aae,aae_supervised,aae_semi_supervised --steps 5000

Runs are recipes, or `aae_<mode>` for the AAE modes. `--steps` and `--seeds` override the
recipe's length and number of seeds (trained together, one program); `--width` the DCGAN widths
(recipes: 64). `--resume` extends an earlier run of the same flags to a larger `--steps`.
Everything is recorded in OUT/results.jsonl.
"""

import argparse
import os

from experiments import datasets_dir, load_recipe
from experiments.studies import study

RUNS = {
    "cgan": ("cgan", {}),
    "acgan": ("acgan", {}),
    # the paper's D, whose classifier also learns the fakes' labels (the recipe's learns real ones only)
    "acgan_classify_fakes": ("acgan", {"game.classify_fakes": True}),
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
    config = load_recipe(recipe).get_config()
    config.update_from_flattened_dict(overrides)
    config.data.name = args.dataset
    config.data.source = "idx"
    config.data.dir = os.path.join(args.data_dir, args.dataset)
    config.num_seeds = args.seeds
    if config.model.name == "dcgan" and args.width:
        config.model.g_width = config.model.d_width = args.width
    if args.ema is not None and config.ema_decay > 0:
        config.ema_decay = args.ema
    return config


def run_one(name, args):
    config = configure(name, args)
    row = study.short_run(config, os.path.join(args.out, f"{name}_{args.dataset}"),
                          steps=args.steps or config.train.num_steps, resume=args.resume)
    keep = set(MEASURES) | {"code_to_class", "class_accuracy_per_class"}
    return {"run": name, "dataset": args.dataset, **row,
            "per_seed": [{k: v for k, v in s.items() if k in keep} for s in row["per_seed"]]}


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
    args = parser.parse_args(argv)
    study.run_and_record(args.runs.split(","), RUNS, lambda name: run_one(name, args), args.out, measures=MEASURES,
                         error=parser.error)


if __name__ == "__main__":
    main()

"""Short CPU runs of every image recipe on MNIST and Fashion-MNIST: trains each, evaluates 10,000
EMA samples with the shipped domain classifier against the test split, saves the sample grids and
writes a table (steps, wall time, FID, KID, precision, recall, IS).

    ./run python -m experiments.studies.image_recipes --steps 800 --critic-recipe-steps 250 [--width 32] \
        [--recipes dcgan,wgan_gp]
        [--datasets mnist,fashion_mnist] [--data-dir $JAXGAN_DATASETS] [--out results/image_recipes]

The recipes keep their losses, penalties, optimizers and n_critic; for a CPU budget the networks'
`--width` (paper: 64) and the batch size (`--batch`, 64) may be reduced: both are recorded.
"""

import argparse
import os

from experiments import datasets_dir, load_recipe
from experiments.studies import study

RECIPES = ("dcgan", "lsgan", "wgan", "wgan_gp", "wgan_lp", "wgan_div", "dragan", "sngan", "ragan")


def run_one(recipe, dataset, args):
    config = load_recipe(recipe).get_config()
    config.data.name = dataset
    config.data.source = "idx"
    config.data.dir = os.path.join(args.data_dir, dataset)
    config.data.batch_size = args.batch
    config.model.g_width = args.width
    config.model.d_width = args.width
    config.ema_decay = args.ema
    steps = args.steps if config.n_critic == 1 else args.critic_recipe_steps
    row = study.short_run(config, os.path.join(args.out, f"{recipe}_{dataset}"), steps=steps, log_every=50)
    return {"recipe": recipe, "dataset": dataset, "n_critic": config.n_critic, "width": args.width,
            "grid": os.path.join(row["workdir"], "samples", f"step_{steps:08d}.png"), **row,
            **{k: v["mean"] for k, v in row["summary"].items()}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--datasets", default="mnist,fashion_mnist")
    parser.add_argument("--steps", type=int, default=800, help="G steps of the n_critic = 1 recipes")
    parser.add_argument("--critic-recipe-steps", type=int, default=250, help="G steps of the n_critic = 5 recipes")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument(
        "--ema", type=float, default=0.99, help="EMA decay (0.999 in the recipes; short runs need less)"
    )
    parser.add_argument("--data-dir", default=datasets_dir())
    parser.add_argument("--out", default="results/image_recipes")
    args = parser.parse_args(argv)
    runs = {f"{recipe}/{dataset}": (recipe, dataset) for dataset in args.datasets.split(",")
            for recipe in args.recipes.split(",")}
    rows = study.run_and_record(list(runs), runs, lambda name: run_one(*runs[name], args), args.out,
                                measures=("fid", "kid", "precision", "recall", "is"), error=parser.error)
    lines = [
        "| recipe | data | G steps (n_critic) | wall s | FID | KID | precision | recall | IS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['recipe']} | {r['dataset']} | {r['steps']} ({r['n_critic']}) | {r['wall_s']:.0f} | {r['fid']:.2f} | "
            f"{r['kid']:.4f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['is']:.2f} |"
        )
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

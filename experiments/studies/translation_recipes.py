"""CPU runs of the translation recipes on the offline MNIST / Fashion-MNIST tasks: trains each,
evaluates the held-out measures (`jaxgan.evaluation.translation`), saves grids, writes a table.

    ./run python -m experiments.studies.translation_recipes --runs pix2pix_edges2mnist,cyclegan_mnist2fashion

Runs (recipe, data, CPU-sized overrides): pix2pix width 32, batch 16, 16 x 16 patches
(patch_layers 1); cyclegan width 16, batch 8, 34 x 34 patches (patch_layers 2), 6 residual blocks.
`--steps` overrides the
length (the CycleGAN learning rate still decays over the second half). Everything is recorded in
OUT/results.jsonl.
"""

import argparse
import os

from experiments import datasets_dir, load_recipe
from experiments.studies import study

RUNS = {
    "pix2pix_edges2mnist": ("pix2pix", "edges2mnist", {"data.batch_size": 16, "translation.patch_layers": 1}),
    "pix2pix_edges2fashion": ("pix2pix", "edges2fashion", {"data.batch_size": 16, "translation.patch_layers": 1}),
    "cyclegan_mnist2fashion": (
        "cyclegan",
        "mnist2fashion",
        {"data.batch_size": 8, "model.g_width": 16, "model.d_width": 16, "translation.patch_layers": 2},
    ),
}
MEASURES = ("l1", "psnr", "identity_l1", "identity_psnr", "class_accuracy", "target_class_accuracy", "cycle_l1_a",
            "cycle_l1_b", "domain_accuracy_b", "domain_accuracy_a", "domain_classifier_accuracy")


def configure(name, args):
    recipe, data, overrides = RUNS[name]
    config = load_recipe(recipe).get_config()
    config.data.name = data
    config.data.source = "idx"
    config.data.dir = args.data_dir
    config.model.g_width = config.model.d_width = args.width
    config.update_from_flattened_dict(overrides)
    return config


def run_one(name, args):
    row = study.short_run(configure(name, args), os.path.join(args.out, name), steps=args.steps, resume=args.resume)
    return {"run": name, "width": args.width, **row}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--data-dir", default=datasets_dir())
    parser.add_argument("--out", default="results/translation_recipes")
    parser.add_argument("--resume", action="store_true", help="continue earlier runs in OUT to --steps")
    args = parser.parse_args(argv)
    study.run_and_record(args.runs.split(","), RUNS, lambda name: run_one(name, args), args.out, measures=MEASURES,
                         error=parser.error)

if __name__ == "__main__":
    main()

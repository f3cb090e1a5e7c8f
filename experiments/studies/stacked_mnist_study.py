"""Stacked MNIST mode coverage beside PacGAN's Table 2 and GDPP's WGAN-GP row, with curves.

    ./run python -m experiments.studies.stacked_mnist_study --steps 2000 --width 16 --seeds 3   # a CPU budget
    ./run python -m experiments.studies.stacked_mnist_study --steps 100000                    # PacGAN's length

Rows (`experiments/images/stacked_mnist.py`): DCGAN (m = 1), PacDCGAN2/3/4, and WGAN-GP (GDPP's
15k-iteration row; it trains min(--steps, 15000) iterations). Each row trains `--seeds` seeds in
one vmapped program and is evaluated on 26,000 samples per seed at log-spaced steps (1k, 2k, 5k,
...; see `experiments.studies.study.train_to`), resuming between them. `--width` (paper: 64) scales both
networks for a CPU budget and is written next to every number. Reads MNIST from
`--data-dir`/mnist (default $JAXGAN_DATASETS). Writes table.md, results.json, curves.png,
samples.png and runs/ under `--out` (default results/stacked_mnist_study).
"""

import argparse
import json
import os
import time

import numpy as np

from experiments import datasets_dir
from experiments.images import stacked_mnist
from experiments.studies import study
from jaxgan.plots import save_image_grid

# name: (title, (table, row) of the paper's value, config factory)
ROWS = {
    "dcgan": ("DCGAN", ("PacGAN Table 2", "DCGAN"), lambda: stacked_mnist.get_config(1)),
    "pacdcgan2": ("PacDCGAN2", ("PacGAN Table 2", "PacDCGAN2"), lambda: stacked_mnist.get_config(2)),
    "pacdcgan3": ("PacDCGAN3", ("PacGAN Table 2", "PacDCGAN3"), lambda: stacked_mnist.get_config(3)),
    "pacdcgan4": ("PacDCGAN4", ("PacGAN Table 2", "PacDCGAN4"), lambda: stacked_mnist.get_config(4)),
    "wgan_gp": ("WGAN-GP", ("GDPP", "WGAN-GP"), lambda: stacked_mnist.get_config(1, loss="wasserstein")),
}
METRICS = (("modes", "modes", "{:.1f}"), ("kl_to_uniform", "reverse KL", "{:.2f}"))


def paper_value(row, index):
    """(mean, s.e. or None) of the paper's row for metric `index` (0 modes, 1 KL)."""
    table, name = ROWS[row][1]
    if table == "GDPP":
        return stacked_mnist.GDPP_TABLE[name][index], None
    return stacked_mnist.PAPER_TABLE2[name][index]


def row_config(row, *, seeds, width, data_dir):
    if row not in ROWS:
        raise ValueError(f"unknown row {row!r}; expected one of {list(ROWS)}")
    config = ROWS[row][2]()
    config.num_seeds = seeds
    config.model.g_width = width
    config.model.d_width = width
    config.data.source = "idx"
    config.data.dir = os.path.join(data_dir, "mnist")
    return study.record_only_evaluations(config)


def row_steps(row, steps):
    return min(steps, stacked_mnist.GDPP_ITERATIONS) if row == "wgan_gp" else steps


def format_table(results, *, seeds, width):
    lines = ["| row | width | iterations | " + " | ".join(f"{label}: ours | paper" for _, label, _ in METRICS)
             + " | paper's iterations | s per 1k iterations |", "|" + "---|" * (6 + 2 * len(METRICS))]
    for row, r in results.items():
        cells = []
        for index, (name, _, fmt) in enumerate(METRICS):
            s = r["final"]["summary"][name]
            mean, se = paper_value(row, index)
            cells += [
                study.cell(s["mean"], s["stderr"], fmt),
                fmt.format(mean) if se is None else study.cell(mean, se, fmt),
            ]
        paper_steps = stacked_mnist.GDPP_ITERATIONS if row == "wgan_gp" else stacked_mnist.PAPER_ITERATIONS
        lines.append(f"| {ROWS[row][0]} | {width} | {r['final']['step']:,} | " + " | ".join(cells)
                     + f" | {paper_steps:,} | {r['ms_per_iteration']:.0f} |")
    lines += ["", f"Ours: mean +- s.e. over {seeds} seeds, the final step's evaluation on 26,000 samples, each channel "
              f"classified by the shipped MNIST classifier; networks of width {width} (the papers': 64). PacGAN "
              "Table 2: mean +- s.e. over 10 trials after 50 epochs (100k iterations); GDPP: WGAN-GP after 15k "
              f"iterations (as quoted in issue 15). The cost column is the median wall time of 1k iterations of all "
              f"{seeds} seeds together on this machine."]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--width", type=int, default=16, help="both networks' base width (the papers': 64)")
    parser.add_argument("--rows", default="dcgan,pacdcgan2,wgan_gp", help=f"comma-separated subset of {list(ROWS)}")
    parser.add_argument("--first-eval", type=int, default=1000, help="the first evaluation step; then x2, x5, x10, ...")
    parser.add_argument(
        "--data-dir", default=None, help="a folder with mnist/ official IDX files (default $JAXGAN_DATASETS)"
    )
    parser.add_argument("--budget-s", type=float, default=None,
                        help="start no training segment after this many seconds (a rerun continues)")
    parser.add_argument("--out", default="results/stacked_mnist_study")
    args = parser.parse_args(argv)
    rows = [r for r in args.rows.split(",") if r]
    for r in rows:
        if r not in ROWS:
            parser.error(f"unknown row {r!r}; expected some of {list(ROWS)}")
    if min(args.steps, args.seeds, args.width, args.first_eval) < 1:
        parser.error("--steps, --seeds, --width and --first-eval must be positive")
    data_dir = args.data_dir or datasets_dir()
    if not os.path.isdir(os.path.join(data_dir, "mnist")):
        parser.error(f"no MNIST files in {os.path.join(data_dir, 'mnist')}; pass --data-dir or set JAXGAN_DATASETS")
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    deadline = None if args.budget_s is None else started + args.budget_s
    results = {}
    for row in rows:
        config = row_config(row, seeds=args.seeds, width=args.width, data_dir=data_dir)
        result = study.train_to(config, os.path.join(args.out, "runs", row), row_steps(row, args.steps),
                                first=args.first_eval, label=row, deadline=deadline)
        if result is not None:
            results[row] = result
    if not results:
        print(f"no row reached its first evaluation within --budget-s {args.budget_s}")
        return None
    wall = time.perf_counter() - started
    report = (
        format_table(results, seeds=args.seeds, width=args.width) + f"\n\nWall time of this invocation: {wall:.0f} s.\n"
    )
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(report)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(
            {
                row: {
                    "final": r["final"],
                    "curve": [{"step": e["step"], "summary": e["summary"]} for e in r["curve"]],
                    "ms_per_iteration": r["ms_per_iteration"],
                    "width": args.width,
                }
                for row, r in results.items()
            },
            f,
            indent=2,
        )
    panels = []
    for index, (name, label, _) in enumerate(METRICS):
        lines = [(ROWS[row][0], [e["step"] for e in r["curve"]], [e["summary"][name]["mean"] for e in r["curve"]],
                  [e["summary"][name]["stderr"] for e in r["curve"]], paper_value(row, index)[0])
                 for row, r in results.items()]
        panels.append((f"Stacked MNIST: {label} (width {args.width})", lines))
    study.curves_figure(panels, os.path.join(args.out, "curves.png"), paper_steps=stacked_mnist.PAPER_ITERATIONS)
    drawn = [r["samples"][0][:16] for r in results.values() if r["samples"] is not None]
    if drawn:
        save_image_grid(np.concatenate(drawn), os.path.join(args.out, "samples.png"), rows=len(drawn))
    print(report)
    print(f"Wrote {args.out}/table.md, results.json, curves.png" + (", samples.png" if drawn else ""))
    return report


if __name__ == "__main__":
    main()

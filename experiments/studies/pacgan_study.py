"""PacGAN's Table 1, measured: every row of the 2D protocol (`experiments/two_d/pacgan_2d.py`) beside
the paper's numbers, with convergence curves.

    ./run python -m experiments.studies.pacgan_study --steps 10000                  # every row, ring and grid, 10 seeds
    ./run python -m experiments.studies.pacgan_study --datasets grid --rows gan,pacgan4 \
        --steps 400000   # the paper's length

Rows: GAN and PacGAN2/3/4 (the paper's networks, optimizer, batch of 100 packs and fixed training
set of 100,000 packs per seed), and two of our own objectives on the same networks with m = 1:
WGAN-GP (Gulrajani et al. 2017, Algorithm 1: lambda 10, n_critic 5, Adam(1e-4, 0.5, 0.9)) and the
non-saturating GAN with the R1 penalty (Mescheder et al. 2018, Eq. 9, gamma 0.1).

Each (row, dataset) trains `--seeds` seeds in one vmapped program and is evaluated (2,500
samples per seed, PacGAN's protocol: a sample is high quality within 3 std of its nearest mode, a
mode is covered by one high-quality sample, reverse KL of the mode histogram) at log-spaced steps
1k, 2k, 5k, 10k, 20k, ... up to `--steps`. The run stops and resumes from its checkpoint at each of
them, so a study rerun with a larger `--steps` continues where the last one ended, and an
interrupted one loses at most one segment. Evaluations the workdir already holds (e.g. from
`train.eval_every`) join the curves. Writes to `--out` (default results/pacgan_study): table.md
(the final step's values, mean +- s.e. over seeds, beside Table 1, with the budget and cost of
every row), curves.png (modes, high-quality %, reverse KL against iterations, log scale, with the
paper's 400k value marked), results.json, samples.png and each run's workdir under runs/.
"""

import argparse
import json
import os
import time

from experiments.studies import study
from experiments.two_d import pacgan_2d
from jaxgan.data import MIXTURES
from jaxgan.plots import scatter_grid

DATASETS = ("ring", "grid")
PAPER_STEPS = 400_000
METRICS = (("modes", "modes", 1.0, "{:.1f}"), ("high_quality", "high quality %", 100.0, "{:.1f}"),
           ("reverse_kl", "reverse KL", 1.0, "{:.2f}"))


def _wgan_gp():
    config = pacgan_2d.get_config(1)
    config.loss = "wasserstein"
    config.penalties.wgan_gp = 10.0
    config.n_critic = 5
    for side in ("g", "d"):
        config.optimizer[side].b1 = 0.5
        config.optimizer[side].b2 = 0.9
    return config


def _ns_r1():
    config = pacgan_2d.get_config(1)
    config.penalties.r1 = 0.1
    return config


# name: (title, the paper's row in PAPER_TABLE1 or None, config factory)
ROWS = {
    "gan": ("GAN", "GAN", lambda: pacgan_2d.get_config(1)),
    "pacgan2": ("PacGAN2", "PacGAN2", lambda: pacgan_2d.get_config(2)),
    "pacgan3": ("PacGAN3", "PacGAN3", lambda: pacgan_2d.get_config(3)),
    "pacgan4": ("PacGAN4", "PacGAN4", lambda: pacgan_2d.get_config(4)),
    "wgan_gp": ("WGAN-GP (ours, same nets)", None, _wgan_gp),
    "ns_r1": ("GAN + R1 (ours, same nets)", None, _ns_r1),
}


def row_config(row, dataset, *, seeds):
    if row not in ROWS:
        raise ValueError(f"unknown row {row!r}; expected one of {list(ROWS)}")
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {list(DATASETS)}")
    config = ROWS[row][2]()
    config.data.name = dataset
    config.num_seeds = seeds
    config.train.progress = False
    config.train.tensorboard = False  # the study's record is eval/*.json and metrics.jsonl
    return config


def run_row(row, dataset, *, seeds, max_steps, out, log=print, deadline=None):
    """Train (or continue) one row to `max_steps`; see `experiments.studies.study.train_to`."""
    config = row_config(row, dataset, seeds=seeds)
    return study.train_to(config, os.path.join(out, "runs", f"{dataset}_{row}"), max_steps,
                          label=f"{dataset}/{row}", log=log, deadline=deadline)


def _paper(dataset, row, index):
    paper_row = ROWS[row][1]
    return None if paper_row is None else pacgan_2d.PAPER_TABLE1[dataset][paper_row][index]


def format_table(results, *, seeds):
    lines = ["| data | row | iterations | " + " | ".join(f"{label}: ours | paper" for _, label, _, _ in METRICS)
             + " | s per 10k iterations |",
             "|" + "---|" * (4 + 2 * len(METRICS))]
    for (dataset, row), r in results.items():
        cells = []
        for index, (name, _, scale, fmt) in enumerate(METRICS):
            s = r["final"]["summary"][name]
            paper = _paper(dataset, row, index)
            cells += [
                study.cell(scale * s["mean"], scale * s["stderr"], fmt),
                "-" if paper is None else study.cell(*paper, fmt),
            ]
        lines.append(f"| {dataset} | {ROWS[row][0]} | {r['final']['step']:,} | " + " | ".join(cells)
                     + f" | {10 * r['ms_per_iteration']:.0f} |")
    lines += ["", f"Ours: mean +- s.e. over {seeds} seeds (one vmapped program per row), the final step's evaluation, "
              "2,500 samples per seed. Paper: Lin et al. 2018, Table 1, mean +- s.e. over 10 trials after "
              f"{PAPER_STEPS:,} iterations (400 epochs of 1,000 batches). The cost column is the median wall time "
              f"of 10k iterations of all {seeds} seeds together on this machine."]
    return "\n".join(lines)


def curves_figure(results, path):
    panels = []
    for dataset in DATASETS:
        rows = [row for row in ROWS if (dataset, row) in results]
        for index, (name, label, scale, _) in enumerate(METRICS):
            lines = []
            for row in rows:
                curve = results[(dataset, row)]["curve"]
                paper = _paper(dataset, row, index)
                lines.append((ROWS[row][0], [e["step"] for e in curve],
                              [scale * e["summary"][name]["mean"] for e in curve],
                              [scale * e["summary"][name]["stderr"] for e in curve],
                              None if paper is None else paper[0]))
            if lines:
                panels.append((f"{dataset}: {label}", lines))
    study.curves_figure(panels, path, paper_steps=PAPER_STEPS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10_000, help="iterations per row (the paper's: 400000)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of {list(ROWS)}")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--budget-s", type=float, default=None,
                        help="start no training segment after this many seconds (a rerun continues)")
    parser.add_argument("--out", default="results/pacgan_study")
    args = parser.parse_args(argv)
    rows = study.chosen(parser, args.rows, ROWS, "row")
    datasets = study.chosen(parser, args.datasets, DATASETS, "dataset")
    if args.steps < 1 or args.seeds < 1:
        parser.error(f"--steps and --seeds must be positive, got {args.steps} and {args.seeds}")
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    deadline = None if args.budget_s is None else started + args.budget_s
    results = {}
    for dataset in datasets:
        for row in rows:
            result = run_row(row, dataset, seeds=args.seeds, max_steps=args.steps, out=args.out, deadline=deadline)
            if result is not None:
                results[(dataset, row)] = result
    if not results:
        print(f"no row reached its first evaluation within --budget-s {args.budget_s}")
        return None
    wall = time.perf_counter() - started
    report = format_table(results, seeds=args.seeds) + f"\n\nWall time of this invocation: {wall:.0f} s.\n"
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(report)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(
            {
                f"{d}/{r}": {
                    "final": v["final"],
                    "curve": [{"step": e["step"], "summary": e["summary"]} for e in v["curve"]],
                    "ms_per_iteration": v["ms_per_iteration"],
                }
                for (d, r), v in results.items()
            },
            f,
            indent=2,
        )
    curves_figure(results, os.path.join(args.out, "curves.png"))
    panels = [(v["samples"][0], MIXTURES[d], f"{ROWS[r][0]}, {d}, step {v['final']['step']} (seed 0)")
              for (d, r), v in results.items() if v["samples"] is not None]
    if panels:
        scatter_grid(panels, os.path.join(args.out, "samples.png"), columns=len(rows))
    print(report)
    print(f"Wrote {args.out}/table.md, results.json, curves.png" + (", samples.png" if panels else ""))
    return report


if __name__ == "__main__":
    main()

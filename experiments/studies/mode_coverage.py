"""The main job: mode coverage of NS GAN, minimax GAN, PacGAN2 and WGAN-GP on the 2D ring and grid.

    ./run main                      # 4 variants x 2 datasets x 10 seeds, under 15 minutes on 2 CPU cores
    ./run main --seeds 3 --steps-scale 0.2 --out /tmp/quick   # a quick look

Each (variant, dataset) trains `--seeds` independent seeds in one compiled program (the step is
vmapped over a stacked train state) and is evaluated per seed with the protocol of DESIGN.md
section 4 (2,500 samples; high quality = within 3 std of the nearest mode; a mode is captured
by at least one high-quality sample; reverse KL of the high-quality mode histogram to uniform).
Writes to `--out` (default results/mode_coverage): table.md (mean +- s.e. over seeds, laid out
like PacGAN's Table 1), results.json (per seed, with protocol and timings), samples.png
(seed-0 samples over the modes), loss_curves.png, coverage_curves.png (the three measures at ten
steps of each run, log scale, beside the paper's 400k value), and each run's workdir under runs/.
"""

import argparse
import json
import os
import shutil
import time

import numpy as np

from experiments import load_recipe
from experiments.studies import study
from experiments.two_d.pacgan_2d import PAPER_TABLE1
from jaxgan.data import MIXTURES
from jaxgan.plots import scatter_grid
from jaxgan.run import train
from jaxgan.writers import read_jsonl

VARIANTS = {
    "gan_ns_2d": "GAN (non-saturating)",
    "gan_minimax_2d": "GAN (minimax)",
    "pacgan_ns_2d": "PacGAN2 (non-saturating)",
    "wgan_gp_2d": "WGAN-GP",
}
# Rows run only when named with --variants (the main job's table is the four above).
OPTIONAL_VARIANTS = {"unrolled_gan_2d": "Unrolled GAN (5 steps)"}
TITLES = {**VARIANTS, **OPTIONAL_VARIANTS}
DATASETS = ("ring", "grid")
METRICS = (
    ("modes", "modes", "{:.1f}"),
    ("high_quality", "high quality %", "{:.1f}"),
    ("reverse_kl", "reverse KL", "{:.3f}"),
)
PAPER_ROWS = ("GAN", "PacGAN2", "PacGAN4")  # Lin et al. 2018, Table 1, shown beside ours
# Budgets of the main job that differ from the recipe's train.num_steps: the ring's 8 modes need
# fewer WGAN-GP steps than the grid's 25, and the job must stay within 15 minutes on 2 cores.
MAIN_JOB_STEPS = {("wgan_gp_2d", "ring"): 5000}


def run_one(variant, dataset, *, seeds, steps_scale, out):
    config = load_recipe(variant).get_config()
    config.data.name = dataset
    config.num_seeds = seeds
    fused = config.train.fused_steps
    steps = MAIN_JOB_STEPS.get((variant, dataset), config.train.num_steps)
    config.train.num_steps = max(fused, int(round(steps * steps_scale / fused)) * fused)
    config.train.checkpoint_every = config.train.num_steps
    config.train.log_every = fused
    config.train.eval_every = max(fused, config.train.num_steps // 10 // fused * fused)
    workdir = os.path.join(out, "runs", f"{variant}_{dataset}")
    shutil.rmtree(workdir, ignore_errors=True)
    started = time.perf_counter()
    result = train(config, workdir)
    result["wall_s"] = time.perf_counter() - started
    result["num_steps"] = config.train.num_steps
    result["workdir"] = workdir
    return result


def _cell(summary, name, fmt):
    scale = 100.0 if name == "high_quality" else 1.0
    return study.cell(summary[name]["mean"] * scale, summary[name]["stderr"] * scale, fmt)


def format_table(results, seeds):
    header = "| variant | " + " | ".join(f"{d}: {label}" for d in DATASETS for _, label, _ in METRICS) + " |"
    lines = [header, "|" + "---|" * (1 + len(DATASETS) * len(METRICS))]
    for variant, title in TITLES.items():
        if not any((variant, d) in results for d in DATASETS):
            continue
        cells = []
        for dataset in DATASETS:
            r = results.get((variant, dataset))
            for name, _, fmt in METRICS:
                cells.append(_cell(r["evaluation"]["summary"], name, fmt) if r else "-")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    for row in PAPER_ROWS:
        cells = [study.cell(*PAPER_TABLE1[d][row][i], fmt) for d in DATASETS for i, (_, _, fmt) in enumerate(METRICS)]
        lines.append(f"| paper: {row}, 400k iterations | " + " | ".join(cells) + " |")
    steps = ", ".join(f"{v}/{d}: {r['num_steps']} steps" for (v, d), r in results.items())
    lines.append("")
    lines.append(f"Ours: mean +- standard error over {seeds} seeds; 2,500 samples per seed; ring: 8 modes, std 0.01; "
                 f"grid: 25 modes, std 0.05. Training: {steps}. Paper: Lin et al. 2018 (PacGAN), Table 1, "
                 "mean +- s.e. over 10 trials, their networks (G 4 x 400, D 3 x 200 maxout), 400k iterations "
                 "of batch 100; the same evaluation.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps-scale", type=float, default=1.0, help="multiply every recipe's num_steps")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated subset of {list(VARIANTS) + list(OPTIONAL_VARIANTS)}")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--out", default="results/mode_coverage")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    datasets = [d for d in args.datasets.split(",") if d]
    for v in variants:
        if v not in VARIANTS and v not in OPTIONAL_VARIANTS:
            parser.error(f"unknown variant {v!r}; expected some of {list(VARIANTS) + list(OPTIONAL_VARIANTS)}")
    for d in datasets:
        if d not in DATASETS:
            parser.error(f"unknown dataset {d!r}; expected some of {list(DATASETS)}")
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    results = {}
    for variant in variants:
        for dataset in datasets:
            results[(variant, dataset)] = run_one(
                variant, dataset, seeds=args.seeds, steps_scale=args.steps_scale, out=args.out
            )
    wall = time.perf_counter() - started

    table = format_table(results, args.seeds)
    timing_lines = [
        f"- {TITLES[v]} / {d}: {r['num_steps']} steps x {args.seeds} seeds in {r['wall_s']:.0f} s "
        f"(first call incl. compile {r['timing']['first_call_s']:.1f} s; "
        f"{r['timing']['steps_per_s']:.1f} steps/s of all seeds together)"
        for (v, d), r in results.items()
    ]
    report = f"{table}\n\nWall time of the whole job: {wall:.0f} s.\n" + "\n".join(timing_lines) + "\n"
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(report)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(
            {
                f"{v}/{d}": {
                    "evaluation": r["evaluation"],
                    "timing": r["timing"],
                    "wall_s": r["wall_s"],
                    "num_steps": r["num_steps"],
                }
                for (v, d), r in results.items()
            }
            | {"total_wall_s": wall},
            f,
            indent=2,
        )
    panels = [(r["samples"][0], MIXTURES[d], f"{TITLES[v]}, {d} (seed 0)") for (v, d), r in results.items()]
    scatter_grid(panels, os.path.join(args.out, "samples.png"), columns=len(datasets))
    _loss_figure(results, os.path.join(args.out, "loss_curves.png"))
    _coverage_figure(results, os.path.join(args.out, "coverage_curves.png"))
    print(report)
    print(f"Wrote {args.out}/table.md, results.json, samples.png, loss_curves.png, coverage_curves.png")


def _coverage_figure(results, path):
    """Modes, high quality % and reverse KL against the step (log scale) for every run, evaluated
    ten times per run, with PacGAN4's Table 1 value at 400k iterations as a star."""
    panels = []
    for dataset in DATASETS:
        for index, (name, label, _) in enumerate(METRICS):
            scale = 100.0 if name == "high_quality" else 1.0
            lines = []
            for (variant, d), r in results.items():
                if d != dataset:
                    continue
                curve = study.read_curve(r["workdir"])
                lines.append(
                    (
                        TITLES[variant],
                        [e["step"] for e in curve],
                        [scale * e["summary"][name]["mean"] for e in curve],
                        [scale * e["summary"][name]["stderr"] for e in curve],
                        None,
                    )
                )
            if lines:
                lines.append(("paper: PacGAN4 at 400k", [], [], [], PAPER_TABLE1[dataset]["PacGAN4"][index][0]))
                panels.append((f"{dataset}: {label}", lines))
    study.curves_figure(panels, path, paper_steps=400_000)


def _loss_figure(results, path):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(results), 2, figsize=(8, 2.2 * len(results)), squeeze=False)
    for row, ((variant, dataset), r) in enumerate(results.items()):
        records = [rec for rec in read_jsonl(os.path.join(r["workdir"], "metrics.jsonl")) if "d_loss" in rec]
        steps = np.array([rec["step"] for rec in records])
        for col, key in enumerate(("d_loss", "g_loss")):
            axes[row, col].plot(steps, [float(rec[key]) for rec in records], lw=1)
            axes[row, col].set_title(f"{TITLES[variant]}, {dataset}: {key} (mean over seeds)", fontsize=8)
    axes[-1, 0].set_xlabel("generator step")
    axes[-1, 1].set_xlabel("generator step")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()

"""What PacGAN's own code does differently, measured one difference at a time: GAN (m = 1) and
PacGAN4 on grid-25 under PacGAN's 2D protocol (`experiments/two_d/pacgan_2d.py`), with each of
the authors' four choices alone on top of jaxgan's defaults, and all of them together.

    ./run python -m experiments.studies.pacgan_ablation --steps 20000 --seeds 10 [--budget-s 3600]

Variants (fjxmlzn/PacGAN `pacgan_task.py`, ALI's `ali_algorithm`; see `pacgan_2d.py`):
  ours          jaxgan's defaults: G's BatchNorm over all 100 m latents of a batch, D then G
                through the updated D, Flax's initialization, running averages at momentum 0.9;
  per_slot_bn   + the generator run on each pack slot's latents on its own (`game.packing_bn`);
                for the GAN row (one slot) it is `ours`, so that row is not trained;
  simultaneous  + both players' gradients at the same parameters (`game.updates`);
  init          + every kernel from N(0, 0.02^2) (`model.init_std`);
  bn_momentum   + running averages at momentum 0.95 (`model.bn_momentum`);
  authors       all four: `pacgan_2d.py` as it is.

Everything else is the protocol's: batches of 100 packs from a fixed set of 100,000 packs per seed,
Adam(1e-4, 0.8), the non-saturating loss, 2,500 samples per seed drawn with BatchNorm statistics of
the evaluated weights (the authors' evaluation, in every variant), PacGAN's three measures at
log-spaced steps (1k, 2k, 5k, 10k, 20k, ...). Each (row, variant) trains `--seeds` seeds in one
vmapped program through the shared study runner (`study.train_to`: resumable, deadline-bounded
segments; a rerun with a larger `--steps` continues). Writes to `--out` (default
results/pacgan_ablation): table.md (the final step of each run, mean +- s.e. over seeds, beside
Table 1's 400k values), curves.png (modes, high-quality %, reverse KL against iterations, every run
on one figure per measure), results.json and the workdirs under runs/.
"""

import argparse
import json
import os
import time

from experiments.studies import study
from experiments.studies.pacgan_study import PAPER_STEPS
from experiments.two_d import pacgan_2d

DATASET = "grid"
ROWS = {"gan": ("GAN", 1), "pacgan4": ("PacGAN4", 4)}
# variant: {config key: the authors' value it switches on}; "ours" resets all four.
AUTHORS = {"game.packing_bn": "per_slot", "game.updates": "simultaneous", "model.init_std": 0.02,
           "model.bn_momentum": 0.95}
OURS = {"game.packing_bn": "joint", "game.updates": "alternating", "model.init_std": 0.0, "model.bn_momentum": 0.9}
VARIANTS = {
    "ours": {},
    "per_slot_bn": {"game.packing_bn": "per_slot"},
    "simultaneous": {"game.updates": "simultaneous"},
    "init": {"model.init_std": 0.02},
    "bn_momentum": {"model.bn_momentum": 0.95},
    "authors": AUTHORS,
}
METRICS = (("modes", "modes", 1.0, "{:.1f}"), ("high_quality", "high quality %", 100.0, "{:.1f}"),
           ("reverse_kl", "reverse KL", 1.0, "{:.2f}"))


def variant_config(row, variant, *, seeds):
    """`pacgan_2d`'s config of `row` on grid-25 with jaxgan's defaults for the four differences,
    then `variant`'s authors' choices."""
    if row not in ROWS:
        raise ValueError(f"unknown row {row!r}; expected one of {list(ROWS)}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {list(VARIANTS)}")
    config = pacgan_2d.get_config(ROWS[row][1])
    config.update_from_flattened_dict({**OURS, **VARIANTS[variant]})
    config.data.name = DATASET
    config.num_seeds = seeds
    config.train.progress = False
    config.train.tensorboard = False
    return config


def runs(rows, variants):
    """The (row, variant) pairs to train: per-slot BatchNorm of one slot is the joint one."""
    return [(row, variant) for row in rows for variant in variants
            if not (variant == "per_slot_bn" and ROWS[row][1] == 1)]


def format_table(results, *, seeds):
    lines = ["| row | variant | iterations | " + " | ".join(label for _, label, _, _ in METRICS)
             + " | s per 10k iterations |", "|" + "---|" * (4 + len(METRICS))]
    for (row, variant), r in results.items():
        cells = [study.cell(scale * r["final"]["summary"][name]["mean"], scale * r["final"]["summary"][name]["stderr"],
                            fmt) for name, _, scale, fmt in METRICS]
        lines.append(f"| {ROWS[row][0]} | {variant} | {r['final']['step']:,} | " + " | ".join(cells)
                     + f" | {10 * r['ms_per_iteration']:.0f} |")
    for row in dict.fromkeys(row for row, _ in results):
        paper = pacgan_2d.PAPER_TABLE1[DATASET][ROWS[row][0]]
        cells = [study.cell(*paper[i], fmt) for i, (_, _, _, fmt) in enumerate(METRICS)]
        lines.append(f"| {ROWS[row][0]} | paper (Table 1) | {PAPER_STEPS:,} | " + " | ".join(cells)
                     + " | - |")
    lines += ["", f"Ours: mean +- s.e. over {seeds} seeds (one vmapped program per run), the final step's evaluation, "
              "2,500 samples per seed, grid-25. Paper: Lin et al. 2018, Table 1, 10 trials. The cost column is the "
              f"median wall time of 10k iterations of all {seeds} seeds together on this machine."]
    return "\n".join(lines)


def curves_figure(results, path):
    panels = []
    for name, label, scale, _ in METRICS:
        lines = []
        for (row, variant), r in results.items():
            curve = r["curve"]
            paper = pacgan_2d.PAPER_TABLE1[DATASET][ROWS[row][0]][[m[0] for m in METRICS].index(name)][0]
            lines.append((f"{ROWS[row][0]}, {variant}", [e["step"] for e in curve],
                          [scale * e["summary"][name]["mean"] for e in curve],
                          [scale * e["summary"][name]["stderr"] for e in curve], paper))
        panels.append((f"grid-25: {label}", lines))
    study.curves_figure(panels, path, paper_steps=PAPER_STEPS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of {list(ROWS)}")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated subset of {list(VARIANTS)}")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="start no training segment after this many seconds (a rerun continues)")
    parser.add_argument("--out", default="results/pacgan_ablation")
    args = parser.parse_args(argv)
    rows = study.chosen(parser, args.rows, ROWS, "row")
    variants = study.chosen(parser, args.variants, VARIANTS, "variant")
    if args.steps < 1 or args.seeds < 1:
        parser.error(f"--steps and --seeds must be positive, got {args.steps} and {args.seeds}")
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    deadline = None if args.budget_s is None else started + args.budget_s
    results = {}
    for row, variant in runs(rows, variants):
        config = variant_config(row, variant, seeds=args.seeds)
        result = study.train_to(config, os.path.join(args.out, "runs", f"{DATASET}_{row}_{variant}"), args.steps,
                                label=f"{row}/{variant}", deadline=deadline)
        if result is not None:
            results[(row, variant)] = result
    if not results:
        print(f"no run reached its first evaluation within --budget-s {args.budget_s}")
        return None
    report = format_table(results, seeds=args.seeds)
    report += f"\n\nWall time of this invocation: {time.perf_counter() - started:.0f} s.\n"
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(report)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({f"{row}/{variant}": {"final": v["final"], "ms_per_iteration": v["ms_per_iteration"],
                                        "curve": [{"step": e["step"], "summary": e["summary"]} for e in v["curve"]]}
                   for (row, variant), v in results.items()}, f, indent=2)
    curves_figure(results, os.path.join(args.out, "curves.png"))
    print(report)
    print(f"Wrote {args.out}/table.md, results.json, curves.png")
    return report


if __name__ == "__main__":
    main()

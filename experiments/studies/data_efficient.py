"""Training with little data: the sngan recipe without and with each data-efficient technique
(experiments/data_efficient: DiffAugment, ADA, LeCam, CR, ICR, and ADA + LeCam + DiffAugment) on
1% (600 images), 10% (6,000) and 100% of the MNIST / Fashion-MNIST training split, equal steps, on
the recipe's networks or (`--networks lucic`) Lucic et al.'s InfoGAN-style pair.

    ./run python -m experiments.studies.data_efficient --rows baseline,diffaugment,ada,lecam \\
        --datasets mnist,fashion_mnist --sizes 600,6000,0 --steps 5000 --seeds 3 [--budget-s 3600]

Each (row, data set, size) trains `--seeds` seeds in one program (`train.seed_loop`), each seed on its own
fixed subset (`data.train_size`, recorded in the workdir's train_subset.json), and stops at
log-spaced generator steps (`study.train_to`). At each stop the run's own evaluation (the EMA
generator: FID, KID, precision/recall, density/coverage, IS of 10,000 samples against the full
test split, shipped domain classifier) and the overfitting picture of Karras et al. 2020 (Fig. 1b):
the mean raw D output (no augmentation) on 1,000 of the seed's training images, on 1,000 held-out
test images and on 1,000 generated images (eval/d_outputs_step_N.json). ADA's p comes from the
run's metrics.jsonl. Writes under `--out` (default results/data_efficient): table.md (final
checkpoint, mean +- s.e. over seeds, the change against the baseline at the same size),
results.json, curves.png (FID against steps, one panel per data set and size), overfitting.png
(D's outputs and ADA's p against steps), grids/<run>.png and the workdirs under runs/.
"""

import argparse
import json
import os
import time

import numpy as np

from experiments import datasets_dir, load_recipe
from experiments.studies import study
from jaxgan import presets

# name: (title, recipe)
ROWS = {
    "baseline": ("SNGAN", "sngan"),
    "diffaugment": ("+ DiffAugment", "sngan_diffaugment"),
    "ada": ("+ ADA", "sngan_ada"),
    "lecam": ("+ LeCam", "sngan_lecam"),
    "cr": ("+ CR", "sngan_cr"),
    "icr": ("+ bCR + zCR", "sngan_icr"),
    "combined": ("+ ADA + LeCam + DiffAugment", "sngan_ada_lecam_diffaugment"),
}
DATASETS = ("mnist", "fashion_mnist")
TRAIN_SPLIT = 60_000
PROBE = 1000  # images per kind in the overfitting picture
METRICS = ("fid", "kid", "precision", "recall", "coverage")


def size_label(size):
    return "100%" if size == 0 else f"{size:,} ({100 * size / TRAIN_SPLIT:.2g}%)"


def run_name(row, dataset, size, networks="recipe"):
    return f"{dataset}_{size or 'all'}_{row}" + ("" if networks == "recipe" else f"_{networks}")


def run_config(row, dataset, size, *, seeds, batch, data_dir, width=None, num_samples=10_000, networks="recipe"):
    """The config of one run: recipe `row` on `size` training images of `dataset` (0: all), on the
    recipe's networks or ("lucic") Lucic et al.'s InfoGAN-style pair (`presets.lucic_networks`)."""
    config = load_recipe(ROWS[row][1]).get_config()
    if networks == "lucic":
        presets.lucic_networks(config)
    config.data.name = dataset
    config.data.source = "idx"
    config.data.dir = os.path.join(data_dir, dataset)
    config.data.batch_size = batch
    config.data.train_size = size
    config.num_seeds = seeds
    if width is not None and networks == "recipe":
        config.model.g_width = config.model.d_width = width
    config.eval.metrics = "fid,kid,pr,dc,is"
    config.eval.num_samples = num_samples
    config.eval.bn_statistics = "standing"
    return study.record_only_evaluations(config)


def _probe_images(config, workdir, seed_index):
    """(training images of the seed, held-out test images), PROBE of each, in [-1, 1]."""
    from jaxgan import data
    from jaxgan.data.images import to_model_range

    train = data.open_split(config.data, "train")
    if config.data.train_size:
        with open(os.path.join(workdir, "train_subset.json")) as f:
            indices = np.asarray(json.load(f)[seed_index]["indices"])
    else:
        indices = np.random.default_rng(config.seed + seed_index).permutation(len(train))
    test = data.open_split(config.data, "test")
    return (to_model_range(train.take(indices[:PROBE])), to_model_range(test.take(np.arange(min(PROBE, len(test))))))


def record_d_outputs(config, workdir, step):
    """eval/d_outputs_step_N.json: per seed, the mean raw D output on its training images, on
    held-out images and on the raw generator's samples (the ADA paper's overfitting picture)."""
    import jax

    from jaxgan.checkpoint import Checkpointer
    from jaxgan.games.steps import apply, generate
    from jaxgan.run import Program

    path = os.path.join(workdir, "eval", f"d_outputs_step_{step:08d}.json")
    if os.path.exists(path):
        return
    program = Program(config)
    checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), keep=config.train.keep_checkpoints, create=False)
    try:
        stacked, _ = checkpointer.restore(program.init_state(), step=step)
    finally:
        checkpointer.close()
    judge = jax.jit(lambda s, x: apply(s.discriminator, s.d_params, s.d_state, x, train=False)[0])
    sample = jax.jit(lambda s, k: generate(s, k, PROBE, use_ema=False))
    record = {"step": step, "train": [], "held_out": [], "generated": []}
    for seed_index in range(config.num_seeds):
        state = stacked if config.num_seeds == 1 else jax.tree.map(lambda x, i=seed_index: x[i], stacked)
        train, held_out = _probe_images(config, workdir, seed_index)
        fake = sample(state, jax.random.key(step))
        for kind, images in (("train", train), ("held_out", held_out), ("generated", fake)):
            record[kind].append(float(np.mean(np.asarray(judge(state, images)))))
    with open(path, "w") as f:
        json.dump(record, f)


def read_d_outputs(workdir):
    records = []
    folder = os.path.join(workdir, "eval")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.startswith("d_outputs_step_"):
            with open(os.path.join(folder, name)) as f:
                records.append(json.load(f))
    return records


def read_ada_p(workdir):
    """[(step, ADA's p, mean over seeds)] from the run's metrics.jsonl."""
    path = os.path.join(workdir, "metrics.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [(r["step"], r["ada_p"]) for r in rows if "ada_p" in r]


def _mean_stderr(values):
    values = np.asarray(values, np.float64)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")


def format_table(results, *, seeds, batch, num_samples):
    head = ["data", "training images", "row", "G steps", "wall s", "FID (EMA)", "vs baseline", "KID", "precision",
            "recall", "coverage", "D(train) - D(held-out)", "ADA p"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (row, dataset, size), r in results.items():
        summary = r["final"]["summary"]
        base = results.get(("baseline", dataset, size))
        change = "-"
        if base is not None and row != "baseline" and base["final"]["step"] == r["final"]["step"]:
            change = f"{100 * (summary['fid']['mean'] / base['final']['summary']['fid']['mean'] - 1):+.0f}%"
        cells = []
        for m in METRICS:
            mean, stderr = summary[m]["mean"], summary[m]["stderr"]
            cells.append(study.cell(mean, stderr, "{:.3g}") if stderr == stderr and stderr > 0 else f"{mean:.3g}")
        gap = "-"
        if r["d_outputs"]:
            last = r["d_outputs"][-1]
            mean, stderr = _mean_stderr(np.subtract(last["train"], last["held_out"]))
            gap = f"{mean:.3g}" + (f" +- {stderr:.2g}" if stderr == stderr else "")
        p = f"{r['ada_p'][-1][1]:.3f}" if r["ada_p"] else "-"
        lines.append("| " + " | ".join([dataset, size_label(size), ROWS[row][0], f"{r['final']['step']:,}",
                                        f"{r['final']['step'] * r['ms_per_iteration'] / 1000:.0f}", cells[0], change,
                                        *cells[1:], gap, p]) + " |")
    lines += ["", f"Mean +- s.e. over {seeds} seed(s) (each on its own training subset) of the final checkpoint, "
              f"batch {batch}, {num_samples:,} samples of the EMA generator per seed against the 10,000 test images "
              "in the shipped domain classifier's features. vs baseline: the FID change against the SNGAN row at the "
              "same size and step. D(train) - D(held-out): the mean raw D output on 1,000 of the seed's training "
              "images minus that on 1,000 test images at the final step (> 0: D has memorized its training set). "
              "ADA p: at the final logged step, mean over seeds. wall s: generator steps times the median step time "
              "(all seeds together; evaluations excluded)."]
    return "\n".join(lines)


def overfitting_figure(results, path):
    """Per run with records: D's mean output on training, held-out and generated images against
    steps (solid, dashed, dotted), and ADA's p (right axis) where it runs."""
    import matplotlib.pyplot as plt

    runs = [(key, r) for key, r in results.items() if r["d_outputs"]]
    if not runs:
        return
    columns = min(4, len(runs))
    rows = -(-len(runs) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.9 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, ((row, dataset, size), r) in zip(axes.flat, runs):
        ax.axis("on")
        steps = [d["step"] for d in r["d_outputs"]]
        for kind, style in (("train", "-"), ("held_out", "--"), ("generated", ":")):
            ax.plot(steps, [np.mean(d[kind]) for d in r["d_outputs"]], style, marker="o", ms=3, label=kind)
        ax.set_xscale("log")
        ax.set_title(f"{dataset}, {size_label(size)}\n{ROWS[row][0]}", fontsize=8)
        if r["ada_p"]:
            twin = ax.twinx()
            twin.plot(*zip(*r["ada_p"]), color="gray", lw=0.8)
            twin.set_ylabel("ADA p", fontsize=7)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of {list(ROWS)}")
    parser.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated subset of {list(DATASETS)}")
    parser.add_argument("--sizes", default="600,6000,0", help="training images per seed, comma-separated (0: all)")
    parser.add_argument("--networks", choices=("recipe", "lucic"), default="recipe",
                        help="the recipe's DCGAN-family networks, or Lucic et al.'s InfoGAN-style pair")
    parser.add_argument("--steps", type=int, default=5000, help="generator steps per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--first-eval", type=int, default=1000, help="first evaluation (generator steps); then x2, x5")
    parser.add_argument("--width", type=int, default=None, help="the networks' width (tiny tests)")
    parser.add_argument("--num-samples", type=int, default=10_000, help="samples per seed and evaluation")
    parser.add_argument("--data-dir", default=None, help="a folder with mnist/ and fashion_mnist/ official IDX files "
                        "(default $JAXGAN_DATASETS)")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="start no training segment after this many seconds (a rerun continues)")
    parser.add_argument("--out", default="results/data_efficient")
    args = parser.parse_args(argv)
    rows = study.chosen(parser, args.rows, ROWS, "row")
    datasets = study.chosen(parser, args.datasets, DATASETS, "data set")
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if any(s < 0 or s > TRAIN_SPLIT for s in sizes) or not sizes:
        parser.error(f"--sizes must be in [0, {TRAIN_SPLIT}] (0: all), got {args.sizes!r}")
    if min(args.steps, args.seeds, args.batch, args.first_eval, args.num_samples) < 1:
        parser.error("--steps, --seeds, --batch, --first-eval and --num-samples must be positive")
    data_dir = args.data_dir or datasets_dir()
    study.check_data_dirs(parser, data_dir, datasets)
    os.makedirs(os.path.join(args.out, "grids"), exist_ok=True)
    started = time.perf_counter()
    deadline = None if args.budget_s is None else started + args.budget_s
    results = {}
    for dataset in datasets:
        for size in sizes:
            for row in rows:
                config = run_config(row, dataset, size, seeds=args.seeds, batch=args.batch, data_dir=data_dir,
                                    width=args.width, num_samples=args.num_samples, networks=args.networks)
                name = run_name(row, dataset, size, args.networks)
                workdir = os.path.join(args.out, "runs", name)
                result = study.train_to(config, workdir, args.steps, first=args.first_eval, label=name,
                                        deadline=deadline,
                                        after_segment=lambda step, c=config, w=workdir: record_d_outputs(c, w, step))
                if result is None:
                    continue
                last = result["final"]["step"]
                result["d_outputs"] = [d for d in read_d_outputs(workdir) if d["step"] <= last]
                result["ada_p"] = [(s, p) for s, p in read_ada_p(workdir) if s <= last]
                results[(row, dataset, size)] = result
                study.save_grid(result, args.out, name)
    if not results:
        print(f"no run reached its first evaluation within --budget-s {args.budget_s}")
        return None
    report = study.write_report(
        args.out, format_table(results, seeds=args.seeds, batch=args.batch, num_samples=args.num_samples), started,
        {run_name(*key, args.networks): {
            "final": r["final"], "ms_per_iteration": r["ms_per_iteration"], "complete": r["complete"],
            "d_outputs": r["d_outputs"], "ada_p": r["ada_p"],
            "curve": [{"step": e["step"], "summary": e["summary"]} for e in r["curve"]]}
         for key, r in results.items()})
    study.fid_curves(results, os.path.join(args.out, "curves.png"), panel=lambda k: f"{k[1]}, {size_label(k[2])}",
                     label=lambda k: ROWS[k[0]][0])
    overfitting_figure(results, os.path.join(args.out, "overfitting.png"))
    print(report)
    return report


if __name__ == "__main__":
    main()

"""The label, code and autoencoder games against their papers: semi-supervised MNIST with 100
labels (Improved-GAN), InfoGAN's categorical code, ACGAN's (and CGAN's) class accuracy, the
semi-supervised AAE, each a committed recipe, with convergence curves.

    ./run python -m experiments.studies.labels_study --rows ssl --steps 30000 --seeds 3
    ./run python -m experiments.studies.labels_study --rows infogan --steps 5000 --seeds 5
    ./run python -m experiments.studies.labels_study --rows aae_ssl --steps 5000 --seeds 1 \\
        --set game.classification_learning_rate=1e-3 --out results/probe_cls   # a probe

Each row trains `--seeds` seeds of its recipe in one vmapped program (the semi-supervised rows
draw one labeled subset per seed; on the CPU the convolutional rows train one program per seed,
`SEPARATE_SEEDS_ON_CPU`) and evaluates its game's measure and FID (domain network) at
steps `--first` x (1, 2, 5, 10, ...) up to `--steps`, resuming from its checkpoint at each. The
table reports the last evaluation (the final checkpoint, never the best one), mean +- s.e. over
seeds with the per-seed values, beside the paper's number and length. Writes to `--out`
(default results/labels_study): table.md, results.json, curves_<row>.png and runs/<row>/.

`--set KEY=VALUE` (repeatable) changes the rows' recipes for a probe: the table names the changes
in the row's title and reports no gate for it; give the probe its own `--out`.
"""

import argparse
import ast
import json
import os
import time

import jax

from experiments import datasets_dir, load_recipe
from experiments.studies import study
from jaxgan.data import IMAGE_DATASETS
from jaxgan.metrics import mean_and_stderr

# name: (title, recipe module, overrides, measure key, scale, unit, paper value, paper length in
# iterations, the paper's source, the gate as (op, value))
ROWS = {
    "ssl": ("Improved-GAN semi-supervised, 100 labels", "improved_gan_ssl", {}, "test_error", 100.0, "% test error",
            0.93, 180_000, "Salimans et al. 2016, Table 1 (93 +- 6.5 errors)", ("<=", 1.2)),
    "infogan": ("InfoGAN categorical code", "infogan", {}, "code_class_accuracy", 100.0, "% code-to-digit accuracy",
                95.0, 5_000, "Chen et al. 2016, Sec. 7.1 (about 5% error); their code's 5,000 x 128",
                (">=", 90.0)),
    "acgan": ("ACGAN", "acgan", {}, "class_accuracy", 100.0, "% class accuracy", None, None, "", (">=", 97.0)),
    # CGAN on ACGAN's networks (width 32): the reference ACGAN's class accuracy and FID stand beside
    "cgan": ("CGAN", "cgan", {"model.g_width": 32, "model.d_width": 32}, "class_accuracy", 100.0, "% class accuracy",
             None, None, "", None),
    # D at 2e-4 as in `labeled_recipes` (20.8% test error at 5,000 steps against 28.4% with the recipe's 1e-3);
    # the paper's phased training (seed 0 at 5,000 steps: 10.5% test error against 24.8% with one
    # update of the summed terms), each phase with its own Adam state at the recipe's 2e-4
    "aae_ssl": ("AAE semi-supervised, 100 labels", "aae",
                {"game.aae_mode": "semi_supervised", "model.latent_dim": 10, "optimizer.d.learning_rate": 2e-4,
                 "game.aae_phases": True},
                "test_error", 100.0, "% test error", 1.90, None, "Makhzani et al. 2016, Table 2 (1.90 +- 0.10)",
                ("<=", 3.0)),
    # ClusterGAN's encoder clustering the test split: k-means purity, the "ACC" of their code and paper
    "clustergan": ("ClusterGAN, MNIST", "clustergan", {}, "cluster_purity", 100.0, "% k-means purity (ACC)", 95.0,
                   500_000, "Mukherjee et al. 2019, Table 2 (ACC 0.95); their code's README: 0.910 +- 0.040 "
                   "over 10 runs", (">=", 95.0)),
    "clustergan_fashion": ("ClusterGAN, Fashion-MNIST", "clustergan", {"data.name": "fashion_mnist"},
                           "cluster_purity", 100.0, "% k-means purity (ACC)", 63.0, 500_000,
                           "Mukherjee et al. 2019, Table 2 (ACC 0.63); their code's README: 0.612 +- 0.023", None),
    # CoGAN's generated pairs: the pixel agreement of T(x_a) with x_b; the gate is the issue's, 2 points
    # under the paper's number. The paper trains 50,000 iterations of 128 pairs (its Caffe solver).
    "cogan_edges": ("CoGAN, digits and edges", "cogan", {}, "pair_agreement", 100.0, "% pixel agreement", 95.2,
                    50_000, "Liu & Tuzel 2016, Table 1 (0.952 +- 0.002)", (">=", 93.2)),
    "cogan_negatives": ("CoGAN, digits and negatives", "cogan", {"data.name": "mnist_negatives"}, "pair_agreement",
                        100.0, "% pixel agreement", 96.7, 50_000, "Liu & Tuzel 2016, Table 1 (0.967 +- 0.008)",
                        (">=", 94.7)),
    # CCGAN: its paper reports STL-10 and PASCAL VOC only; on MNIST it stands beside the "ssl" row.
    "ccgan": ("CCGAN, 100 labels", "ccgan", {}, "test_error", 100.0, "% test error", None, None,
              "Denton et al. 2016 report STL-10 / PASCAL VOC only: compare the ssl row", None),
    "ccgan_1000": ("CCGAN, 1,000 labels", "ccgan", {"game.num_labeled": 1000}, "test_error", 100.0, "% test error",
                   None, None, "Denton et al. 2016 report STL-10 / PASCAL VOC only", None),
    # The context encoder's fills of the central block of the test images: the PSNR of the hole (its
    # paper's Table 2 measures Paris StreetView photographs, not comparable), with the L2-only model.
    "context_encoder": ("Context encoder, MNIST", "context_encoder", {}, "hole_psnr", 1.0, "dB PSNR of the hole",
                        None, None, "Pathak et al. 2016 (Paris StreetView only)", None),
    "context_encoder_l2": ("Context encoder, L2 only, MNIST", "context_encoder", {"game.lambda_adv": 0.0},
                           "hole_psnr", 1.0, "dB PSNR of the hole", None, None, "", None),
    "context_encoder_fashion": ("Context encoder, Fashion-MNIST", "context_encoder",
                                {"data.name": "fashion_mnist", "game.hole_fill": -0.428}, "hole_psnr", 1.0,
                                "dB PSNR of the hole", None, None, "", None),
    "context_encoder_fashion_l2": ("Context encoder, L2 only, Fashion-MNIST", "context_encoder",
                                   {"data.name": "fashion_mnist", "game.hole_fill": -0.428, "game.lambda_adv": 0.0},
                                   "hole_psnr", 1.0, "dB PSNR of the hole", None, None, "", None),
    # BigGAN on the CGAN game: the shipped classifier's accuracy on its samples, with FID; the gate is
    # the (ACGAN's level). Brock et al. 2019 report ImageNet and JFT only.
    "biggan": ("BigGAN, MNIST", "biggan", {}, "class_accuracy", 100.0, "% class accuracy", None, None,
               "Brock et al. 2019 (ImageNet / JFT only)", (">=", 97.0)),
    "biggan_fashion": ("BigGAN, Fashion-MNIST", "biggan", {"data.name": "fashion_mnist"}, "class_accuracy", 100.0,
                       "% class accuracy", None, None, "", None),
}

# The length `experiments.studies.accelerator_studies --plan labels` runs each row to: the paper's
# (Improved-GAN: 300 epochs of 600 batches; InfoGAN: its code's 50 epochs of 100 updates of 128), or ours
# where the paper gives none (ACGAN / CGAN: 20k; AAE: 100 epochs of 600 batches).
FULL_STEPS = {"ssl": 180_000, "infogan": 5_000, "acgan": 20_000, "cgan": 20_000, "aae_ssl": 60_000,
              "clustergan": 30_000, "clustergan_fashion": 30_000,  # ClusterGAN: the recipe's (theirs: 500,000)
              "cogan_edges": 50_000, "cogan_negatives": 50_000,  # CoGAN: the Caffe solver's iterations
              "ccgan": 20_000, "ccgan_1000": 20_000,  # CCGAN: ours (21 epochs of the unlabeled batches)
              # the context encoder: about the authors' ImageNet run's 25 epochs (theirs of 1.2M photographs)
              "context_encoder": 20_000, "context_encoder_l2": 20_000, "context_encoder_fashion": 20_000,
              "context_encoder_fashion_l2": 20_000,
              "biggan": 20_000, "biggan_fashion": 20_000}  # BigGAN: ours (21 epochs of 64 at n_dis 2)


def row_config(row, *, seeds, data_dir, width=0, changes=None):
    """The config of `row`'s recipe for the study; `changes` ({flattened key: value}, `--set`)
    on top of it for a probe."""
    if row not in ROWS:
        raise ValueError(f"unknown row {row!r}; expected one of {list(ROWS)}")
    _, recipe, overrides, *_ = ROWS[row]
    config = load_recipe(recipe).get_config()
    config.update_from_flattened_dict(overrides)
    for key, value in (changes or {}).items():
        try:
            config.update_from_flattened_dict({key: value})
        except (KeyError, AttributeError):
            raise ValueError(f"--set {key}={value!r}: the {row!r} row's config has no key {key!r}") from None
        except TypeError as error:
            raise ValueError(f"--set {key}={value!r}: {error}") from None
    config.data.source = "idx"
    coupled = IMAGE_DATASETS[config.data.name].coupled  # CoGAN's domains, made from MNIST
    config.data.dir = os.path.join(data_dir, "mnist" if coupled else config.data.name)
    config.num_seeds = seeds
    if width and config.model.name in ("dcgan", "biggan"):
        config.model.g_width = config.model.d_width = width
    config.train.progress = False
    config.train.tensorboard = False
    config.train.eval_every = 0
    config.train.plot_every = 0
    # the games' own measures come with every evaluation (CoGAN's: each domain's FID among them)
    config.eval.metrics = "auto" if coupled else "fid"
    return config


# Rows whose seeds train as one program each, one after another, on the CPU: XLA:CPU runs the
# grouped convolutions of a vmapped convolutional step several times slower than the seeds' own
# (InfoGAN's networks, 3 seeds: 6.8 s per vmapped iteration against 0.6-1.0 s for one seed).
SEPARATE_SEEDS_ON_CPU = ("infogan", "acgan", "cgan", "clustergan", "clustergan_fashion", "cogan_edges",
                         "cogan_negatives", "ccgan", "ccgan_1000", "context_encoder", "context_encoder_l2",
                         "context_encoder_fashion", "context_encoder_fashion_l2", "biggan", "biggan_fashion")


def run_row(row, *, seeds, max_steps, first, out, data_dir, width=0, log=print, deadline=None, separate_seeds=None,
            changes=None):
    """Train `row` to `max_steps` in OUT/runs/<row>[_w<width>]: its seeds vmapped in one
    program, or (`separate_seeds`; default: the rows of `SEPARATE_SEEDS_ON_CPU` on the CPU) seed
    k as its own program with `config.seed` + k in the subfolder seed_<k>, the curve then holding
    the steps every seed reached. Returns `study.train_to`'s result with the row's batch and
    width."""
    config = row_config(row, seeds=seeds, data_dir=data_dir, width=width, changes=changes)
    workdir = os.path.join(out, "runs", _workdir_name(row, config, width))
    if separate_seeds is None:
        separate_seeds = row in SEPARATE_SEEDS_ON_CPU and seeds > 1 and jax.default_backend() == "cpu"
    if separate_seeds:
        results = []
        for k in range(seeds):
            one = row_config(row, seeds=1, data_dir=data_dir, width=width, changes=changes)
            one.seed = config.seed + k
            results.append(study.train_to(one, os.path.join(workdir, f"seed_{k}"), max_steps, first=first,
                                          label=f"{row} seed {k}", log=log, deadline=deadline))
        result = merge_seeds(results)
    else:
        result = study.train_to(config, workdir, max_steps, first=first, label=row, log=log, deadline=deadline)
    if result is not None:
        result["width"] = width if width and config.model.name == "dcgan" else None  # scaled from the recipe's
        result["batch"] = config.data.batch_size
        result["changes"] = dict(changes or {})
    return result


def _workdir_name(row, config, width):
    return f"{row}_w{width}" if width and config.model.name == "dcgan" else row


def merge_seeds(results):
    """One result from the `study.train_to` results of single-seed programs: each evaluation
    step every seed reached, with the seeds' `per_seed` entries in seed order; the cost of an
    iteration of all seeds is the sum of theirs. None when a seed has no evaluation yet."""
    if not results or any(r is None for r in results):
        return None
    by_step = [{e["step"]: e for e in r["curve"]} for r in results]
    steps = sorted(set.intersection(*(set(s) for s in by_step)))
    if not steps:
        return None
    # the seeds' own summaries are dropped: the table and curves read `per_seed`
    curve = [{**{k: v for k, v in by_step[0][step].items() if k != "summary"},
              "per_seed": [s for seed in by_step for s in seed[step]["per_seed"]]} for step in steps]
    return {"curve": curve, "final": curve[-1], "complete": all(r["complete"] for r in results)
            and all(r["final"]["step"] == steps[-1] for r in results), "samples": results[0]["samples"],
            "wall_s": sum(r["wall_s"] for r in results),
            "ms_per_iteration": sum(r["ms_per_iteration"] for r in results)}


def merge_results(path, results):
    """Write `results` (row -> its final evaluation, curve, cost, batch, width) into the JSON file
    at `path`, keeping the rows an earlier invocation wrote there and this one did not run, so that
    rows run one at a time build one table; returns all rows."""
    kept = {}
    if os.path.exists(path):
        with open(path) as f:
            kept = {row: value for row, value in json.load(f).items() if row in ROWS}
    keys = ("final", "curve", "ms_per_iteration", "batch", "width")
    merged = {**kept, **{row: {k: value.get(k) for k in keys} for row, value in results.items()}}
    with open(path, "w") as f:
        json.dump(merged, f, indent=2)
    return merged


def _per_seed(evaluation, key, scale):
    return [scale * s[key] for s in evaluation["per_seed"] if key in s]


def format_table(results):
    lines = ["| game | steps (batch) | seeds | ours (final checkpoint) | per seed | FID (domain net) | "
             "paper | gate | ms / step (all seeds) |", "|---|---|---|---|---|---|---|---|---|"]
    for row, result in results.items():
        title, _, _, key, scale, unit, paper, paper_steps, source, gate = ROWS[row]
        final = result["final"]
        values = _per_seed(final, key, scale)
        mean, se = mean_and_stderr(values)
        fid = _per_seed(final, "fid", 1.0) or _per_seed(final, "fid_a", 1.0)  # CoGAN: domain A's
        fid_cell = study.cell(*mean_and_stderr(fid), "{:.1f}") if fid else ""
        paper_cell = (
            f"{paper} {unit} ({source}" + (f", {paper_steps:,} steps)" if paper_steps else ")") if paper else ""
        )
        gate_cell = ""
        changes = result.get("changes")
        if changes:
            title = f"{title} [probe: {', '.join(f'{k}={v}' for k, v in changes.items())}]"
            gate = None
        if gate:
            met = mean <= gate[1] if gate[0] == "<=" else mean >= gate[1]
            gate_cell = f"{gate[0]} {gate[1]}: {'met' if met else 'not met'}"
        found = [s["digits_found"] for s in final["per_seed"] if "digits_found" in s]
        found_cell = f" (digits found: {', '.join(map(str, found))})" if found else ""
        raw = _per_seed(final, f"{key}_raw", scale)
        raw_cell = f" (current D: {study.cell(*mean_and_stderr(raw), '{:.2f}')})" if raw else ""
        step = final["step"]
        if result.get("width"):
            title = f"{title}, DCGAN width {result['width']}"
        lines.append(
            f"| {title} | {step:,} ({result.get('batch', '')}) | {len(values)} "
            f"| {study.cell(mean, se, '{:.2f}')} {unit}{raw_cell} | "
            f"{', '.join(f'{v:.2f}' for v in values)}{found_cell} | {fid_cell} | {paper_cell} | {gate_cell} | "
            f"{result['ms_per_iteration']:.0f} |"
        )
    return "\n".join(lines)


# Rows drawn beside another row's curve: ACGAN's class accuracy with CGAN's, the reference
COMPANIONS = {"acgan": "cgan"}


def _curve(result, measure, scale):
    """(steps, means, stderrs) of `measure` over the evaluations of `result` that have it."""
    points = [(e["step"], *mean_and_stderr(_per_seed(e, measure, scale))) for e in result["curve"]
              if _per_seed(e, measure, scale)]
    return tuple(map(list, zip(*points))) if points else ([], [], [])


def curves_figures(results, out):
    paths = []
    for row, result in results.items():
        title, _, _, key, scale, unit, paper, paper_steps, *_ = ROWS[row]
        lines = []
        for label, measure in (("ours", key), ("ours, current D", f"{key}_raw")):
            steps, means, ses = _curve(result, measure, scale)
            if steps:
                lines.append((label, steps, means, ses, paper if paper_steps and measure == key else None))
        if len(lines) == 2:  # the game's measure is the averaged D's (Improved-GAN's protocol)
            lines[0] = ("ours, averaged D",) + lines[0][1:]
        companion = COMPANIONS.get(row)
        if companion in results and ROWS[companion][3] == key:
            lines[0] = (title,) + lines[0][1:]
            lines.append((ROWS[companion][0], *_curve(results[companion], key, scale), None))
        length = paper_steps or max(max(line[1]) for line in lines)
        path = os.path.join(out, f"curves_{row}.png")
        study.curves_figure([(f"{title}: {unit}", lines)], path, paper_steps=length, log_y=key == "test_error")
        paths.append(path)
    return paths


def parse_changes(items):
    """{key: value} from `--set KEY=VALUE` items; VALUE a Python literal (1e-3, True, (64, 64)) or
    else a string."""
    changes = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE, e.g. game.classification_learning_rate=1e-3")
        try:
            changes[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            changes[key] = text
    return changes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="ssl", help=f"comma-separated subset of {list(ROWS)}")
    parser.add_argument("--steps", type=int, required=True, help="iterations per row")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first", type=int, default=600, help="first evaluation step (then x2, x5, x10, ...)")
    parser.add_argument("--width", type=int, default=0, help="DCGAN width of the DCGAN rows (0: the recipe's, 64)")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="start no training segment after this many seconds (a rerun continues)")
    parser.add_argument("--data-dir", default=datasets_dir())
    parser.add_argument("--out", default="results/labels_study")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="changes",
                        help="change the rows' recipes for a probe (repeatable; VALUE a Python literal or a string)")
    args = parser.parse_args(argv)
    rows = [r for r in args.rows.split(",") if r]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        parser.error(f"unknown rows {unknown}; expected some of {list(ROWS)}")
    if args.steps < 1 or args.seeds < 1 or args.first < 1:
        parser.error(f"--steps, --seeds and --first must be positive, got {args.steps}, {args.seeds}, {args.first}")
    try:
        changes = parse_changes(args.changes)
        for row in rows:
            row_config(row, seeds=1, data_dir=args.data_dir, changes=changes)
    except ValueError as error:
        parser.error(str(error))
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    deadline = None if args.budget_s is None else started + args.budget_s
    results = {}
    for row in rows:
        result = run_row(row, seeds=args.seeds, max_steps=args.steps, first=args.first, out=args.out,
                         data_dir=args.data_dir, width=args.width, deadline=deadline, changes=changes)
        if result is not None:
            results[row] = result
    if not results:
        print(f"no row reached its first evaluation within --budget-s {args.budget_s}")
        return None
    results = merge_results(os.path.join(args.out, "results.json"), results)
    report = format_table(results) + f"\n\nWall time of this invocation: {time.perf_counter() - started:.0f} s.\n"
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(report)
    curves_figures(results, args.out)
    print(report)
    return report


if __name__ == "__main__":
    main()

"""The image zoo under Lucic et al. 2018's protocol ("Are GANs Created Equal?", Sec. 4): every
unconditional image recipe on MNIST and Fashion-MNIST, each on its own networks and on Lucic et
al.'s InfoGAN-style pair (`jaxgan.presets.lucic_networks`; EBGAN, whose discriminator is an
autoencoder, on its own only), beside their table.

    ./run python -m experiments.studies.image_zoo --rows dcgan,wgan_gp --networks recipe,lucic \\
        --datasets mnist,fashion_mnist --steps 15600 --seeds 3 [--budget-s 3600]

Protocol kept from the paper: batch 64, 10,000 samples scored against the 10,000 test images,
20 epochs of 50,000 images = 15,600 *discriminator* updates (`--steps`; one step of theirs is one
D update), so an n_critic = 5 recipe trains `--steps / 5` generator steps. The recipes keep their
losses, penalties, optimizers, n_critic and EMA. Scores use the shipped domain classifier's
features, not Inception's (not available offline): compare the spread between losses and their
ranking with the paper's, not the values.

Each (row, networks, data set) trains `--seeds` seeds in one program (`train.seed_loop`: unrolled
on the CPU, vmapped elsewhere) and stops at
log-spaced generator steps (1k, 2k, 5k, ...; `study.train_to`), where the EMA generator (the
run's own record, eval/step_N.json) and the raw one (eval/raw_step_N.json) are scored: FID, KID,
precision/recall, density/coverage and IS, each sampling with BatchNorm statistics recomputed
for its weights (`eval.bn_statistics="standing"`). A rerun with a larger `--steps` continues; with
`--budget-s` no segment starts after the deadline. Writes under `--out` (default
results/image_zoo): table.md (the final step of each run, mean +- s.e. over seeds, Lucic et
al.'s best FID beside it), results.json, curves.png (FID against generator steps and against
wall time), game_curves.png (BEGAN's M_global and k_t against steps, for the runs that
log them), grids/<dataset>_<networks>_<row>.png (8x8 samples of seed 0's EMA generator at the
run's last trained step), grids_<dataset>.png (all of a data set's grids side by side) and
the workdirs under runs/.
"""

import argparse
import json
import os
import time

from experiments import datasets_dir, load_recipe
from experiments.studies import study
from jaxgan import presets


def _recipe(name, **changes):
    """The recipe `name`'s config with `changes` ({"loss": ..., "game__gamma": ...}: "__" for ".")."""
    def config():
        c = load_recipe(name).get_config()
        c.update_from_flattened_dict({key.replace("__", "."): value for key, value in changes.items()})
        return c

    return config


# name: (title, Lucic et al.'s row or None, config factory)
ROWS = {
    "dcgan": ("DCGAN (NS GAN)", "NS GAN", _recipe("dcgan")),
    "dcgan_minimax": ("DCGAN, minimax loss (MM GAN)", "MM GAN", _recipe("dcgan", loss="minimax")),
    "lsgan": ("LSGAN", "LSGAN", _recipe("lsgan")),
    "wgan": ("WGAN", "WGAN", _recipe("wgan")),
    "wgan_gp": ("WGAN-GP", "WGAN-GP", _recipe("wgan_gp")),
    "wgan_lp": ("WGAN-LP", None, _recipe("wgan_lp")),
    "wgan_div": ("WGAN-div", None, _recipe("wgan_div")),
    "dragan": ("DRAGAN", "DRAGAN", _recipe("dragan")),
    "sngan": ("SNGAN", None, _recipe("sngan")),
    "ragan": ("RaGAN", None, _recipe("ragan")),
    "ebgan": ("EBGAN", None, _recipe("ebgan")),
    "bgan": ("BGAN (boundary-seeking)", None, _recipe("bgan")),
    "softmax_gan": ("Softmax GAN", None, _recipe("softmax_gan")),
    "began": ("BEGAN (gamma 0.5)", "BEGAN", _recipe("began")),
    "began_gamma07": ("BEGAN, gamma 0.7", None, _recipe("began", game__gamma=0.7)),
    "stylegan2": ("StyleGAN2", None, _recipe("stylegan2")),
}
# "lucic_channel": Lucic et al.'s pair with G's 7x7x128 layer batch-normalized per channel, the
# layout before compare_gan's per-unit one became the family's (kept to compare the two).
NETWORKS = ("recipe", "lucic", "lucic_channel")
LUCIC = ("lucic", "lucic_channel")
# EBGAN's discriminator is an autoencoder (its game builds it), StyleGAN2's game trains its own
# networks: Lucic et al.'s pair does not apply.
RECIPE_NETWORKS_ONLY = ("ebgan", "stylegan2")
DATASETS = ("mnist", "fashion_mnist")
# Lucic et al. 2018, best FID (Inception features) of 100 hyperparameter settings per loss, as
# reprinted by Dai & Wipf 2019 (Table 1) and PA-GAN (2019): lower is better.
LUCIC_BEST_FID = {
    "mnist": {"NS GAN": 6.8, "WGAN": 6.7, "DRAGAN": 7.6, "LSGAN": 7.8, "MM GAN": 9.8, "BEGAN": 13.1, "WGAN-GP": 20.3},
    "fashion_mnist": {"WGAN": 21.5, "BEGAN": 22.9, "WGAN-GP": 24.5, "NS GAN": 26.5, "DRAGAN": 27.7, "MM GAN": 29.6,
                      "LSGAN": 30.7},
}
PAPER_D_STEPS = 15_600  # 20 epochs of 50,000 images in batches of 64
METRICS = ("fid", "kid", "precision", "recall", "density", "coverage", "is")


def run_name(row, networks, dataset):
    return f"{dataset}_{networks}_{row}"


def row_config(row, networks, dataset, *, seeds, batch, data_dir, width=None):
    """The config of one run: the recipe `row` (on Lucic et al.'s networks when `networks` is
    "lucic", or "lucic_channel" for their generator's projection normalized per channel) on
    `dataset`'s official files in `data_dir`, `seeds` seeds, batch `batch`; `width` scales the
    recipe's own networks (for tiny tests)."""
    if row not in ROWS:
        raise ValueError(f"unknown row {row!r}; expected one of {list(ROWS)}")
    if networks not in NETWORKS:
        raise ValueError(f"unknown networks {networks!r}; expected one of {list(NETWORKS)}")
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {list(DATASETS)}")
    if networks in LUCIC and row in RECIPE_NETWORKS_ONLY:
        raise ValueError(f"{row} trains networks of its own game: Lucic et al.'s networks do not apply to it")
    config = ROWS[row][2]()
    if networks in LUCIC:
        presets.lucic_networks(config)
        if networks == "lucic_channel":
            config.model.g_projection_norm = "channel"
    elif width is not None and config.model.name == "began":
        config.model.began_width = width
    elif width is not None and config.model.name == "stylegan2":
        config.model.channel_base, config.model.channel_max = 8 * width, width
    elif width is not None:
        config.model.g_width = config.model.d_width = width
    config.data.name = dataset
    config.data.source = "idx"
    config.data.dir = os.path.join(data_dir, dataset)
    config.data.batch_size = batch
    config.num_seeds = seeds
    config.eval.metrics = "fid,kid,pr,dc,is"
    # The running averages follow the raw weights, not their EMA (measured: docs/results.md).
    config.eval.bn_statistics = "standing"
    return study.record_only_evaluations(config)


def generator_steps(config, d_steps):
    """Generator steps of `d_steps` discriminator updates, whole fused calls, at least one."""
    fused = config.train.fused_steps
    return max(fused, d_steps // config.n_critic // fused * fused)


def score_raw_generator(config, workdir, step):
    """Score the raw generator of `workdir`'s checkpoint at `step` with the run's protocol, into
    eval/raw_step_N.json (the EMA generator's record is the run's own eval/step_N.json)."""
    from jaxgan.checkpoint import Checkpointer
    from jaxgan.evaluation import Evaluations, eval_key
    from jaxgan.run import Program, ProgramSampler, record_evaluation

    name = f"raw_step_{step:08d}"
    if os.path.exists(os.path.join(workdir, "eval", f"{name}.json")) or config.ema_decay == 0:
        return
    program = Program(config)
    checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), keep=config.train.keep_checkpoints, create=False)
    try:
        state, _ = checkpointer.restore(program.init_state(), step=step)
    finally:
        checkpointer.close()
    record_evaluation(Evaluations(config), ProgramSampler(program, state), workdir, None, step,
                      key=eval_key(config), use_ema=False, name=name)


def read_raw(workdir, step):
    path = os.path.join(workdir, "eval", f"raw_step_{step:08d}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def trained_ema(workdir):
    """The EMA the run in `workdir` trained with, from its config.json: "0.999" (constant) or
    "0.999 ramped 0.05" (`ema_rampup`; runs before the key existed had none)."""
    with open(os.path.join(workdir, "config.json")) as f:
        trained = json.load(f)
    rampup = trained.get("ema_rampup", 0.0)
    return f"{trained['ema_decay']:g}" + (f" ramped {rampup:g}" if rampup else "")


def cells(summary, metrics=METRICS):
    """"mean +- s.e." of each metric (the mean alone for one seed)."""
    out = []
    for m in metrics:
        if m not in summary:
            out.append("-")
            continue
        mean, stderr = summary[m]["mean"], summary[m]["stderr"]
        out.append(study.cell(mean, stderr, "{:.3g}") if stderr == stderr and stderr > 0 else f"{mean:.3g}")
    return out


def format_table(results, *, seeds, batch, num_samples):
    head = ["data", "networks", "row", "G steps (n_critic)", "D steps", "wall s", "EMA", "FID EMA", "FID raw", "KID",
            "precision", "recall", "density", "coverage", "IS", "Lucic best FID"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (row, networks, dataset), r in results.items():
        final, raw = r["final"], r["raw"]
        paper = LUCIC_BEST_FID[dataset].get(ROWS[row][1]) if ROWS[row][1] else None
        fid_raw = cells(raw["summary"], ("fid",))[0] if raw else "-"
        steps = final["step"]
        lines.append("| " + " | ".join([
            dataset, networks, ROWS[row][0], f"{steps:,} ({r['n_critic']})", f"{steps * r['n_critic']:,}",
            f"{steps * r['ms_per_iteration'] / 1000:.0f}", r["ema"], *cells(final["summary"], ("fid",)), fid_raw,
            *cells(final["summary"], METRICS[1:]), "-" if paper is None else f"{paper}"]) + " |")
    lines += ["", f"Mean +- s.e. over {seeds} seed(s) of the final checkpoint, batch {batch}, {num_samples:,} samples "
              "of each seed against the 10,000 test images in the shipped domain classifier's features (FID EMA: the "
              "generator's EMA, the recipes' evaluated generator, with the decay it trained with in the EMA "
              "column; FID raw: the trained weights). Lucic et al.: the best of 100 settings after 20 epochs, "
              "Inception features (compare rankings and spreads, not values). wall s: the row's training time "
              "on this machine (generator steps times the median step time, all seeds together; evaluations "
              "excluded). Both generators sample with BatchNorm statistics recomputed for their weights "
              "(eval.bn_statistics='standing')."]
    return "\n".join(lines)


def curves(results, path):
    """FID (EMA) against generator steps, one panel per (data set, networks)."""
    study.fid_curves(results, path, panel=lambda k: f"{k[2]}, {k[1]} networks", label=lambda k: ROWS[k[0]][0])


def grids_overview(results, out):
    """grids_<dataset>.png in `out`: every row's 8x8 grid (grids/<run>.png, seed 0's EMA samples at
    the run's last trained step) side by side, titled with its row, networks and step."""
    import matplotlib.pyplot as plt

    for dataset in DATASETS:
        panels = [(key, r) for key, r in results.items() if key[2] == dataset
                  and os.path.exists(os.path.join(out, "grids", f"{run_name(*key)}.png"))]
        if not panels:
            continue
        columns = min(4, len(panels))
        rows = -(-len(panels) // columns)
        fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 2.85 * rows), squeeze=False)
        for ax in axes.flat:
            ax.axis("off")
        for ax, ((row, networks, _), r) in zip(axes.flat, panels):
            ax.imshow(plt.imread(os.path.join(out, "grids", f"{run_name(row, networks, dataset)}.png")), cmap="gray")
            ax.set_title(f"{ROWS[row][0]}, {networks}\n{r['final']['step']:,} G steps", fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, f"grids_{dataset}.png"), dpi=100)
        plt.close(fig)


def wall_curves(results, path):
    """FID (EMA) against training wall time (the row's cost per step times its steps)."""
    panels = {}
    for (row, networks, dataset), r in results.items():
        seconds = [e["step"] * r["ms_per_iteration"] / 1000 for e in r["curve"]]
        fid = [e["summary"]["fid"]["mean"] for e in r["curve"]]
        panels.setdefault(f"{dataset}, {networks} networks", []).append((ROWS[row][0], seconds, fid))
    if not panels:
        return
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.4), squeeze=False)
    for ax, (title, lines) in zip(axes[0], panels.items()):
        for label, seconds, fid in lines:
            ax.plot(seconds, fid, "o-", ms=3, lw=1.2, label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training seconds (log)", fontsize=8)
        ax.set_title(f"{title}: FID (EMA)", fontsize=9)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# Metrics of a game's own state, logged every `train.log_every` steps, drawn when a run has them.
GAME_CURVES = {"convergence": "BEGAN's M_global", "k": "BEGAN's k_t"}


def game_curves(out, names, path):
    """The `GAME_CURVES` metrics of the runs `names` (workdirs OUT/runs/<name>) against generator
    steps, one panel per metric, one line per run; nothing when no run logged them."""
    series = {}
    for name in names:
        log = os.path.join(out, "runs", name, "metrics.jsonl")
        if not os.path.exists(log):
            continue
        with open(log) as f:
            rows = [json.loads(line) for line in f]
        for metric in GAME_CURVES:
            points = [(r["step"], sum(values) / len(values) if isinstance(values := r[metric], list) else values)
                      for r in rows if metric in r]  # a list: one value per seed
            if points:
                series.setdefault(metric, []).append((name, points))
    if not series:
        return
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(series), figsize=(4.5 * len(series), 3.4), squeeze=False)
    for ax, (metric, lines) in zip(axes[0], series.items()):
        for name, points in lines:
            ax.plot(*zip(*points), lw=1.0, label=name)
        ax.set_xlabel("generator steps", fontsize=8)
        ax.set_title(GAME_CURVES[metric], fontsize=9)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of {list(ROWS)}")
    parser.add_argument("--networks", default="recipe,lucic", help=f"comma-separated subset of {list(NETWORKS)}")
    parser.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated subset of {list(DATASETS)}")
    parser.add_argument("--steps", type=int, default=PAPER_D_STEPS,
                        help="discriminator updates per run (Lucic et al.'s steps; generator steps = steps / n_critic)")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--first-eval", type=int, default=1000, help="first evaluation (generator steps); then x2, x5")
    parser.add_argument("--width", type=int, default=None, help="the recipe networks' width (tiny tests; default: the "
                        "recipe's)")
    parser.add_argument("--num-samples", type=int, default=10_000, help="samples per seed and evaluation")
    parser.add_argument("--data-dir", default=None, help="a folder with mnist/ and fashion_mnist/ official IDX files "
                        "(default $JAXGAN_DATASETS)")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="start no training segment after this many seconds (a rerun continues)")
    parser.add_argument("--out", default="results/image_zoo")
    args = parser.parse_args(argv)
    picks = {}
    for flag, known in (("rows", ROWS), ("networks", NETWORKS), ("datasets", DATASETS)):
        picks[flag] = [v for v in getattr(args, flag).split(",") if v]
        unknown = [v for v in picks[flag] if v not in known]
        if unknown or not picks[flag]:
            parser.error(f"--{flag}: unknown {unknown}; expected a comma-separated subset of {list(known)}")
    if min(args.steps, args.seeds, args.batch, args.first_eval, args.num_samples) < 1:
        parser.error("--steps, --seeds, --batch, --first-eval and --num-samples must be positive")
    data_dir = args.data_dir or datasets_dir()
    study.check_data_dirs(parser, data_dir, picks["datasets"])
    os.makedirs(os.path.join(args.out, "grids"), exist_ok=True)
    started = time.perf_counter()
    deadline = None if args.budget_s is None else started + args.budget_s
    results = {}
    for dataset in picks["datasets"]:
        for networks in picks["networks"]:
            for row in picks["rows"]:
                if networks in LUCIC and row in RECIPE_NETWORKS_ONLY:
                    print(f"{row}: its discriminator is an autoencoder; it runs on its own networks only")
                    continue
                config = row_config(row, networks, dataset, seeds=args.seeds, batch=args.batch, data_dir=data_dir,
                                    width=args.width)
                config.eval.num_samples = args.num_samples
                name = run_name(row, networks, dataset)
                workdir = os.path.join(args.out, "runs", name)
                result = study.train_to(config, workdir, generator_steps(config, args.steps), first=args.first_eval,
                                        label=name, deadline=deadline,
                                        after_segment=lambda step, c=config, w=workdir: score_raw_generator(c, w, step))
                if result is None:
                    continue
                result["raw"] = read_raw(workdir, result["final"]["step"])
                result["n_critic"] = config.n_critic
                result["ema"] = trained_ema(workdir)
                results[(row, networks, dataset)] = result
                study.save_grid(result, args.out, name)
    if not results:
        print(f"no run reached its first evaluation within --budget-s {args.budget_s}")
        return None
    report = study.write_report(
        args.out, format_table(results, seeds=args.seeds, batch=args.batch, num_samples=args.num_samples), started,
        {run_name(*key): {"final": r["final"], "raw": r["raw"], "n_critic": r["n_critic"], "ema": r["ema"],
                          "ms_per_iteration": r["ms_per_iteration"], "complete": r["complete"],
                          "curve": [{"step": e["step"], "summary": e["summary"]} for e in r["curve"]]}
         for key, r in results.items()})
    curves(results, os.path.join(args.out, "curves.png"))
    wall_curves(results, os.path.join(args.out, "wall_curves.png"))
    grids_overview(results, args.out)
    game_curves(args.out, [run_name(*key) for key in results], os.path.join(args.out, "game_curves.png"))
    print(report)
    return report


if __name__ == "__main__":
    main()

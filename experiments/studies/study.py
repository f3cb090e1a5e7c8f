"""What every sweep and study of experiments/ runs through (the one runner): training a recipe
in segments that end at log-spaced evaluation steps (each segment resumes from the last one's
checkpoint; `train_to`), or in one short run evaluated at its end (`short_run`), recording a
sweep's rows (`run_and_record`), reading a curve back from the workdir, table cells and the
convergence figure."""

import glob
import json
import os
import shutil
import time

import numpy as np

from jaxgan.run import train


def evaluation_steps(max_steps, *, first=1000):
    """`first` x (1, 2, 5, 10, 20, 50, ...) below `max_steps`, then `max_steps` itself."""
    if max_steps < 1 or first < 1:
        raise ValueError(f"max_steps and first must be positive, got {max_steps} and {first}")
    steps, decade = [], first
    while True:
        for factor in (1, 2, 5):
            if decade * factor >= max_steps:
                return steps + [max_steps]
            steps.append(decade * factor)
        decade *= 10


def record_only_evaluations(config):
    """`config` set for a study's run: no periodic evaluations, grids, progress bar or TensorBoard
    (the study's record is eval/*.json and metrics.jsonl, written at the segments' ends)."""
    config.train.eval_every = 0
    config.train.plot_every = 0
    config.train.progress = False
    config.train.tensorboard = False
    return config


def train_to(config, workdir, max_steps, *, first=1000, label="", log=print, deadline=None, after_segment=None):
    """Train `config` in `workdir` to `max_steps`, stopping (checkpoint and evaluation) at each of
    `evaluation_steps(max_steps, first=first)` rounded down to whole fused calls. Segments whose
    evaluation the workdir already holds are skipped, so a rerun with a larger `max_steps`
    continues the run. With `deadline` (a `time.perf_counter()` value), no segment starts after it
    and the result ends at the last evaluated step (None if there is none). `after_segment(step)`
    runs after each trained segment, while its checkpoint is the newest (extra evaluations). Returns {"curve",
    "final" (the evaluation at the last step reached), "complete" (whether that is `max_steps`),
    "samples" (None if nothing ran), "ms_per_iteration", "wall_s"}; `curve` holds every evaluation
    in the workdir (also `train.eval_every` ones) up to the final step."""
    fused = config.train.fused_steps
    last = max(fused, max_steps // fused * fused)
    samples, wall = None, 0.0
    for target in sorted({max(fused, s // fused * fused) for s in evaluation_steps(max_steps, first=first)}):
        if os.path.exists(os.path.join(workdir, "eval", f"step_{target:08d}.json")):
            continue
        if deadline is not None and time.perf_counter() >= deadline:
            log(f"{label}: the time budget ends before step {target}; stopping (a rerun continues)")
            break
        config.train.num_steps = target
        config.train.checkpoint_every = target
        started = time.perf_counter()
        result = train(config, workdir)
        elapsed = time.perf_counter() - started
        wall += elapsed
        samples = result["samples"]
        if result["timing"]["calls"] > 1:
            _record_cost(workdir, target, 1000 * result["timing"]["median_call_s"] / fused)
        log(f"{label}: step {target}: " + ", ".join(
            f"{k} {v['mean']:.4g}" for k, v in result["evaluation"]["summary"].items()) + f" ({elapsed:.0f} s)")
        if after_segment is not None:
            after_segment(target)
    curve = [e for e in read_curve(workdir) if e["step"] <= last]
    if not curve:
        return None  # the deadline came before the first evaluation
    return {"curve": curve, "final": curve[-1], "complete": curve[-1]["step"] == last, "samples": samples,
            "wall_s": wall, "ms_per_iteration": run_cost(workdir)}


def short_run(config, workdir, *, steps, resume=False, log_every=100):
    """Train `config` for `steps` in `workdir` (emptied first unless `resume`, which continues an
    earlier run there), checkpointing and evaluating once, at the end. Returns the row every sweep
    records: {"steps", "batch", "seeds", "resumed", "wall_s" (this invocation), "steps_per_s",
    "first_call_s", "summary", "per_seed", "workdir"}."""
    config.train.num_steps = steps
    config.train.checkpoint_every = steps
    config.train.plot_every = 0
    config.train.eval_every = 0
    config.train.log_every = log_every
    config.train.progress = False
    if not resume:
        shutil.rmtree(workdir, ignore_errors=True)
    started = time.perf_counter()
    result = train(config, workdir)
    evaluation = result["evaluation"]
    return {"steps": steps, "batch": config.data.batch_size, "seeds": config.num_seeds, "resumed": resume,
            "wall_s": round(time.perf_counter() - started, 1), "steps_per_s": result["timing"]["steps_per_s"],
            "first_call_s": result["timing"]["first_call_s"], "summary": evaluation["summary"],
            "per_seed": evaluation["per_seed"], "workdir": workdir}


def run_and_record(names, known, run_one, out, *, measures, error):
    """Run `names` (keys of `known`) one after another with `run_one(name) -> row`, append each row
    to OUT/results.jsonl and print its `measures` (mean +- s.e.). `error(message)` reports unknown
    names (argparse's `parser.error`). Returns the rows."""
    unknown = [name for name in names if name not in known]
    if unknown:
        error(f"unknown runs {unknown}; choose from {sorted(known)}")
    os.makedirs(out, exist_ok=True)
    rows = []
    for name in names:
        row = run_one(name)
        rows.append(row)
        with open(os.path.join(out, "results.jsonl"), "a") as f:
            f.write(json.dumps(row) + "\n")
        summary = row["summary"]
        print(json.dumps({"run": name, "wall_s": row["wall_s"],
                          **{k: _summary_cell(summary[k]) for k in measures if k in summary}}), flush=True)
    return rows


def _summary_cell(value):
    mean, stderr = value["mean"], value["stderr"]
    return f"{mean:.4f}" + (f" +- {stderr:.4f}" if stderr == stderr and stderr else "")


def read_curve(workdir):
    """Every evaluation record in `workdir/eval/step_*.json`, sorted by step."""
    curve = []
    for path in glob.glob(os.path.join(workdir, "eval", "step_*.json")):
        with open(path) as f:
            curve.append(json.load(f))
    return sorted(curve, key=lambda e: e["step"])


def _record_cost(workdir, step, ms_per_iteration):
    """Add one trained segment's median milliseconds per iteration (all seeds together) to
    `workdir/cost.json`, as soon as it ends, so a run stopped in a later segment keeps its cost."""
    path = os.path.join(workdir, "cost.json")
    segments = _cost_segments(path)
    segments = [s for s in segments if s.get("to_step") != step]
    segments.append({"to_step": step, "ms_per_iteration": ms_per_iteration})
    median = float(np.median([s["ms_per_iteration"] for s in segments]))
    with open(path, "w") as f:
        json.dump({"segments": segments, "ms_per_iteration": median}, f)


def _cost_segments(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        recorded = json.load(f)
    return recorded.get("segments", [{"ms_per_iteration": recorded["ms_per_iteration"]}])


def run_cost(workdir):
    """The median over the run's trained segments (every invocation's) of their median
    milliseconds per iteration, from `workdir/cost.json`; nan if none was recorded."""
    segments = _cost_segments(os.path.join(workdir, "cost.json"))
    return float(np.median([s["ms_per_iteration"] for s in segments])) if segments else float("nan")


def chosen(parser, value, choices, what):
    """The names of a comma-separated command-line `value`, each one of `choices`, else the
    parser's error naming the unknown one (`what`: "row", "variant", ...)."""
    names = [name for name in value.split(",") if name]
    for name in names:
        if name not in choices:
            parser.error(f"unknown {what} {name!r}; expected some of {list(choices)}")
    return names


def cell(mean, stderr, fmt):
    """"mean +- s.e." with `fmt` (a format string such as "{:.1f}") for both."""
    return f"{fmt.format(mean)} +- {fmt.format(stderr)}"


def curves_figure(panels, path, *, paper_steps, log_y=False):
    """One panel per (title, lines) in `panels`, lines (label, steps, mean, stderr, paper value or
    None); log-scale iterations (and values with `log_y`, for error rates that fall by decades),
    s.e. bands, the paper's value as a star at `paper_steps`; a label keeps its color in every
    panel, and the first panel of each row has the legend."""
    import matplotlib.pyplot as plt

    columns = min(3, len(panels))
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.3 * columns, 3.3 * rows), squeeze=False)
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    labels = list(dict.fromkeys(label for _, lines in panels for label, *_ in lines))
    colors = {label: cycle[k % len(cycle)] for k, label in enumerate(labels)}  # one color per label throughout
    for ax, (title, lines) in zip(axes.ravel(), panels):
        for label, steps, mean, stderr, paper in lines:
            color = colors[label]
            mean, stderr = np.asarray(mean), np.asarray(stderr)
            ax.plot(steps, mean, "o-", ms=3, lw=1.2, color=color, label=label)
            ax.fill_between(steps, mean - stderr, mean + stderr, color=color, alpha=0.2)
            if paper is not None:
                ax.plot([paper_steps], [paper], marker="*", ms=11, color=color, ls="none")
        ax.set_xscale("log")
        values = [v for _, _, mean, _, _ in lines for v in mean]
        if log_y and max(values) > 3 * min(values):  # a narrower range reads better on a linear axis
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(plt.ScalarFormatter())
            ax.grid(True, which="both", axis="y", lw=0.3, color="0.85")
        ax.xaxis.set_minor_formatter(plt.NullFormatter())  # labels at decades only: no overlaps
        ax.set_xlim(right=1.6 * paper_steps)
        ax.axvline(paper_steps, color="0.6", lw=0.8, ls="--")
        ax.set_title(title, fontsize=9)
        starred = any(paper is not None for *_, paper in lines)
        ax.set_xlabel(f"iterations (log); stars: paper at {paper_steps:,}" if starred else "iterations (log)",
                      fontsize=8)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    for row in axes:
        row[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def check_data_dirs(parser, data_dir, datasets):
    """`parser.error` unless `data_dir` holds a folder of each of `datasets`' official files."""
    for dataset in datasets:
        if not os.path.isdir(os.path.join(data_dir, dataset)):
            parser.error(f"no {dataset} files in {os.path.join(data_dir, dataset)}; pass --data-dir or set "
                         "JAXGAN_DATASETS")


def save_grid(result, out, name):
    """grids/<name>.png under `out`: seed 0's first 64 samples of the run's last segment, if any."""
    from jaxgan.plots import save_image_grid

    if result["samples"] is not None:
        save_image_grid(result["samples"][0][:64], os.path.join(out, "grids", f"{name}.png"), rows=8)


def write_report(out, report, started, records):
    """`report` with this invocation's wall time (since `started`) into OUT/table.md, `records`
    into OUT/results.json; returns the report."""
    report += f"\n\nWall time of this invocation: {time.perf_counter() - started:.0f} s.\n"
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(report)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(records, f, indent=2)
    return report


def metric_curve(curve, metric="fid"):
    """(steps, means, standard errors (0 where undefined, one seed)) of `metric` over a run's curve."""
    steps = [e["step"] for e in curve]
    means = [e["summary"][metric]["mean"] for e in curve]
    stderrs = [e["summary"][metric]["stderr"] for e in curve]
    return steps, means, [0.0 if s != s else s for s in stderrs]


def fid_curves(results, path, *, panel, label):
    """FID (EMA) against generator steps of every run in `results` ({key: train_to's result}), one
    panel per `panel(key)`, one line per `label(key)`, log scales."""
    panels = {}
    for key, r in results.items():
        steps, fid, stderr = metric_curve(r["curve"])
        panels.setdefault(f"{panel(key)}: FID (EMA)", []).append((label(key), steps, fid, stderr, None))
    if panels:
        longest = max(e["step"] for r in results.values() for e in r["curve"])
        curves_figure(list(panels.items()), path, paper_steps=longest, log_y=True)

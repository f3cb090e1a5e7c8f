"""The truncation curve: one checkpoint sampled with BigGAN's truncation (Brock et al. 2019, Sec.
4.1, Fig. 2: its normal noise truncated to [-t, t] for each t) or StyleGAN's (Karras et al. 2019,
Sec. 3.1: w moved toward the tracked mean w by psi, `--psi`), scored by the run's own evaluation
(FID, precision / recall and the game's measures, e.g. class accuracy): the trade between
fidelity and variety that truncation buys.

    ./run python -m experiments.studies.truncation_curve --workdir runs/biggan_mnist \\
        --truncations 0.25,0.5,1,1.5,2,0
    ./run python -m experiments.studies.truncation_curve --workdir runs/stylegan2_mnist --psi 0.3,0.5,0.7,1

Writes WORKDIR/truncation/t_<t>.json or psi_<psi>.json (the evaluation record per value, `jaxgan
evaluate --truncation` / `--truncation-psi`), table.md and table_psi.md (mean +- s.e. over the
run's seeds) and curve.png / curve_psi.png (FID and precision / recall against the value; t = 0,
no truncation, drawn at the right end). A rerun reuses the records already there.
"""

import argparse
import json
import os

import numpy as np

COLUMNS = ("fid", "precision", "recall", "class_accuracy")
# knob -> (file prefix, `jaxgan evaluate` option, column label, the value that means "none")
KNOBS = {"t": ("t", "--truncation", "truncation t", 0.0), "psi": ("psi", "--truncation-psi", "psi", 1.0)}


def record_path(out, value, knob="t"):
    return os.path.join(out, f"{KNOBS[knob][0]}_{value:g}.json")


def evaluate(workdir, value, out, *, knob="t", step=None, data_dir=None):
    """The evaluation record of `workdir`'s checkpoint sampled at truncation `value` of `knob`
    (cached in `out`)."""
    from jaxgan.cli import main as cli

    path = record_path(out, value, knob)
    if not os.path.exists(path):
        args = ["evaluate", "--workdir", workdir, KNOBS[knob][1], str(value), "--out", path]
        args += ["--step", str(step)] if step is not None else []
        args += ["--data-dir", data_dir] if data_dir else []
        if cli(args) != 0:
            raise RuntimeError(f"jaxgan {' '.join(args)} failed")
    with open(path) as f:
        return json.load(f)


def cell(summary, name):
    if name not in summary:
        return "-"
    entry = summary[name]
    mean, se = entry["mean"], entry.get("stderr")
    scale = 100.0 if name == "class_accuracy" else 1.0
    text = f"{scale * mean:.2f}"
    return text + (f" +- {scale * se:.2f}" if se else "")


def table(records, knob="t") -> str:
    _, _, name, none = KNOBS[knob]
    lines = [f"| {name} | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for t, record in records:
        label = "none" if t == none else f"{t:g}"
        lines.append(f"| {label} | " + " | ".join(cell(record["summary"], c) for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def curve(records, path, knob="t") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = [t for t, _ in records]
    span = max(ts) if max(ts) > 0 else 1.0
    x = np.array([t if t > 0 or knob == "psi" else 1.25 * span for t in ts])
    label = "truncation t (right end: none)" if knob == "t" else "psi (1: none)"
    order = np.argsort(x)
    summaries = [records[i][1]["summary"] for i in order]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.plot(x[order], [s["fid"]["mean"] for s in summaries], "o-")
    left.set(xlabel=label, ylabel="FID (EMA)", yscale="log")
    for name in ("precision", "recall", "class_accuracy"):
        if name in summaries[0]:
            right.plot(x[order], [s[name]["mean"] for s in summaries], "o-", label=name)
    right.set(xlabel=label)
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", required=True, help="a run's workdir (its newest intact checkpoint)")
    parser.add_argument("--truncations", default="0.25,0.5,1,1.5,2,0", help="comma list; 0 = no truncation")
    parser.add_argument("--psi", default=None, help="comma list of StyleGAN's psi (1 = none) instead of --truncations")
    parser.add_argument("--step", type=int, default=None, help="checkpoint step (default: the newest intact)")
    parser.add_argument("--data-dir", default=None, help="where the reference data are (default: the run's)")
    args = parser.parse_args(argv)
    knob, listed = ("psi", args.psi) if args.psi is not None else ("t", args.truncations)
    values = [float(t) for t in listed.split(",") if t.strip()]
    if not values or any(t < 0 for t in values):
        parser.error(f"--{'psi' if knob == 'psi' else 'truncations'} must be numbers >= 0, got {listed!r}")
    out = os.path.join(args.workdir, "truncation")
    os.makedirs(out, exist_ok=True)
    records = [(t, evaluate(args.workdir, t, out, knob=knob, step=args.step, data_dir=args.data_dir)) for t in values]
    suffix = "" if knob == "t" else "_psi"
    with open(os.path.join(out, f"table{suffix}.md"), "w") as f:
        f.write(table(records, knob))
    curve(records, os.path.join(out, f"curve{suffix}.png"), knob)
    print(table(records, knob))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

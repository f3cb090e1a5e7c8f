"""BigGAN's truncation curve (Brock et al. 2019, Sec. 4.1, Fig. 2): one checkpoint sampled with
its normal noise truncated to [-t, t] for each t, scored by the run's own evaluation (FID,
precision / recall and the game's measures, e.g. class accuracy): the trade between fidelity
and variety that truncation buys.

    ./run python -m experiments.studies.truncation_curve --workdir runs/biggan_mnist \\
        --truncations 0.25,0.5,1,1.5,2,0

Writes WORKDIR/truncation/t_<t>.json (the evaluation record per t, `jaxgan evaluate --truncation`),
table.md (mean +- s.e. over the run's seeds) and curve.png (FID and precision / recall against t;
t = 0, no truncation, drawn at the right end). A rerun reuses the records already there.
"""

import argparse
import json
import os

import numpy as np

COLUMNS = ("fid", "precision", "recall", "class_accuracy")


def record_path(out, truncation):
    return os.path.join(out, f"t_{truncation:g}.json")


def evaluate(workdir, truncation, out, *, step=None, data_dir=None):
    """The evaluation record of `workdir`'s checkpoint sampled at `truncation` (cached in `out`)."""
    from jaxgan.cli import main as cli

    path = record_path(out, truncation)
    if not os.path.exists(path):
        args = ["evaluate", "--workdir", workdir, "--truncation", str(truncation), "--out", path]
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


def table(records) -> str:
    lines = ["| truncation t | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for t, record in records:
        label = "none" if t == 0 else f"{t:g}"
        lines.append(f"| {label} | " + " | ".join(cell(record["summary"], c) for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def curve(records, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = [t for t, _ in records]
    span = max(ts) if max(ts) > 0 else 1.0
    x = np.array([t if t > 0 else 1.25 * span for t in ts])
    order = np.argsort(x)
    summaries = [records[i][1]["summary"] for i in order]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.plot(x[order], [s["fid"]["mean"] for s in summaries], "o-")
    left.set(xlabel="truncation t (right end: none)", ylabel="FID (EMA)", yscale="log")
    for name in ("precision", "recall", "class_accuracy"):
        if name in summaries[0]:
            right.plot(x[order], [s[name]["mean"] for s in summaries], "o-", label=name)
    right.set(xlabel="truncation t (right end: none)")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", required=True, help="a run's workdir (its newest intact checkpoint)")
    parser.add_argument("--truncations", default="0.25,0.5,1,1.5,2,0", help="comma list; 0 = no truncation")
    parser.add_argument("--step", type=int, default=None, help="checkpoint step (default: the newest intact)")
    parser.add_argument("--data-dir", default=None, help="where the reference data are (default: the run's)")
    args = parser.parse_args(argv)
    truncations = [float(t) for t in args.truncations.split(",") if t.strip()]
    if not truncations or any(t < 0 for t in truncations):
        parser.error(f"--truncations must be numbers >= 0, got {args.truncations!r}")
    out = os.path.join(args.workdir, "truncation")
    os.makedirs(out, exist_ok=True)
    records = [(t, evaluate(args.workdir, t, out, step=args.step, data_dir=args.data_dir)) for t in truncations]
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table(records))
    curve(records, os.path.join(out, "curve.png"))
    print(table(records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

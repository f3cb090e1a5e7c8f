"""Chaos soak: a training run killed at random moments and restarted each time, then compared
with the same run uninterrupted.

    ./run python -m benchmarks.chaos_soak [--minutes 30] [--kills 20] [--steps 6000]
        [--devices 1,2,4] [--data-dir $JAXGAN_DATASETS] [--out results/chaos_soak]

The run is the DCGAN recipe on MNIST's official files at width 16, batch 64, a checkpoint every
`--checkpoint-every` steps and a domain-FID evaluation (2,000 samples) every `--eval-every`
steps, as `jaxgan train` in a fresh process per launch. Each launch runs on a device count drawn
from `--devices` (virtual CPU devices on the CPU; `--devices 1` keeps it fixed) and ends in one of
four ways, drawn in turn: SIGKILL at a random moment, SIGKILL as soon as a checkpoint save is under
way (an orbax temporary folder appears), SIGKILL as soon as an evaluation record appears (the
sample grid is written next), or SIGTERM / SIGINT at a random moment (the run saves and exits
128 + N). Launches go on until at least `--kills` kills and `--minutes` minutes have passed; then
the run is launched to its end. The uninterrupted reference trains the same config in one launch
on the first device count.

Checked and written to OUT/report.json (and printed): the final state against the reference
(max |difference| over every leaf; 0.0 is bit for bit: expected when every launch used the
reference's device count; another count changes the order of the batch reductions, so the
states then differ by float rounding), the data position, every step in metrics.jsonl exactly
once, every evaluation JSON parsing, and the kills by kind and device counts by launch.
"""

import argparse
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

from experiments import datasets_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ("kill_random", "kill_during_save", "kill_after_evaluation", "term_or_int")


def recipe_file(folder, *, steps, checkpoint_every, eval_every, data_dir):
    """A recipe file of the soak's run (DCGAN, MNIST, width 16)."""
    path = os.path.join(folder, "soak_recipe.py")
    with open(path, "w") as f:
        f.write(f"""from experiments.images.dcgan import get_config as dcgan


def get_config():
    c = dcgan()
    c.data.name, c.data.source, c.data.dir = "mnist", "idx", {data_dir!r}
    c.model.g_width = c.model.d_width = 16
    c.train.num_steps, c.train.checkpoint_every, c.train.keep_checkpoints = {steps}, {checkpoint_every}, 2
    c.train.eval_every = c.train.plot_every = {eval_every}
    c.train.log_every, c.train.progress, c.train.tensorboard = 10, False, False
    c.eval.num_samples, c.eval.metrics = 2000, "fid"
    return c
""")
    return path


def launch(recipe, workdir, devices, log):
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    return subprocess.Popen([sys.executable, "-m", "jaxgan.cli", "train", "--config", recipe, "--workdir", workdir,
                             "--devices", str(devices)], cwd=ROOT, env=env, stdout=log, stderr=log)


def _saving(workdir):
    return bool(glob.glob(os.path.join(workdir, "checkpoints", "*.orbax-checkpoint-tmp*")))


def _evaluations(workdir):
    return set(glob.glob(os.path.join(workdir, "eval", "step_*.json")))


def wait_and_strike(process, workdir, kind, rng, *, max_wait_s):
    """Wait for the moment of `kind` (at most `max_wait_s`), then signal the process. Returns
    (signal name or None when the run ended first, whether a save was under way)."""
    started = time.time()
    deadline = started + (rng.uniform(5, max_wait_s) if kind in ("kill_random", "term_or_int") else max_wait_s)
    before = _evaluations(workdir)
    while time.time() < deadline and process.poll() is None:
        if kind == "kill_during_save" and _saving(workdir):
            break
        if kind == "kill_after_evaluation" and _evaluations(workdir) - before:
            break
        time.sleep(0.02)
    if process.poll() is not None:
        return None, False
    signum = rng.choice((signal.SIGTERM, signal.SIGINT)) if kind == "term_or_int" else signal.SIGKILL
    saving = _saving(workdir)
    process.send_signal(signum)
    process.wait()
    return signal.Signals(signum).name, saving


def check(workdir, reference, config):
    """The comparisons of the report: state, data position, metrics lines, evaluation records."""
    from jaxgan.checkpoint import Checkpointer
    from jaxgan.run import Program

    def restored(folder):
        checkpoints = Checkpointer(os.path.join(folder, "checkpoints"), create=False)
        state, data = checkpoints.restore(Program(config).init_state())
        checkpoints.close()
        return state, data

    import jax
    import numpy as np

    state, data = restored(workdir)
    want, want_data = restored(reference)
    def leaves(s):
        return [np.asarray(x, np.float64) for x in jax.tree.leaves(s.replace(key=jax.random.key_data(s.key)))]

    differences = [float(np.max(np.abs(a - b))) for a, b in zip(leaves(state), leaves(want)) if a.size] or [0.0]
    lines = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    steps = [line["step"] for line in lines if "d_loss" in line]  # training lines; evaluations add their own
    evaluated = [line["step"] for line in lines if any(key.startswith("eval/") for key in line)]
    expected = list(range(config.train.log_every, config.train.num_steps + 1, config.train.log_every))
    expected_evaluations = list(range(config.train.eval_every, config.train.num_steps + 1, config.train.eval_every))
    records = sorted(glob.glob(os.path.join(workdir, "eval", "*.json")))
    parsed = 0
    for path in records:
        json.load(open(path))
        parsed += 1
    return {"state_max_abs_difference": max(differences), "state_equal_bit_for_bit": max(differences) == 0.0,
            "data_position_equal": data == want_data,
            "metrics_every_step_once": steps == expected and evaluated == expected_evaluations,
            "metrics_lines": len(lines), "evaluation_records": len(records), "evaluation_records_parsed": parsed}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="keep killing for at least this long")
    parser.add_argument("--kills", type=int, default=20, help="and at least this many kills")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--checkpoint-every", type=int, default=200)
    parser.add_argument("--eval-every", type=int, default=1000)
    parser.add_argument("--devices", default="1,2,4", help="device counts the launches draw from")
    parser.add_argument("--max-wait-s", type=float, default=90.0, help="longest a launch runs before its signal")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None, help="the folder of MNIST's official files (default: "
                        "$JAXGAN_DATASETS/mnist)")
    parser.add_argument("--out", default="results/chaos_soak")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or os.path.join(datasets_dir(), "mnist")
    counts = [int(c) for c in args.devices.split(",")]
    rng = random.Random(args.seed)
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    recipe = recipe_file(os.path.abspath(args.out), steps=args.steps, checkpoint_every=args.checkpoint_every,
                         eval_every=args.eval_every, data_dir=data_dir)
    workdir, reference = os.path.join(args.out, "chaos"), os.path.join(args.out, "reference")
    log = open(os.path.join(args.out, "launches.log"), "w")
    started = time.time()
    launches, kills = [], {kind: 0 for kind in KINDS}
    during_save = 0
    while sum(kills.values()) < args.kills or time.time() - started < 60 * args.minutes:
        kind, devices = KINDS[len(launches) % len(KINDS)], rng.choice(counts)
        process = launch(recipe, workdir, devices, log)
        signal_name, saving = wait_and_strike(process, workdir, kind, rng, max_wait_s=args.max_wait_s)
        launches.append({"devices": devices, "kind": kind, "signal": signal_name, "exit": process.returncode,
                         "saving": saving, "at_s": round(time.time() - started, 1)})
        print(json.dumps(launches[-1]), flush=True)
        if signal_name is None:
            if process.returncode != 0:
                raise SystemExit(f"launch {len(launches)} failed with exit {process.returncode}: see {log.name}")
            break  # the run reached its end before the schedule did
        kills[kind] += 1
        during_save += saving
    final = launch(recipe, workdir, counts[0], log)
    if final.wait() != 0:
        raise SystemExit(f"the final launch failed with exit {final.returncode}: see {log.name}")
    chaos_s = time.time() - started
    straight = time.time()
    if launch(recipe, reference, counts[0], log).wait() != 0:
        raise SystemExit(f"the reference run failed: see {log.name}")
    reference_s = time.time() - straight
    from jaxgan.workdir import read_run_config

    report = {"kills": sum(kills.values()), "by_kind": kills, "killed_during_a_save": during_save,
              "launches": len(launches) + 1, "device_counts": sorted({launch["devices"] for launch in launches}),
              "chaos_wall_s": round(chaos_s, 1), "reference_wall_s": round(reference_s, 1),
              "steps": args.steps, **check(workdir, reference, read_run_config(reference)),
              "launch_log": launches}
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps({k: v for k, v in report.items() if k != "launch_log"}, indent=1))
    return report


if __name__ == "__main__":
    main()

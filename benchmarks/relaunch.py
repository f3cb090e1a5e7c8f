"""What the persistent compilation cache saves: time to the first step of a relaunched `jaxgan
train` (a resume), and the wall time of `jaxgan sample`, with the cache off and on.

    ./run python -m benchmarks.relaunch [--recipes gan_ns_2d,dcgan] [--repeats 3]
        [--data-dir $JAXGAN_DATASETS] [--out results/bench_relaunch.jsonl]

Per recipe, in a fresh workdir and a fresh, empty cache folder: one cold launch (trains one
call, fills the cache), then `--repeats` rounds of [resume with the cache off, resume with the
cache on, sample with the cache off, sample with the cache on], each in a new process as a user
would relaunch, each resume training one more call. Reported: medians over the rounds of
`to_first_step_s` (from `train()` being called to the end of the first step: restoring, building
and compiling the step, running it) and of each command's process wall time (imports included),
and the ratios cache-off / cache-on measured in the same rounds. DCGAN reads MNIST's official
files (`--data-dir`, default $JAXGAN_DATASETS/mnist) at batch 64.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from experiments import datasets_dir
from jaxgan.bench import environment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def recipe_arguments(recipe, data_dir):
    """The `jaxgan train` config arguments of `recipe`, made cheap to evaluate (the end of each
    run evaluates; the cache question is about the step)."""
    common = ["--config.train.log_every=0", "--config.train.plot_every=0", "--config.train.eval_every=0",
              "--config.train.progress=False"]
    if recipe == "dcgan":
        return [f"--config={ROOT}/experiments/images/dcgan.py", "--config.data.name=mnist", "--config.data.source=idx",
                f"--config.data.dir={os.path.join(data_dir, 'mnist')}", "--config.eval.num_samples=500",
                "--config.eval.metrics=", *common], 1
    fused = 100
    return [f"--config={ROOT}/experiments/{recipe}.py", *common], fused


def jaxgan(arguments, cache):
    """(seconds, last JSON line of stdout) of `jaxgan ARGUMENTS --compilation-cache CACHE`."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "jaxgan.cli", *arguments, "--compilation-cache", cache], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "JAX_COMPILATION_CACHE_DIR": ""})
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"jaxgan {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return seconds, (json.loads(lines[-1]) if lines else None)


def measure(recipe, repeats, data_dir):
    arguments, per_call = recipe_arguments(recipe, data_dir)
    workdir, cache = tempfile.mkdtemp(prefix=f"relaunch-{recipe}-"), tempfile.mkdtemp(prefix="relaunch-cache-")
    steps = per_call

    def train(cache_setting):
        nonlocal steps
        seconds, result = jaxgan(["train", *arguments, f"--config.train.num_steps={steps}", "--workdir", workdir],
                                 cache_setting)
        steps += per_call
        return {"process_s": seconds, "to_first_step_s": result["timing"]["to_first_step_s"],
                "first_call_s": result["timing"]["first_call_s"]}

    def sample(cache_setting):
        return {"process_s": jaxgan(["sample", "--workdir", workdir, "--num", "100",
                                     "--out", os.path.join(workdir, "s.png")], cache_setting)[0]}

    cold = train(cache)
    rounds = [{"resume_off": train("off"), "resume_on": train(cache), "sample_off": sample("off"),
               "sample_on": sample(cache)} for _ in range(repeats)]
    median = lambda case, key: statistics.median(r[case][key] for r in rounds)
    ratio = lambda off, on, key: statistics.median(r[off][key] / r[on][key] for r in rounds)
    entries = os.listdir(cache)
    return {
        "recipe": recipe,
        "repeats": repeats,
        "cold_launch": cold,
        "resume_to_first_step_s": {
            "cache_off": median("resume_off", "to_first_step_s"),
            "cache_on": median("resume_on", "to_first_step_s"),
            "ratio_off_to_on": ratio("resume_off", "resume_on", "to_first_step_s"),
        },
        "resume_process_s": {
            "cache_off": median("resume_off", "process_s"),
            "cache_on": median("resume_on", "process_s"),
            "ratio_off_to_on": ratio("resume_off", "resume_on", "process_s"),
        },
        "sample_process_s": {
            "cache_off": median("sample_off", "process_s"),
            "cache_on": median("sample_on", "process_s"),
            "ratio_off_to_on": ratio("sample_off", "sample_on", "process_s"),
        },
        "cache_entries": len(entries),
        "cache_mb": sum(os.path.getsize(os.path.join(cache, n)) for n in entries) / 2**20,
        "rounds": rounds,
    }


def table(rows):
    lines = ["| recipe | resume: to first step, cache off -> on | resume: process | sample: process | cache |",
             "|---|---|---|---|---|"]
    for r in rows:
        cell = lambda m: f"{m['cache_off']:.1f} s -> {m['cache_on']:.1f} s ({m['ratio_off_to_on']:.1f}x)"
        lines.append(f"| {r['recipe']} | {cell(r['resume_to_first_step_s'])} | {cell(r['resume_process_s'])} "
                     f"| {cell(r['sample_process_s'])} | {r['cache_entries']} entries, {r['cache_mb']:.1f} MB |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default="gan_ns_2d,dcgan")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", default=datasets_dir())
    parser.add_argument("--out", default="results/bench_relaunch.jsonl")
    args = parser.parse_args(argv)
    rows = []
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(json.dumps({"environment": environment()}) + "\n")
        for recipe in args.recipes.split(","):
            rows.append(measure(recipe, args.repeats, args.data_dir))
            f.write(json.dumps(rows[-1]) + "\n")
            f.flush()
            print(json.dumps({k: v for k, v in rows[-1].items() if k != "rounds"}), flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()

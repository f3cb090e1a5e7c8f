"""PyTorch-GAN beside jaxgan at equal budget: each of eriklindernoren/PyTorch-GAN's MNIST scripts
(gan, dcgan, lsgan, wgan, wgan_gp, wgan_div, dragan, relativistic_gan, ebgan, bgan, softmax_gan),
run unchanged from a checkout of their repository for the same number of discriminator batches of
64 as the zoo study's runs, then scored like ours (`jaxgan evaluate --samples`: 10,000 samples against the
10,000 MNIST test images in the shipped classifier's features).

    git clone https://github.com/eriklindernoren/PyTorch-GAN ../PyTorch-GAN     # their code, not copied here
    ./run python -m benchmarks.pytorch_gan --repo ../PyTorch-GAN --torch-python /path/to/python-with-torch \\
        --scripts dcgan,wgan_gp --batches 15600 [--zoo results/image_zoo] [--out results/pytorch_gan]

Their scripts need torch and torchvision, which this project does not depend on: `--torch-python`
names an interpreter that has torch (also $JAXGAN_TORCH_PYTHON). Where its torchvision does not
import (PyPI's torchvision is a CUDA build), the three pieces the scripts use come from
`benchmarks/pytorch_gan_env/torchvision` (MNIST from the official IDX files, Resize/ToTensor/
Normalize, save_image). Each script runs in a copy of its folder under OUT/runs/<script>/, so
its "../../data/mnist" is the official MNIST files of `--data-dir` and nothing is downloaded;
`benchmarks/pytorch_gan_env/driver.py` stops it after `--batches` batches (one D update each; a
generator step every n_critic of them for the WGAN scripts) and draws the samples as their
scripts do (generator in training mode; 32-pixel scripts resized to 28 as torchvision's
Resize(28)). With `--zoo`, the table puts the zoo study's runs of the same variant and D steps
beside theirs. Writes OUT/table.md and OUT/results.json.

    ./run python -m benchmarks.pytorch_gan --report results/pytorch_gan,results/pytorch_gan_wgan \
        --zoo results/image_zoo --out results/pytorch_gan_all

rebuilds one table from earlier runs' results.json (each script at its own batches; no torch needed).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

from experiments.studies.image_zoo import NETWORKS  # ours: the table's columns, in this order

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = os.path.join(HERE, "pytorch_gan_env")
# their script -> (the zoo study's row of the same variant, n_critic of their script)
SCRIPTS = {
    "gan": ("dcgan", 1),  # their gan.py: the NS GAN loss on MLPs; ours: the same loss on our networks
    "dcgan": ("dcgan", 1),
    "lsgan": ("lsgan", 1),
    "wgan": ("wgan", 5),
    "wgan_gp": ("wgan_gp", 5),
    "wgan_div": ("wgan_div", 5),
    "dragan": ("dragan", 1),
    "relativistic_gan": ("ragan", 1),
    "ebgan": ("ebgan", 1),
    "bgan": ("bgan", 1),
    "softmax_gan": ("softmax_gan", 1),
    "began": ("began", 1),
}
MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
               "t10k-labels-idx1-ubyte.gz")


def torchvision_imports(python):
    """Whether `python`'s own torchvision imports (else the stand-in is put on its path)."""
    probe = subprocess.run([python, "-c", "import torchvision.datasets, torchvision.transforms, torchvision.utils"],
                           capture_output=True)
    return probe.returncode == 0


def prepare(repo, script, mnist_dir, out):
    """A copy of `script`'s folder at OUT/runs/<script>/implementations/<script>/ with the MNIST
    files where the script looks for them; returns the copied script's path."""
    source = os.path.join(repo, "implementations", script, f"{script}.py")
    if not os.path.isfile(source):
        raise SystemExit(f"no {source}: --repo must be a checkout of eriklindernoren/PyTorch-GAN")
    root = os.path.join(out, "runs", script)
    folder = os.path.join(root, "implementations", script)
    os.makedirs(folder, exist_ok=True)
    shutil.copy(source, folder)
    raw = os.path.join(root, "data", "mnist", "MNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    for name in MNIST_FILES:
        target = os.path.join(raw, name)
        if not os.path.exists(target):
            os.symlink(os.path.abspath(os.path.join(mnist_dir, name)), target)
    return os.path.join(folder, f"{script}.py")


def run_script(python, script_path, *, batches, num_samples, threads, seed, stand_in, log):
    """Train and sample one script (the driver in `python`); returns the driver's record."""
    samples = os.path.join(os.path.dirname(script_path), "samples.npz")
    env = dict(os.environ)
    if stand_in:
        env["PYTHONPATH"] = ENV + os.pathsep + env.get("PYTHONPATH", "")
    command = [python, os.path.join(ENV, "driver.py"), "--script", script_path, "--batches", str(batches),
               "--num-samples", str(num_samples), "--threads", str(threads), "--seed", str(seed), "--out", samples]
    with open(log, "w") as f:
        done = subprocess.run(command, env=env, stdout=f, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"{script_path} failed (exit {done.returncode}); see {log}")
    with open(samples + ".json") as f:
        return {**json.load(f), "samples": samples}


def score(samples, mnist_dir, *, seed):
    """The evaluation record of `samples` against the MNIST test split (`jaxgan evaluate --samples`)."""
    from jaxgan import cli

    out = samples + ".eval.json"
    code = cli.main(["evaluate", "--samples", samples, "--dataset", "mnist", "--data-source", "idx", "--data-dir",
                     mnist_dir, "--metrics", "fid,kid,pr,dc,is", "--seed", str(seed), "--out", out])
    if code != 0:
        raise SystemExit(f"scoring {samples} failed (exit {code})")
    with open(out) as f:
        return json.load(f)




def zoo_rows(zoo, row, d_steps):
    """The zoo study's MNIST runs of `row` (each of `NETWORKS`) at `d_steps` discriminator updates:
    {networks: (FID of the EMA generator, FID of the raw one, training seconds)}."""
    from experiments.studies import study

    found = {}
    for networks in NETWORKS:
        workdir = os.path.join(zoo, "runs", f"mnist_{networks}_{row}")
        if not os.path.isdir(workdir):
            continue
        with open(os.path.join(workdir, "config.json")) as f:
            n_critic = json.load(f)["n_critic"]
        step = d_steps // n_critic
        records = {}
        for name in ("step", "raw_step"):
            path = os.path.join(workdir, "eval", f"{name}_{step:08d}.json")
            if os.path.exists(path):
                with open(path) as f:
                    records[name] = json.load(f)["summary"]["fid"]["mean"]
        seconds = study.run_cost(workdir) * step / 1000
        if "step" in records:
            found[networks] = (records["step"], records.get("raw_step"), seconds)
    return found


def table(results, zoo):
    lines = ["| variant (their script) | D batches of 64 | theirs: FID | theirs: train s | ours, recipe networks: "
             "FID EMA / raw | ours: train s | ours, Lucic networks: FID EMA / raw | ours: train s | ours, Lucic "
             "networks with the per-channel projection: FID EMA / raw | ours: train s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for script, r in results.items():
        row = SCRIPTS[script][0]
        ours = zoo_rows(zoo, row, r["batches"]) if zoo and row else {}
        cells = []
        for networks in NETWORKS:
            if networks in ours:
                ema, raw, seconds = ours[networks]
                cells += [f"{ema:.2f} / {'-' if raw is None else f'{raw:.2f}'}", f"{seconds:.0f}"]
            else:
                cells += ["-", "-"]
        lines.append(f"| {script} | {r['batches']:,} | {r['evaluation']['summary']['fid']['mean']:.2f} | "
                     f"{r['seconds']:.0f} | " + " | ".join(cells) + " |")
    lines += ["", "FID: the shipped MNIST classifier's features, 10,000 samples against the 10,000 test images "
              "(one run each; theirs unseeded in their code, seeded here through torch/numpy). Their scripts "
              "train at their defaults (batch 64; dcgan, lsgan, wgan_gp, wgan_div, dragan, relativistic_gan, "
              "ebgan and began at 32 pixels, resized to 28 to be scored)."]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", help="a checkout of eriklindernoren/PyTorch-GAN")
    parser.add_argument("--torch-python", default=os.environ.get("JAXGAN_TORCH_PYTHON"),
                        help="an interpreter with torch (default $JAXGAN_TORCH_PYTHON)")
    parser.add_argument("--scripts", default=",".join(SCRIPTS), help=f"comma-separated subset of {list(SCRIPTS)}")
    parser.add_argument("--batches", type=int, default=15_600, help="discriminator batches of 64 per script")
    parser.add_argument("--num-samples", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (this machine's cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None, help="a folder with mnist/ (default $JAXGAN_DATASETS)")
    parser.add_argument("--zoo", default=None, help="the image_zoo study's --out, to put our runs beside theirs")
    parser.add_argument("--out", default="results/pytorch_gan")
    parser.add_argument("--report", default=None, help="comma-separated OUT folders of earlier runs: one table of "
                        "their results.json (trains nothing)")
    args = parser.parse_args(argv)
    if args.report:
        return write_report(merged_results(args.report.split(","), parser.error), args.zoo, args.out)
    if not args.repo:
        parser.error("--repo (a checkout of eriklindernoren/PyTorch-GAN) is needed to train their scripts")
    scripts = [s for s in args.scripts.split(",") if s]
    unknown = [s for s in scripts if s not in SCRIPTS]
    if unknown or not scripts:
        parser.error(f"--scripts: unknown {unknown}; expected a comma-separated subset of {list(SCRIPTS)}")
    if not args.torch_python:
        parser.error("--torch-python (or $JAXGAN_TORCH_PYTHON): an interpreter with torch is needed")
    if min(args.batches, args.num_samples, args.threads) < 1:
        parser.error("--batches, --num-samples and --threads must be positive")
    from experiments import datasets_dir

    mnist_dir = os.path.join(args.data_dir or datasets_dir(), "mnist")
    if not all(os.path.exists(os.path.join(mnist_dir, n)) for n in MNIST_FILES):
        parser.error(f"the official MNIST files are not all in {mnist_dir}: pass --data-dir or set JAXGAN_DATASETS")
    stand_in = not torchvision_imports(args.torch_python)
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for script in scripts:
        path = prepare(args.repo, script, mnist_dir, args.out)
        record = run_script(args.torch_python, path, batches=args.batches, num_samples=args.num_samples,
                            threads=args.threads, seed=args.seed, stand_in=stand_in,
                            log=os.path.join(args.out, "runs", script, "train.log"))
        record["evaluation"] = score(record["samples"], mnist_dir, seed=args.seed)
        record["torchvision"] = "stand-in" if stand_in else "installed"
        results[script] = record
        print(json.dumps({"script": script, "batches": record["batches"], "seconds": round(record["seconds"], 1),
                          "fid": record["evaluation"]["summary"]["fid"]["mean"]}), flush=True)
    return write_report(results, args.zoo, args.out)


def merged_results(folders, error):
    """{script: record} of the results.json in `folders` (a later folder's record of a script wins)."""
    merged = {}
    for folder in folders:
        path = os.path.join(folder, "results.json")
        if not os.path.exists(path):
            error(f"--report: no results.json in {folder!r}")
        with open(path) as f:
            merged.update(json.load(f))
    return merged


def write_report(results, zoo, out):
    """OUT/table.md and OUT/results.json of `results`; returns `results`."""
    report = table(results, zoo)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(report + "\n")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(report)
    return results


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)

"""The reproduction studies at the papers' lengths, for an accelerator, in priority order within a
time budget. Five plans:
  coverage: PacGAN's 2D table to 400k iterations (10 seeds per row) and Stacked MNIST to PacGAN's
    100k iterations (WGAN-GP: GDPP's 15k);
  labels: the label, code and autoencoder games of `experiments.studies.labels_study` at their full
    lengths (`labels_study.FULL_STEPS`: Improved-GAN's 300 epochs with 5 labeled subsets,
    InfoGAN's 5,000 iterations, ...);
  images: the image zoo (`experiments.studies.image_zoo`) at Lucic et al.'s full length (15,600
    discriminator steps of 64), 3 seeds, both networks, MNIST and Fashion-MNIST; then StyleGAN2
    on its own networks;
  data_efficient: the limited-data study (`experiments.studies.data_efficient`) at 20,000 steps of
    64, 3 seeds: 1% of each data set first (baseline, DiffAugment, ADA, LeCam, the combination, then
    CR and bCR + zCR), then 10%, then 100%;
  catalogue: variants of PyTorch-GAN's catalogue: BEGAN at two gammas in the zoo on Lucic
    et al.'s networks, ClusterGAN on MNIST and Fashion-MNIST and CoGAN's two pair tasks at the
    Caffe solver's 50,000 iterations, CCGAN with 100 and 1,000 labels and the context encoder
    (adversarial and L2-only, MNIST and Fashion-MNIST) at 20,000 (3 seeds each, `labels_study`),
    then BEGAN, BGAN and Softmax GAN on the recipes' own networks.

    benchmarks/fetch_wheels.sh                          # here, with PyPI: .whl/ (ml-collections), .device_data/mnist
    benchmarks/device.sh --module experiments.studies.accelerator_studies \
        --budget-s 540   # there (carry .whl, .device_data)
    benchmarks/device.sh --module experiments.studies.accelerator_studies --plan labels --budget-s 540
    benchmarks/device.sh --module experiments.studies.accelerator_studies --plan images --budget-s 540
    benchmarks/device.sh --module experiments.studies.accelerator_studies --plan data_efficient --budget-s 540
    benchmarks/device.sh --module experiments.studies.accelerator_studies --plan catalogue --budget-s 540
    ./run python -m experiments.studies.accelerator_studies --size tiny --data-dir $JAXGAN_DATASETS \
        --out /tmp/acc   # CPU check

The coverage plan, in order (each item runs the study's rows; a row's segments end at log-spaced
steps, see `experiments.studies.study.train_to`, and none starts after the budget):
  1. grid-25: GAN and PacGAN4 (the paper's headline pair, as the authors' code trains them);
  2. grid-25: the same pair with jaxgan's defaults for the four choices the authors' code makes
     (`experiments.studies.pacgan_ablation`, variant "ours": the ablation's other extreme);
  3. Stacked MNIST: PacDCGAN2 and DCGAN (width 64);
  4. ring-8: GAN and PacGAN2;
  5. grid-25: PacGAN2, PacGAN3, WGAN-GP and GAN + R1 (ours, same networks);
  6. Stacked MNIST: WGAN-GP (15k iterations);
  7. ring-8: PacGAN3, PacGAN4, WGAN-GP and GAN + R1.
The labels plan: semi-supervised Improved-GAN (5 subsets), InfoGAN (5 seeds), ACGAN and CGAN,
the semi-supervised AAE, then BigGAN on MNIST and Fashion-MNIST (3 seeds each).
The images plan: on Lucic et al.'s networks, MNIST then Fashion-MNIST, the losses of their table
(NS and MM GAN, LSGAN, WGAN, WGAN-GP, DRAGAN); then the same on the recipes' own networks; then
the rows their table lacks (WGAN-LP, WGAN-div, SNGAN, RaGAN, EBGAN) on both networks.
Then the plan's tables and curves are written again from every row's workdir, and `--out`
gets report.md: the device, the versions, the budget used and the tables. What the budget did not
reach is visible there: a row's iterations column is the step it reached. The workdirs under
`--out` resume, so a second call with the same `--out` (on a machine that kept it) continues.

`--size tiny` runs the same plan with 200 2D iterations, 20 Stacked MNIST iterations at width 8,
20 iterations of each label row (its DCGAN networks at width 8), 20 discriminator steps of each
zoo row (the recipes' networks at width 8, 200 samples), 4 steps of each limited-data row (width 8,
200 samples, 2 seeds, 100 and 200 training images for the 1% and 10% rows) and 2 seeds (1 for the zoo), so
that a test can run it on the CPU.
"""

import argparse
import os
import platform
import time

import jax

from experiments import datasets_dir
from experiments.studies import (
    data_efficient,
    image_zoo,
    labels_study,
    pacgan_ablation,
    pacgan_study,
    stacked_mnist_study,
)

SIZES = {
    "full": {"steps_2d": 400_000, "steps_stacked": 100_000, "seeds": 10, "width": 64, "first_eval": 1000,
             "steps_labels": None, "label_seeds": {"ssl": 5, "infogan": 5}, "label_first": 600, "label_width": 0,
             "steps_zoo": image_zoo.PAPER_D_STEPS, "zoo_seeds": 3, "zoo_first": 1000, "zoo_width": 0,
             "zoo_samples": 10_000, "steps_de": 20_000, "de_seeds": 3, "de_first": 1000, "de_width": 0,
             "de_samples": 10_000, "de_sizes": {"1%": 600, "10%": 6000, "100%": 0}},
    "tiny": {"steps_2d": 200, "steps_stacked": 20, "seeds": 2, "width": 8, "first_eval": 20,
             "steps_labels": 20, "label_seeds": {}, "label_first": 10, "label_width": 8,
             "steps_zoo": 20, "zoo_seeds": 1, "zoo_first": 4, "zoo_width": 8, "zoo_samples": 200,
             "steps_de": 4, "de_seeds": 2, "de_first": 2, "de_width": 8, "de_samples": 200,
             "de_sizes": {"1%": 100, "10%": 200, "100%": 0}},
}
PLANS = {
    "coverage": (
        ("2d", "grid", "gan,pacgan4"),
        ("ablation", "grid", "gan,pacgan4"),
        ("stacked", None, "pacdcgan2,dcgan"),
        ("2d", "ring", "gan,pacgan2"),
        ("2d", "grid", "pacgan2,pacgan3,wgan_gp,ns_r1"),
        ("stacked", None, "wgan_gp"),
        ("2d", "ring", "pacgan3,pacgan4,wgan_gp,ns_r1"),
    ),
    "labels": (
        ("labels", None, "ssl"),
        ("labels", None, "infogan"),
        ("labels", None, "acgan"),
        ("labels", None, "cgan"),
        ("labels", None, "aae_ssl"),
        ("labels", None, "biggan,biggan_fashion"),
    ),
    "images": (
        ("zoo", "mnist:lucic", "dcgan,wgan_gp,lsgan,wgan,dragan,dcgan_minimax"),
        ("zoo", "fashion_mnist:lucic", "dcgan,wgan_gp,lsgan,wgan,dragan,dcgan_minimax"),
        ("zoo", "mnist:recipe", "dcgan,wgan_gp,lsgan,wgan,dragan,dcgan_minimax"),
        ("zoo", "fashion_mnist:recipe", "dcgan,wgan_gp,lsgan,wgan,dragan,dcgan_minimax"),
        ("zoo", "mnist,fashion_mnist:lucic,recipe", "wgan_lp,wgan_div,sngan,ragan,ebgan"),
        ("zoo", "mnist,fashion_mnist:recipe", "stylegan2"),
    ),
    "catalogue": (
        ("zoo", "mnist,fashion_mnist:lucic", "began,began_gamma07"),
        ("labels", None, "clustergan"),
        ("labels", None, "clustergan_fashion"),
        ("labels", None, "cogan_edges"),
        ("labels", None, "cogan_negatives"),
        ("labels", None, "ccgan,ccgan_1000"),
        ("labels", None, "context_encoder,context_encoder_l2,context_encoder_fashion,context_encoder_fashion_l2"),
        ("zoo", "mnist,fashion_mnist:recipe", "began,bgan,softmax_gan"),
    ),
    "data_efficient": (
        ("data_efficient", "mnist,fashion_mnist:1%", "baseline,diffaugment,ada,lecam,combined"),
        ("data_efficient", "mnist,fashion_mnist:1%", "cr,icr"),
        ("data_efficient", "mnist,fashion_mnist:10%", ",".join(data_efficient.ROWS)),
        ("data_efficient", "mnist,fashion_mnist:100%", ",".join(data_efficient.ROWS)),
    ),
}
LABEL_SEEDS = 3


def _study_arguments(kind, dataset, rows, size, out, budget_s, data_dir):
    if kind == "data_efficient":
        datasets, fractions = dataset.split(":")
        sizes = ",".join(str(size["de_sizes"][f]) for f in fractions.split(","))
        return data_efficient.main, [
            "--rows", rows, "--datasets", datasets, "--sizes", sizes, "--steps", str(size["steps_de"]),
            "--seeds", str(size["de_seeds"]), "--first-eval", str(size["de_first"]),
            "--num-samples", str(size["de_samples"]), "--data-dir", data_dir,
            "--out", os.path.join(out, "data_efficient"), "--budget-s", str(budget_s),
            *(["--width", str(size["de_width"])] if size["de_width"] else []),
        ]
    if kind == "zoo":
        datasets, networks = dataset.split(":")
        return image_zoo.main, [
            "--rows", rows, "--networks", networks, "--datasets", datasets, "--steps", str(size["steps_zoo"]),
            "--seeds", str(size["zoo_seeds"]), "--first-eval", str(size["zoo_first"]),
            "--num-samples", str(size["zoo_samples"]), "--data-dir", data_dir, "--out", os.path.join(out, "image_zoo"),
            "--budget-s", str(budget_s), *(["--width", str(size["zoo_width"])] if size["zoo_width"] else []),
        ]
    if kind == "labels":
        row = rows.split(",")[0] if "," not in rows else None
        steps = size["steps_labels"] or (labels_study.FULL_STEPS[row] if row else max(labels_study.FULL_STEPS.values()))
        seeds = size["label_seeds"].get(row, LABEL_SEEDS if size["steps_labels"] is None else size["seeds"])
        return labels_study.main, [
            "--rows",
            rows,
            "--steps",
            str(steps),
            "--seeds",
            str(seeds),
            "--first",
            str(size["label_first"]),
            "--width",
            str(size["label_width"]),
            "--data-dir",
            data_dir,
            "--out",
            os.path.join(out, "labels"),
            "--budget-s",
            str(budget_s),
        ]
    if kind == "ablation":
        return pacgan_ablation.main, [
            "--steps", str(size["steps_2d"]), "--seeds", str(size["seeds"]), "--rows", rows, "--variants", "ours",
            "--out", os.path.join(out, "pacgan_ablation"), "--budget-s", str(budget_s),
        ]
    if kind == "2d":
        return pacgan_study.main, [
            "--steps",
            str(size["steps_2d"]),
            "--seeds",
            str(size["seeds"]),
            "--rows",
            rows,
            "--datasets",
            dataset,
            "--out",
            os.path.join(out, "pacgan"),
            "--budget-s",
            str(budget_s),
        ]
    return stacked_mnist_study.main, [
        "--steps",
        str(size["steps_stacked"]),
        "--seeds",
        str(size["seeds"]),
        "--rows",
        rows,
        "--width",
        str(size["width"]),
        "--first-eval",
        str(size["first_eval"]),
        "--data-dir",
        data_dir,
        "--out",
        os.path.join(out, "stacked_mnist"),
        "--budget-s",
        str(budget_s),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--plan", choices=sorted(PLANS), default="coverage")
    parser.add_argument(
        "--budget-s", type=float, default=540.0, help="start no training segment after this many seconds"
    )
    parser.add_argument("--data-dir", default=None, help="a folder with mnist/ (default $JAXGAN_DATASETS)")
    parser.add_argument("--out", default="results/accelerator_studies")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    data_dir = args.data_dir or datasets_dir()
    has_mnist = os.path.isdir(os.path.join(data_dir, "mnist"))
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    for kind, dataset, rows in PLANS[args.plan]:
        left = args.budget_s - (time.perf_counter() - started)
        if left <= 0:
            print(f"budget spent: skipping {kind} {dataset or ''} {rows}")
            continue
        if kind in ("stacked", "labels", "zoo", "data_efficient") and not has_mnist:
            print(f"no MNIST files in {data_dir}/mnist: skipping the {kind} rows {rows}")
            continue
        run, arguments = _study_arguments(kind, dataset, rows, size, args.out, left, data_dir)
        run(arguments)
    used = time.perf_counter() - started
    # every row's table and curves again, from the workdirs, training nothing
    tables = {}
    if args.plan == "coverage":
        tables["PacGAN Table 1 (2D)"] = _study_arguments(
            "2d", "ring,grid", ",".join(pacgan_study.ROWS), size, args.out, 0, data_dir
        )
        tables["PacGAN with jaxgan's defaults for the authors' four choices (grid-25)"] = _study_arguments(
            "ablation", "grid", ",".join(pacgan_ablation.ROWS), size, args.out, 0, data_dir)
        if has_mnist:
            tables["Stacked MNIST"] = _study_arguments(
                "stacked", None, ",".join(stacked_mnist_study.ROWS), size, args.out, 0, data_dir
            )
    elif args.plan == "data_efficient" and has_mnist:
        tables["Training with little data"] = _study_arguments(
            "data_efficient", "mnist,fashion_mnist:1%,10%,100%", ",".join(data_efficient.ROWS), size, args.out, 0,
            data_dir)
    elif args.plan == "images" and has_mnist:
        tables["The image zoo (Lucic et al. 2018's protocol)"] = _study_arguments(
            "zoo", "mnist,fashion_mnist:lucic,recipe", ",".join(image_zoo.ROWS), size, args.out, 0, data_dir)
    elif args.plan == "catalogue" and has_mnist:
        tables["PyTorch-GAN's catalogue in the image zoo"] = _study_arguments(
            "zoo", "mnist,fashion_mnist:lucic,recipe", "began,began_gamma07,bgan,softmax_gan", size, args.out, 0,
            data_dir)
        tables["ClusterGAN, CoGAN, CCGAN and the context encoder"] = _study_arguments(
            "labels", None, ",".join(rows for kind, _, rows in PLANS["catalogue"] if kind == "labels"), size,
            args.out, 0, data_dir)
    elif has_mnist:
        tables["Labels, codes and autoencoders (MNIST)"] = _study_arguments(
            "labels", None, ",".join(rows for _, _, rows in PLANS["labels"]), size, args.out, 0, data_dir)
    sections = []
    for title, (run, arguments) in tables.items():
        report = run(arguments)
        sections.append(f"## {title}\n\n{report or 'no row reached its first evaluation'}")
    device = jax.devices()[0]
    header = (
        f"# The reproduction studies on {device.device_kind} ({jax.device_count()} x {device.platform})\n\n"
        f"jax {jax.__version__}, Python {platform.python_version()}; size {args.size}; budget {args.budget_s:.0f} s, "
        f"used {used:.0f} s.\n"
    )
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(header + "\n" + "\n\n".join(sections) + "\n")
    print(f"Wrote {args.out}/report.md")


if __name__ == "__main__":
    main()

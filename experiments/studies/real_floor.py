"""The real-vs-real floor of every metric with the shipped domain feature networks: the training
split against the test split of MNIST and Fashion-MNIST (the best a generator trained on the
training split can hope to score against the test split), the Inception-Score analogue of the
real test images, and Stacked MNIST mode counts of real data (26,000 samples).

    ./run python -m experiments.studies.real_floor [--source idx --data-dir $JAXGAN_DATASETS] [--out results/real_floor]

Writes table.md and results.json (values and protocol) to --out.
"""

import argparse
import json
import os
import time

import jax
import numpy as np

from experiments import datasets_dir
from jaxgan.data.images import open_images, to_model_range
from jaxgan.evaluation import (
    MetricSettings,
    compute_metrics,
    dataset_batches,
    domain_network,
    extract,
    in_batches,
    metric_protocol,
)
from jaxgan.metrics import stacked_mnist

BATCH = 1000


def _features(network, images):
    return extract(network, dataset_batches(images, np.arange(len(images)), BATCH))


def _path(args, name):
    return os.path.join(args.data_dir, name) if args.source == "idx" else args.data_dir


def floor(name, args, settings):
    network = domain_network(name)
    train = open_images(name, "train", source=args.source, path=_path(args, name))
    test = open_images(name, "test", source=args.source, path=_path(args, name))
    _, train_features = _features(network, train)
    test_logits, test_features = _features(network, test)
    key = jax.random.key(0)
    full = compute_metrics("fid", train_features, test_features, key=key)
    rng = np.random.default_rng(0)
    subset = train_features[np.sort(rng.choice(len(train_features), len(test_features), replace=False))]
    equal = compute_metrics("fid,kid,pr,dc", subset, test_features, key=key, settings=settings)
    score = compute_metrics("is", test_features, test_features, key=key, fake_logits=test_logits, settings=settings)
    values = {"fid_train60k_vs_test10k": full["fid"], **{f"{k}_10k_vs_10k": v for k, v in equal.items()},
              "is_test": score["is"], "is_std_test": score["is_std"]}
    protocol = {
        "feature_network": network.protocol,
        "reference": f"{name} train ({len(train_features)} images; "
        f"10,000 drawn without replacement with seed 0 for the 10k-vs-10k row)",
        "compared": f"{name} test (10,000)",
        **metric_protocol("fid,kid,pr,dc", settings, n_real=len(subset), n_fake=len(test_features)),
        "is_splits": settings.is_splits,
    }
    return values, protocol


def stacked_floor(args):
    classifier = domain_network("mnist")
    stacked = open_images("stacked_mnist", "train", source=args.source, path=_path(args, "mnist"))
    images = stacked.take(np.arange(stacked_mnist.NUM_SAMPLES))
    logits, _ = extract(classifier, in_batches(stacked_mnist.channels_as_digits(to_model_range(images)), BATCH))
    predicted = stacked_mnist.count_modes(np.argmax(logits, 1).reshape(3, -1).T)
    true = stacked_mnist.count_modes(
        np.stack([stacked.digit_labels[stacked.triples[: stacked_mnist.NUM_SAMPLES, c]] for c in range(3)], 1)
    )
    return {"classifier": predicted, "true_labels": true}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="idx", choices=("idx", "tfds"))
    parser.add_argument("--data-dir", default=datasets_dir())
    parser.add_argument("--out", default="results/real_floor")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    settings = MetricSettings()
    results, started = {}, time.perf_counter()
    for name in ("mnist", "fashion_mnist"):
        values, protocol = floor(name, args, settings)
        results[name] = {"values": values, "protocol": protocol}
    results["stacked_mnist"] = stacked_floor(args)
    results["seconds"] = time.perf_counter() - started
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    lines = [
        "| data (train vs test) | FID 60k vs 10k | FID 10k vs 10k | KID 10k "
        "vs 10k | precision | recall | density | coverage | IS of test |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("mnist", "fashion_mnist"):
        v = results[name]["values"]
        lines.append(
            f"| {name} | {v['fid_train60k_vs_test10k']:.3f} | {v['fid_10k_vs_10k']:.3f} "
            f"| {v['kid_10k_vs_10k']:.5f} +- {v['kid_std_10k_vs_10k']:.5f} | "
            f"{v['precision_10k_vs_10k']:.3f} | {v['recall_10k_vs_10k']:.3f} | {v['density_10k_vs_10k']:.3f} "
            f"| {v['coverage_10k_vs_10k']:.3f} | {v['is_test']:.2f} +- {v['is_std_test']:.2f} |"
        )
    s = results["stacked_mnist"]
    lines += ["", f"Stacked MNIST, 26,000 real training triples: {s['classifier']['modes']} modes, KL to uniform "
              f"{s['classifier']['kl_to_uniform']:.4f} (classifier labels); {s['true_labels']['modes']} modes, KL "
              f"{s['true_labels']['kl_to_uniform']:.4f} (true labels)."]
    table = "\n".join(lines)
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(table + "\n")
    print(table)
    print(f"{results['seconds']:.1f} s")


if __name__ == "__main__":
    main()

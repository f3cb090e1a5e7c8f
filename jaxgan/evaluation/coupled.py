"""CoGAN's measure (`pair_agreement`): the correspondence of generated pairs (`metrics.pairs`),
against its chance level, and each domain's FID in the shipped MNIST classifier's features
against the test split's images of that domain (`data.coupled`)."""

import functools

import numpy as np

from jaxgan import data
from jaxgan.data.coupled import transform_unit
from jaxgan.evaluation.context import Context
from jaxgan.evaluation.features import domain_network, extract, in_batches
from jaxgan.metrics import accumulate, empty_stats, frechet_distance_from_stats
from jaxgan.metrics.pairs import THRESHOLD, pair_agreement

DOMAINS = ("a", "b")


def _features(classifier, images, batch_size) -> np.ndarray:
    """The classifier's features of one domain's images (N, 28, 28, 1) in [-1, 1]."""
    return extract(classifier, in_batches(images, batch_size))[1]


def _fid(real, fake) -> float:
    dim = real.shape[1]
    return frechet_distance_from_stats(accumulate(empty_stats(dim), real), accumulate(empty_stats(dim), fake))


def _reference(config, classifier) -> dict:
    """The test split's images of each domain: their features, and the agreement of its unrelated
    (A, B) pairs, the data's own chance level."""
    test = data.open_split(config.data, "test")
    everything = np.arange(len(test))
    unit = {d: test.domain(d, everything).astype(np.float32) / 255.0 for d in DOMAINS}
    features = {d: _features(classifier, 2.0 * unit[d][..., None] - 1.0, config.eval.batch_size) for d in DOMAINS}
    transform = functools.partial(transform_unit, config.data.name)
    return {"features": features, "n": int(len(test)),
            "unrelated_agreement": float(np.mean(pair_agreement(transform, unit["a"], unit["b"])))}


def pair_agreement_measure(ctx: Context) -> tuple[list[dict], dict]:
    """Per seed: `pair_agreement` (mean over the generated pairs), `shuffled_agreement` (the same
    images with each B image taken from the next pair: the chance level), `true_pairs` (the
    fraction of pairs agreeing on >= 99% of pixels), `fid_a` and `fid_b`."""
    c = ctx.config
    classifier = ctx.memo("digit_classifier", lambda: domain_network("mnist"), per_run=True)
    reference = ctx.memo(("coupled_reference", c.data.name), lambda: _reference(c, classifier), per_run=True)
    transform = functools.partial(transform_unit, c.data.name)
    per_seed = []
    for pairs in ctx.samples():
        a, b = ((pairs[..., i] + 1.0) / 2.0 for i in range(len(DOMAINS)))
        agreement = pair_agreement(transform, a, b)
        result = {"pair_agreement": float(np.mean(agreement)),
                  "shuffled_agreement": float(np.mean(pair_agreement(transform, a, np.roll(b, 1, axis=0)))),
                  "true_pairs": float(np.mean(agreement >= 0.99))}
        for i, domain in enumerate(DOMAINS):
            fake = _features(classifier, pairs[..., i : i + 1], c.eval.batch_size)
            result[f"fid_{domain}"] = _fid(reference["features"][domain], fake)
        per_seed.append(result)
    protocol = {"task": c.data.name, "threshold": THRESHOLD, "n_pairs": int(ctx.samples().shape[1]),
                "reference": {"split": "test", "n_per_domain": reference["n"],
                              "unrelated_agreement": reference["unrelated_agreement"]},
                "feature_network": classifier.protocol}
    return per_seed, protocol

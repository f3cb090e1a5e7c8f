"""Sample quality: the evaluators that compare a run's samples with the reference set, with the
protocol recorded beside every number.

  modes   2D mixtures: modes captured, high-quality fraction, reverse KL (DESIGN.md, section 4);
          Stacked MNIST: modes of 1000 and KL to uniform, each channel read by the shipped
          MNIST classifier
  fid     Frechet distance of the feature network's features (Heusel et al. 2017)
  kid     kernel distance, mean and std over subsets (Binkowski et al. 2018)
  pr      precision and recall of k-NN manifolds (Kynkaanniemi et al. 2019)
  dc      density and coverage (Naeem et al. 2020)
  is      Inception Score of the feature network's logits (Salimans et al. 2016)
  swd     sliced Wasserstein distance of Laplacian-pyramid patches (Karras et al. 2018)

A metric of two feature sets is a pure function `fn(real, fake, *, key, logits, settings) ->
{name: value}` made an evaluator by `on_features`; one of two image sets (`fn(real, fake, *,
key) -> {name: value}`, hyperparameters as keyword defaults) by `on_images`.
"""

import inspect
from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np

from jaxgan.data import IMAGE_DATASETS, MIXTURES
from jaxgan.evaluation.context import Context, MetricSettings
from jaxgan.evaluation.features import (
    domain_network,
    extract,
    fake_features,
    in_batches,
    network,
    reference,
    reference_images,
)
from jaxgan.metrics import (
    accumulate,
    empty_stats,
    frechet_distance_from_stats,
    inception_score,
    kernel_inception_distance,
    manifold_metrics,
    mode_coverage,
    stacked_mnist,
)

Evaluate = Callable[[Context], tuple[list[dict], dict]]
"""An evaluator's function: `evaluate(ctx) -> (one {name: value} per seed, protocol dict)`."""


def _subset(features: np.ndarray, limit: int, key: jax.Array) -> np.ndarray:
    if features.shape[0] <= limit:
        return features
    return features[np.sort(np.asarray(jax.random.choice(key, features.shape[0], (limit,), replace=False)))]


def seed_keys(key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(KID subsets, real k-NN subset, fake k-NN subset) keys of one seed's metrics."""
    return tuple(jax.random.split(key, 3))


def fid(real: np.ndarray, fake: np.ndarray, *, key: jax.Array, logits: np.ndarray | None,
        settings: MetricSettings) -> dict:
    dim = real.shape[1]
    return {"fid": frechet_distance_from_stats(accumulate(empty_stats(dim), real), accumulate(empty_stats(dim), fake))}


def kid(real: np.ndarray, fake: np.ndarray, *, key: jax.Array, logits: np.ndarray | None,
        settings: MetricSettings) -> dict:
    mean, std = kernel_inception_distance(real, fake, key=seed_keys(key)[0], num_subsets=settings.kid_subsets,
                                          subset_size=settings.kid_subset_size)
    return {"kid": mean, "kid_std": std}


def manifold(real: np.ndarray, fake: np.ndarray, *, key: jax.Array, logits: np.ndarray | None,
             settings: MetricSettings) -> dict:
    """Precision, recall, density and coverage of seeded subsets of at most
    `settings.manifold_samples` of each set (one k-NN computation for all four)."""
    _, key_real, key_fake = seed_keys(key)
    return manifold_metrics(_subset(real, settings.manifold_samples, key_real),
                            _subset(fake, settings.manifold_samples, key_fake), pr_k=settings.pr_k, dc_k=settings.dc_k)


def inception_score_values(real: np.ndarray, fake: np.ndarray, *, key: jax.Array, logits: np.ndarray | None,
                           settings: MetricSettings) -> dict:
    if logits is None:
        raise ValueError("metric 'is' needs a feature network with class logits (not 'points')")
    value, std = inception_score(logits, splits=min(settings.is_splits, len(logits)))
    return {"is": value, "is_std": std}


def _knn(settings, n_real, n_fake):
    return {"knn": {"pr_k": settings.pr_k, "dc_k": settings.dc_k, "n_real": min(n_real, settings.manifold_samples),
                    "n_fake": min(n_fake, settings.manifold_samples)}}


class FeatureMetric(NamedTuple):
    """A metric of two feature sets: `fn(real, fake, *, key, logits, settings) -> {name: value}`
    (one function may serve several metrics), the `keys` of its result this metric reports, and
    `protocol(settings, n_real, n_fake) -> protocol entries`."""

    fn: Callable[..., dict]
    keys: tuple[str, ...]
    protocol: Callable[[MetricSettings, int, int], dict] = lambda settings, n_real, n_fake: {}


FEATURE_METRICS = {
    "fid": FeatureMetric(fid, ("fid",)),
    "kid": FeatureMetric(kid, ("kid", "kid_std"), lambda s, n_real, n_fake: {"kid": {
        "kernel": "(x.y/d + 1)^3", "subsets": s.kid_subsets, "subset_size": min(s.kid_subset_size, n_real, n_fake)}}),
    "pr": FeatureMetric(manifold, ("precision", "recall"), _knn),
    "dc": FeatureMetric(manifold, ("density", "coverage"), _knn),
    "is": FeatureMetric(inception_score_values, ("is", "is_std"), lambda s, n_real, n_fake: {"is_splits": s.is_splits}),
}


def _names(names: str | tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(s.strip() for s in names.split(",") if s.strip()) if isinstance(names, str) else tuple(names)
    unknown = [n for n in names if n not in FEATURE_METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; expected a comma-separated subset of {list(FEATURE_METRICS)}")
    return names


def compute_metrics(names: str | tuple[str, ...], real_features: np.ndarray, fake_features: np.ndarray, *,
                    key: jax.Array, fake_logits: np.ndarray | None = None,
                    settings: MetricSettings = MetricSettings()) -> dict:
    """{metric: value} of the feature metrics `names` ("fid,kid,pr,dc,is" or a tuple) between two
    feature sets; a run's evaluators compute the same values seed by seed (key folded with the seed)."""
    real, fake = np.asarray(real_features, np.float64), np.asarray(fake_features, np.float64)
    results, values = {}, {}
    for name in _names(names):
        metric = FEATURE_METRICS[name]
        if metric.fn not in results:
            results[metric.fn] = metric.fn(real, fake, key=key, logits=fake_logits, settings=settings)
        values.update({k: results[metric.fn][k] for k in metric.keys})
    return values


def metric_protocol(names: str | tuple[str, ...], settings: MetricSettings, *, n_real: int, n_fake: int) -> dict:
    """The protocol entries of the feature metrics `names` (their settings and sample counts)."""
    protocol = {"metrics": list(_names(names)), "n_real": int(n_real), "n_fake": int(n_fake)}
    for name in protocol["metrics"]:
        protocol.update(FEATURE_METRICS[name].protocol(settings, int(n_real), int(n_fake)))
    return protocol


def on_features(name: str) -> Evaluate:
    """The evaluator of the feature metric `name` (`FEATURE_METRICS`): each seed's samples
    against the reference set, in the run's feature network's space."""
    metric = FEATURE_METRICS[name]

    def evaluate(ctx: Context) -> tuple[list[dict], dict]:
        description, real = reference(ctx)
        per_seed = []
        for seed in range(ctx.num_seeds):
            logits, fake = fake_features(ctx, seed)
            result = ctx.memo((metric.fn.__name__, seed), lambda fake=fake, logits=logits, seed=seed: metric.fn(
                real, fake, key=jax.random.fold_in(ctx.key, seed), logits=logits, settings=ctx.settings))
            per_seed.append({k: result[k] for k in metric.keys})
        n_fake = ctx.samples().shape[1]
        protocol = {"feature_network": network(ctx).protocol, "reference": description,
                    "n_real": description["n_real"], **metric.protocol(ctx.settings, description["n_real"], n_fake)}
        return per_seed, protocol

    return evaluate


def on_images(fn: Callable[..., dict]) -> Evaluate:
    """The evaluator of `fn(real_images, fake_images, *, key, **hyperparameters) -> {name: value}`:
    each seed's samples against the reference images (as many as the smaller set holds); the
    protocol records `fn`'s hyperparameters (its keyword defaults)."""
    hyperparameters = {k: p.default for k, p in inspect.signature(fn).parameters.items()
                       if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}

    def evaluate(ctx: Context) -> tuple[list[dict], dict]:
        description, real = reference_images(ctx)
        samples = ctx.samples()
        per_seed = [fn(real, samples[seed], key=jax.random.fold_in(ctx.key, seed)) for seed in range(ctx.num_seeds)]
        n = min(len(real), samples.shape[1])
        protocol = {"reference": description, "n_real": description["n_real"],
                    fn.__name__: {**hyperparameters, "images_per_set": int(n)}}
        return per_seed, protocol

    return evaluate


def modes(ctx: Context) -> tuple[list[dict], dict]:
    """Mode coverage per seed: of the 2D mixture, or Stacked MNIST's 1000 digit triples."""
    c = ctx.config
    samples = ctx.samples()
    if c.data.name in MIXTURES:
        mixture = MIXTURES[c.data.name]
        per_seed = [mode_coverage(s, mixture.centers, mixture.std) for s in samples]
        protocol = {"num_modes": int(len(mixture.centers)), "std": mixture.std, "high_quality_threshold_std": 3.0}
        return per_seed, {"modes": protocol}
    classifier = ctx.memo("digit_classifier", lambda: domain_network("mnist"), per_run=True)
    per_seed = []
    for seed_samples in samples:
        digits = stacked_mnist.channels_as_digits(seed_samples)
        logits, _ = extract(classifier, in_batches(digits, c.eval.batch_size))
        per_seed.append(stacked_mnist.count_modes(np.argmax(logits, axis=1).reshape(3, -1).T))
    return per_seed, {"modes": {"classifier": classifier.protocol, "num_modes": IMAGE_DATASETS[c.data.name].modes}}


__all__ = [
    "FEATURE_METRICS",
    "Evaluate",
    "FeatureMetric",
    "compute_metrics",
    "metric_protocol",
    "modes",
    "on_features",
    "on_images",
]

"""Sample quality: evaluating samples against a reference set, with the protocol recorded beside
every number.

A `FeatureNetwork` maps samples to (logits or None, features). Samples are processed in fixed-size
batches (`batch_size`, independent of the training batch; the last batch is padded so one program
serves every batch), features land on the host, and `compute_metrics` turns real and fake
features into FID, KID, precision/recall, density/coverage and the Inception Score. Every result
comes with a `protocol` dict: feature network and weight hash, sample counts, reference split,
resize, seeds and the k's and subset sizes used.
"""

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.config import eval_metrics, feature_network_name
from jaxgan.data import IMAGE_DATASETS, MIXTURES, is_image, open_split, sample_mixture
from jaxgan.metrics import (
    accumulate,
    empty_stats,
    frechet_distance_from_stats,
    inception_score,
    kernel_inception_distance,
    manifold_metrics,
    mean_and_stderr,
    parse_metrics,
)

EVAL_KEY_SALT = 0x5EED
REFERENCE_KEY_SALT = 0x12EF


@dataclasses.dataclass(frozen=True)
class FeatureNetwork:
    """`apply(x)` -> (logits (B, K) or None, features (B, D)) for a batch of samples in the
    generator's output range; `protocol` describes it (name, weights hash, resize, ...)."""

    apply: Callable
    protocol: dict


def points_network():
    """The identity on 2D points: metrics in the data space itself."""
    return FeatureNetwork(lambda x: (None, x), {"name": "points (identity)"})


def domain_network(name):
    """A shipped MNIST / Fashion-MNIST classifier: 128-d penultimate features and 10 logits."""
    from jaxgan.metrics import domain_classifier

    model, params, metadata = domain_classifier.load(name)
    apply = jax.jit(lambda x: model.apply({"params": params}, x))
    protocol = {
        "name": f"domain_classifier/{name}",
        "weights_sha256": metadata["sha256"],
        "test_accuracy": metadata.get("test_accuracy"),
        "feature_dim": model.feature_dim,
        "resize": "none (28x28 input)",
    }
    return FeatureNetwork(apply, protocol)


def inception_network(weights_path, resize="bilinear"):
    """FID Inception-v3 (pool3 2048 features, 1008 logits) from a local `.npz`."""
    from jaxgan.metrics import domain_classifier, inception

    variables = inception.load_variables(weights_path)
    model = inception.FIDInceptionV3(resize=resize)
    apply = jax.jit(lambda x: model.apply(variables, x))
    protocol = {
        "name": "inception_v3_fid",
        "weights_file": weights_path,
        "weights_sha256": domain_classifier.file_sha256(weights_path),
        "feature_dim": inception.FEATURE_DIM,
        "resize": resize if resize == "none" else f"{resize} to {inception.INPUT_SIZE}x{inception.INPUT_SIZE}, half-pixel, no antialias",
    }
    return FeatureNetwork(apply, protocol)


def _padded(chunks, batch_size):
    """Yield (chunk zero-padded to `batch_size` rows, number of real rows)."""
    for chunk in chunks:
        valid = chunk.shape[0]
        if valid < batch_size:
            chunk = np.concatenate([chunk, np.zeros((batch_size - valid, *chunk.shape[1:]), chunk.dtype)])
        yield chunk, valid


def in_batches(samples, batch_size):
    """Yield (batch of exactly `batch_size`, number of real rows); the last batch is zero-padded."""
    samples = np.asarray(samples)
    return _padded((samples[s : s + batch_size] for s in range(0, samples.shape[0], batch_size)), batch_size)


def map_in_batches(fn, x, batch_size):
    """`fn` over `x` (N, ...) in batches of `batch_size` (the last one shorter), on the host:
    the outputs (a pytree of arrays) concatenated."""
    return jax.tree.map(lambda *parts: np.concatenate(parts),
                        *[jax.device_get(fn(jnp.asarray(x[s : s + batch_size]))) for s in range(0, len(x), batch_size)])


def dataset_batches(images, indices, batch_size):
    """Like `in_batches` for dataset images (random access, uint8): images `indices`, read one
    batch at a time and scaled to the generator's range [-1, 1]."""
    from jaxgan.data.images import to_model_range

    indices = np.asarray(indices)
    chunks = (to_model_range(images.take(indices[s : s + batch_size])) for s in range(0, len(indices), batch_size))
    return _padded(chunks, batch_size)


def extract(network, batches):
    """Run `network` over (batch, valid rows) pairs; returns (logits or None, features) as NumPy."""
    logits, features = [], []
    for batch, valid in batches:
        out_logits, out_features = network.apply(jnp.asarray(batch))
        features.append(np.asarray(out_features[:valid], np.float64))
        if out_logits is not None:
            logits.append(np.asarray(out_logits[:valid], np.float64))
    return (np.concatenate(logits) if logits else None), np.concatenate(features)


@dataclasses.dataclass(frozen=True)
class MetricSettings:
    """The knobs of each metric; all are written into the protocol."""

    kid_subsets: int = 100
    kid_subset_size: int = 1000
    pr_k: int = 3
    dc_k: int = 5
    is_splits: int = 10
    manifold_samples: int = 10_000  # k-NN metrics use at most this many of each set (memory is N^2)


def compute_metrics(names, real_features, fake_features, *, key, fake_logits=None, settings=MetricSettings()):
    """{metric: value} for `names` (see METRICS). FID uses all features;
    the k-NN metrics a seeded subset of at most `settings.manifold_samples` of each set."""
    names = parse_metrics(names)
    real = np.asarray(real_features, np.float64)
    fake = np.asarray(fake_features, np.float64)
    key_kid, key_real, key_fake = jax.random.split(key, 3)
    values = {}
    if "fid" in names:
        dim = real.shape[1]
        values["fid"] = frechet_distance_from_stats(accumulate(empty_stats(dim), real), accumulate(empty_stats(dim), fake))
    if "kid" in names:
        mean, std = kernel_inception_distance(real, fake, key=key_kid, num_subsets=settings.kid_subsets,
                                              subset_size=settings.kid_subset_size)
        values["kid"], values["kid_std"] = mean, std
    if "pr" in names or "dc" in names:
        real_subset = _subset(real, settings.manifold_samples, key_real)
        fake_subset = _subset(fake, settings.manifold_samples, key_fake)
        manifold = manifold_metrics(real_subset, fake_subset, pr_k=settings.pr_k, dc_k=settings.dc_k)
        if "pr" in names:
            values.update(precision=manifold["precision"], recall=manifold["recall"])
        if "dc" in names:
            values.update(density=manifold["density"], coverage=manifold["coverage"])
    if "is" in names:
        if fake_logits is None:
            raise ValueError("metric 'is' needs a feature network with class logits (not 'points')")
        values["is"], values["is_std"] = inception_score(fake_logits, splits=min(settings.is_splits, len(fake_logits)))
    return values


def _subset(features, limit, key):
    if features.shape[0] <= limit:
        return features
    return features[np.sort(np.asarray(jax.random.choice(key, features.shape[0], (limit,), replace=False)))]


def metric_protocol(names, settings, *, n_real, n_fake):
    names = parse_metrics(names)
    protocol = {"metrics": list(names), "n_real": int(n_real), "n_fake": int(n_fake)}
    if "kid" in names:
        protocol["kid"] = {"kernel": "(x.y/d + 1)^3", "subsets": settings.kid_subsets,
                           "subset_size": min(settings.kid_subset_size, n_real, n_fake)}
    if "pr" in names or "dc" in names:
        protocol["knn"] = {"pr_k": settings.pr_k, "dc_k": settings.dc_k,
                           "n_real": min(n_real, settings.manifold_samples), "n_fake": min(n_fake, settings.manifold_samples)}
    if "is" in names:
        protocol["is_splits"] = settings.is_splits
    return protocol


@dataclasses.dataclass
class Reference:
    """Features of the reference set, computed once and reused by every evaluation."""

    description: dict
    features: np.ndarray


class Evaluator:
    """Evaluates a config's generator samples: mode coverage (2D mixtures, Stacked MNIST) and
    feature metrics against the reference split, whose features are computed once and reused."""

    def __init__(self, config, settings=MetricSettings()):
        self.config = config
        self.settings = settings
        self.metrics = eval_metrics(config)
        self.feature_metrics = tuple(n for n in self.metrics if n != "modes")
        self.network_name = feature_network_name(config)
        self._network = None
        self._reference = None
        self._digit_classifier = None

    def network(self):
        if self._network is None:
            if self.network_name == "points":
                self._network = points_network()
            elif self.network_name == "inception":
                self._network = inception_network(self.config.eval.inception_weights, self.config.eval.resize)
            else:
                self._network = domain_network(self.network_name)
        return self._network

    def features(self, samples):
        """(logits or None, features) of samples (N, ...) in the generator's range."""
        return extract(self.network(), in_batches(samples, self.config.eval.batch_size))

    def reference(self):
        if self._reference is None:
            self._reference = self._make_reference()
        return self._reference

    def _make_reference(self):
        c = self.config
        if not is_image(c.data):
            n = c.eval.num_reference or c.eval.num_samples
            key = jax.random.fold_in(jax.random.key(c.seed), REFERENCE_KEY_SALT)
            points = np.asarray(sample_mixture(key, MIXTURES[c.data.name], n))
            return Reference({"split": f"fresh samples of {c.data.name}", "n_real": n}, points)
        images = open_split(c.data, c.eval.reference_split)
        n = min(c.eval.num_reference or len(images), len(images))
        indices = np.arange(n) if n == len(images) else np.sort(np.random.default_rng(c.seed).choice(len(images), n, replace=False))
        _, features = extract(self.network(), dataset_batches(images, indices, c.eval.batch_size))
        description = {"split": c.eval.reference_split, "origin": images.origin, "n_real": int(n),
                       "subset": "all" if n == len(images) else f"{n} drawn without replacement with seed {c.seed}"}
        return Reference(description, features)

    def digit_classifier(self):
        """The MNIST classifier that reads Stacked MNIST channels (loaded once)."""
        if self._digit_classifier is None:
            self._digit_classifier = domain_network("mnist")
        return self._digit_classifier

    def _modes(self, samples):
        from jaxgan.metrics import mode_coverage, stacked_mnist

        if self.config.data.name in MIXTURES:  # else images with modes: Stacked MNIST's 1000
            mixture = MIXTURES[self.config.data.name]
            return mode_coverage(samples, mixture.centers, mixture.std)
        digits = stacked_mnist.channels_as_digits(samples)
        logits, _ = extract(self.digit_classifier(), in_batches(digits, self.config.eval.batch_size))
        predicted = np.argmax(logits, axis=1).reshape(3, -1).T
        return stacked_mnist.count_modes(predicted)

    def evaluate(self, samples, *, step, key, use_ema, game=None):
        """Evaluate samples (S, N, ...) of S seeds; returns the record (values per seed, mean and
        standard error over seeds, protocol). `game` = (per-seed values, protocol) from
        `jaxgan.evaluation.evaluate_game`, merged in."""
        per_seed = []
        for seed_index, seed_samples in enumerate(samples):
            values = {}
            if "modes" in self.metrics:
                values.update(self._modes(seed_samples))
            if self.feature_metrics:
                logits, features = self.features(seed_samples)
                reference = self.reference()
                values.update(compute_metrics(self.feature_metrics, reference.features, features,
                                              key=jax.random.fold_in(key, seed_index), fake_logits=logits,
                                              settings=self.settings))
            if game is not None and game[0]:
                values.update(game[0][seed_index])
            per_seed.append(values)
        numeric = [k for k, v in per_seed[0].items() if isinstance(v, (int, float))] if per_seed else []
        summary = {k: dict(zip(("mean", "stderr"), mean_and_stderr([r[k] for r in per_seed]))) for k in numeric}
        protocol = dict(self.protocol(samples.shape[1], use_ema), checkpoint_step=int(step))
        if game is not None and game[1]:
            protocol["game"] = game[1]
        return {"step": int(step), "protocol": protocol, "per_seed": per_seed, "summary": summary}

    def protocol(self, n_fake, use_ema):
        c = self.config
        protocol = {
            "dataset": c.data.name,
            "metrics": list(self.metrics),
            "n_fake": int(n_fake),
            "generator": "ema" if use_ema else "raw",
            "seeds": [c.seed + s for s in range(c.num_seeds)],
            "sample_key": f"fold_in(key({c.seed}), {EVAL_KEY_SALT:#x}), batch b: fold_in(., b)",
            "batch_size": c.eval.batch_size,
        }
        if "modes" in self.metrics:
            if c.data.name in MIXTURES:
                mixture = MIXTURES[c.data.name]
                protocol["modes"] = {"num_modes": int(len(mixture.centers)), "std": mixture.std, "high_quality_threshold_std": 3.0}
            else:
                protocol["modes"] = {"classifier": self.digit_classifier().protocol,
                                     "num_modes": IMAGE_DATASETS[c.data.name].modes}
        if self.feature_metrics:
            reference = self.reference()
            protocol["feature_network"] = self.network().protocol
            protocol["reference"] = reference.description
            protocol.update(metric_protocol(self.feature_metrics, self.settings, n_real=reference.description["n_real"], n_fake=n_fake))
        return protocol


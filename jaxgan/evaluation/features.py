"""Feature networks and the features the sample-quality metrics compare.

A `FeatureNetwork` maps samples to (logits or None, features). Samples are processed in fixed-size
batches (`eval.batch_size`, independent of the training batch; the last batch is padded so one
program serves every batch) and features land on the host. The reference set's features are
computed once per run (`Context.run_cache`), the generated samples' once per evaluation.
"""

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan import data
from jaxgan.data import IMAGE_DATASETS, MIXTURES, open_split, sample_mixture
from jaxgan.data.images import to_model_range
from jaxgan.evaluation.context import Context
from jaxgan.metrics import domain_classifier

REFERENCE_KEY_SALT = 0x12EF
NETWORKS = ("auto", "points", "inception") + domain_classifier.NAMES


@dataclasses.dataclass(frozen=True)
class FeatureNetwork:
    """`apply(x)` -> (logits (B, K) or None, features (B, D)) for a batch of samples in the
    generator's output range; `protocol` describes it (name, weights hash, resize, ...)."""

    apply: Callable
    protocol: dict


def points_network() -> FeatureNetwork:
    """The identity on 2D points: metrics in the data space itself."""
    return FeatureNetwork(lambda x: (None, x), {"name": "points (identity)"})


def domain_network(name: str) -> FeatureNetwork:
    """A shipped MNIST / Fashion-MNIST classifier: 128-d penultimate features and 10 logits."""
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


def inception_network(weights_path: str, resize: str = "bilinear") -> FeatureNetwork:
    """FID Inception-v3 (pool3 2048 features, 1008 logits) from a local `.npz`."""
    from jaxgan.metrics import inception

    variables = inception.load_variables(weights_path)
    model = inception.FIDInceptionV3(resize=resize)
    apply = jax.jit(lambda x: model.apply(variables, x))
    size = inception.INPUT_SIZE
    protocol = {
        "name": "inception_v3_fid",
        "weights_file": weights_path,
        "weights_sha256": domain_classifier.file_sha256(weights_path),
        "feature_dim": inception.FEATURE_DIM,
        "resize": resize if resize == "none" else f"{resize} to {size}x{size}, half-pixel, no antialias",
    }
    return FeatureNetwork(apply, protocol)


def feature_network_name(config: Any) -> str:
    """`eval.feature_network`, where "auto" is the identity on 2D points, else the dataset
    table's network (the shipped classifier of MNIST / Fashion-MNIST; Inception otherwise)."""
    name = config.eval.feature_network
    if name != "auto":
        return name
    if not data.is_image(config.data):
        return "points"
    spec = IMAGE_DATASETS.get(config.data.name)
    return spec.feature_network if spec is not None else "inception"


def _padded(chunks: Iterable[np.ndarray], batch_size: int) -> Iterator[tuple[np.ndarray, int]]:
    """Yield (chunk zero-padded to `batch_size` rows, number of real rows)."""
    for chunk in chunks:
        valid = chunk.shape[0]
        if valid < batch_size:
            chunk = np.concatenate([chunk, np.zeros((batch_size - valid, *chunk.shape[1:]), chunk.dtype)])
        yield chunk, valid


def in_batches(samples: np.ndarray, batch_size: int) -> Iterator[tuple[np.ndarray, int]]:
    """Yield (batch of exactly `batch_size`, number of real rows); the last batch is zero-padded."""
    samples = np.asarray(samples)
    return _padded((samples[s : s + batch_size] for s in range(0, samples.shape[0], batch_size)), batch_size)


def map_in_batches(fn: Callable, x: np.ndarray, batch_size: int) -> Any:
    """`fn` over `x` (N, ...) in batches of `batch_size` (the last one shorter), on the host:
    the outputs (a pytree of arrays) concatenated."""
    return jax.tree.map(lambda *parts: np.concatenate(parts),
                        *[jax.device_get(fn(jnp.asarray(x[s : s + batch_size]))) for s in range(0, len(x), batch_size)])


def dataset_batches(images: Any, indices: np.ndarray, batch_size: int) -> Iterator[tuple[np.ndarray, int]]:
    """Like `in_batches` for dataset images (random access, uint8): images `indices`, read one
    batch at a time and scaled to the generator's range [-1, 1]."""
    indices = np.asarray(indices)
    chunks = (to_model_range(images.take(indices[s : s + batch_size])) for s in range(0, len(indices), batch_size))
    return _padded(chunks, batch_size)


def extract(network: FeatureNetwork, batches: Iterable[tuple[np.ndarray, int]]) -> tuple[np.ndarray | None,
                                                                                          np.ndarray]:
    """Run `network` over (batch, valid rows) pairs; returns (logits or None, features) as NumPy."""
    logits, features = [], []
    for batch, valid in batches:
        out_logits, out_features = network.apply(jnp.asarray(batch))
        features.append(np.asarray(out_features[:valid], np.float64))
        if out_logits is not None:
            logits.append(np.asarray(out_logits[:valid], np.float64))
    return (np.concatenate(logits) if logits else None), np.concatenate(features)


def network(ctx: Context) -> FeatureNetwork:
    """The run's feature network (`feature_network_name`), loaded once per run."""

    def load():
        name = feature_network_name(ctx.config)
        if name == "points":
            return points_network()
        if name == "inception":
            return inception_network(ctx.config.eval.inception_weights, ctx.config.eval.resize)
        return domain_network(name)

    return ctx.memo("feature_network", load, per_run=True)


def reference_set(ctx: Context) -> tuple[dict, Callable[[int], Any]]:
    """(description, take) of the reference set: `take(batch_size)` yields its batches in the
    generator's range. 2D: `eval.num_reference` (or `eval.num_samples`) fresh mixture samples from
    the run's seed; images: `eval.reference_split`, all of it or `eval.num_reference` images drawn
    without replacement with the run's seed."""
    c = ctx.config
    if not data.is_image(c.data):
        n = c.eval.num_reference or c.eval.num_samples
        key = jax.random.fold_in(jax.random.key(c.seed), REFERENCE_KEY_SALT)
        points = np.asarray(sample_mixture(key, MIXTURES[c.data.name], n))
        return {"split": f"fresh samples of {c.data.name}", "n_real": n}, lambda batch: in_batches(points, batch)
    images = open_split(c.data, c.eval.reference_split)
    n = min(c.eval.num_reference or len(images), len(images))
    every = n == len(images)
    indices = np.arange(n) if every else np.sort(np.random.default_rng(c.seed).choice(len(images), n, replace=False))
    description = {"split": c.eval.reference_split, "origin": images.origin, "n_real": int(n),
                   "subset": "all" if every else f"{n} drawn without replacement with seed {c.seed}"}
    return description, lambda batch: dataset_batches(images, indices, batch)


def reference(ctx: Context) -> tuple[dict, np.ndarray]:
    """(description, features) of the reference set, computed once per run."""

    def compute():
        description, take = reference_set(ctx)
        return description, extract(network(ctx), take(ctx.config.eval.batch_size))[1]

    return ctx.memo("reference_features", compute, per_run=True)


def reference_images(ctx: Context) -> tuple[dict, np.ndarray]:
    """(description, samples) of the reference set itself, in the generator's range (once per run)."""

    def read():
        description, take = reference_set(ctx)
        return description, np.concatenate([batch[:valid] for batch, valid in take(ctx.config.eval.batch_size)])

    return ctx.memo("reference_images", read, per_run=True)


def fake_features(ctx: Context, seed: int) -> tuple[np.ndarray | None, np.ndarray]:
    """(logits or None, features) of seed `seed`'s samples, once per evaluation."""
    return ctx.memo(("fake_features", seed),
                    lambda: extract(network(ctx), in_batches(ctx.samples()[seed], ctx.config.eval.batch_size)))

"""Small classifiers for MNIST-like data: their logits give class accuracy and an Inception-Score
analogue, their penultimate features a domain FID. Weights ship with the package
(`jaxgan/metrics/weights/<name>.npz`, plain arrays, no pickle) and are made by
`experiments/studies/train_domain_classifier.py` on the official training sets."""

import hashlib
import json
import os

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.files import save_npz, write_json

WEIGHTS_DIR = os.path.join(os.path.dirname(__file__), "weights")
NAMES = ("mnist", "fashion_mnist")


class DomainClassifier(nn.Module):
    """x (B, 28, 28, 1) in [-1, 1] -> (logits (B, 10), features (B, 128)).

    conv 3x3/32 -> ReLU -> maxpool 2 -> conv 3x3/64 -> ReLU -> maxpool 2 -> dense 128 (ReLU; the
    features) -> dropout -> dense 10.
    """

    num_classes: int = 10
    feature_dim: int = 128
    dropout: float = 0.3

    @nn.compact
    def __call__(self, x, *, train: bool = False):
        h = nn.max_pool(nn.relu(nn.Conv(32, (3, 3))(x)), (2, 2), (2, 2))
        h = nn.max_pool(nn.relu(nn.Conv(64, (3, 3))(h)), (2, 2), (2, 2))
        features = nn.relu(nn.Dense(self.feature_dim)(h.reshape(h.shape[0], -1)))
        h = nn.Dropout(self.dropout, deterministic=not train)(features)
        return nn.Dense(self.num_classes)(h), features


def to_model_input(images):
    """uint8 images (B, 28, 28, 1) -> float32 in [-1, 1] (the range jaxgan's generators produce)."""
    return jnp.asarray(images, jnp.float32) / 127.5 - 1.0


def weights_path(name):
    if name not in NAMES:
        raise ValueError(f"unknown domain classifier {name!r}; expected one of {NAMES}")
    return os.path.join(WEIGHTS_DIR, f"{name}.npz")


def save_params(params, path, metadata):
    """Write parameters as a flat .npz of arrays (keys 'Conv_0/kernel', ...) plus a JSON sidecar."""
    flat = flax.traverse_util.flatten_dict(jax.device_get(params), sep="/")
    save_npz(path, **{k: np.asarray(v) for k, v in flat.items()})
    metadata = dict(metadata, sha256=file_sha256(path))
    write_json(os.path.splitext(path)[0] + ".json", metadata)
    return metadata


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_params(path):
    """Parameters from an .npz written by `save_params` (loaded with allow_pickle=False)."""
    with np.load(path, allow_pickle=False) as data:
        flat = {k: jnp.asarray(data[k]) for k in data.files}
    return flax.traverse_util.unflatten_dict(flat, sep="/")


def load(name):
    """(model, params, metadata) of a shipped classifier: 'mnist' or 'fashion_mnist'."""
    path = weights_path(name)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} is missing; make it with experiments/studies/train_domain_classifier.py --dataset {name}"
        )
    with open(os.path.splitext(path)[0] + ".json") as f:
        metadata = json.load(f)
    return DomainClassifier(), load_params(path), metadata

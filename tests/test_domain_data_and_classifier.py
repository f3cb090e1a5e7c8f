"""IDX reading and the shipped domain classifiers (accuracy on the official test sets)."""

import gzip
import struct

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import shared_dataset_dir as _dataset_dir

from jaxgan.data.idx import load_idx_split, read_idx
from jaxgan.metrics import domain_classifier as dc


def test_read_idx_round_trip_and_errors(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, 3]) + struct.pack(">III", 2, 3, 4) + array.tobytes())
    np.testing.assert_array_equal(read_idx(path), array)
    bad = tmp_path / "bad.gz"
    with gzip.open(bad, "wb") as f:
        f.write(b"PK\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 0x08, 1]) + struct.pack(">I", 10) + b"\x00" * 3)
    with pytest.raises(ValueError, match="promises shape"):
        read_idx(short)
    with pytest.raises(FileNotFoundError, match="official IDX gz files"):
        load_idx_split(str(tmp_path), "train")
    with pytest.raises(ValueError, match="unknown split 'valid'"):
        load_idx_split(str(tmp_path), "valid")


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_official_files_load(name):
    images, labels = load_idx_split(_dataset_dir(name), "test")
    assert images.shape == (10000, 28, 28, 1) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))


def test_params_round_trip_without_pickle(tmp_path):
    model = dc.DomainClassifier()
    params = model.init(jax.random.key(0), jnp.zeros((1, 28, 28, 1)))["params"]
    path = str(tmp_path / "w.npz")
    meta = dc.save_params(params, path, {"note": "test"})
    loaded = dc.load_params(path)
    assert jax.tree.structure(loaded) == jax.tree.structure(params)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(params)))
    assert meta["sha256"] == dc.file_sha256(path)
    with pytest.raises(ValueError, match="unknown domain classifier"):
        dc.weights_path("cifar10")


@pytest.mark.parametrize("name, target", [("mnist", 0.993), ("fashion_mnist", 0.92)])
def test_shipped_classifier_accuracy(name, target):
    images, labels = load_idx_split(_dataset_dir(name), "test")
    model, params, metadata = dc.load(name)
    assert metadata["sha256"] == dc.file_sha256(dc.weights_path(name))
    predict = jax.jit(lambda x: model.apply({"params": params}, dc.to_model_input(x)))
    correct, features = 0, []
    for i in range(0, 10000, 1000):
        logits, feats = predict(images[i : i + 1000])
        correct += int(jnp.sum(jnp.argmax(logits, 1) == labels[i : i + 1000]))
        features.append(feats)
    accuracy = correct / 10000
    assert accuracy >= target
    assert accuracy == pytest.approx(metadata["test_accuracy"], abs=5e-4)  # a few flips across CPUs
    assert np.concatenate(features).shape == (10000, 128)

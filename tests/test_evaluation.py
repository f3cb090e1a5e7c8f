"""Evaluation plumbing: fixed-size batching, metric limits, Stacked MNIST mode counting, and the
protocol record of an image run's evaluation."""

import jax
import numpy as np
import pytest
from conftest import shared_dataset_dir

from jaxgan.evaluation import FeatureNetwork, MetricSettings, compute_metrics, extract, in_batches
from jaxgan.metrics import stacked_mnist


def test_batches_are_fixed_size_and_padding_is_dropped():
    calls = []

    def apply(x):
        calls.append(x.shape)
        return x[:, :2] * 2.0, x

    network = FeatureNetwork(apply, {"name": "double"})
    samples = np.arange(70.0).reshape(7, 10)
    logits, features = extract(network, in_batches(samples, 3))
    assert calls == [(3, 10)] * 3  # 7 rows -> 3 + 3 + 1 padded to 3: one compiled shape
    np.testing.assert_array_equal(features, samples)
    np.testing.assert_array_equal(logits, samples[:, :2] * 2.0)


def test_identical_sets_reach_the_metric_limits():
    features = np.random.default_rng(0).normal(size=(400, 8))
    values = compute_metrics("fid,kid,pr,dc", features, features, key=jax.random.key(0),
                             settings=MetricSettings(kid_subsets=20, kid_subset_size=200))
    assert values["fid"] == pytest.approx(0.0, abs=1e-8)
    assert values["precision"] == values["recall"] == values["coverage"] == 1.0
    assert abs(values["kid"]) < 0.05 and values["density"] == pytest.approx(1.0, abs=0.2)


def test_shifted_sets_have_the_closed_form_fid():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(2000, 4))
    fake = real + np.array([3.0, 0, 0, 0])  # same covariance, mean moved by 3: FID = 9 exactly
    assert compute_metrics("fid", real, fake, key=jax.random.key(0))["fid"] == pytest.approx(9.0, rel=1e-9)


def test_unknown_metric_and_missing_logits_are_errors():
    with pytest.raises(ValueError, match=r"unknown metric\(s\) \['fad'\]"):
        compute_metrics("fid,fad", np.zeros((4, 2)), np.zeros((4, 2)), key=jax.random.key(0))
    with pytest.raises(ValueError, match="needs a feature network with class logits"):
        compute_metrics("is", np.zeros((4, 2)), np.zeros((4, 2)), key=jax.random.key(0))


def test_count_modes_closed_forms():
    one_mode = stacked_mnist.count_modes(np.tile([[1, 2, 3]], (50, 1)))
    assert one_mode["modes"] == 1 and one_mode["kl_to_uniform"] == pytest.approx(np.log(1000))
    digits = np.stack(np.meshgrid(np.arange(10), np.arange(10), np.arange(10), indexing="ij"), -1).reshape(-1, 3)
    uniform = stacked_mnist.count_modes(np.concatenate([digits, digits]))
    assert uniform["modes"] == 1000 and uniform["kl_to_uniform"] == pytest.approx(0.0, abs=1e-12)
    assert stacked_mnist.mode_index([[9, 0, 7]]).tolist() == [907]


def test_stacked_mnist_real_images_cover_all_modes_and_a_collapsed_set_does_not():
    from jaxgan.data.images import open_images, to_model_range
    from jaxgan.evaluation import domain_network

    stacked = open_images("stacked_mnist", "test", source="idx", path=shared_dataset_dir("mnist"))
    assert len(stacked) == 10_000 and stacked.shape == (28, 28, 3)
    images = to_model_range(stacked.take(np.arange(10_000)))
    classifier = domain_network("mnist")

    def counted(images):
        logits, _ = extract(classifier, in_batches(stacked_mnist.channels_as_digits(images), 1000))
        return stacked_mnist.count_modes(np.argmax(logits, 1).reshape(3, -1).T)

    real = counted(images)
    # 10,000 uniform draws over 1000 modes miss a mode with probability e^-10: all 1000 expected;
    # the classifier (99.4%) mislabels a few channels, which barely moves the histogram.
    assert real["modes"] >= 995 and real["kl_to_uniform"] < 0.1
    labels = stacked.take_labels(np.arange(10_000))
    collapsed = counted(images[labels // 100 == 0])  # only triples whose red digit is 0: 100 modes
    assert 95 <= collapsed["modes"] <= 110 and collapsed["kl_to_uniform"] > np.log(1000 / 100) - 0.1

"""Synthetic mixtures and the mode-coverage metric."""

import math
import os

import numpy as np
import pytest

from jaxgan.data import MIXTURES, SyntheticSource
from jaxgan.data.synthetic import grid, ring
from jaxgan.metrics import mean_and_stderr, mode_coverage


def test_ring_has_eight_distinct_modes_on_the_unit_circle():
    centers = ring().centers
    assert centers.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0, atol=1e-12)
    distances = np.linalg.norm(centers[:, None] - centers[None], axis=-1) + np.eye(8)
    np.testing.assert_allclose(distances.min(), 2 * math.sin(math.pi / 8), rtol=1e-12)
    assert ring().std == 0.01


def test_grid_has_25_modes():
    centers = grid().centers
    assert centers.shape == (25, 2) and grid().std == 0.05
    assert sorted(set(centers[:, 0])) == [-4, -2, 0, 2, 4]


def test_source_is_deterministic_resumable_and_process_split_invariant():
    full = SyntheticSource("grid", batch_size=8, n_critic=2, seed=3, num_streams=2)
    first = full.next(3)["x"]
    assert first.shape == (2, 3, 2, 8, 2) and first.dtype == np.float32
    again = SyntheticSource("grid", batch_size=8, n_critic=2, seed=3, num_streams=2).next(3)["x"]
    np.testing.assert_array_equal(first, again)
    resumed = SyntheticSource("grid", batch_size=8, n_critic=2, seed=3, num_streams=2)
    resumed.set_state({"position": 1})
    np.testing.assert_array_equal(resumed.next(2)["x"], first[:, 1:])
    halves = [
        SyntheticSource("grid", batch_size=8, n_critic=2, seed=3, num_streams=2, process_index=p, process_count=2).next(
            3
        )["x"]
        for p in range(2)
    ]
    np.testing.assert_array_equal(np.concatenate(halves, axis=3), first)
    assert not np.array_equal(first[0], first[1])  # streams (seeds) differ
    assert not np.array_equal(first[:, :, 0], first[:, :, 1])  # critic slices differ


def test_fixed_training_set_is_read_in_epochs_of_fresh_permutations():
    """train_size N: each stream trains on N fixed points; every run of N consecutive examples
    (an epoch) is a permutation of them, a different one each epoch; resumable and
    process-split invariant like the fresh draws."""
    make = lambda **kw: SyntheticSource("grid", batch_size=8, n_critic=2, seed=3, num_streams=2, train_size=20, **kw)
    source = make()
    first = np.asarray(source.next(5)["x"])  # 80 examples per stream: 4 epochs of 20
    points = np.asarray(source.points)
    assert points.shape == (2, 20, 2) and not np.array_equal(points[0], points[1])  # one set per seed
    assert mode_coverage(points.reshape(-1, 2), MIXTURES["grid"].centers, MIXTURES["grid"].std)["high_quality"] > 0.9
    for stream in range(2):
        examples = first[stream].reshape(-1, 2)  # in counter order: (t, c, i)
        epochs = [examples[20 * e : 20 * (e + 1)] for e in range(4)]
        for epoch in epochs:
            assert sorted(map(tuple, epoch)) == sorted(map(tuple, points[stream]))
        assert not np.array_equal(epochs[0], epochs[1])
    resumed = make()
    resumed.set_state({"position": 2})
    np.testing.assert_array_equal(resumed.next(3)["x"], first[:, 2:])
    halves = [make(process_index=p, process_count=2).next(5)["x"] for p in range(2)]
    np.testing.assert_array_equal(np.concatenate(halves, axis=3), first)
    with pytest.raises(ValueError, match="train_size must be >= 0"):
        SyntheticSource("grid", batch_size=8, train_size=-1)


def test_source_samples_come_from_the_mixture():
    x = np.asarray(SyntheticSource("ring", batch_size=4000, seed=0).next(1)["x"]).reshape(-1, 2)
    result = mode_coverage(x, MIXTURES["ring"].centers, MIXTURES["ring"].std)
    assert result["modes"] == 8
    # P(||N(0, s^2 I_2)|| <= 3 s) = 1 - exp(-9/2) = 0.9889
    assert abs(result["high_quality"] - (1 - math.exp(-4.5))) < 0.01
    assert result["reverse_kl"] < 0.01


def test_source_rejects_bad_name_and_split():
    with pytest.raises(ValueError, match="unknown synthetic dataset 'spiral'"):
        SyntheticSource("spiral", batch_size=8)
    with pytest.raises(ValueError, match="not divisible by 3 processes"):
        SyntheticSource("ring", batch_size=8, process_count=3)


def test_mode_coverage_closed_cases():
    mixture = MIXTURES["grid"]
    centers = mixture.centers
    exact = np.repeat(centers, 4, axis=0)
    assert mode_coverage(exact, centers, mixture.std) == {"modes": 25, "high_quality": 1.0, "reverse_kl": 0.0}
    collapsed = np.repeat(centers[:1], 100, axis=0)
    result = mode_coverage(collapsed, centers, mixture.std)
    assert result["modes"] == 1 and result["high_quality"] == 1.0
    assert result["reverse_kl"] == pytest.approx(math.log(25))
    two = np.concatenate([np.repeat(centers[:1], 30, axis=0), np.repeat(centers[1:2], 10, axis=0)])
    q = np.array([0.75, 0.25])
    assert mode_coverage(two, centers, mixture.std)["reverse_kl"] == pytest.approx(float(np.sum(q * np.log(25 * q))))


def test_mode_coverage_threshold_is_three_std():
    mixture = MIXTURES["ring"]
    center = mixture.centers[0]
    inside = center + np.array([[2.99 * mixture.std, 0.0]])
    outside = center + np.array([[3.01 * mixture.std, 0.0]])
    assert mode_coverage(inside, mixture.centers, mixture.std)["high_quality"] == 1.0
    far = mode_coverage(outside, mixture.centers, mixture.std)
    assert far["high_quality"] == 0.0 and far["modes"] == 0 and far["reverse_kl"] == math.inf


def test_mode_coverage_rejects_bad_input():
    centers = MIXTURES["ring"].centers
    with pytest.raises(ValueError, match=r"shape \(N, 2\), got \(5, 3\)"):
        mode_coverage(np.zeros((5, 3)), centers, 0.01)
    with pytest.raises(ValueError, match="non-finite"):
        mode_coverage(np.full((5, 2), np.nan), centers, 0.01)


def test_mean_and_stderr():
    mean, se = mean_and_stderr([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and se == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)
    assert mean_and_stderr([5.0]) == (5.0, 0.0)
    assert mean_and_stderr([1.0, math.inf]) == (math.inf, math.inf)


def test_tests_find_the_official_files_through_jaxgan_datasets_or_skip_saying_how(monkeypatch, tmp_path):
    import conftest

    from experiments import datasets_dir

    monkeypatch.setenv("JAXGAN_DATASETS", str(tmp_path))
    assert datasets_dir() == str(tmp_path)
    monkeypatch.delenv("JAXGAN_DATASETS")
    assert datasets_dir().endswith(os.path.join("shared", "datasets"))
    monkeypatch.setattr(conftest, "SHARED_DATASETS", str(tmp_path))
    with pytest.raises(pytest.skip.Exception) as skipped:
        conftest.shared_dataset_dir("fashion_mnist")
    message = str(skipped.value)
    assert str(tmp_path / "fashion_mnist") in message and "JAXGAN_DATASETS" in message
    assert "t10k-images-idx3-ubyte.gz" in message and "zalandoresearch/fashion-mnist" in message

"""Frechet distance: agreement with scipy.linalg.sqrtm, streaming statistics, closed forms."""

import numpy as np
import pytest
import scipy.linalg

from jaxgan.metrics import frechet


def _random_cov(rng, dim, rank=None):
    a = rng.standard_normal((dim, rank or dim))
    return a @ a.T / (rank or dim)


def _reference_trace(c1, c2):
    return float(np.real(np.trace(scipy.linalg.sqrtm(c1 @ c2))))


@pytest.mark.parametrize("dim, rank", [(8, None), (64, None), (64, 20), (128, 50)])
def test_trace_sqrt_matches_scipy_sqrtm(dim, rank):
    rng = np.random.default_rng(dim + (rank or 0))
    c1, c2 = _random_cov(rng, dim, rank), _random_cov(rng, dim)
    np.testing.assert_allclose(frechet.trace_sqrt_product(c1, c2), _reference_trace(c1, c2), rtol=1e-6)


def test_ill_conditioned_sample_covariances_with_fewer_samples_than_dims():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 100)) * np.logspace(0, -4, 100)  # rank 39, condition ~1e8
    y = rng.standard_normal((60, 100)) + 0.1
    c1, c2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    np.testing.assert_allclose(frechet.trace_sqrt_product(c1, c2), _reference_trace(c1, c2), rtol=1e-6)


def test_streaming_statistics_equal_numpy_and_merge_exactly():
    rng = np.random.default_rng(1)
    features = rng.standard_normal((1000, 16)).astype(np.float32) * 3 + 1
    stats = frechet.empty_stats(16)
    for chunk in np.array_split(features, 7):
        stats = frechet.accumulate(stats, chunk)
    mean, cov = frechet.mean_and_covariance(stats)
    np.testing.assert_allclose(mean, features.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(cov, np.cov(features.astype(np.float64), rowvar=False), rtol=1e-9, atol=1e-12)
    halves = [frechet.accumulate(frechet.empty_stats(16), part) for part in np.array_split(features, 2)]
    merged = frechet.merge(*halves)
    np.testing.assert_allclose(frechet.mean_and_covariance(merged)[1], cov, rtol=1e-10, atol=1e-12)


def test_closed_forms():
    rng = np.random.default_rng(2)
    c = _random_cov(rng, 10)
    m = rng.standard_normal(10)
    assert frechet.frechet_distance(m, c, m, c) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(frechet.frechet_distance(m, c, m + 2.0, c), 4.0 * 10, rtol=1e-9)
    # Isotropic: d^2 = ||dm||^2 + D (s1 - s2)^2 for S = s^2 I
    np.testing.assert_allclose(
        frechet.frechet_distance(np.zeros(5), 4 * np.eye(5), np.ones(5), np.eye(5)), 5 + 5 * (2 - 1) ** 2
    )


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"\(B, 4\)"):
        frechet.accumulate(frechet.empty_stats(4), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="NaN or inf"):
        frechet.accumulate(frechet.empty_stats(2), np.array([[np.nan, 0.0]]))
    with pytest.raises(ValueError, match="at least 2 samples"):
        frechet.mean_and_covariance(frechet.accumulate(frechet.empty_stats(2), np.zeros((1, 2))))

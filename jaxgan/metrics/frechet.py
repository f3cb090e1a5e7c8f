"""Frechet distance between Gaussians fitted to features (FID: Heusel et al. 2017, Eq. 6).

d^2 = ||mu_1 - mu_2||^2 + tr(S_1) + tr(S_2) - 2 tr((S_1 S_2)^(1/2)).

Statistics are accumulated on the host in float64 from batches of features (count, sum, and sum
of outer products), so any number of batches, devices or processes can be merged exactly. The
trace of the matrix square root uses the symmetric form: tr((S_1 S_2)^(1/2)) equals the sum of
square roots of the eigenvalues of S_1^(1/2) S_2 S_1^(1/2), which is symmetric positive
semi-definite, so `eigh` applies and the result is real even when a covariance is singular
(fewer samples than feature dimensions).
"""

from typing import NamedTuple

import numpy as np


class FeatureStats(NamedTuple):
    """Sufficient statistics of a feature stream: count, sum (D,), sum of outer products (D, D)."""

    count: int
    total: np.ndarray
    outer: np.ndarray


def empty_stats(dim) -> FeatureStats:
    return FeatureStats(0, np.zeros(dim, np.float64), np.zeros((dim, dim), np.float64))


def accumulate(stats, features) -> FeatureStats:
    """Add a batch of features (B, D) (any float dtype; summed in float64)."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[1] != stats.total.shape[0]:
        raise ValueError(f"expected features of shape (B, {stats.total.shape[0]}), got {features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError("features contain NaN or inf")
    return FeatureStats(
        stats.count + features.shape[0], stats.total + features.sum(0), stats.outer + features.T @ features
    )


def merge(a, b) -> FeatureStats:
    """Statistics of the union of two streams (e.g. two devices or processes)."""
    return FeatureStats(a.count + b.count, a.total + b.total, a.outer + b.outer)


def mean_and_covariance(stats) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) (divided by n - 1, as numpy.cov)."""
    if stats.count < 2:
        raise ValueError(f"need at least 2 samples for a covariance, got {stats.count}")
    mean = stats.total / stats.count
    covariance = (stats.outer - stats.count * np.outer(mean, mean)) / (stats.count - 1)
    return mean, 0.5 * (covariance + covariance.T)


def _psd_sqrt(matrix):
    eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (matrix + matrix.T))
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def trace_sqrt_product(cov1, cov2) -> float:
    """tr((S_1 S_2)^(1/2)) for symmetric PSD S_1, S_2, via eigenvalues of S_1^(1/2) S_2 S_1^(1/2)."""
    root = _psd_sqrt(np.asarray(cov1, np.float64))
    middle = root @ np.asarray(cov2, np.float64) @ root
    eigenvalues = np.linalg.eigvalsh(0.5 * (middle + middle.T))
    return float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def frechet_distance(mean1, cov1, mean2, cov2) -> float:
    """Squared Frechet distance between N(mean1, cov1) and N(mean2, cov2), in float64."""
    mean1, mean2 = np.asarray(mean1, np.float64), np.asarray(mean2, np.float64)
    cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
    if mean1.shape != mean2.shape or cov1.shape != cov2.shape or cov1.shape != mean1.shape * 2:
        raise ValueError(f"shape mismatch: means {mean1.shape}, {mean2.shape}; covariances {cov1.shape}, {cov2.shape}")
    value = float(
        np.sum(np.square(mean1 - mean2)) + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_sqrt_product(cov1, cov2)
    )
    return max(value, 0.0)


def frechet_distance_from_stats(stats1, stats2) -> float:
    return frechet_distance(*mean_and_covariance(stats1), *mean_and_covariance(stats2))

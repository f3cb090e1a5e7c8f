"""Precision/recall (Kynkaanniemi et al. 2019) and density/coverage (Naeem et al. 2020) from
k-nearest-neighbour balls in feature space; float64, distances computed in row blocks."""

import numpy as np


def _pairwise_distances(a, b, block=2048):
    out = np.empty((a.shape[0], b.shape[0]), np.float64)
    b_sq = np.sum(b * b, axis=1)
    for start in range(0, a.shape[0], block):
        rows = a[start : start + block]
        sq = np.sum(rows * rows, axis=1)[:, None] + b_sq[None, :] - 2.0 * rows @ b.T
        out[start : start + block] = np.sqrt(np.clip(sq, 0.0, None))
    return out


def knn_radii(features, k):
    """Distance from each point to its k-th nearest neighbour in the same set (itself excluded)."""
    features = np.asarray(features, np.float64)
    if not 1 <= k < features.shape[0]:
        raise ValueError(f"k must be in [1, N - 1 = {features.shape[0] - 1}], got {k}")
    distances = _pairwise_distances(features, features)
    return np.partition(distances, k, axis=1)[:, k]  # column 0 is the point itself


def _check(real, fake):
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"expected features (N, D) and (M, D), got {real.shape} and {fake.shape}")
    return real, fake


def precision_recall(real_features, fake_features, *, k=3):
    """Improved precision and recall (Kynkaanniemi et al. 2019, Eq. 1-2): precision is the fraction
    of fake samples inside the union of the real samples' k-NN balls; recall the fraction of real
    samples inside the union of the fake samples' balls."""
    real, fake = _check(real_features, fake_features)
    cross = _pairwise_distances(real, fake)  # (N, M)
    precision = np.mean(np.any(cross <= knn_radii(real, k)[:, None], axis=0))
    recall = np.mean(np.any(cross <= knn_radii(fake, k)[None, :], axis=1))
    return {"precision": float(precision), "recall": float(recall)}


def density_coverage(real_features, fake_features, *, k=5):
    """Density and coverage (Naeem et al. 2020, Eq. 3-4): density = (1 / kM) sum_j #{i : Y_j in
    B(X_i, NND_k(X_i))}; coverage = fraction of real X_i whose ball holds at least one fake."""
    real, fake = _check(real_features, fake_features)
    inside = _pairwise_distances(real, fake) <= knn_radii(real, k)[:, None]  # (N, M)
    return {"density": float(inside.sum() / (k * fake.shape[0])), "coverage": float(np.mean(inside.any(axis=1)))}

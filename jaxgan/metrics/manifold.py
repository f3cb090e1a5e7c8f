"""Precision/recall (Kynkaanniemi et al. 2019) and density/coverage (Naeem et al. 2020) from
k-nearest-neighbour balls in feature space; float64, distances computed in row blocks so memory
stays at one block of rows times N, and the four metrics share one pass over the distances."""

import numpy as np

BLOCK = 1024


def _squared_distance_blocks(a, b):
    """Yield (start, squared distances (rows, len(b))) over row blocks of `a`."""
    b_sq = np.sum(b * b, axis=1)
    for start in range(0, a.shape[0], BLOCK):
        rows = a[start : start + BLOCK]
        yield start, np.clip(np.sum(rows * rows, axis=1)[:, None] + b_sq[None, :] - 2.0 * rows @ b.T, 0.0, None)


def _knn_squared_radii(features, ks):
    """Squared distance from each point to its k-th nearest neighbour (itself excluded), for each k."""
    out = {k: np.empty(features.shape[0]) for k in ks}
    for start, block in _squared_distance_blocks(features, features):
        part = np.partition(block, sorted(ks), axis=1)  # column 0 holds the point itself (distance 0)
        for k in ks:
            out[k][start : start + block.shape[0]] = part[:, k]
    return out


def knn_radii(features, k) -> np.ndarray:
    """Distance from each point to its k-th nearest neighbour in the same set (itself excluded)."""
    features = np.asarray(features, np.float64)
    if not 1 <= k < features.shape[0]:
        raise ValueError(f"k must be in [1, N - 1 = {features.shape[0] - 1}], got {k}")
    return np.sqrt(_knn_squared_radii(features, (k,))[k])


def _check(real, fake, ks):
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"expected features (N, D) and (M, D), got {real.shape} and {fake.shape}")
    for k in ks:
        if not 1 <= k < min(real.shape[0], fake.shape[0]):
            raise ValueError(f"k must be in [1, min(N, M) - 1 = {min(real.shape[0], fake.shape[0]) - 1}], got {k}")
    return real, fake


def manifold_metrics(real_features, fake_features, *, pr_k=3, dc_k=5) -> dict:
    """Precision and recall (Kynkaanniemi et al. 2019, Eq. 1-2; k = pr_k): precision is the
    fraction of fake samples inside the union of the real samples' k-NN balls, recall the fraction
    of real samples inside the union of the fake samples' balls. Density and coverage (Naeem et al.
    2020, Eq. 3-4; k = dc_k): density = (1 / kM) sum_j #{i : Y_j in B(X_i, NND_k(X_i))}; coverage
    = the fraction of real X_i whose ball holds at least one fake."""
    real, fake = _check(real_features, fake_features, (pr_k, dc_k))
    real_radii = _knn_squared_radii(real, {pr_k, dc_k})
    fake_radii = _knn_squared_radii(fake, {pr_k})[pr_k]
    in_real_pr = np.zeros(fake.shape[0], bool)  # fake j inside some real pr-ball
    recall_hits = np.zeros(real.shape[0], bool)  # real i inside some fake pr-ball
    density_count = 0
    covered = np.zeros(real.shape[0], bool)
    for start, block in _squared_distance_blocks(real, fake):  # block (rows of real, M)
        rows = slice(start, start + block.shape[0])
        in_real_pr |= np.any(block <= real_radii[pr_k][rows, None], axis=0)
        recall_hits[rows] = np.any(block <= fake_radii[None, :], axis=1)
        inside_dc = block <= real_radii[dc_k][rows, None]
        density_count += int(inside_dc.sum())
        covered[rows] = inside_dc.any(axis=1)
    return {
        "precision": float(in_real_pr.mean()),
        "recall": float(recall_hits.mean()),
        "density": float(density_count / (dc_k * fake.shape[0])),
        "coverage": float(covered.mean()),
    }


def precision_recall(real_features, fake_features, *, k=3) -> dict:
    values = manifold_metrics(real_features, fake_features, pr_k=k, dc_k=k)
    return {"precision": values["precision"], "recall": values["recall"]}


def density_coverage(real_features, fake_features, *, k=5) -> dict:
    values = manifold_metrics(real_features, fake_features, pr_k=k, dc_k=k)
    return {"density": values["density"], "coverage": values["coverage"]}

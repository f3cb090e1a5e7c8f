"""Clustering measures against true labels, and k-means: what ClusterGAN (Mukherjee et al. 2019,
AAAI) is scored by. Host-side numpy on integer label vectors.

  purity               each cluster takes its most frequent class (many to one): the "ACC" of
                       ClusterGAN's code (its metric.compute_purity)
  matched_accuracy     the best one-to-one map clusters -> classes (Hungarian)
  normalized_mutual_information   I(Y; C) / mean(H(Y), H(C)) (the arithmetic mean, sklearn's
                       default `normalized_mutual_info_score`)
  adjusted_rand_index  the Rand index corrected for chance (Hubert & Arabie 1985)
  kmeans               Lloyd's algorithm from k-means++ seeds, the best of `restarts` by inertia
"""

import numpy as np


def _labels(values, name) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer) or (values.size and values.min() < 0):
        raise ValueError(f"{name} must be a vector of non-negative integer labels, got dtype {values.dtype} and "
                         f"shape {values.shape}")
    return values


def contingency(predicted, true) -> np.ndarray:
    """Counts (clusters, classes) of each (predicted cluster, true class) pair."""
    predicted, true = _labels(predicted, "predicted"), _labels(true, "true")
    if predicted.shape != true.shape or predicted.size == 0:
        raise ValueError(f"predicted and true labels must be equally long and not empty, got {predicted.shape} and "
                         f"{true.shape}")
    table = np.zeros((predicted.max() + 1, true.max() + 1), np.int64)
    np.add.at(table, (predicted, true), 1)
    return table


def purity(predicted, true) -> float:
    """The fraction of examples whose cluster's most frequent class is their own."""
    table = contingency(predicted, true)
    return float(table.max(axis=1).sum() / table.sum())


def matched_accuracy(predicted, true) -> float:
    """Accuracy under the best one-to-one map from clusters to classes (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    table = contingency(predicted, true)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / table.sum())


def _entropy(counts) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def normalized_mutual_information(predicted, true) -> float:
    """I(Y; C) / ((H(Y) + H(C)) / 2), natural logarithms; 1 when both are one cluster."""
    table = contingency(predicted, true).astype(np.float64)
    h_pred, h_true = _entropy(table.sum(axis=1)), _entropy(table.sum(axis=0))
    if h_pred == 0 and h_true == 0:
        return 1.0
    joint = table / table.sum()
    outer = np.outer(joint.sum(axis=1), joint.sum(axis=0))
    nonzero = joint > 0
    mutual = float((joint[nonzero] * np.log(joint[nonzero] / outer[nonzero])).sum())
    return mutual / ((h_pred + h_true) / 2)


def adjusted_rand_index(predicted, true) -> float:
    """(RI - E[RI]) / (max RI - E[RI]) from pair counts; 1 for identical partitions."""
    table = contingency(predicted, true).astype(np.float64)
    pairs = lambda n: n * (n - 1) / 2
    both = pairs(table).sum()
    rows, cols, total = pairs(table.sum(axis=1)).sum(), pairs(table.sum(axis=0)).sum(), pairs(table.sum())
    expected = rows * cols / total if total else 0.0
    spread = (rows + cols) / 2 - expected
    return 1.0 if spread == 0 else float((both - expected) / spread)


def _plus_plus_seeds(x, k, rng):
    centers = [x[rng.integers(len(x))]]
    distances = np.sum(np.square(x - centers[0]), axis=1)
    for _ in range(1, k):
        total = distances.sum()
        index = rng.choice(len(x), p=distances / total) if total > 0 else rng.integers(len(x))
        centers.append(x[index])
        distances = np.minimum(distances, np.sum(np.square(x - x[index]), axis=1))
    return np.stack(centers)


def _assign(x, centers):
    squared = np.sum(np.square(x), axis=1)[:, None] - 2 * x @ centers.T + np.sum(np.square(centers), axis=1)[None]
    labels = np.argmin(squared, axis=1)
    return labels, float(np.maximum(squared[np.arange(len(x)), labels], 0).sum())


def kmeans(x, k: int, *, seed: int = 0, restarts: int = 10, max_iterations: int = 300,
           tolerance: float = 1e-4) -> np.ndarray:
    """Cluster labels (N,) of the rows of `x` (N, D) into `k` clusters: Lloyd's algorithm from
    k-means++ seeds, run `restarts` times, the lowest inertia kept (sklearn's KMeans defaults,
    which ClusterGAN's evaluation calls with random_state 0). An emptied cluster is re-seeded at
    the point farthest from its center."""
    x = np.asarray(x, np.float64)
    if x.ndim != 2 or not 1 <= k <= len(x):
        raise ValueError(f"kmeans needs points (N, D) and 1 <= k <= N, got shape {x.shape} and k={k}")
    rng = np.random.default_rng(seed)
    best, best_inertia = None, np.inf
    scale = tolerance * np.mean(np.var(x, axis=0))
    for _ in range(restarts):
        centers = _plus_plus_seeds(x, k, rng)
        for _ in range(max_iterations):
            labels, _ = _assign(x, centers)
            moved = centers.copy()
            for j in range(k):
                members = x[labels == j]
                if len(members):
                    moved[j] = members.mean(axis=0)
                else:
                    far = np.argmax(np.sum(np.square(x - centers[labels]), axis=1))
                    moved[j] = x[far]
            shift = np.sum(np.square(moved - centers))
            centers = moved
            if shift <= scale:
                break
        labels, inertia = _assign(x, centers)
        if inertia < best_inertia:
            best, best_inertia = labels, inertia
    return best

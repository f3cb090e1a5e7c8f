"""IS, KID, precision/recall and density/coverage against NumPy references and known limits."""

import math

import jax
import numpy as np
import pytest

from jaxgan import metrics


def test_inception_score_limits():
    np.testing.assert_allclose(metrics.inception_score(np.zeros((100, 10)), splits=5)[0], 1.0, rtol=1e-9)
    one_hot = np.eye(10)[np.arange(100) % 10] * 50.0  # confident, balanced over 10 classes
    mean, std = metrics.inception_score(one_hot, splits=5)  # 20 per split: each class twice
    np.testing.assert_allclose(mean, 10.0, rtol=1e-6)
    assert std < 1e-6


def test_inception_score_against_direct_formula():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((60, 7)) * 2
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    scores = []
    for part in np.array_split(p, 3):
        marginal = part.mean(0)
        scores.append(math.exp(np.mean([np.sum(q * np.log(q / marginal)) for q in part])))
    mean, std = metrics.inception_score(logits, splits=3)
    np.testing.assert_allclose([mean, std], [np.mean(scores), np.std(scores)], rtol=1e-9)


def _mmd2_loops(x, y):
    k = lambda a, b: (a @ b / x.shape[1] + 1) ** 3
    m = len(x)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kid_equals_unbiased_mmd_with_one_full_subset():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((12, 4)), rng.standard_normal((12, 4)) + 0.5
    mean, std = metrics.kernel_inception_distance(x, y, key=jax.random.key(0), num_subsets=1, subset_size=12)
    np.testing.assert_allclose(mean, _mmd2_loops(x, y), rtol=1e-9)
    same = rng.standard_normal((400, 4))
    near_zero, _ = metrics.kernel_inception_distance(
        same[:200], same[200:], key=jax.random.key(1), num_subsets=20, subset_size=100
    )
    far, _ = metrics.kernel_inception_distance(
        same[:200], same[200:] + 1.0, key=jax.random.key(1), num_subsets=20, subset_size=100
    )
    assert abs(near_zero) < 0.05 < far


def _prdc_loops(real, fake, k_pr, k_dc):
    def radii(a, k):
        d = np.linalg.norm(a[:, None] - a[None], axis=-1)
        return np.sort(d, axis=1)[:, k]

    def inside(point, centers, r):
        return np.linalg.norm(centers - point, axis=1) <= r

    rr, rf = radii(real, k_pr), radii(fake, k_pr)
    precision = np.mean([inside(y, real, rr).any() for y in fake])
    recall = np.mean([inside(x, fake, rf).any() for x in real])
    rd = radii(real, k_dc)
    density = sum(inside(y, real, rd).sum() for y in fake) / (k_dc * len(fake))
    coverage = np.mean([(np.linalg.norm(fake - x, axis=1) <= rd[i]).any() for i, x in enumerate(real)])
    return precision, recall, density, coverage


def test_precision_recall_density_coverage_against_loops():
    rng = np.random.default_rng(2)
    real = rng.standard_normal((50, 3))
    fake = rng.standard_normal((40, 3)) * 1.3 + 0.4
    pr = metrics.precision_recall(real, fake, k=3)
    dc = metrics.density_coverage(real, fake, k=5)
    expected = _prdc_loops(real, fake, 3, 5)
    np.testing.assert_allclose([pr["precision"], pr["recall"], dc["density"], dc["coverage"]], expected, rtol=1e-12)


def test_identical_sets_give_full_precision_recall_coverage():
    x = np.random.default_rng(3).standard_normal((64, 5))
    assert metrics.precision_recall(x, x, k=3) == {"precision": 1.0, "recall": 1.0}
    assert metrics.density_coverage(x, x, k=5)["coverage"] == 1.0
    collapsed = np.repeat(x[:1], 64, axis=0) + 1e-9 * np.arange(64)[:, None]
    assert metrics.precision_recall(x, collapsed, k=3)["recall"] < 0.2


def test_metric_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"\(N, K\)"):
        metrics.inception_score(np.zeros(5))
    with pytest.raises(ValueError, match="splits"):
        metrics.inception_score(np.zeros((3, 2)), splits=4)
    with pytest.raises(ValueError, match=r"\(N, D\) and \(M, D\)"):
        metrics.precision_recall(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="k must be in"):
        metrics.knn_radii(np.zeros((3, 2)), 3)

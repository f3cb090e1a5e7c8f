"""Inception Score and Kernel Inception Distance, on the host in float64."""

import jax
import numpy as np
from scipy.special import log_softmax


def inception_score(logits, *, splits=10) -> tuple[float, float]:
    """Inception Score (Salimans et al. 2016, Sec. 4): exp(E_x KL(p(y|x) || p(y))), with p(y) the
    mean prediction of each split; returns (mean, std) over `splits` contiguous splits.

    `logits` (N, K) are class logits (softmax is applied here, in float64). Uniform predictions
    give 1; confident predictions spread evenly over K classes give K.
    """
    logits = np.asarray(logits, np.float64)
    if logits.ndim != 2:
        raise ValueError(f"expected logits of shape (N, K), got {logits.shape}")
    if not 1 <= splits <= logits.shape[0]:
        raise ValueError(f"splits must be in [1, N={logits.shape[0]}], got {splits}")
    scores = []
    for part in np.array_split(logits, splits):
        log_p = log_softmax(part, axis=1)
        log_marginal = np.log(np.mean(np.exp(log_p), axis=0))
        kl = np.sum(np.exp(log_p) * (log_p - log_marginal), axis=1)
        scores.append(np.exp(np.mean(kl)))
    return float(np.mean(scores)), float(np.std(scores))


def _polynomial_kernel(x, y):
    gram = x @ y.T
    gram /= x.shape[1]
    gram += 1.0
    return gram * gram * gram


def _unbiased_mmd2(x, y):
    m = x.shape[0]
    kxx, kyy, kxy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
    return (
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2.0 * kxy.mean()
    )


def kernel_inception_distance(real_features: np.ndarray, fake_features: np.ndarray, *, key: jax.Array,
                              num_subsets: int = 100, subset_size: int = 1000) -> tuple[float, float]:
    """KID (Binkowski et al. 2018, Sec. 3): the unbiased MMD^2 with the kernel
    k(x, y) = (x.y / d + 1)^3, averaged over `num_subsets` random subsets of `subset_size` from each
    set (drawn without replacement from `key`); returns (mean, std) over subsets."""
    real = np.asarray(real_features, np.float64)
    fake = np.asarray(fake_features, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"expected features (N, D) and (M, D), got {real.shape} and {fake.shape}")
    size = min(subset_size, real.shape[0], fake.shape[0])
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {real.shape[0]} and {fake.shape[0]}")
    key_real, key_fake = jax.random.split(key)
    # subset s of each set: the first `size` entries of a permutation drawn from split(key, S)[s]
    draw = lambda key, n: np.asarray(
        jax.vmap(lambda k: jax.random.permutation(k, n)[:size])(jax.random.split(key, num_subsets))
    )
    rows_real, rows_fake = draw(key_real, real.shape[0]), draw(key_fake, fake.shape[0])
    values = [_unbiased_mmd2(real[i], fake[j]) for i, j in zip(rows_real, rows_fake)]
    return float(np.mean(values)), float(np.std(values))

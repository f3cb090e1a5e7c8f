"""Mode coverage of a 2D Gaussian mixture (DESIGN.md section 4; PacGAN, Lin et al. 2018, Sec. 5.1).

Each sample is assigned to its nearest mode; it is *high quality* when that distance is at most
`threshold` (3) standard deviations. A mode is *captured* when at least one high-quality sample
is assigned to it. The reverse KL is KL(q || u) between q, the histogram of the high-quality
samples over the modes, and the uniform distribution u over the K modes:
sum_k q_k log(K q_k), in [0, log K]; with no high-quality sample it is +inf.
"""

import numpy as np


def mode_coverage(samples, centers, std, *, threshold=3.0) -> dict:
    """Returns {"modes": int, "high_quality": fraction in [0, 1], "reverse_kl": float}.

    samples: (N, 2); centers: (K, 2); std: the mixture's standard deviation.
    """
    samples = np.asarray(samples, np.float64)
    centers = np.asarray(centers, np.float64)
    if samples.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"samples must have shape (N, {centers.shape[1]}), got {samples.shape}")
    if not np.all(np.isfinite(samples)):
        raise ValueError("samples contain non-finite values")
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = np.argmin(distances, axis=1)
    good = distances[np.arange(len(samples)), nearest] <= threshold * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    if counts.sum() == 0:
        reverse_kl = float("inf")
    else:
        q = counts / counts.sum()
        nonzero = q > 0
        reverse_kl = float(np.sum(q[nonzero] * np.log(len(centers) * q[nonzero])))
    return {"modes": int(np.sum(counts > 0)), "high_quality": float(np.mean(good)), "reverse_kl": reverse_kl}


def mean_and_stderr(values) -> tuple[float, float]:
    """Mean and standard error of the mean (sample std with ddof=1, over sqrt(n)); s.e. 0 for n=1.

    Infinite values (a reverse KL with no high-quality sample) give (inf, inf), not NaN.
    """
    values = np.asarray(values, np.float64)
    if np.isnan(values).any():
        raise ValueError(f"NaN among the values to summarize: {values}")
    if np.isinf(values).any():
        return float(values.mean()), float("inf")
    if len(values) < 2:
        return float(values.mean()), 0.0
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))

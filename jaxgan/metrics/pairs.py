"""CoGAN's pair correspondence (Liu & Tuzel 2016, arXiv:1606.07536, Sec. 5 and Table 1): how often
a generated pair (x_a, x_b) is a true pair, x_b = T(x_a) for the task's transform T.

The paper scores a pair by the agreement of T(x_a) with x_b pixel by pixel and averages over
pairs; pixels of grey images agree here when both are on the same side of the middle of the
range (binarized at 0.5 of [0, 1]), our reading of "pixel agreement" for images that are not
binary. Most pixels of a digit are background, so unrelated pairs agree on most of them too:
`pair_agreement` of the same images with x_b drawn from another pair is the chance level to
read it against.
"""

import numpy as np

THRESHOLD = 0.5


def pair_agreement(transform, a, b, *, threshold: float = THRESHOLD) -> np.ndarray:
    """The agreement of each pair (N,): the fraction of pixels where [T(a) >= threshold] equals
    [b >= threshold], for images `a`, `b` (N, H, W) in [0, 1] and `transform` T on such images
    (`data.coupled.transform_unit`). The paper's number is its mean."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"pair_agreement compares pairs of images (N, H, W) of one shape, got {a.shape} and {b.shape}")
    return np.mean((np.asarray(transform(a)) >= threshold) == (b >= threshold), axis=(1, 2))

"""Stacked MNIST (Metz et al. 2017, Sec. 3.3; Srivastava et al. 2017, VEEGAN Sec. 5.2): three
MNIST digits drawn independently become the R, G and B channels of one 28x28x3 image, so there are
1000 modes (digit triples). A generator's mode coverage is read off by classifying each channel
with the MNIST classifier: the number of distinct triples among 26,000 samples (the protocol of
the PacGAN and VEEGAN tables) and KL(p || uniform) of the triple histogram p.
"""

import numpy as np

NUM_MODES = 1000
NUM_SAMPLES = 26_000


class StackedImages:
    """Random access to a deterministic Stacked MNIST set of `size` images built from MNIST
    images (N, 28, 28, 1) and labels: image n stacks three digits drawn (with replacement) by a
    generator seeded with `seed`. Labels are the mode index 100*r + 10*g + b."""

    def __init__(self, images, labels, *, size, seed=0, origin="stacked_mnist"):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 4 or images.shape[1:] != (28, 28, 1) or images.dtype != np.uint8:
            raise ValueError(f"expected MNIST images uint8 (N, 28, 28, 1), got {images.dtype} {images.shape}")
        self.digits = images[..., 0]
        self.digit_labels = labels.astype(np.int32)
        self.triples = np.random.default_rng(seed).integers(0, len(images), size=(size, 3))
        self.origin = origin

    def __len__(self):
        return self.triples.shape[0]

    @property
    def shape(self) -> tuple[int, ...]:
        return (28, 28, 3)

    def take(self, indices) -> np.ndarray:
        triples = self.triples[np.asarray(indices)]
        return np.stack([self.digits[triples[..., c]] for c in range(3)], axis=-1)

    def take_labels(self, indices) -> np.ndarray:
        return mode_index(self.digit_labels[self.triples[np.asarray(indices)]])


def mode_index(digits) -> np.ndarray:
    """(..., 3) digit labels -> mode index 100*d0 + 10*d1 + d2 in [0, 1000)."""
    digits = np.asarray(digits)
    return (100 * digits[..., 0] + 10 * digits[..., 1] + digits[..., 2]).astype(np.int32)


def channels_as_digits(images) -> np.ndarray:
    """(B, 28, 28, 3) -> (3B, 28, 28, 1): every channel as one grey digit (for the classifier);
    rows [c*B, (c+1)*B) hold channel c."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1:] != (28, 28, 3):
        raise ValueError(f"expected Stacked MNIST images (B, 28, 28, 3), got shape {images.shape}")
    return np.concatenate([images[..., c : c + 1] for c in range(3)], axis=0)


def count_modes(predicted_digits) -> dict:
    """Modes covered and KL(p || uniform over 1000) from predicted digits (N, 3).

    p is the histogram of the N predicted triples; KL = sum_m p_m log(1000 p_m), 0 for a perfectly
    uniform histogram, log 1000 = 6.91 when every sample falls in one mode."""
    modes = mode_index(predicted_digits)
    counts = np.bincount(modes.reshape(-1), minlength=NUM_MODES).astype(np.float64)
    p = counts / counts.sum()
    nonzero = p > 0
    return {
        "modes": int(nonzero.sum()),
        "kl_to_uniform": float(np.sum(p[nonzero] * np.log(NUM_MODES * p[nonzero]))),
        "num_samples": int(counts.sum()),
    }

"""Sliced Wasserstein distance between two sets of images (Karras et al. 2018, "Progressive
Growing of GANs for Improved Quality, Stability, and Variation", Sec. 5 and App. D; the authors'
code tkarras/progressive_growing_of_gans, metrics/sliced_wasserstein.py; TF-GAN ships a variant).

Each image's Laplacian pyramid is built from its full resolution down to 16 x 16 (cv2's
pyrDown / pyrUp: the 5-tap binomial filter, mirrored borders). From every level, 128 random
7 x 7 neighbourhoods per image are taken, each (7 * 7 * C) descriptor set is normalized per
channel by its own mean and standard deviation, and the sliced Wasserstein distance between
the real and the generated descriptors is the mean, over 4 x 128 random unit directions, of the
mean absolute difference of the sorted projections. Reported x 1e3 per level (`swd_levels`,
finest first) and their mean (`swd`), as the paper's tables do. The numbers depend on the
number of images (the paper uses 16384): compare values computed with the same counts.

Every draw (patch positions, directions) comes from the given key. The pyramid is computed in
float64, descriptors and projections in float32 (the authors' precision), projected a few
directions at a time to bound memory (10,000 MNIST images: 1.28 million descriptors per set);
sorting them is the cost (10,000 against 10,000 MNIST images: 40 s on 2 CPU cores).
"""

from concurrent.futures import ThreadPoolExecutor

import jax
import numpy as np

_BINOMIAL = np.outer([1.0, 4.0, 6.0, 4.0, 1.0], [1.0, 4.0, 6.0, 4.0, 1.0]) / 256.0


def _filter(images: np.ndarray, gain: float) -> np.ndarray:
    """The 5 x 5 binomial filter times `gain` over (N, H, W, C), borders mirrored without
    repeating the edge (cv2's BORDER_REFLECT_101)."""
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
    height, width = images.shape[1:3]
    out = np.zeros_like(images)
    for dy in range(5):
        for dx in range(5):
            out += _BINOMIAL[dy, dx] * padded[:, dy:dy + height, dx:dx + width]
    return gain * out


def pyramid_down(images: np.ndarray) -> np.ndarray:
    """cv2.pyrDown: filter, then keep every second row and column."""
    return _filter(images, 1.0)[:, ::2, ::2]


def pyramid_up(images: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """cv2.pyrUp to spatial `shape`: zeros between the samples, then the filter with gain 4."""
    n, _, _, c = images.shape
    spread = np.zeros((n, shape[0], shape[1], c), images.dtype)
    spread[:, ::2, ::2] = images
    return _filter(spread, 4.0)


def laplacian_pyramid(images: np.ndarray, levels: int) -> list[np.ndarray]:
    """[L_0 (full size), ..., L_{levels-1}]: band-pass levels and, last, the low-pass residual, so
    that images = L_0 + up(L_1 + up(L_2 + ...))."""
    pyramid = [np.asarray(images, np.float64)]
    for _ in range(1, levels):
        low = pyramid_down(pyramid[-1])
        pyramid[-1] = pyramid[-1] - pyramid_up(low, pyramid[-1].shape[1:3])
        pyramid.append(low)
    return pyramid


def resolutions(size: int, minimum: int = 16) -> list[int]:
    """The pyramid's levels for `size`-pixel images: halving while at least `minimum` (the
    authors' rule; a 28-pixel image has one level, 32 two, 64 three)."""
    found = []
    while size >= minimum:
        found.append(size)
        size //= 2
    return found or [size]


def patches(level: np.ndarray, key: jax.Array, *, per_image: int, size: int) -> np.ndarray:
    """`per_image` random `size` x `size` neighbourhoods of every image of `level` (N, H, W, C),
    centers drawn uniformly where the whole neighbourhood fits: (N * per_image, size, size, C)."""
    n, height, width, _ = level.shape
    half = size // 2
    if min(height, width) < size:
        raise ValueError(f"images of {height}x{width} pixels are smaller than the {size}x{size} neighbourhoods")
    y_key, x_key = jax.random.split(key)
    y = np.asarray(jax.random.randint(y_key, (n * per_image,), half, height - half))
    x = np.asarray(jax.random.randint(x_key, (n * per_image,), half, width - half))
    image = np.repeat(np.arange(n), per_image)
    offsets = np.arange(-half, half + 1)
    return level[image[:, None, None], (y[:, None] + offsets)[:, :, None], (x[:, None] + offsets)[:, None, :]]


def normalized_descriptors(neighbourhoods: np.ndarray) -> np.ndarray:
    """Descriptors (M, size * size * C): each channel centred and scaled by its mean and standard
    deviation over the whole set (the authors' `finalize_descriptors`)."""
    mean = neighbourhoods.mean(axis=(0, 1, 2), keepdims=True)
    std = neighbourhoods.std(axis=(0, 1, 2), keepdims=True)
    normalized = (neighbourhoods - mean) / np.where(std > 0, std, 1.0)
    return normalized.reshape(len(neighbourhoods), -1).astype(np.float32)


def random_directions(key: jax.Array, dim: int, count: int) -> np.ndarray:
    """`count` unit vectors of R^dim, uniform on the sphere: (dim, count)."""
    d = np.asarray(jax.random.normal(key, (dim, count)), np.float64)
    return (d / np.sqrt(np.sum(np.square(d), axis=0, keepdims=True))).astype(np.float32)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, key: jax.Array, *, repeats: int = 4, directions: int = 128,
                       chunk: int = 32) -> float:
    """The mean over `repeats` x `directions` random unit directions d (`random_directions` of
    each repeat's key) of mean_i |sort(a d)_i - sort(b d)_i|: the sliced 1-Wasserstein distance of
    two equal-size point sets (M, D)."""
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"descriptor sets must be (M, D) of one shape, got {a.shape} and {b.shape}")
    total = 0.0
    with ThreadPoolExecutor(2) as pool:  # NumPy's sort releases the GIL: the two sets sort side by side
        for k in jax.random.split(key, repeats):
            d = random_directions(k, a.shape[1], directions)
            for s in range(0, directions, chunk):
                part = d[:, s:s + chunk]
                sorted_a, sorted_b = pool.map(lambda m: np.sort(m, axis=0), (a @ part, b @ part))
                total += float(np.sum(np.abs(sorted_a - sorted_b), dtype=np.float64))
    return total / (repeats * directions * len(a))


def sliced_wasserstein_distance(real: np.ndarray, fake: np.ndarray, *, key: jax.Array, patches_per_image: int = 128,
                                patch_size: int = 7, repeats: int = 4, directions: int = 128,
                                min_resolution: int = 16) -> dict:
    """{"swd": mean over levels, "swd_levels": [x 1e3 per level, finest first]} between real and
    generated images (N, H, W, C) of one shape (equal N: the sets are compared patch for patch;
    the larger set is cut to the smaller's size)."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 4 or real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"expected two image sets (N, H, W, C) of one shape, got {real.shape} and {fake.shape}")
    n = min(len(real), len(fake))
    levels = len(resolutions(real.shape[1], min_resolution))
    real_key, fake_key, direction_key = jax.random.split(key, 3)
    values = []
    for lod, (real_level, fake_level) in enumerate(zip(laplacian_pyramid(real[:n], levels),
                                                      laplacian_pyramid(fake[:n], levels), strict=True)):
        described = [normalized_descriptors(patches(level, jax.random.fold_in(k, lod), per_image=patches_per_image,
                                                    size=patch_size))
                     for level, k in ((real_level, real_key), (fake_level, fake_key))]
        values.append(1e3 * sliced_wasserstein(*described, jax.random.fold_in(direction_key, lod), repeats=repeats,
                                               directions=directions))
    return {"swd": float(np.mean(values)), "swd_levels": values}

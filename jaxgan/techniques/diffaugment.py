"""Differentiable Augmentation (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient
GAN Training", NeurIPS; code: mit-han-lab/data-efficient-gans, DiffAugment_pytorch.py): the same
random transform T on every image the discriminator sees, real and generated, in D's update and
in G's (Sec. 3, Eq. 4-5: L_D = f(-D(T(x))) + f(D(T(G(z)))), L_G = f(-D(T(G(z))))). T is
differentiable with respect to the image, so G's gradient flows through it.

Policies (the authors' constants, images in [-1, 1], one image (H, W, C) per call, its own key):

    color        brightness + U(-0.5, 0.5); saturation: (x - mean over channels) * U(0, 2) + that
                 mean; contrast: (x - mean over the image) * U(0.5, 1.5) + that mean
    translation  a shift by integers in [-s, s] on each axis, s = int(side / 8 + 0.5), with zero
                 padding (what leaves the frame is lost)
    cutout       a zero square of int(side / 2 + 0.5) pixels per side, centred at a uniform integer
                 position (the authors' offsets: 0 .. side for an even square), clipped to the frame

Consistency regularization (Zhang et al. 2020, Sec. 3) augments with x-flips and translations:
`flip` (a horizontal flip with probability 1/2) is a policy too.

Config: `techniques.diffaugment` = a comma-separated policy, e.g. "color,translation,cutout".
"""

import jax
import jax.numpy as jnp


def brightness(key: jax.Array, image: jax.Array) -> jax.Array:
    return image + (jax.random.uniform(key, dtype=image.dtype) - 0.5)


def saturation(key: jax.Array, image: jax.Array) -> jax.Array:
    mean = image.mean(axis=-1, keepdims=True)
    return (image - mean) * (jax.random.uniform(key, dtype=image.dtype) * 2) + mean


def contrast(key: jax.Array, image: jax.Array) -> jax.Array:
    mean = image.mean()
    return (image - mean) * (jax.random.uniform(key, dtype=image.dtype) + 0.5) + mean


def shifted(image: jax.Array, dy: jax.Array, dx: jax.Array) -> jax.Array:
    """out[i, j] = image[i + dy, j + dx] where that is inside the image, else 0."""
    height, width = image.shape[:2]
    rows, cols = jnp.arange(height) + dy, jnp.arange(width) + dx
    inside = ((rows >= 0) & (rows < height))[:, None] & ((cols >= 0) & (cols < width))[None, :]
    moved = image[jnp.clip(rows, 0, height - 1)][:, jnp.clip(cols, 0, width - 1)]
    return jnp.where(inside[..., None], moved, 0)


def translation(key: jax.Array, image: jax.Array, ratio: float = 0.125) -> jax.Array:
    height, width = image.shape[:2]
    sy, sx = int(height * ratio + 0.5), int(width * ratio + 0.5)
    ky, kx = jax.random.split(key)
    return shifted(image, jax.random.randint(ky, (), -sy, sy + 1), jax.random.randint(kx, (), -sx, sx + 1))


def cutout_mask(height: int, width: int, center_y: jax.Array, center_x: jax.Array, ratio: float = 0.5) -> jax.Array:
    """(H, W) ones with zeros on rows [cy - h // 2, cy - h // 2 + h) x the same for columns, where
    (h, w) = int(side * ratio + 0.5): the authors' square at integer centre (cy, cx)."""
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    rows, cols = jnp.arange(height), jnp.arange(width)
    top, left = center_y - size_y // 2, center_x - size_x // 2
    in_rows = (rows >= top) & (rows < top + size_y)
    in_cols = (cols >= left) & (cols < left + size_x)
    return 1.0 - (in_rows[:, None] & in_cols[None, :]).astype(jnp.float32)


def cutout(key: jax.Array, image: jax.Array, ratio: float = 0.5) -> jax.Array:
    height, width = image.shape[:2]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    ky, kx = jax.random.split(key)
    # The authors' offsets: integers in [0, side + (1 - size % 2)).
    center_y = jax.random.randint(ky, (), 0, height + (1 - size_y % 2))
    center_x = jax.random.randint(kx, (), 0, width + (1 - size_x % 2))
    return image * cutout_mask(height, width, center_y, center_x, ratio)[..., None].astype(image.dtype)


def flip(key: jax.Array, image: jax.Array) -> jax.Array:
    """A horizontal flip with probability 1/2 (consistency regularization's augmentation)."""
    return jnp.where(jax.random.bernoulli(key), image[:, ::-1], image)


POLICIES = {
    "color": (brightness, saturation, contrast),
    "translation": (translation,),
    "cutout": (cutout,),
    "flip": (flip,),
}


def parse_policy(policy: str) -> tuple[str, ...]:
    """The policy names of a comma-separated policy ("" = none); ValueError for unknown names."""
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ValueError(f"unknown augmentation policy {unknown[0]!r} in {policy!r}; known: {sorted(POLICIES)}")
    return names


def diff_augment(key: jax.Array, image: jax.Array, policy: str) -> jax.Array:
    """T(image) for one image (H, W, C) under `policy` (comma-separated names of `POLICIES`, applied
    in order, as the authors' `DiffAugment`); transform i of the policy draws from
    `fold_in(key, i)`. The identity for policy ""."""
    transforms = [fn for name in parse_policy(policy) for fn in POLICIES[name]]
    for i, fn in enumerate(transforms):
        image = fn(jax.random.fold_in(key, i), image)
    return image

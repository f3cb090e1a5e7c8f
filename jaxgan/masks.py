"""Holes to fill: the masks of the inpainting games (the context encoder, CCGAN). A hole mask is
boolean (..., H, W, 1), True where pixels are hidden from the generator. `Region` is the square
a generator predicts (the context encoder's central block) or the whole image.

Pathak et al. 2016 (CVPR, "Context Encoders", Sec. 4.3 and the authors' code,
pathak22/context-encoder) remove a central block (half the image side, a quarter of its area),
or random regions; CCGAN (Denton et al. 2016, Sec. 3) a square at a random position.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

MASKS = ("center", "random_region", "random_square")


class Region(NamedTuple):
    """The square [top, top + side) x [top, top + side) of an image of `size` pixels."""

    top: int
    side: int
    size: int

    @property
    def whole(self) -> bool:
        return self.side == self.size

    def crop(self, images: jax.Array) -> jax.Array:
        """images (..., size, size, C) -> the region (..., side, side, C)."""
        if self.whole:
            return images
        return images[..., self.top:self.top + self.side, self.top:self.top + self.side, :]

    def paste(self, images: jax.Array, patches: jax.Array) -> jax.Array:
        """images with the region replaced by `patches` (..., side, side, C)."""
        if self.whole:
            return patches
        return images.at[..., self.top:self.top + self.side, self.top:self.top + self.side, :].set(patches)


def center_region(size: int) -> Region:
    """The central block of half the image side (Pathak et al. 2016, Sec. 4.3: 64 of 128 pixels)."""
    side = size // 2
    return Region((size - side) // 2, side, size)


def whole_region(size: int) -> Region:
    return Region(0, size, size)


def center_hole(size: int, overlap: int) -> jax.Array:
    """(size, size, 1): the central block without a border of `overlap` pixels, which the
    generator predicts but still sees (the authors' overlapPred: 4 of a 64-pixel block)."""
    region = center_region(size)
    if not 0 <= 2 * overlap < region.side:
        raise ValueError(f"overlap={overlap} leaves no hole in a {region.side}-pixel central block; expected 0 <= "
                         f"overlap < {region.side / 2}")
    inside = jnp.arange(size)
    inside = (inside >= region.top + overlap) & (inside < region.top + region.side - overlap)
    return (inside[:, None] & inside[None, :])[..., None]


def random_region_holes(key: jax.Array, count: int, size: int, *, density: float = 0.25, cells: int = 8,
                        area: tuple[float, float] = (0.2, 0.3), tries: int = 16) -> jax.Array:
    """(count, size, size, 1) random-region holes, each its own (Pathak et al. 2016, Sec. 4.3
    "random region"; the authors' train_random.lua): uniform noise on a coarse grid of `cells`
    x `cells`, resized bicubically to the image, hidden where below `density`, so that smooth
    blobs cover about `density` of it. Like the authors', a mask counts if it hides a fraction
    in `area` (20-30%); of `tries` draws the first that does is kept, else the draw closest to
    `density`. The authors' grid is 0.06 of the pixels (7.7 cells across 128 pixels; here 8 across
    the image), and they use one mask for the whole batch."""
    noise = jax.random.uniform(key, (tries, count, cells, cells))
    smooth = jax.image.resize(noise, (tries, count, size, size), "cubic")
    holes = smooth < density
    hidden = jnp.mean(holes, axis=(-2, -1))  # (tries, count)
    accepted = (hidden > area[0]) & (hidden < area[1])
    order = jnp.arange(tries, dtype=jnp.float32)[:, None]
    score = jnp.where(accepted, -order, -tries - jnp.abs(hidden - density))
    pick = jnp.argmax(score, axis=0)  # (count,)
    return jnp.take_along_axis(holes, pick[None, :, None, None], axis=0)[0][..., None]


def random_square_holes(key: jax.Array, count: int, size: int, side: int) -> jax.Array:
    """(count, size, size, 1): a `side`-pixel square at a uniformly random position in each image
    (CCGAN's holes, Denton et al. 2016, Sec. 3)."""
    if not 0 < side <= size:
        raise ValueError(f"a hole of side {side} does not fit a {size}-pixel image")
    corners = jax.random.randint(key, (count, 2), 0, size - side + 1)
    pixels = jnp.arange(size)
    rows = (pixels[None, :] >= corners[:, :1]) & (pixels[None, :] < corners[:, :1] + side)
    cols = (pixels[None, :] >= corners[:, 1:]) & (pixels[None, :] < corners[:, 1:] + side)
    return (rows[:, :, None] & cols[:, None, :])[..., None]


def fill(images: jax.Array, holes: jax.Array, value: float) -> jax.Array:
    """`images` with the hidden pixels set to `value` (the authors fill with the data's mean)."""
    return jnp.where(holes, jnp.asarray(value, images.dtype), images)

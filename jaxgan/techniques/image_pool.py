"""The history pool of generated images (Shrivastava et al. 2017, "Learning from Simulated and
Unsupervised Images through Adversarial Training", Sec. 2.3), as CycleGAN uses it (Zhu et al.
2017, Sec. 4): the discriminator sees a mix of the newest fakes and older ones, which damps
oscillation. The pool is arrays in the train state (`state.extras`), so it is checkpointed and a
resumed run continues bit for bit.

Config: `translation.pool_size` (CycleGAN: 50; 0 = off).
"""

import jax
import jax.numpy as jnp
from jax import lax


def init_pool(size, image_shape, dtype=jnp.float32) -> dict:
    """An empty history pool for `size` images of `image_shape`:
    {"images": zeros (size, *image_shape), "count": int32 number stored (<= size)}."""
    return {"images": jnp.zeros((int(size),) + tuple(image_shape), dtype), "count": jnp.zeros((), jnp.int32)}


def query_pool(pool, images, key) -> tuple[jax.Array, dict]:
    """Shrivastava et al. 2017 (Sec. 2.3), as used by CycleGAN (Zhu et al. 2017, Sec. 4): the
    images the discriminator sees, drawn from a history of generated images.

    Images are taken one by one, in batch order. While the pool holds fewer than `size` images,
    an image is stored and returned as it is. Once it is full, with probability 1/2 the image
    is returned as it is; otherwise a stored image chosen uniformly is returned and the new image
    takes its place. Image i uses `fold_in(key, i)`: a coin (`bernoulli`) and a slot
    (`randint`). A pool of size 0 returns the images unchanged.

    Returns (images for D (B, ...), updated pool). Pure and deterministic under `key`.
    """
    size = pool["images"].shape[0]
    if size == 0:
        return images, pool
    if images.shape[1:] != pool["images"].shape[1:]:
        raise ValueError(f"pool holds images of shape {pool['images'].shape[1:]}, got a batch of {images.shape[1:]}")

    def one(carry, inputs):
        stored, count = carry
        image, index = inputs
        coin_key, slot_key = jax.random.split(jax.random.fold_in(key, index))
        filling = count < size
        swap = jnp.logical_and(~filling, jax.random.bernoulli(coin_key, 0.5))
        slot = jnp.where(filling, count, jax.random.randint(slot_key, (), 0, size))
        old = stored[slot]
        stored = jnp.where(filling | swap, stored.at[slot].set(image), stored)
        returned = jnp.where(swap, old, image)
        return (stored, count + filling.astype(jnp.int32)), returned

    (stored, count), returned = lax.scan(one, (pool["images"], pool["count"]), (images, jnp.arange(images.shape[0])))
    return returned, {"images": stored, "count": count}

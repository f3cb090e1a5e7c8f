"""PacGAN packing (Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial
networks", Sec. 3): the discriminator judges m samples at once, all real or all fake, so a
generator that drops modes is easier to tell apart.

Config: `model.packing` = m (1 = off); the batch is then `data.batch_size` / m packs.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp


def pack(x: jax.Array, num_packed: int) -> jax.Array:
    """Consecutive groups of m = `num_packed` examples concatenated along the last
    (channel/feature) axis: (N, ..., C) -> (N/m, ..., m*C).

    Example:
      >>> pack(jnp.arange(8.0).reshape(4, 2), 2)
      Array([[0., 1., 2., 3.],
             [4., 5., 6., 7.]], dtype=float32)
    """
    n = x.shape[0]
    if num_packed < 1 or n % num_packed:
        raise ValueError(f"batch size {n} is not divisible by the packing degree {num_packed}")
    grouped = x.reshape((n // num_packed, num_packed) + x.shape[1:])
    grouped = jnp.moveaxis(grouped, 1, -2)  # (N/m, ..., m, C)
    return grouped.reshape(grouped.shape[:-2] + (num_packed * x.shape[-1],))


class Packed(nn.Module):
    """A discriminator that judges m samples at once: input (N, ...) is packed to
    (N/m, ..., m*C) and passed to `inner`, which returns N/m logits. Real and fake batches are
    packed separately, so each pack is all real or all fake."""

    inner: nn.Module
    num_packed: int = 2

    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        return self.inner(pack(x, self.num_packed), train=train)

"""PacGAN packing (Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial
networks", Sec. 3): the discriminator judges m samples at once, all real or all fake, so a
generator that drops modes is easier to tell apart.

Config: `model.packing` = m (1 = off); the batch is then `data.batch_size` / m packs. With
`game.packing_bn="per_slot"` the generator's BatchNorm sees each pack slot's examples on their
own (`per_slot`), as the authors' code has it.
"""

from collections.abc import Callable
from typing import Any

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


def per_slot(run: Callable[[jax.Array], tuple[jax.Array, Any]], inputs: jax.Array,
             num_slots: int) -> tuple[jax.Array, Any]:
    """`run(inputs) -> (outputs, collections)` (a network pass in training mode) applied to each
    pack slot's examples on their own, as PacGAN's code draws its m latent batches and applies
    the generator to each (fjxmlzn/PacGAN, `pacgan_task.py`: `zs`, `compute_losses`): slot i holds
    examples i, i + m, i + 2m, ... (where `pack` puts them), so a BatchNorm layer normalizes each
    slot's N/m examples with their own statistics. The returned collections (running averages)
    are the mean of the m passes' updates, i.e. the running average moved by the mean of the m
    slots' batch statistics, as the authors' code merges its m updates of one variable.

    Example:
      >>> run = lambda x: (x - x.mean(0), {})
      >>> per_slot(run, jnp.array([0.0, 10.0, 2.0, 20.0]), 2)[0]
      Array([-1., -5.,  1.,  5.], dtype=float32)
    """
    n = inputs.shape[0]
    if num_slots < 1 or n % num_slots:
        raise ValueError(f"batch size {n} is not divisible by the packing degree {num_slots}")
    slots = jnp.swapaxes(inputs.reshape((n // num_slots, num_slots) + inputs.shape[1:]), 0, 1)
    outputs, collections = jax.vmap(run)(slots)
    outputs = jnp.swapaxes(outputs, 0, 1).reshape((n,) + outputs.shape[2:])
    return outputs, jax.tree.map(lambda c: jnp.mean(c, axis=0).astype(c.dtype), collections)


class Packed(nn.Module):
    """A discriminator that judges m samples at once: input (N, ...) is packed to
    (N/m, ..., m*C) and passed to `inner`, which returns N/m logits. Real and fake batches are
    packed separately, so each pack is all real or all fake."""

    inner: nn.Module
    num_packed: int = 2

    def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
        return self.inner(pack(x, self.num_packed), train=train)

"""Multilayer perceptrons for low-dimensional data (the 2D mode-coverage studies)."""

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

NORMS = ("none", "batch", "layer")


def _norm(kind, train, axis_name):
    if kind == "batch":
        return nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=axis_name)
    if kind == "layer":
        return nn.LayerNorm()
    if kind == "none":
        return lambda h: h
    raise ValueError(f"unknown norm {kind!r}; expected one of {NORMS}")


class MLPGenerator(nn.Module):
    """z (B, latent_dim) -> x (B, output_dim): Dense -> [norm] -> ReLU per hidden layer, linear out.

    Example:
      >>> g = MLPGenerator(hidden=(64, 64), output_dim=2)
      >>> variables = g.init(jax.random.key(0), jnp.zeros((4, 8)), train=False)
    """

    hidden: Sequence[int] = (256, 256, 256)
    output_dim: int = 2
    norm: str = "none"
    axis_name: str | None = None

    @nn.compact
    def __call__(self, z, *, train: bool):
        h = z
        for width in self.hidden:
            # A bias before BatchNorm is cancelled by the mean subtraction: leave it out.
            h = nn.Dense(width, use_bias=self.norm != "batch")(h)
            h = _norm(self.norm, train, self.axis_name)(h)
            h = nn.relu(h)
        return nn.Dense(self.output_dim)(h)


class MLPDiscriminator(nn.Module):
    """x (B, ...) -> logits (B,): flattened input, Dense -> [norm] -> LeakyReLU(0.2), linear out."""

    hidden: Sequence[int] = (256, 256, 256)
    norm: str = "none"
    axis_name: str | None = None

    @nn.compact
    def __call__(self, x, *, train: bool):
        h = x.reshape(x.shape[0], -1)
        for width in self.hidden:
            # A bias before BatchNorm is cancelled by the mean subtraction: leave it out.
            h = nn.Dense(width, use_bias=self.norm != "batch")(h)
            h = _norm(self.norm, train, self.axis_name)(h)
            h = nn.leaky_relu(h, 0.2)
        return nn.Dense(1)(h)[:, 0]

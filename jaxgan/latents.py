"""Latent priors with labels and codes: what a conditional, InfoGAN or AAE generator is fed.

A latent vector is laid out as `[one_hot(y) (K), c (C), z (Z)]`: a class label y (CGAN and
ACGAN class, InfoGAN categorical code, AAE label), C continuous codes c ~ U(-1, 1) (InfoGAN) and
Z-dimensional noise z ~ N(0, I), or U(-1, 1)^Z (`noise="uniform"`, the InfoGAN code's). Feeding
the one-hot label into the generator's first (dense) layer is the same as adding a learned class
embedding to it, so every unconditional generator (MLP, DCGAN, ResNet) becomes conditional
without a change.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

NOISES = ("normal", "uniform")


def normal_noise(key: jax.Array, shape: tuple[int, ...], truncation: float = 0.0) -> jax.Array:
    """z ~ N(0, I); with `truncation` t > 0, each entry from the normal truncated to [-t, t]
    (BigGAN's truncation trick, Brock et al. 2019, Sec. 4.1: "values which fall outside a range
    are resampled to fall inside that range", whose result is this distribution; drawn by
    inverting the truncated CDF, `jax.random.truncated_normal`, not by rejection)."""
    if truncation < 0:
        raise ValueError(f"truncation must be >= 0 (0 = none), got {truncation}")
    if not truncation:
        return jax.random.normal(key, shape)
    return jax.random.truncated_normal(key, -truncation, truncation, shape)


class Prior(NamedTuple):
    """p(y) p(c) p(z): y uniform over `num_classes` (none when 0), c uniform on [-1, 1]^C, z ~ N(0, I)
    (`noise="normal"`; truncated to [-truncation, truncation] per entry when `truncation` > 0,
    BigGAN's truncation trick at sampling) or uniform on [-1, 1]^Z (`noise="uniform"`), times
    `noise_scale` (ClusterGAN's z_n ~ N(0, 0.1^2 I): 0.1).

    Example:
      >>> prior = Prior(noise_dim=62, num_classes=10, continuous_codes=2)   # InfoGAN on MNIST
      >>> draws = jax.vmap(prior.draw)(jax.random.split(jax.random.key(0), 8))
      >>> prior.latent(draws).shape
      (8, 74)
    """

    noise_dim: int
    num_classes: int = 0
    continuous_codes: int = 0
    noise: str = "normal"
    noise_scale: float = 1.0
    truncation: float = 0.0

    @property
    def latent_dim(self) -> int:
        return self.num_classes + self.continuous_codes + self.noise_dim

    def draw(self, key) -> dict[str, jax.Array]:
        """One example's {"y": int32 (), "c": (C,), "z": (Z,)} from `key` (each part from its own
        fold, so adding codes does not change the noise)."""
        if self.noise not in NOISES:
            raise ValueError(f"Prior noise must be one of {NOISES}, got {self.noise!r}")
        if self.truncation and self.noise != "normal":
            raise ValueError(f"truncation={self.truncation} truncates normal noise; this prior's is {self.noise!r}")
        noise_key = jax.random.fold_in(key, 2)
        if self.noise == "uniform":
            z = jax.random.uniform(noise_key, (self.noise_dim,), minval=-1.0, maxval=1.0)
        else:
            z = normal_noise(noise_key, (self.noise_dim,), self.truncation)
        if self.noise_scale != 1.0:
            z = self.noise_scale * z
        return {
            "y": jax.random.randint(jax.random.fold_in(key, 0), (), 0, max(self.num_classes, 1), jnp.int32),
            "c": jax.random.uniform(jax.random.fold_in(key, 1), (self.continuous_codes,), minval=-1.0, maxval=1.0),
            "z": z,
        }

    def latent(self, draws) -> jax.Array:
        """The generator input `[one_hot(y), c, z]` of draws with any leading batch shape."""
        parts = [draws["c"], draws["z"]]
        if self.num_classes:
            parts.insert(0, jax.nn.one_hot(draws["y"], self.num_classes))
        return jnp.concatenate(parts, axis=-1)

    def sample_latent(self, key, shape=None) -> jax.Array:
        """`games.generate`'s prior: one latent vector from `key` (shape is implied)."""
        del shape
        return self.latent(self.draw(key))

    def latents_for_labels(self, key, labels) -> jax.Array:
        """Latents (N, latent_dim) whose class part is `labels` (N,) and whose codes and noise
        are drawn from `fold_in(key, i)` as in `sample_latent`; equal noise for equal i."""
        draws = jax.vmap(lambda i: self.draw(jax.random.fold_in(key, i)))(jnp.arange(labels.shape[0]))
        return self.latent(dict(draws, y=jnp.asarray(labels, jnp.int32)))

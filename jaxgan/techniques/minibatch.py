"""Layers that let the discriminator see statistics of the whole minibatch, so that a collapsed
generator (many near-identical samples) is easy to detect: minibatch discrimination (Salimans et
al. 2016, "Improved Techniques for Training GANs", Sec. 3.2) and the minibatch standard deviation
(Karras et al. 2018, "Progressive Growing of GANs", Sec. 3).

Config (MLP discriminator): `model.d_minibatch_kernels` (0 = off), `model.d_minibatch_std`.
Both make D's output on one example depend on the others, so gradient penalties (per-example
gradients) cannot be combined with them.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination (Salimans et al. 2016, Sec. 3.2).

    f(x_i) in R^A is multiplied by a tensor T in R^{A x B x C} to M_i in R^{B x C};
    c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1) and o(x_i)_b = sum_j c_b(x_i, x_j) (j = i
    included, as in the paper). Returns [f(x_i), o(x_i)] of shape (N, A + B). A batch of
    identical examples gets o = N in every kernel: that closeness is what D learns to detect.
    """

    num_kernels: int = 50
    kernel_dim: int = 5

    @nn.compact
    def __call__(self, features: jax.Array) -> jax.Array:
        if features.ndim != 2:
            raise ValueError(f"expected features of shape (N, A), got {features.shape}")
        tensor = self.param(
            "T", nn.initializers.normal(0.05), (features.shape[1], self.num_kernels * self.kernel_dim)
        )
        m = (features @ tensor).reshape(features.shape[0], self.num_kernels, self.kernel_dim)
        l1 = jnp.sum(jnp.abs(m[:, None, :, :] - m[None, :, :, :]), axis=-1)  # (N, N, B)
        return jnp.concatenate([features, jnp.sum(jnp.exp(-l1), axis=1)], axis=1)


class MinibatchStdDev(nn.Module):
    """Minibatch standard deviation (Karras et al. 2018, Sec. 3): the standard deviation of each
    feature over groups of `group_size` examples, averaged over features, appended as one more
    channel (last axis) to every example of the group. Works for (N, F) and (N, H, W, C)."""

    group_size: int = 4
    epsilon: float = 1e-8

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        n = x.shape[0]
        group = min(self.group_size, n)
        if n % group:
            raise ValueError(f"batch size {n} is not divisible by the minibatch-stddev group size {group}")
        grouped = x.reshape((group, n // group) + x.shape[1:])
        std = jnp.sqrt(jnp.var(grouped, axis=0) + self.epsilon)  # (n/group, ...)
        per_group = jnp.mean(std.reshape(n // group, -1), axis=1)  # (n/group,)
        per_example = jnp.tile(per_group, group)  # example i belongs to group i mod (n/group)
        extra = jnp.broadcast_to(per_example.reshape((n,) + (1,) * (x.ndim - 1)), x.shape[:-1] + (1,))
        return jnp.concatenate([x, extra], axis=-1)

"""Virtual batch normalization (Salimans et al. 2016, "Improved Techniques for Training GANs",
Sec. 3.5): normalize every example with the statistics of a fixed reference batch plus itself,
so that an example's output never depends on the other examples it is batched with."""

import flax.linen as nn
import jax
import jax.numpy as jnp


class VirtualBatchNorm(nn.Module):
    """Virtual batch normalization.

    Call on `concatenate([reference, x])`: the first `reference_size` examples are a reference
    batch fixed at the start of training. The reference rows are normalized with their own
    statistics; every other example with the statistics of the reference batch plus itself,
    mean_i = (R * mean_ref + mean(x_i)) / (R + 1) (likewise for the second moment), over all axes
    but the last. Learned scale and offset per feature.
    """

    reference_size: int
    epsilon: float = 1e-5

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        r = self.reference_size
        if not 0 < r <= x.shape[0]:
            raise ValueError(f"reference_size {r} must be in [1, batch size {x.shape[0]}]")
        features = x.shape[-1]
        scale = self.param("scale", nn.initializers.ones, (features,))
        offset = self.param("bias", nn.initializers.zeros, (features,))
        ref = x[:r]
        ref_axes = tuple(range(ref.ndim - 1))
        ref_mean, ref_sq = jnp.mean(ref, axis=ref_axes), jnp.mean(jnp.square(ref), axis=ref_axes)
        own_axes = tuple(range(1, x.ndim - 1))
        own_mean = jnp.mean(x[r:], axis=own_axes, keepdims=True) if own_axes else x[r:]
        own_sq = jnp.mean(jnp.square(x[r:]), axis=own_axes, keepdims=True) if own_axes else jnp.square(x[r:])
        mean = (r * ref_mean + own_mean) / (r + 1)
        sq = (r * ref_sq + own_sq) / (r + 1)

        def normalize(values, m, s):
            return (values - m) / jnp.sqrt(jnp.maximum(s - jnp.square(m), 0.0) + self.epsilon) * scale + offset

        return jnp.concatenate([normalize(ref, ref_mean, ref_sq), normalize(x[r:], mean, sq)], axis=0)

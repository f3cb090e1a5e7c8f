"""Layers that belong to GAN techniques: minibatch discrimination, minibatch standard deviation,
virtual batch normalization, weight normalization and packing."""

import flax.linen as nn
import jax
import jax.numpy as jnp


def norm_layer(kind, *, train, axis_name=None, dtype=jnp.float32):
    """A normalization layer by name: "batch" (batch statistics while training, running averages
    otherwise; averaged over the pmap axis `axis_name`), "layer", "instance" (per example and
    channel over space) or "none" (identity). Outputs in `dtype`; flax computes the statistics
    in float32 whatever the dtype, and the scale and offset are float32 parameters."""
    if kind == "batch":
        return nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=axis_name, dtype=dtype)
    if kind == "layer":
        return nn.LayerNorm(dtype=dtype)
    if kind == "instance":
        return nn.InstanceNorm(dtype=dtype)
    if kind == "none":
        return lambda h: h
    raise ValueError(f"unknown norm {kind!r}; expected batch, layer, instance or none")


class WeightNormDense(nn.Module):
    """A weight-normalized dense layer (Salimans & Kingma 2016, Eq. 2): y = x (v g / ||v||) + b,
    with one scale g and one norm ||v|| per output unit.

    data_init: the data-dependent initialization of Salimans & Kingma 2016 (Sec. 3), as in the
      Improved-GAN code (`nn.DenseLayer`): when the layer is initialized (`module.init` with a
      real batch), g = 1 / std and b = -mean / std of the unit's pre-activations x v / ||v||
      over that batch, so each unit starts with zero mean and unit variance on the data. A unit
      with zero variance (e.g. over the zeros a checkpoint template is built from) gets g = 1.
    train_scale: if False, g stays at its initial value (its gradient is zero; the Improved-GAN
      MNIST discriminator trains g only in its output layer).
    kernel_init: for v; only its scale matters to how fast Adam turns v (the Improved-GAN code
      uses N(0, 0.1^2)).
    """

    features: int
    data_init: bool = False
    train_scale: bool = True
    kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.1)
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x):
        v = self.param("kernel", self.kernel_init, (x.shape[-1], self.features))
        direction = v / jnp.sqrt(jnp.sum(jnp.square(v), axis=0, keepdims=True))
        pre = jnp.dot(x.astype(self.dtype), direction.astype(self.dtype)).astype(jnp.float32)
        if self.data_init and self.is_initializing():
            mean = jnp.mean(pre.reshape(-1, self.features), axis=0)
            std = jnp.sqrt(jnp.mean(jnp.square(pre.reshape(-1, self.features) - mean), axis=0))
            std = jnp.where(std > 0, std, 1.0)
            scale_init, bias_init = lambda key, shape: 1.0 / std, lambda key, shape: -mean / std
        else:
            scale_init, bias_init = nn.initializers.ones, nn.initializers.zeros
        scale = self.param("scale", scale_init, (self.features,))
        bias = self.param("bias", bias_init, (self.features,))
        if not self.train_scale:
            scale = jax.lax.stop_gradient(scale)
        return (pre * scale + bias).astype(self.dtype)


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
    def __call__(self, features):
        if features.ndim != 2:
            raise ValueError(f"expected features of shape (N, A), got {features.shape}")
        tensor = self.param(
            "T", nn.initializers.normal(0.05), (features.shape[1], self.num_kernels * self.kernel_dim)
        )
        m = (features @ tensor).reshape(features.shape[0], self.num_kernels, self.kernel_dim)
        l1 = jnp.sum(jnp.abs(m[:, None, :, :] - m[None, :, :, :]), axis=-1)  # (N, N, B)
        return jnp.concatenate([features, jnp.sum(jnp.exp(-l1), axis=1)], axis=1)


class Maxout(nn.Module):
    """A linear maxout layer (Goodfellow et al. 2013, "Maxout Networks", Eq. 1):
    h_i(x) = max_{j <= k} z_ij with z_ij = x^T W_ij + b_ij, i.e. one Dense layer of
    `features * pieces` units whose consecutive groups of `pieces` are reduced by max (the layout of
    Blocks' `LinearMaxout`, which PacGAN's 2D discriminator stacks: 200 units, 5 pieces).

    (..., D) -> (..., features).
    """

    features: int
    pieces: int
    use_bias: bool = True
    kernel_init: nn.initializers.Initializer = nn.linear.default_kernel_init
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x):
        if self.pieces < 1:
            raise ValueError(f"Maxout needs pieces >= 1, got {self.pieces}")
        z = nn.Dense(self.features * self.pieces, use_bias=self.use_bias, kernel_init=self.kernel_init,
                     dtype=self.dtype)(x)
        return jnp.max(z.reshape(z.shape[:-1] + (self.features, self.pieces)), axis=-1)


class MinibatchStdDev(nn.Module):
    """Minibatch standard deviation (Karras et al. 2018, Sec. 3): the standard deviation of each
    feature over groups of `group_size` examples, averaged over features, appended as one more
    channel (last axis) to every example of the group. Works for (N, F) and (N, H, W, C)."""

    group_size: int = 4
    epsilon: float = 1e-8

    @nn.compact
    def __call__(self, x):
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


class VirtualBatchNorm(nn.Module):
    """Virtual batch normalization (Salimans et al. 2016, Sec. 3.5).

    Call on `concatenate([reference, x])`: the first `reference_size` examples are a reference
    batch fixed at the start of training. The reference rows are normalized with their own
    statistics; every other example with the statistics of the reference batch plus itself,
    mean_i = (R * mean_ref + mean(x_i)) / (R + 1) (likewise for the second moment), over all axes
    but the last. So an example's output never depends on the other examples it is batched with.
    Learned scale and offset per feature.
    """

    reference_size: int
    epsilon: float = 1e-5

    @nn.compact
    def __call__(self, x):
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


def pack(x, num_packed):
    """PacGAN packing (Lin et al. 2018): consecutive groups of m examples concatenated along the
    last (channel/feature) axis, (N, ..., C) -> (N/m, ..., m*C)."""
    n = x.shape[0]
    if num_packed < 1 or n % num_packed:
        raise ValueError(f"batch size {n} is not divisible by the packing degree {num_packed}")
    grouped = x.reshape((n // num_packed, num_packed) + x.shape[1:])
    grouped = jnp.moveaxis(grouped, 1, -2)  # (N/m, ..., m, C)
    return grouped.reshape(grouped.shape[:-2] + (num_packed * x.shape[-1],))


class Packed(nn.Module):
    """A discriminator that judges m samples at once (PacGAN, Lin et al. 2018): input (N, ...) is
    packed to (N/m, ..., m*C) and passed to `inner`, which returns N/m logits. Real and fake
    batches are packed separately, so each pack is all real or all fake."""

    inner: nn.Module
    num_packed: int = 2

    def __call__(self, x, *, train: bool):
        return self.inner(pack(x, self.num_packed), train=train)

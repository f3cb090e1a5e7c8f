"""Layers the network families share: normalization by name, weight normalization (Salimans &
Kingma 2016) and linear maxout (Goodfellow et al. 2013). The techniques' layers (minibatch
discrimination, packing, virtual batch norm) are in `jaxgan.techniques`."""

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

ACTIVATIONS = {"relu": nn.relu, "leaky_relu": lambda h: nn.leaky_relu(h, 0.2), "softplus": nn.softplus, "tanh": nn.tanh}


def activation_fn(name) -> Callable:
    """A hidden activation by name (`ACTIVATIONS`; leaky_relu has slope 0.2)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def nearest_upsample(x: jnp.ndarray) -> jnp.ndarray:
    """2x nearest-neighbour up-sampling of (B, H, W, C) maps."""
    b, h, w, c = x.shape
    return jnp.broadcast_to(x[:, :, None, :, None, :], (b, h, 2, w, 2, c)).reshape(b, 2 * h, 2 * w, c)


def average_pool(x: jnp.ndarray) -> jnp.ndarray:
    """2x2 average pooling with stride 2 of (B, H, W, C) maps."""
    return nn.avg_pool(x, (2, 2), (2, 2))


def doubling_layout(side: int) -> tuple[int, int]:
    """(2x up-blocks, bottom side) of a generator that doubles its maps up to images of `side`:
    halve while the side is even and its half at least 4 (32 -> 4 with 3 blocks, 28 -> 7 with 2,
    64 -> 4 with 4)."""
    blocks = 0
    while side % 2 == 0 and side // 2 >= 4:
        side //= 2
        blocks += 1
    return blocks, side


def kernel_init(init_std) -> Callable:
    """Flax's default (LeCun normal) for `init_std` 0, else N(0, init_std^2), the DCGAN / PacGAN
    convention (0.02). Under Adam a layer's relative change per step is about lr / |w|, so this
    scale sets how fast each layer learns, not only where it starts."""
    if init_std < 0:
        raise ValueError(f"init_std must be >= 0 (0: Flax's default), got {init_std}")
    return nn.initializers.normal(init_std) if init_std > 0 else nn.linear.default_kernel_init


def norm_layer(kind, *, train, axis_name=None, dtype=jnp.float32, momentum=0.9) -> Callable:
    """A normalization layer by name: "batch" (batch statistics while training, running averages
    otherwise, `running <- momentum * running + (1 - momentum) * batch`; averaged over the pmap
    axis `axis_name`), "layer", "instance" (per example and channel over space) or "none"
    (identity). Outputs in `dtype`; flax computes the statistics in float32 whatever the dtype,
    and the scale and offset are float32 parameters."""
    if kind == "batch":
        return nn.BatchNorm(use_running_average=not train, momentum=momentum, axis_name=axis_name, dtype=dtype)
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

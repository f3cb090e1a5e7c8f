"""The DCGAN critic's 4x4 stride-2 convolution as one matrix product, for critics that are
differentiated twice (gradient penalties).

A gradient penalty differentiates the critic's input gradient with respect to its parameters.
For a strided `lax.conv_general_dilated` that second derivative contains convolutions with a
dilated, reversed kernel operand, which XLA's CPU backend cannot hand to a convolution library
and runs as a naive loop: 430 of the 580 ms of a WGAN-GP DCGAN-28 step (batch 64; benchmarks/
README.md, "WGAN-GP"). `conv4x4_stride2` computes the same convolution as pad, space-to-depth
(2x2 blocks to channels), a stack of the 2x2 neighbouring blocks of every output pixel (an im2col
with 4 copies instead of 16) and one (B*Ho*Wo, 16C) x (16C, F) product: all its derivatives, of
any order, are matrix products and data movement. For a critic differentiated once, XLA's own
convolution is about 10% faster, hence `DCGANDiscriminator(conv="xla")` by default.
"""

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.nets.layers import kernel_init


def space_to_depth(x, block=2):
    """(B, H, W, C) -> (B, H/block, W/block, block*block*C), channel order (row, column, c)."""
    b, h, w, c = x.shape
    x = x.reshape(b, h // block, block, w // block, block, c)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(b, h // block, w // block, block * block * c)


def _same_padding(size):
    """(output size, low pad, high pad) of a 4x4 stride-2 "SAME" convolution (XLA's rule: the
    total padding (out - 1) * 2 + 4 - size, the smaller half first)."""
    out = -(-size // 2)
    total = 2 * out + 2 - size
    return out, total // 2, total - total // 2


def conv4x4_stride2(x, kernel):
    """`nn.Conv(F, (4, 4), (2, 2), padding="SAME")` of x (B, H, W, C) with kernel (4, 4, C, F).

    Padded to 2 * Ho + 2 pixels, tap u = 2p + a of output i reads padded pixel 2(i + p) + a, i.e.
    row a of space-to-depth block i + p: the 4 blocks (p, q) in {0, 1}^2 of every output pixel,
    stacked, hold its 4x4 window with channels ordered (p, q, a, b, c)."""
    b, h, w, c = x.shape
    (ho, top, bottom), (wo, left, right) = _same_padding(h), _same_padding(w)
    blocks = space_to_depth(jnp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0))))
    windows = jnp.stack([blocks[:, p:p + ho, q:q + wo] for p in range(2) for q in range(2)], axis=3)
    matrix = kernel.reshape(2, 2, 2, 2, c, -1).transpose(0, 2, 1, 3, 4, 5).reshape(16 * c, -1)  # (p,a,q,b) -> (p,q,a,b)
    return (windows.reshape(b * ho * wo, 16 * c) @ matrix).reshape(b, ho, wo, -1)


def kernel_layer(module, x, size, op):
    """`op(x, kernel)` plus bias with nn.Conv's parameters (kernel (size, size, C, features),
    LeCun normal, or N(0, init_std^2) when the module has an `init_std` > 0; bias zeros if
    `module.use_bias`), float32 parameters computed in `module.dtype` (float32 when the module
    has none): the body of the layers that compute a convolution their own way."""
    dtype = getattr(module, "dtype", jnp.float32)
    kernel = module.param(
        "kernel", kernel_init(getattr(module, "init_std", 0.0)), (size, size, x.shape[-1], module.features),
        jnp.float32,
    )
    y = op(x.astype(dtype), kernel.astype(dtype))
    if module.use_bias:
        y = y + module.param("bias", nn.initializers.zeros, (module.features,), jnp.float32).astype(dtype)
    return y


class Conv4x4Stride2(nn.Module):
    """`nn.Conv(features, (4, 4), (2, 2), padding="SAME")` (same parameters and initializers)
    computed by `conv4x4_stride2`."""

    features: int
    use_bias: bool = True
    dtype: jnp.dtype = jnp.float32
    init_std: float = 0.0

    @nn.compact
    def __call__(self, x):
        return kernel_layer(self, x, 4, conv4x4_stride2)

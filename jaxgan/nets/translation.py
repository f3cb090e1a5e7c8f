"""Image-to-image translation networks: the Pix2Pix U-Net and PatchGAN (Isola et al. 2017) and
the CycleGAN ResNet generator (Zhu et al. 2017, after Johnson et al. 2016).

All take and return NHWC images in [-1, 1]; discriminators return a map of patch logits
(B, h, w, 1), one logit per receptive field. Dropout and any other randomness draw from the
`noise` RNG stream (`steps._apply(..., noise_key=...)`), only while training.

`dtype` (e.g. `jnp.bfloat16`) is the compute dtype of every layer; parameters stay float32 and
outputs are float32. `upsample` picks the exact form of the transposed convolutions,
"transpose" (phase decomposition) or "transpose_dilated" (XLA's input-dilated convolution), with
the same parameters (`jaxgan.backend.choices().upsample` is the measured faster one).

Normalization: "batch" (the Pix2Pix paper's, with its batch size 1 it equals instance norm),
"instance" (CycleGAN's; `nn.InstanceNorm`, per example and channel over space) or "none". A
convolution followed by a norm has no bias (the norm removes it; its gradient would be rounding
noise that Adam amplifies).
"""

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.nets.conv import kernel_layer
from jaxgan.nets.dcgan import TRANSPOSED_FORMS, ConvTranspose4x4Stride2, transposed_op
from jaxgan.nets.layers import norm_layer

NORMS = ("batch", "instance", "none")


def _norm(kind, train, axis_name=None, dtype=jnp.float32):
    if kind not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")
    return norm_layer(kind, train=train, axis_name=axis_name, dtype=dtype)


def _form(upsample):
    if upsample not in TRANSPOSED_FORMS:
        raise ValueError(f"upsample must be one of {sorted(TRANSPOSED_FORMS)}, got {upsample!r}")
    return TRANSPOSED_FORMS[upsample]


def _check_image(x, name):
    if x.ndim != 4:
        raise ValueError(f"{name} takes NHWC images (B, H, W, C), got shape {x.shape}")


def _conv4x4_stride2(features, use_bias=True, dtype=jnp.float32):
    # The Pix2Pix/PatchGAN "C-k" layer: 4x4 stride 2 with one pixel of padding each side, so H -> H/2.
    return nn.Conv(features, (4, 4), (2, 2), padding=((1, 1), (1, 1)), use_bias=use_bias, dtype=dtype)


def patchgan_layers(num_layers):
    """(kernel, stride) of each convolution of `PatchGAN(num_layers)`, input to output."""
    return [(4, 2)] * num_layers + [(4, 1), (4, 1)]


def receptive_field(layers):
    """Receptive field (pixels) of one output of a stack of convolutions [(kernel, stride), ...]:
    r = 1 + sum_l (k_l - 1) * prod_{m < l} s_m (Araujo et al. 2019, Eq. 2)."""
    field, jump = 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field


class PatchGAN(nn.Module):
    """The Pix2Pix "N x N PatchGAN" discriminator (Isola et al. 2017, Sec. 3.2.2 and App. 6.1.2).

    C64-C128-C256-C512 for `num_layers=3`: `num_layers` 4x4 stride-2 convolutions with the width
    doubling from `width` (capped at 8 x width), one 4x4 stride-1 convolution of width
    min(2^num_layers, 8) x width, then a 4x4 stride-1 convolution to one logit per patch; no norm
    on the first layer, LeakyReLU(0.2). Each logit sees `receptive_field(patchgan_layers(n))`
    input pixels: 70 for the default n = 3 (16 for n = 1, 34 for n = 2, 142 for n = 4); a 256 x
    256 input gives 30 x 30 logits.

    Called on one image (B, H, W, C) or, conditionally (Pix2Pix), on a pair `(source, image)`,
    which it concatenates along channels: D(x, y).
    """

    width: int = 64
    num_layers: int = 3
    norm: str = "batch"
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, inputs, *, train: bool):
        x = jnp.concatenate(inputs, axis=-1) if isinstance(inputs, (tuple, list)) else inputs
        _check_image(x, "PatchGAN")
        norm = lambda y: _norm(self.norm, train, self.axis_name, self.dtype)(y)
        bias = self.norm == "none"
        for i in range(self.num_layers):
            x = _conv4x4_stride2(self.width * min(2**i, 8), use_bias=bias or i == 0, dtype=self.dtype)(x)
            if i > 0:
                x = norm(x)
            x = nn.leaky_relu(x, 0.2)
        x = nn.Conv(self.width * min(2**self.num_layers, 8), (4, 4), padding=((1, 1), (1, 1)), use_bias=bias,
                    dtype=self.dtype)(x)
        x = nn.leaky_relu(norm(x), 0.2)
        return nn.Conv(1, (4, 4), padding=((1, 1), (1, 1)), dtype=self.dtype)(x).astype(jnp.float32)


class UNetGenerator(nn.Module):
    """The Pix2Pix U-Net generator (Isola et al. 2017, Sec. 3.2.1, App. 6.1.1).

    Encoder: `depth` 4x4 stride-2 convolutions, widths `width` x (1, 2, 4, 8, 8, ...), LeakyReLU
    0.2, norm on all but the first and the innermost (a 1 x 1 bottleneck at depth log2(H)).
    Decoder: the mirror of 4x4 stride-2 transposed convolutions, ReLU, norm, each followed by the
    concatenation with the encoder activation of the same size (the skip connections); dropout
    0.5 on the `num_dropout` innermost decoder layers (the paper's noise, "CD512" x 3); a last
    transposed convolution to `channels` and tanh. The paper's 256 x 256 model is depth 8, width
    64. H and W must be multiples of 2^depth.
    """

    channels: int = 3
    width: int = 64
    depth: int = 8
    norm: str = "batch"
    dropout: float = 0.5
    num_dropout: int = 3
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32
    upsample: str = "transpose"

    @nn.compact
    def __call__(self, x, *, train: bool):
        _check_image(x, "UNetGenerator")
        form = _form(self.upsample)
        norm = lambda y: _norm(self.norm, train, self.axis_name, self.dtype)(y)
        if x.shape[1] % 2**self.depth or x.shape[2] % 2**self.depth:
            raise ValueError(
                f"UNetGenerator(depth={self.depth}) needs H and W divisible by {2**self.depth}, got {x.shape[1:3]}"
            )
        widths = [self.width * min(2**i, 8) for i in range(self.depth)]
        bias = self.norm == "none"
        skips = []
        for i, features in enumerate(widths):
            if i > 0:
                x = nn.leaky_relu(x, 0.2)
            normed = 0 < i < self.depth - 1
            x = _conv4x4_stride2(features, use_bias=bias or not normed, dtype=self.dtype)(x)
            if normed:
                x = norm(x)
            skips.append(x)
        skips.pop()  # the bottleneck itself has no skip partner
        for i, features in enumerate(reversed(widths[:-1])):
            x = ConvTranspose4x4Stride2(features, use_bias=bias, dtype=self.dtype, form=form)(nn.relu(x))
            x = norm(x)
            if i < self.num_dropout and self.dropout > 0:
                x = nn.Dropout(self.dropout, deterministic=not train, rng_collection="noise")(x)
            x = jnp.concatenate([x, skips.pop()], axis=-1)
        x = ConvTranspose4x4Stride2(self.channels, dtype=self.dtype, form=form)(nn.relu(x))
        return jnp.tanh(x.astype(jnp.float32))


class ConvTranspose3x3Stride2(nn.Module):
    """CycleGAN's u-k layer, `nn.ConvTranspose(features, (3, 3), (2, 2), padding="SAME")` with its
    parameters, computed by phase decomposition (`form="phases"`, `nets.dcgan.conv_transpose_stride2`;
    equal values, tested) or as XLA's input-dilated convolution (`form="dilated"`)."""

    features: int
    use_bias: bool = True
    dtype: jnp.dtype = jnp.float32
    form: str = "phases"

    @nn.compact
    def __call__(self, x):
        return kernel_layer(self, x, 3, transposed_op(self.form))


def _reflect(x, pad):
    return jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")


class ResidualBlock(nn.Module):
    """CycleGAN's R-k block: reflect-pad, 3x3 conv, norm, ReLU, reflect-pad, 3x3 conv, norm, + x."""

    norm: str = "instance"
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool):
        features, bias = x.shape[-1], self.norm == "none"
        norm = lambda y: _norm(self.norm, train, self.axis_name, self.dtype)(y)
        y = nn.Conv(features, (3, 3), padding="VALID", use_bias=bias, dtype=self.dtype)(_reflect(x, 1))
        y = nn.relu(norm(y))
        y = nn.Conv(features, (3, 3), padding="VALID", use_bias=bias, dtype=self.dtype)(_reflect(y, 1))
        return x + norm(y)


class ResNetTranslator(nn.Module):
    """The CycleGAN generator (Zhu et al. 2017, App. 7.2; Johnson et al. 2016):
    c7s1-64, d128, d256, R256 x `num_blocks`, u128, u64, c7s1-3 for `width` 64.

    c7s1-k: reflect-pad 3, 7x7 convolution, norm, ReLU; dk: 3x3 stride-2 convolution, norm, ReLU;
    Rk: `ResidualBlock`; uk: 3x3 stride-1/2 (transposed) convolution (`ConvTranspose3x3Stride2`),
    norm, ReLU; the last c7s1
    has no norm and ends in tanh. The paper uses 6 blocks for 128 x 128 and 9 for 256 x 256
    images. H and W must be multiples of 4.
    """

    channels: int = 3
    width: int = 64
    num_blocks: int = 9
    norm: str = "instance"
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32
    upsample: str = "transpose"

    @nn.compact
    def __call__(self, x, *, train: bool):
        _check_image(x, "ResNetTranslator")
        if x.shape[1] % 4 or x.shape[2] % 4:
            raise ValueError(f"ResNetTranslator needs H and W divisible by 4, got {x.shape[1:3]}")
        form = _form(self.upsample)
        norm = lambda y: _norm(self.norm, train, self.axis_name, self.dtype)(y)
        conv = lambda features, kernel, **kw: nn.Conv(features, kernel, dtype=self.dtype, **kw)
        bias = self.norm == "none"
        x = nn.relu(norm(conv(self.width, (7, 7), padding="VALID", use_bias=bias)(_reflect(x, 3))))
        for multiple in (2, 4):
            x = nn.relu(norm(conv(self.width * multiple, (3, 3), strides=(2, 2), padding=((1, 1), (1, 1)),
                                  use_bias=bias)(x)))
        for _ in range(self.num_blocks):
            x = ResidualBlock(self.norm, self.axis_name, self.dtype)(x, train=train)
        for multiple in (2, 1):
            x = ConvTranspose3x3Stride2(self.width * multiple, use_bias=bias, dtype=self.dtype, form=form)(x)
            x = nn.relu(norm(x))
        x = conv(self.channels, (7, 7), padding="VALID")(_reflect(x, 3))
        return jnp.tanh(x.astype(jnp.float32))


class CycleGenerators(nn.Module):
    """CycleGAN's two generators in the generator slot: G: A -> B and F: B -> A.

    `__call__(x)` translates A -> B (so sampling and `translate` work as for one generator);
    `method="b_to_a"` runs F. Initialization creates both.
    """

    a_to_b_net: nn.Module
    b_to_a_net: nn.Module

    def __call__(self, x, *, train: bool):
        if self.is_initializing():  # `init` calls __call__ only: give F its parameters too
            self.b_to_a_net(x, train=train)
        return self.a_to_b_net(x, train=train)

    def b_to_a(self, x, *, train: bool):
        return self.b_to_a_net(x, train=train)


class DomainDiscriminators(nn.Module):
    """CycleGAN's two discriminators: `{"a": D_A(x_a), "b": D_B(x_b)}` for the domains given
    in the input dict (D_A judges images of domain A, real or F(b))."""

    a_net: nn.Module
    b_net: nn.Module

    def __call__(self, inputs: dict, *, train: bool):
        nets = {"a": self.a_net, "b": self.b_net}
        unknown = set(inputs) - set(nets)
        if unknown:
            raise ValueError(f"DomainDiscriminators takes domains 'a' and 'b', got {sorted(inputs)}")
        return {name: nets[name](x, train=train) for name, x in inputs.items()}


__all__ = [
    "NORMS",
    "PatchGAN",
    "UNetGenerator",
    "ResNetTranslator",
    "ResidualBlock",
    "CycleGenerators",
    "DomainDiscriminators",
    "patchgan_layers",
    "receptive_field",
]

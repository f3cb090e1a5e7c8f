"""DCGAN generator and discriminator (Radford et al. 2016, Sec. 3 and Fig. 1) for 28, 32 and 64
pixel images with 1 or 3 channels.

Generator: z -> Dense to (s0, s0, C0) -> BN -> ReLU -> [2x upsample -> BN -> ReLU] ... -> 2x
upsample to the image channels -> tanh, with s0 = 7 for 28 pixels and 4 for 32 and 64, and the
width halving at every upsampling (C0 = 4, 8, 16 x `width` for 28, 32, 64 pixels). Discriminator:
[4x4 stride-2 conv -> norm -> LeakyReLU(0.2)] with the width doubling from `width` (no norm on the
first layer, as in the paper) -> flatten -> Dense(1). `norm="batch"` is the paper's; gradient
penalties need a critic without BatchNorm (`"layer"` or `"none"`, Gulrajani et al. 2017, Sec. 4);
`spectral_norm=True` wraps every layer in `nn.SpectralNorm` (Miyato et al. 2018, the "standard
CNN" of their Table 3). `conv="matmul"` computes D's convolutions as matrix products
(`nets.conv.Conv4x4Stride2`, same parameters and values), much faster on XLA's CPU backend when
the critic is differentiated twice (gradient penalties); `"xla"` uses `nn.Conv`.

`upsample` chooses the 2x upsampling layer: "transpose" (4x4 stride-2 transposed conv, the
paper's), "resize" (nearest-neighbour 2x then 3x3 conv) or "depth_to_space" (3x3 conv to 4C
channels then a pixel shuffle). See benchmarks/upsampling.py for their cost on this CPU.

"transpose" is computed by phase decomposition (`ConvTranspose4x4Stride2`): each of the four
output phases is a plain 2x2 convolution of the undilated input with a quarter of the 4x4 kernel,
and the phases are interleaved. The result equals `nn.ConvTranspose(k, (4, 4), (2, 2), "SAME")`
with the same kernel (tested), at the same FLOPs, but its gradients are ordinary convolutions:
XLA's CPU backend runs the kernel gradient of an input-dilated convolution several times slower.
"transpose_dilated" is the same layer (same parameters, same module name) computed as XLA's
input-dilated convolution (`lax.conv_transpose`, what `nn.ConvTranspose` runs), which GPU
convolution libraries handle natively. Which form is faster depends on the backend:
`model.upsample="auto"` takes `jaxgan.backend.choices().upsample`.
"""

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.nets.conv import Conv4x4Stride2, kernel_layer
from jaxgan.nets.family import (
    DTYPES,
    Family,
    Option,
    critic_convolution,
    layer_widths,
    non_negative,
    positive_int,
    reject,
    upsampling,
)
from jaxgan.nets.layers import ACTIVATIONS, activation_fn, kernel_init, nearest_upsample
from jaxgan.techniques import spectral_norm

SIZES = (28, 32, 64)
UPSAMPLING = ("transpose", "resize", "depth_to_space", "transpose_dilated")
# The two exact forms of a stride-2 transposed convolution (see the module docstring).
TRANSPOSED_FORMS = {"transpose": "phases", "transpose_dilated": "dilated"}
NORMS = ("batch", "layer", "none")
CONVOLUTIONS = ("xla", "matmul")
PROJECTION_NORMS = ("channel", "unit")


def _plan(size):
    """(initial spatial size, number of 2x stages) for an output of `size` pixels."""
    if size not in SIZES:
        raise ValueError(f"DCGAN image size must be one of {SIZES}, got {size}")
    return {28: (7, 2), 32: (4, 3), 64: (4, 4)}[size]


def depth_to_space(x, block=2) -> jax.Array:
    b, h, w, c = x.shape
    x = x.reshape(b, h, w, block, block, c // (block * block))
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(b, h * block, w * block, c // (block * block))


def conv_transpose_dilated(x, kernel) -> jax.Array:
    """`nn.ConvTranspose(features, (k, k), (2, 2), padding="SAME")` applied with `kernel` (k, k, C,
    F): XLA's input-dilated convolution, the computation flax's layer runs."""
    return jax.lax.conv_transpose(x, kernel, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def _interleave_phases(phases):
    """phases[a][b] (B, H, W, C) -> (B, 2H, 2W, C) with out[:, 2i+a, 2j+b] = phases[a][b][:, i, j]."""
    stacked = jnp.stack([jnp.stack(row, axis=3) for row in phases], axis=2)  # (B, H, 2, W, 2, C)
    b, h, _, w, _, c = stacked.shape
    return stacked.reshape(b, 2 * h, 2 * w, c)


def conv_transpose_stride2(x, kernel) -> jax.Array:
    """`nn.ConvTranspose(features, (k, k), (2, 2), padding="SAME")` applied with `kernel` (k, k, C,
    F), by phase decomposition: output phase a of each spatial axis is a correlation of the
    undilated input with the taps t = P - a (mod 2) of the kernel, P = (k + 1) // 2, tap t reading
    input i + (a + t - P) / 2 (verified against nn.ConvTranspose for k = 3, 4, 5 in the tests).
    Same values and FLOPs as XLA's input-dilated convolution, but its gradients are ordinary
    convolutions, which XLA's CPU backend runs several times faster."""
    k = kernel.shape[0]
    shift = (k + 1) // 2

    def taps(a):
        """(first tap, padding) of phase a: taps first, first + 2, ... < k."""
        first = (shift - a) % 2
        last = first + 2 * ((k - 1 - first) // 2)
        return first, (-((a + first - shift) // 2), (a + last - shift) // 2)

    phases = []
    for a in range(2):
        row, row_pad = taps(a)
        phases.append([jax.lax.conv_general_dilated(x, kernel[row::2, col::2], (1, 1), (row_pad, col_pad),
                                                    dimension_numbers=("NHWC", "HWIO", "NHWC"))
                       for col, col_pad in (taps(b) for b in range(2))])
    return _interleave_phases(phases)


def transposed_op(form) -> Callable:
    """The function (x, kernel) -> y of a stride-2 "SAME" transposed convolution in `form`:
    "phases" (`conv_transpose_stride2`) or "dilated" (`conv_transpose_dilated`)."""
    ops = {"phases": conv_transpose_stride2, "dilated": conv_transpose_dilated}
    if form not in ops:
        raise ValueError(f"unknown transposed-convolution form {form!r}; expected one of {sorted(ops)}")
    return ops[form]


class ConvTranspose4x4Stride2(nn.Module):
    """`nn.ConvTranspose(features, (4, 4), (2, 2), padding="SAME")` with nn.ConvTranspose's
    parameters, computed by phase decomposition (`form="phases"`) or as XLA's input-dilated
    convolution (`form="dilated"`); both forms have one parameter tree.

    In 1D, that layer gives y[2i] = w0 x[i-1] + w2 x[i] and y[2i+1] = w1 x[i] + w3 x[i+1]: output
    phase a is a 2-tap correlation with the taps w[a::2], padded by one on the left (a = 0) or on
    the right (a = 1). In 2D the four phases (a, b) use the kernel quarters w[a::2, b::2].
    """

    features: int
    use_bias: bool = True
    dtype: jnp.dtype = jnp.float32
    form: str = "phases"
    init_std: float = 0.0

    @nn.compact
    def __call__(self, x):
        return kernel_layer(self, x, 4, transposed_op(self.form))


class Upsample2x(nn.Module):
    features: int
    method: str = "transpose"
    use_bias: bool = True
    dtype: jnp.dtype = jnp.float32
    init_std: float = 0.0

    @nn.compact
    def __call__(self, x):
        init = kernel_init(self.init_std)
        if self.method in TRANSPOSED_FORMS:
            return ConvTranspose4x4Stride2(self.features, use_bias=self.use_bias, dtype=self.dtype,
                                           form=TRANSPOSED_FORMS[self.method], init_std=self.init_std)(x)
        if self.method == "resize":
            x = nearest_upsample(x)
            return nn.Conv(self.features, (3, 3), padding="SAME", use_bias=self.use_bias, kernel_init=init,
                           dtype=self.dtype)(x)
        if self.method == "depth_to_space":
            x = nn.Conv(4 * self.features, (3, 3), padding="SAME", use_bias=self.use_bias, kernel_init=init,
                        dtype=self.dtype)(x)
            return depth_to_space(x)
        raise ValueError(f"unknown upsampling {self.method!r}; expected one of {UPSAMPLING}")


def _batch_norm(train, axis_name, dtype):
    return nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=axis_name, dtype=dtype)


class DCGANGenerator(nn.Module):
    """z (B, latent_dim) -> images (B, size, size, channels) in [-1, 1]. `init_std` > 0: every
    kernel starts from N(0, init_std^2) (the DCGAN paper's 0.02), else Flax's LeCun normal.
    `activation`: the hidden layers' (`nets.layers.ACTIVATIONS`; the paper's ReLU by default).
    `projection_norm`: how BatchNorm normalizes the dense layer that makes the first feature map:
    "channel" (over the batch and the positions, as the convolutions) or "unit" (each of its
    units over the batch alone, compare_gan's InfoGAN generator: every unit must vary with z)."""

    size: int = 32
    channels: int = 3
    width: int = 64
    upsample: str = "transpose"
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32
    dense: tuple[int, ...] = ()
    init_std: float = 0.0
    activation: str = "relu"
    projection_norm: str = "channel"

    @nn.compact
    def __call__(self, z, *, train: bool):
        if self.projection_norm not in PROJECTION_NORMS:
            raise ValueError(f"unknown projection_norm {self.projection_norm!r}; expected one of {PROJECTION_NORMS}")
        start, stages = _plan(self.size)
        features = self.width * 2 ** stages
        init = kernel_init(self.init_std)
        act = activation_fn(self.activation)
        # Biases before BatchNorm are cancelled by its mean subtraction: leave them out.
        h = z
        for units in self.dense:
            h = nn.Dense(units, use_bias=False, kernel_init=init, dtype=self.dtype)(h)
            h = act(_batch_norm(train, self.axis_name, self.dtype)(h))
        h = nn.Dense(start * start * features, use_bias=False, kernel_init=init, dtype=self.dtype)(h)
        if self.projection_norm == "unit":
            h = _batch_norm(train, self.axis_name, self.dtype)(h)
        h = h.reshape(z.shape[0], start, start, features)
        if self.projection_norm == "channel":
            h = _batch_norm(train, self.axis_name, self.dtype)(h)
        h = act(h)
        for _ in range(stages - 1):
            features //= 2
            h = Upsample2x(features, self.upsample, use_bias=False, dtype=self.dtype, init_std=self.init_std)(h)
            h = act(_batch_norm(train, self.axis_name, self.dtype)(h))
        h = Upsample2x(self.channels, self.upsample, dtype=self.dtype, init_std=self.init_std)(h)
        return jnp.tanh(h.astype(jnp.float32))


class DCGANDiscriminator(nn.Module):
    """images (B, size, size, C) -> logits (B,); with `features_only`, the flattened last
    convolutional features (B, F) instead (for `AuxiliaryDiscriminator` heads). `init_std` as
    `DCGANGenerator`'s."""

    size: int = 32
    width: int = 64
    norm: str = "batch"
    spectral_norm: bool = False
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32
    features_only: bool = False
    conv: str = "xla"
    dense: tuple[int, ...] = ()
    init_std: float = 0.0

    def _norm(self, h, train):
        if self.norm == "batch":
            return _batch_norm(train, self.axis_name, self.dtype)(h)
        return nn.LayerNorm(dtype=self.dtype)(h) if self.norm == "layer" else h

    def _layer(self, layer, h, train):
        return spectral_norm.normalized(layer, h, train=train, on=self.spectral_norm)

    @nn.compact
    def __call__(self, x, *, train: bool):
        if self.norm not in NORMS:
            raise ValueError(f"unknown norm {self.norm!r}; expected one of {NORMS}")
        if self.conv not in CONVOLUTIONS:
            raise ValueError(f"unknown conv {self.conv!r}; expected one of {CONVOLUTIONS}")
        if x.ndim != 4 or x.shape[1] != self.size or x.shape[2] != self.size:
            raise ValueError(f"expected images (B, {self.size}, {self.size}, C), got shape {x.shape}")
        _, stages = _plan(self.size)
        init = kernel_init(self.init_std)
        h = x.astype(self.dtype)
        for i in range(stages):
            normed = i > 0 and self.norm != "none"
            bias = not (normed and self.norm == "batch")
            if self.conv == "matmul":  # named as nn.Conv would be: the same parameter tree
                conv = Conv4x4Stride2(self.width * 2**i, use_bias=bias, dtype=self.dtype, init_std=self.init_std,
                                      name=f"Conv_{i}")
            else:
                conv = nn.Conv(self.width * 2**i, (4, 4), (2, 2), padding="SAME", use_bias=bias, kernel_init=init,
                               dtype=self.dtype)
            h = self._layer(conv, h, train)
            if normed:
                h = self._norm(h, train)
            h = nn.leaky_relu(h, 0.2)
        h = h.reshape(h.shape[0], -1)
        for units in self.dense:
            h = self._layer(nn.Dense(units, use_bias=self.norm != "batch", kernel_init=init, dtype=self.dtype), h,
                            train)
            h = self._norm(h, train)
            h = nn.leaky_relu(h, 0.2)
        if self.features_only:
            return h.astype(jnp.float32)
        return self._layer(nn.Dense(1, kernel_init=init, dtype=self.dtype), h, train)[:, 0].astype(jnp.float32)


# The family (`model.name="dcgan"`): its `model.*` options and builder.
OPTIONS = {
    "g_width": Option(64, "G's channels at its last upsampling (doubling towards the first)", check=positive_int),
    "d_width": Option(64, "D's channels at its first convolution (doubling after each)", check=positive_int),
    "d_norm": Option("none", "normalization after D's convolutions but the first ('batch' is the paper's; "
                     "gradient penalties need 'none' or 'layer')", choices=NORMS),
    "d_spectral_norm": Option(False, "spectral normalization of every layer of D (the 'standard CNN' of Miyato et "
                              "al. 2018, Table 3)"),
    "g_dense": Option((), "fully connected hidden layers of G before the first feature map (InfoGAN's MNIST "
                      "networks: (1024,))", check=layer_widths),
    "d_dense": Option((), "fully connected hidden layers of D after its convolutions (InfoGAN's: (1024,))",
                      check=layer_widths),
    "upsample": Option("auto", "G's 2x upsampling; 'auto': the backend's fastest exact form of the paper's 4x4 "
                       "stride-2 transposed convolution (jaxgan.backend.choices)", choices=("auto", *UPSAMPLING)),
    "d_conv": Option("auto", "D's convolutions: 'xla' (nn.Conv) or 'matmul' (the same function as matrix "
                     "products); 'auto': the backend's measured choice", choices=("auto", *CONVOLUTIONS)),
    "init_std": Option(0.0, "> 0: every kernel starts from N(0, init_std^2) (the DCGAN paper, compare_gan: 0.02); "
                       "0: Flax's default (LeCun normal)", check=non_negative),
    "g_projection_norm": Option("auto", "BatchNorm of the dense layer that makes G's first feature map: per "
                                "'channel' (over batch and positions, DCGAN's) or per 'unit' (over the batch, "
                                "compare_gan's InfoGAN generator); 'auto': the family's own (dcgan: channel, lucic: "
                                "unit)", choices=("auto", *PROJECTION_NORMS)),
    "g_activation": Option("relu", "G's hidden activation (the DCGAN and InfoGAN papers: relu; compare_gan's code: "
                           "leaky_relu)", choices=tuple(ACTIVATIONS)),
}


def projection_norm(model, family_default) -> str:
    """`model.g_projection_norm` with "auto" resolved to the family's own layout."""
    return family_default if model.g_projection_norm == "auto" else model.g_projection_norm


def build(model, shape, *, image, features_only, axis_name, penalized) -> tuple[nn.Module, nn.Module]:
    dtype = DTYPES[model.dtype]
    generator = DCGANGenerator(size=shape[0], channels=shape[-1], width=model.g_width, upsample=upsampling(model),
                               axis_name=axis_name, dtype=dtype, dense=tuple(model.g_dense),
                               init_std=model.init_std, activation=model.g_activation,
                               projection_norm=projection_norm(model, "channel"))
    discriminator = DCGANDiscriminator(size=shape[0], width=model.d_width, norm=model.d_norm,
                                       spectral_norm=model.d_spectral_norm, axis_name=axis_name, dtype=dtype,
                                       features_only=features_only,
                                       conv=critic_convolution(model, penalized=penalized),
                                       dense=tuple(model.d_dense), init_std=model.init_std)
    return generator, discriminator


def validate(model, shape, image) -> None:
    if shape is not None:
        reject(shape[0] not in SIZES, f"model.name='dcgan' builds {SIZES}-pixel images; the data are "
                                      f"{shape[0]}x{shape[1]}")


FAMILY = Family("dcgan", "DCGAN", OPTIONS, build, validate, images_only=True)

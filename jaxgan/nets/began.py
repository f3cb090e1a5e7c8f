"""BEGAN's networks (Berthelot, Schumm & Metz 2017, arXiv:1703.10717, "Model architecture" and
its Figure 1): `model.name="began"`, and the autoencoder critics of the BEGAN game.

Encoder: 3x3 convolutions with ELU after each, `repeat` per scale; the filters grow linearly
(n, 2n, 3n, ...) with each down-sampling, a stride-2 3x3 convolution; then a fully connected
layer, with no non-linearity, to the embedding h (`code` units). Decoder: a fully connected
layer, with no non-linearity, from h to an (s0, s0, n) map, then per scale `repeat` 3x3
convolutions of n filters with ELU and a nearest-neighbour 2x up-sampling between scales, and a
last 3x3 convolution to the image channels. The generator is a decoder with its own weights.
s0 is the size halved until it is at most 8: 7 for 28 pixels (three scales), 8 for 32 (three)
and 64 (four).

Deviations, named: the generator ends in tanh, as every jaxgan generator on data in [-1, 1]
(the paper's decoder has no output non-linearity; the autoencoder's reconstruction keeps none);
the family's discriminator for other games (not BEGAN's) is the encoder with a linear output.

`LucicAutoencoder` is the autoencoder critic compare_gan gave BEGAN in Lucic et al. 2018's study
(compare_gan/src/gans/BEGAN.py on the v1 branch): their discriminator's two 4x4 stride-2
convolutions (64, 128; LeakyReLU 0.2 after the first), FC to a 64-d code, FC back to 7x7x128,
two 4x4 stride-2 transposed convolutions (64, then the image channels), LeakyReLU 0.2 after the
code and each hidden layer, BatchNorm there when `norm="batch"` (a setting the study searched).
Deviation, named: a linear output, the paper's decoder's (theirs: sigmoid on [0, 1] data). With a
tanh output (their sigmoid's form on [-1, 1] data) the MNIST run's generator stayed a uniform gray
with k_t at 0 through 700 steps: the reconstruction error of the gray images stayed above gamma
times that of the digits, so D never turned against them (measured, docs/results.md).
"""

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.nets.dcgan import Upsample2x
from jaxgan.nets.family import DTYPES, Family, Option, positive_int, reject, upsampling
from jaxgan.nets.layers import nearest_upsample

MAX_START = 8
NORMS = ("batch", "none")


def scales(size: int) -> tuple[int, int]:
    """(s0, number of scales) of a `size`-pixel image: halve until at most `MAX_START`."""
    start, count = size, 1
    while start > MAX_START:
        if start % 2:
            raise ValueError(f"BEGAN's networks halve the image size down to at most {MAX_START}; "
                             f"{size} pixels reach the odd size {start}")
        start, count = start // 2, count + 1
    return start, count


def _conv(features, dtype, strides=1, name=None):
    return nn.Conv(features, (3, 3), (strides, strides), padding="SAME", dtype=dtype, name=name)


class BEGANDecoder(nn.Module):
    """h or z (B, D) -> images (B, size, size, channels); `output`: "linear" (the
    autoencoder's reconstruction) or "tanh" (the generator)."""

    size: int = 28
    channels: int = 1
    width: int = 64
    repeat: int = 2
    output: str = "linear"
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, h, *, train: bool = True):
        del train  # no layer depends on it
        if self.output not in ("linear", "tanh"):
            raise ValueError(f"unknown output {self.output!r}; expected 'linear' or 'tanh'")
        start, count = scales(self.size)
        x = nn.Dense(start * start * self.width, dtype=self.dtype)(h.astype(self.dtype))
        x = x.reshape(h.shape[0], start, start, self.width)
        for scale in range(count):
            for _ in range(self.repeat):
                x = nn.elu(_conv(self.width, self.dtype)(x))
            if scale < count - 1:
                x = nearest_upsample(x)
        x = _conv(self.channels, self.dtype)(x).astype(jnp.float32)
        return jnp.tanh(x) if self.output == "tanh" else x


class BEGANEncoder(nn.Module):
    """images (B, size, size, C) -> the embedding h (B, code)."""

    width: int = 64
    code: int = 64
    repeat: int = 2
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool = True):
        del train
        if x.ndim != 4:
            raise ValueError(f"expected images (B, H, W, C), got shape {x.shape}")
        _, count = scales(x.shape[1])
        h = nn.elu(_conv(self.width, self.dtype)(x.astype(self.dtype)))
        for scale in range(count):
            for _ in range(self.repeat):
                h = nn.elu(_conv(self.width * (scale + 1), self.dtype)(h))
            if scale < count - 1:  # down-sampling grows the filters by n
                h = nn.elu(_conv(self.width * (scale + 2), self.dtype, strides=2)(h))
        return nn.Dense(self.code, dtype=self.dtype)(h.reshape(h.shape[0], -1)).astype(jnp.float32)


class BEGANAutoencoder(nn.Module):
    """BEGAN's discriminator: images -> {"reconstruction": (B, size, size, C), "code": (B, code)}."""

    width: int = 64
    code: int = 64
    repeat: int = 2
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool = True):
        h = BEGANEncoder(self.width, self.code, self.repeat, self.dtype, name="encoder")(x, train=train)
        reconstruction = BEGANDecoder(x.shape[1], x.shape[-1], self.width, self.repeat, "linear", self.dtype,
                                      name="decoder")(h, train=train)
        return {"reconstruction": reconstruction, "code": h}


class BEGANDiscriminator(nn.Module):
    """The family's discriminator for the logit games: the encoder, then a linear logit (B,);
    with `features_only`, the embedding h (B, code)."""

    width: int = 64
    code: int = 64
    repeat: int = 2
    features_only: bool = False
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool):
        h = BEGANEncoder(self.width, self.code, self.repeat, self.dtype, name="encoder")(x, train=train)
        if self.features_only:
            return h
        return nn.Dense(1, dtype=self.dtype)(h)[:, 0].astype(jnp.float32)


class LucicAutoencoder(nn.Module):
    """compare_gan's BEGAN critic in Lucic et al. 2018 (module docstring): 28x28 images ->
    {"reconstruction", "code" (B, 64)}."""

    norm: str = "none"
    upsample: str = "transpose"
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    def _act(self, h, train):
        if self.norm == "batch":
            h = nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=self.axis_name,
                             dtype=self.dtype)(h)
        return nn.leaky_relu(h, 0.2)

    @nn.compact
    def __call__(self, x, *, train: bool = True):
        if self.norm not in NORMS:
            raise ValueError(f"unknown norm {self.norm!r}; expected one of {NORMS}")
        if x.ndim != 4 or x.shape[1:3] != (28, 28):
            raise ValueError(f"expected images (B, 28, 28, C), got shape {x.shape}")
        bias = self.norm != "batch"  # BatchNorm's mean subtraction cancels a bias (an exactly-zero gradient)
        h = nn.leaky_relu(nn.Conv(64, (4, 4), (2, 2), padding="SAME", dtype=self.dtype)(x.astype(self.dtype)), 0.2)
        # No non-linearity between this convolution and the code's FC (compare_gan's), so under
        # BatchNorm its bias would be cancelled too.
        h = nn.Conv(128, (4, 4), (2, 2), padding="SAME", use_bias=bias, dtype=self.dtype)(h)
        code = self._act(nn.Dense(64, use_bias=bias, dtype=self.dtype)(h.reshape(h.shape[0], -1)), train)
        h = self._act(nn.Dense(7 * 7 * 128, use_bias=bias, dtype=self.dtype)(code), train)
        h = h.reshape(h.shape[0], 7, 7, 128)
        h = self._act(Upsample2x(64, self.upsample, use_bias=bias, dtype=self.dtype)(h), train)
        h = Upsample2x(x.shape[-1], self.upsample, dtype=self.dtype)(h)
        return {"reconstruction": h.astype(jnp.float32), "code": code.astype(jnp.float32)}


OPTIONS = {
    "began_width": Option(64, "n: the filters of BEGAN's decoder and generator, and of its encoder's first scale "
                          "(n, 2n, 3n, ... after each down-sampling)", check=positive_int),
    "began_code": Option(64, "N_h: the size of the BEGAN autoencoder's embedding h", check=positive_int),
    "began_repeat": Option(2, "3x3 convolutions per scale in BEGAN's networks (the paper: typically 2)",
                           check=positive_int),
}


def build(model, shape, *, image, features_only, axis_name, penalized) -> tuple[nn.Module, nn.Module]:
    del image, axis_name, penalized  # no BatchNorm; no second-order gradients specific to it
    dtype = DTYPES[model.dtype]
    generator = BEGANDecoder(size=shape[0], channels=shape[-1], width=model.began_width, repeat=model.began_repeat,
                             output="tanh", dtype=dtype)
    discriminator = BEGANDiscriminator(width=model.began_width, code=model.began_code, repeat=model.began_repeat,
                                       features_only=features_only, dtype=dtype)
    return generator, discriminator


def autoencoder(model, axis_name=None) -> nn.Module:
    """The BEGAN game's critic for `model`: the paper's autoencoder on `model.name="began"`,
    compare_gan's on Lucic et al.'s networks (`model.name="lucic"`, norm `model.d_norm`)."""
    if model.name == "lucic":
        return LucicAutoencoder(norm=model.d_norm, upsample=upsampling(model), axis_name=axis_name,
                                dtype=DTYPES[model.dtype])
    return BEGANAutoencoder(width=model.began_width, code=model.began_code, repeat=model.began_repeat,
                            dtype=DTYPES[model.dtype])


def validate(model, shape, image) -> None:
    if shape is not None:
        reject(shape[0] != shape[1], f"model.name='began' builds square images; the data are {shape[0]}x{shape[1]}")
        try:
            scales(shape[0])
        except ValueError as error:
            reject(True, f"model.name='began': {error}")


FAMILY = Family("began", "BEGAN", OPTIONS, build, validate, images_only=True)

"""The "standard CNN" of SNGAN (Miyato et al. 2018, "Spectral Normalization for Generative
Adversarial Networks", Table 3; the authors' chainer code, pfnet-research chainer-gan-lib
`common/net.py`: `DCGANGenerator` and `SNDCGANDiscriminator`), for images whose side is a
multiple of 8 (CIFAR-10 at 32, STL-10 at 48, 64).

G: z -> Dense to (s/8, s/8, 8w) -> BN -> ReLU -> three 4x4 stride-2 transposed convolutions to 4w,
2w, w channels, each BN -> ReLU -> 3x3 stride-1 convolution to the image channels -> tanh.
D: [3x3 stride-1 conv, 4x4 stride-2 conv] at w, 2w and 4w channels, a 3x3 conv at 8w, each
followed by LeakyReLU(0.1), then Dense(1); every layer spectrally normalized
(`jaxgan.techniques.spectral_norm`). With w = 64: 64, 64, 128, 128, 256, 256, 512 channels, as
Table 3 lists them (and Mimicry's SNDCGAN has them).

Deviations, named: the paper's Table 3 is followed; the authors' chainer code doubles the width
one layer earlier (64, 128, 128, 256, 256, 512, 512) and uses chainer's LeakyReLU slope, 0.2.
Weights start from Flax's LeCun normal, not the code's N(0, 0.02).
"""

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.nets.dcgan import UPSAMPLING, Upsample2x
from jaxgan.nets.family import DTYPES, Family, Option, positive_int, reject, upsampling
from jaxgan.techniques import spectral_norm

SLOPE = 0.1


class SNGANGenerator(nn.Module):
    """z (B, latent_dim) -> images (B, size, size, channels) in [-1, 1]."""

    size: int = 32
    channels: int = 3
    width: int = 64
    upsample: str = "transpose"
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, z, *, train: bool):
        if self.size % 8:
            raise ValueError(f"the SNGAN standard CNN builds images whose side is a multiple of 8, got {self.size}")
        bottom = self.size // 8
        norm = lambda: nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=self.axis_name,
                                    dtype=self.dtype)
        h = nn.Dense(bottom * bottom * 8 * self.width, dtype=self.dtype)(z).reshape(z.shape[0], bottom, bottom, -1)
        h = nn.relu(norm()(h))
        for factor in (4, 2, 1):
            h = nn.relu(norm()(Upsample2x(factor * self.width, self.upsample, dtype=self.dtype)(h)))
        h = nn.Conv(self.channels, (3, 3), padding="SAME", dtype=self.dtype)(h)
        return jnp.tanh(h.astype(jnp.float32))


class SNGANDiscriminator(nn.Module):
    """images (B, size, size, C) -> logits (B,); with `features_only`, the flattened last features
    (B, F) instead (for `AuxiliaryDiscriminator` heads)."""

    width: int = 64
    features_only: bool = False
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool):
        if x.ndim != 4 or x.shape[1] % 8 or x.shape[2] % 8:
            raise ValueError(f"expected images (B, H, W, C) with H and W multiples of 8, got shape {x.shape}")
        h = x.astype(self.dtype)
        layers = []
        for factor in (1, 2, 4):
            layers += [((3, 3), (1, 1), factor * self.width), ((4, 4), (2, 2), factor * self.width)]
        layers.append(((3, 3), (1, 1), 8 * self.width))
        for kernel, strides, features in layers:
            conv = nn.Conv(features, kernel, strides, padding="SAME", dtype=self.dtype)
            h = nn.leaky_relu(spectral_norm.normalized(conv, h, train=train), SLOPE)
        h = h.reshape(h.shape[0], -1)
        if self.features_only:
            return h.astype(jnp.float32)
        return spectral_norm.normalized(nn.Dense(1, dtype=self.dtype), h, train=train)[:, 0].astype(jnp.float32)


# The family (`model.name="sngan_cnn"`): its `model.*` options and builder.
OPTIONS = {
    "g_width": Option(64, "G's channels at its last upsampling (8x at the first feature map)", check=positive_int),
    "d_width": Option(64, "D's channels at its first convolution (8x at its last)", check=positive_int),
    "upsample": Option("auto", "G's 2x upsampling; 'auto': the backend's fastest exact form of the 4x4 stride-2 "
                       "transposed convolution", choices=("auto", *UPSAMPLING)),
}


def build(model, shape, *, image, features_only, axis_name, penalized) -> tuple[nn.Module, nn.Module]:
    dtype = DTYPES[model.dtype]
    return (SNGANGenerator(size=shape[0], channels=shape[-1], width=model.g_width, upsample=upsampling(model),
                           axis_name=axis_name, dtype=dtype),
            SNGANDiscriminator(width=model.d_width, features_only=features_only, dtype=dtype))


def validate(model, shape, image) -> None:
    if shape is not None:
        reject(shape[0] % 8 or shape[1] % 8 or shape[0] != shape[1],
               f"model.name='sngan_cnn' (SNGAN's standard CNN) builds square images whose side is a multiple of 8; "
               f"the data are {shape[0]}x{shape[1]}")


FAMILY = Family("sngan_cnn", "SNGAN standard CNN", OPTIONS, build, validate, images_only=True)

"""SNGAN ResNet generator and discriminator for 32x32 images (Miyato et al. 2018, Appendix B.4,
Table 4; the CIFAR-10 architecture of Gulrajani et al. 2017 with spectral normalization in D).

G: z (128) -> Dense 4x4x256 -> 3 x ResBlock up (256) -> BN -> ReLU -> conv3x3 -> tanh.
D: optimized ResBlock down (128) -> ResBlock down (128) -> ResBlock (128) -> ResBlock (128) ->
ReLU -> global sum pool -> Dense(1); every conv and dense layer spectrally normalized.

`dtype` (e.g. `jnp.bfloat16`) is the compute dtype of every layer; parameters, spectral-norm
power iterations, the global sum pool and the outputs are float32.
"""

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.nets.family import DTYPES, Family, Option, positive_int, reject
from jaxgan.nets.layers import average_pool, nearest_upsample
from jaxgan.techniques import spectral_norm


class GeneratorBlock(nn.Module):
    """BN -> ReLU -> up -> conv3x3 -> BN -> ReLU -> conv3x3, plus up -> conv1x1 shortcut."""

    features: int
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train):
        bn = lambda: nn.BatchNorm(
            use_running_average=not train, momentum=0.9, axis_name=self.axis_name, dtype=self.dtype
        )
        h = nearest_upsample(nn.relu(bn()(x)))
        h = nn.Conv(self.features, (3, 3), padding="SAME", dtype=self.dtype)(h)
        h = nn.Conv(self.features, (3, 3), padding="SAME", dtype=self.dtype)(nn.relu(bn()(h)))
        shortcut = nn.Conv(self.features, (1, 1), dtype=self.dtype)(nearest_upsample(x))
        return h + shortcut


class SNConv(nn.Module):
    features: int
    kernel: tuple = (3, 3)
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train):
        conv = nn.Conv(self.features, self.kernel, padding="SAME", dtype=self.dtype)
        return spectral_norm.normalized(conv, x, train=train)


class DiscriminatorBlock(nn.Module):
    """[ReLU] -> conv3x3 -> ReLU -> conv3x3 -> [avg pool], plus a conv1x1 [-> avg pool] shortcut
    when the block downsamples or changes width. The first block (`optimized`) starts without
    the ReLU and pools before its shortcut conv (Miyato et al. 2018, B.4)."""

    features: int
    downsample: bool = True
    optimized: bool = False
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train):
        h = x if self.optimized else nn.relu(x)
        h = SNConv(self.features, dtype=self.dtype)(h, train=train)
        h = SNConv(self.features, dtype=self.dtype)(nn.relu(h), train=train)
        if self.downsample:
            h = average_pool(h)
        shortcut = x
        if self.optimized:
            shortcut = SNConv(self.features, (1, 1), dtype=self.dtype)(average_pool(x), train=train)
        elif self.downsample or x.shape[-1] != self.features:
            shortcut = SNConv(self.features, (1, 1), dtype=self.dtype)(x, train=train)
            shortcut = average_pool(shortcut) if self.downsample else shortcut
        return h + shortcut


class ResNetGenerator(nn.Module):
    """z (B, latent_dim) -> images (B, 32, 32, channels) in [-1, 1]."""

    channels: int = 3
    width: int = 256
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, z, *, train: bool):
        h = nn.Dense(4 * 4 * self.width, dtype=self.dtype)(z).reshape(z.shape[0], 4, 4, self.width)
        for _ in range(3):
            h = GeneratorBlock(self.width, self.axis_name, self.dtype)(h, train=train)
        bn = nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=self.axis_name, dtype=self.dtype)
        h = nn.Conv(self.channels, (3, 3), padding="SAME", dtype=self.dtype)(nn.relu(bn(h)))
        return jnp.tanh(h.astype(jnp.float32))


class ResNetDiscriminator(nn.Module):
    """images (B, 32, 32, C) -> logits (B,); with `features_only`, the summed last block
    features (B, width) instead (for `AuxiliaryDiscriminator` heads)."""

    width: int = 128
    features_only: bool = False
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool):
        if x.ndim != 4 or x.shape[1:3] != (32, 32):
            raise ValueError(f"the SNGAN ResNet discriminator takes images (B, 32, 32, C), got shape {x.shape}")
        block = lambda **kw: DiscriminatorBlock(self.width, dtype=self.dtype, **kw)
        h = block(optimized=True)(x, train=train)
        h = block()(h, train=train)
        h = block(downsample=False)(h, train=train)
        h = block(downsample=False)(h, train=train)
        h = jnp.sum(nn.relu(h).astype(jnp.float32), axis=(1, 2))
        if self.features_only:
            return h
        return spectral_norm.normalized(nn.Dense(1), h, train=train)[:, 0]


# The family (`model.name="resnet"`): its `model.*` options and builder.
OPTIONS = {
    "g_width": Option(64, "channels of G's residual blocks (the paper's CIFAR-10 network: 256)", check=positive_int),
    "d_width": Option(64, "channels of D's residual blocks (the paper's: 128)", check=positive_int),
}


def build(model, shape, *, image, features_only, axis_name, penalized) -> tuple[nn.Module, nn.Module]:
    dtype = DTYPES[model.dtype]
    return (ResNetGenerator(channels=shape[-1], width=model.g_width, axis_name=axis_name, dtype=dtype),
            ResNetDiscriminator(width=model.d_width, features_only=features_only, dtype=dtype))


def validate(model, shape, image) -> None:
    if shape is not None:
        reject(tuple(shape[:2]) != (32, 32), f"model.name='resnet' (SNGAN ResNet) is for 32x32 images; the data are "
                                             f"{shape[0]}x{shape[1]}")


FAMILY = Family("resnet", "SNGAN ResNet", OPTIONS, build, validate, images_only=True)

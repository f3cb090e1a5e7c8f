"""SNGAN ResNet generator and discriminator for 32x32 images (Miyato et al. 2018, Appendix B.4,
Table 4; the CIFAR-10 architecture of Gulrajani et al. 2017 with spectral normalization in D).

G: z (128) -> Dense 4x4x256 -> 3 x ResBlock up (256) -> BN -> ReLU -> conv3x3 -> tanh.
D: optimized ResBlock down (128) -> ResBlock down (128) -> ResBlock (128) -> ResBlock (128) ->
ReLU -> global sum pool -> Dense(1); every conv and dense layer spectrally normalized.
"""

import flax.linen as nn
import jax.numpy as jnp


def _upsample_nearest(x):
    b, h, w, c = x.shape
    return jnp.broadcast_to(x[:, :, None, :, None, :], (b, h, 2, w, 2, c)).reshape(b, 2 * h, 2 * w, c)


def _avg_pool(x):
    return nn.avg_pool(x, (2, 2), (2, 2))


class GeneratorBlock(nn.Module):
    """BN -> ReLU -> up -> conv3x3 -> BN -> ReLU -> conv3x3, plus up -> conv1x1 shortcut."""

    features: int
    axis_name: str | None = None

    @nn.compact
    def __call__(self, x, *, train):
        bn = lambda: nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=self.axis_name)
        h = _upsample_nearest(nn.relu(bn()(x)))
        h = nn.Conv(self.features, (3, 3), padding="SAME")(h)
        h = nn.Conv(self.features, (3, 3), padding="SAME")(nn.relu(bn()(h)))
        shortcut = nn.Conv(self.features, (1, 1))(_upsample_nearest(x))
        return h + shortcut


class SNConv(nn.Module):
    features: int
    kernel: tuple = (3, 3)

    @nn.compact
    def __call__(self, x, *, train):
        return nn.SpectralNorm(nn.Conv(self.features, self.kernel, padding="SAME"))(x, update_stats=train)


class DiscriminatorBlock(nn.Module):
    """[ReLU] -> conv3x3 -> ReLU -> conv3x3 -> [avg pool], plus a conv1x1 [-> avg pool] shortcut
    when the block downsamples or changes width. The first block (`optimized`) starts without
    the ReLU and pools before its shortcut conv (Miyato et al. 2018, B.4)."""

    features: int
    downsample: bool = True
    optimized: bool = False

    @nn.compact
    def __call__(self, x, *, train):
        h = x if self.optimized else nn.relu(x)
        h = SNConv(self.features)(h, train=train)
        h = SNConv(self.features)(nn.relu(h), train=train)
        if self.downsample:
            h = _avg_pool(h)
        shortcut = x
        if self.optimized:
            shortcut = SNConv(self.features, (1, 1))(_avg_pool(x), train=train)
        elif self.downsample or x.shape[-1] != self.features:
            shortcut = SNConv(self.features, (1, 1))(x, train=train)
            shortcut = _avg_pool(shortcut) if self.downsample else shortcut
        return h + shortcut


class ResNetGenerator(nn.Module):
    """z (B, latent_dim) -> images (B, 32, 32, channels) in [-1, 1]."""

    channels: int = 3
    width: int = 256
    axis_name: str | None = None

    @nn.compact
    def __call__(self, z, *, train: bool):
        h = nn.Dense(4 * 4 * self.width)(z).reshape(z.shape[0], 4, 4, self.width)
        for _ in range(3):
            h = GeneratorBlock(self.width, self.axis_name)(h, train=train)
        h = nn.relu(nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=self.axis_name)(h))
        return jnp.tanh(nn.Conv(self.channels, (3, 3), padding="SAME")(h))


class ResNetDiscriminator(nn.Module):
    """images (B, 32, 32, C) -> logits (B,); with `features_only`, the summed last block
    features (B, width) instead (for `AuxiliaryDiscriminator` heads)."""

    width: int = 128
    features_only: bool = False

    @nn.compact
    def __call__(self, x, *, train: bool):
        if x.ndim != 4 or x.shape[1:3] != (32, 32):
            raise ValueError(f"the SNGAN ResNet discriminator takes images (B, 32, 32, C), got shape {x.shape}")
        h = DiscriminatorBlock(self.width, optimized=True)(x, train=train)
        h = DiscriminatorBlock(self.width)(h, train=train)
        h = DiscriminatorBlock(self.width, downsample=False)(h, train=train)
        h = DiscriminatorBlock(self.width, downsample=False)(h, train=train)
        h = jnp.sum(nn.relu(h), axis=(1, 2))
        if self.features_only:
            return h
        return nn.SpectralNorm(nn.Dense(1))(h, update_stats=train)[:, 0]

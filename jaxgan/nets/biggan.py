"""BigGAN (Brock et al., ICLR 2019, "Large Scale GAN Training for High Fidelity Natural Image
Synthesis"): `model.name="biggan"`. Its 32x32 configuration (CIFAR-10: the authors' BigGAN-PyTorch
`G_arch[32]` / `D_arch[32]`, StudioGAN's CIFAR-10 BigGAN), and that layout scaled to 28x28
(MNIST, Fashion-MNIST: a 7x7 start instead of 4x4, one up-block fewer).

Generator (Sec. 3 and App. B, Fig. 15): z is split into one chunk per up-block plus one for the
input layer (the hierarchical latent, `model.hierarchical`); the class label goes through a
shared embedding (a bias-free linear map of the one-hot label, `model.shared_dim`), which is
concatenated with each block's z chunk and projected by each BatchNorm to its gains and biases
(class-conditional BatchNorm). Linear(z_0) -> bottom x bottom x width -> residual up-blocks
(BN -> ReLU -> 2x nearest up -> conv3x3 -> BN -> ReLU -> conv3x3, plus up -> conv1x1 shortcut)
with a self-attention block (SAGAN, Zhang et al. 2019) after the block that makes half the image
side -> BN -> ReLU -> conv3x3 -> tanh. Spectral normalization on every layer but the shared
embedding (`model.g_spectral_norm`; the authors' code: "applying SN to G's embedding seems to
randomly cripple G").

Discriminator (`D_arch[32]`): residual down-blocks (wide: the hidden width is the output
width), the first without its pre-activation ReLU, 2x average pooling in the first two, then two
blocks at that size, a self-attention block after the first, ReLU, a global sum pool and a
spectrally normalized linear output. Class conditioning is the projection discriminator's
(Miyato & Koyama 2018, Eq. 3), put on its features by the labeled games' head
(`nets.AuxiliaryDiscriminator`), spectrally normalized as here (`Family.sn_heads`).

Every kernel starts orthogonal (`model.weight_init="orthogonal"`, the paper's and StudioGAN's;
"normal": N(0, 0.02), BigGAN-PyTorch's CIFAR-10 script). The generator's input is the prior's
`[one_hot(y), z]` (`jaxgan.latents`): the last `model.latent_dim` entries are z, the ones
before them (labels, and any codes) the embedded part, so the family also builds an
unconditional generator (no shared embedding; the hierarchical chunks still condition the
BatchNorms, or plain BatchNorm when neither is there).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.nets.family import DTYPES, Family, Option, positive_int, reject
from jaxgan.nets.layers import average_pool, doubling_layout, nearest_upsample
from jaxgan.techniques import spectral_norm

WEIGHT_INITS = ("orthogonal", "normal")
D_DOWNSAMPLES = (True, True, False, False)  # D_arch[32]'s blocks


def kernel_initializer(name: str) -> nn.initializers.Initializer:
    """The paper's orthogonal kernels, or N(0, 0.02^2) (`model.weight_init`)."""
    if name not in WEIGHT_INITS:
        raise ValueError(f"weight_init must be one of {WEIGHT_INITS}, got {name!r}")
    return nn.initializers.orthogonal() if name == "orthogonal" else nn.initializers.normal(0.02)


class SNLinear(nn.Module):
    """A dense layer, spectrally normalized when `spectral`."""

    features: int
    use_bias: bool = True
    spectral: bool = True
    weight_init: str = "orthogonal"
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train):
        layer = nn.Dense(self.features, use_bias=self.use_bias, kernel_init=kernel_initializer(self.weight_init),
                         dtype=self.dtype)
        return spectral_norm.normalized(layer, x, train=train, on=self.spectral)


class SNConv(nn.Module):
    """A stride-1 SAME convolution, spectrally normalized when `spectral`."""

    features: int
    kernel: int = 3
    use_bias: bool = True
    spectral: bool = True
    weight_init: str = "orthogonal"
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train):
        layer = nn.Conv(self.features, (self.kernel, self.kernel), padding="SAME", use_bias=self.use_bias,
                        kernel_init=kernel_initializer(self.weight_init), dtype=self.dtype)
        return spectral_norm.normalized(layer, x, train=train, on=self.spectral)


class ConditionalBatchNorm(nn.Module):
    """BatchNorm whose scale and offset are linear in a conditioning vector c (B, D): x_hat *
    (1 + W_g c) + W_b c, with x_hat normalized by the batch's statistics and no affine parameters
    of its own (BigGAN, Sec. 3 and App. B; BigGAN-PyTorch's `ccbn`: bias-free, spectrally
    normalized W_g and W_b). With c None, a BatchNorm with a learned scale and offset."""

    spectral: bool = True
    weight_init: str = "orthogonal"
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, condition, *, train):
        if condition is None:
            return nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=self.axis_name,
                                dtype=self.dtype)(x)
        normalized = nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=self.axis_name,
                                  use_scale=False, use_bias=False, dtype=self.dtype)(x)
        linear = lambda name: SNLinear(x.shape[-1], use_bias=False, spectral=self.spectral,
                                       weight_init=self.weight_init, name=name)
        gain = 1.0 + linear("gain")(condition, train=train)
        bias = linear("bias")(condition, train=train)
        return normalized * gain[:, None, None, :].astype(self.dtype) + bias[:, None, None, :].astype(self.dtype)


class SelfAttention(nn.Module):
    """The self-attention block of SAGAN (Zhang et al. 2019, Eq. 1-3) as BigGAN uses it: query
    theta (C/8), key phi (C/8) and value g (C/2) by 1x1 convolutions, keys and values 2x2
    max-pooled, softmax over the pooled positions, a 1x1 convolution back to C, and
    x + gamma * o with gamma a learned scalar starting at 0 (the block starts as the identity)."""

    spectral: bool = True
    weight_init: str = "orthogonal"
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train):
        b, h, w, c = x.shape
        if c % 8 or h % 2 or w % 2:
            raise ValueError(f"self-attention needs channels divisible by 8 and an even side, got {x.shape}")
        conv = lambda features, name: SNConv(features, 1, use_bias=False, spectral=self.spectral,
                                             weight_init=self.weight_init, dtype=self.dtype, name=name)
        theta = conv(c // 8, "theta")(x, train=train).reshape(b, h * w, c // 8)
        phi = nn.max_pool(conv(c // 8, "phi")(x, train=train), (2, 2), (2, 2)).reshape(b, h * w // 4, c // 8)
        g = nn.max_pool(conv(c // 2, "g")(x, train=train), (2, 2), (2, 2)).reshape(b, h * w // 4, c // 2)
        attention = jax.nn.softmax(jnp.einsum("bqc,bkc->bqk", theta, phi).astype(jnp.float32), axis=-1)
        attended = jnp.einsum("bqk,bkc->bqc", attention.astype(self.dtype), g).reshape(b, h, w, c // 2)
        gamma = self.param("gamma", nn.initializers.zeros, ())
        return x + gamma.astype(self.dtype) * conv(c, "o")(attended, train=train)


class GeneratorBlock(nn.Module):
    """CBN -> ReLU -> 2x up -> conv3x3 -> CBN -> ReLU -> conv3x3, plus up -> conv1x1 (BigGAN-PyTorch
    `GBlock`)."""

    features: int
    spectral: bool = True
    weight_init: str = "orthogonal"
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, condition, *, train):
        norm = lambda: ConditionalBatchNorm(self.spectral, self.weight_init, self.axis_name, self.dtype)
        conv = lambda kernel: SNConv(self.features, kernel, spectral=self.spectral, weight_init=self.weight_init,
                                     dtype=self.dtype)
        h = nearest_upsample(nn.relu(norm()(x, condition, train=train)))
        h = conv(3)(h, train=train)
        h = conv(3)(nn.relu(norm()(h, condition, train=train)), train=train)
        return h + conv(1)(nearest_upsample(x), train=train)


class DiscriminatorBlock(nn.Module):
    """[ReLU] -> conv3x3 -> ReLU -> conv3x3 -> [avg pool], plus a shortcut conv1x1 when the block
    pools or changes width (BigGAN-PyTorch `DBlock`, wide): the first block (no pre-activation)
    pools before its shortcut conv, the others after."""

    features: int
    downsample: bool = True
    preactivation: bool = True
    weight_init: str = "orthogonal"
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train):
        conv = lambda kernel: SNConv(self.features, kernel, weight_init=self.weight_init, dtype=self.dtype)
        h = nn.relu(x) if self.preactivation else x
        h = conv(3)(nn.relu(conv(3)(h, train=train)), train=train)
        if self.downsample:
            h = average_pool(h)
        shortcut = x
        if self.downsample or x.shape[-1] != self.features:
            if self.preactivation:
                shortcut = conv(1)(shortcut, train=train)
                shortcut = average_pool(shortcut) if self.downsample else shortcut
            else:
                shortcut = average_pool(shortcut) if self.downsample else shortcut
                shortcut = conv(1)(shortcut, train=train)
        return h + shortcut


class BigGANGenerator(nn.Module):
    """latents (B, K + latent_dim) = [embedded part (K: one-hot labels, codes), z] -> images
    (B, size, size, channels) in [-1, 1]."""

    size: int
    channels: int
    latent_dim: int
    width: int = 64
    shared_dim: int = 128
    hierarchical: bool = True
    attention: bool = True
    spectral: bool = True
    weight_init: str = "orthogonal"
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, latents, *, train: bool):
        blocks, bottom = doubling_layout(self.size)
        if latents.ndim != 2 or latents.shape[1] < self.latent_dim:
            raise ValueError(f"the BigGAN generator takes latents (B, >= {self.latent_dim}), got {latents.shape}")
        embedded, z = latents[:, : -self.latent_dim], latents[:, -self.latent_dim:]
        if self.hierarchical and self.latent_dim % (blocks + 1):
            raise ValueError(f"a hierarchical latent of {self.latent_dim} does not split into {blocks + 1} equal "
                             f"chunks (one per block and the input layer)")
        chunks = jnp.split(z, blocks + 1, axis=1) if self.hierarchical else [z]
        shared = None
        if embedded.shape[1]:
            shared = nn.Dense(self.shared_dim, use_bias=False, kernel_init=kernel_initializer(self.weight_init),
                              name="shared_embedding")(embedded)
        conditions = []
        for i in range(blocks):
            parts = [p for p in (shared, chunks[i + 1] if self.hierarchical else None) if p is not None]
            conditions.append(jnp.concatenate(parts, axis=1) if parts else None)
        h = SNLinear(bottom * bottom * self.width, spectral=self.spectral, weight_init=self.weight_init,
                     dtype=self.dtype)(chunks[0], train=train)
        h = h.reshape(latents.shape[0], bottom, bottom, self.width)
        for i in range(blocks):
            h = GeneratorBlock(self.width, self.spectral, self.weight_init, self.axis_name, self.dtype)(
                h, conditions[i], train=train)
            if self.attention and h.shape[1] == self.size // 2:
                h = SelfAttention(self.spectral, self.weight_init, self.dtype)(h, train=train)
        h = nn.relu(nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=self.axis_name,
                                 dtype=self.dtype)(h))
        h = SNConv(self.channels, 3, spectral=self.spectral, weight_init=self.weight_init, dtype=self.dtype)(
            h, train=train)
        return jnp.tanh(h.astype(jnp.float32))


class BigGANDiscriminator(nn.Module):
    """images (B, H, W, C) -> logits (B,); with `features_only`, the summed last features
    (B, width) for the labeled games' heads (the projection discriminator)."""

    width: int = 64
    attention: bool = True
    weight_init: str = "orthogonal"
    features_only: bool = False
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool):
        if x.ndim != 4 or x.shape[1] % 4 or x.shape[2] % 4:
            raise ValueError(f"the BigGAN discriminator takes images (B, H, W, C) with H and W divisible by 4, got "
                             f"shape {x.shape}")
        h = x
        for i, downsample in enumerate(D_DOWNSAMPLES):
            h = DiscriminatorBlock(self.width, downsample, preactivation=i > 0, weight_init=self.weight_init,
                                   dtype=self.dtype)(h, train=train)
            if self.attention and i == 0:
                h = SelfAttention(True, self.weight_init, self.dtype)(h, train=train)
        h = jnp.sum(nn.relu(h).astype(jnp.float32), axis=(1, 2))
        if self.features_only:
            return h
        return SNLinear(1, weight_init=self.weight_init)(h, train=train)[:, 0]


# The family (`model.name="biggan"`): its `model.*` options and builder.
def _multiple_of_8(value) -> str | None:
    return positive_int(value) or ("must be a multiple of 8 (self-attention's C/8 queries)" if value % 8 else None)


OPTIONS = {
    "g_width": Option(64, "channels of G's residual blocks (BigGAN-PyTorch at 32x32: 4 x G_ch = 256; StudioGAN: 384)",
                      check=_multiple_of_8),
    "d_width": Option(64, "channels of D's residual blocks (BigGAN-PyTorch at 32x32: 4 x D_ch = 256)",
                      check=_multiple_of_8),
    "shared_dim": Option(128, "size of BigGAN's shared class embedding (the paper's and StudioGAN's: 128)",
                         check=positive_int),
    "hierarchical": Option(True, "BigGAN's hierarchical latent: z split into one chunk per G block and one for its "
                           "input layer (model.latent_dim must split evenly)"),
    "self_attention": Option(True, "a SAGAN self-attention block at half the image side in G and D (BigGAN at "
                             "32x32: after G's second block and D's first)"),
    "g_spectral_norm": Option(True, "spectral normalization of every G layer but the shared embedding (BigGAN; "
                              "D is always spectrally normalized)"),
    "weight_init": Option("orthogonal", "initial kernels: 'orthogonal' (the paper's, StudioGAN's) or 'normal', "
                          "N(0, 0.02^2) (BigGAN-PyTorch's CIFAR-10 script)", choices=WEIGHT_INITS),
}


def build(model, shape, *, image, features_only, axis_name, penalized) -> tuple[nn.Module, nn.Module]:
    dtype = DTYPES[model.dtype]
    generator = BigGANGenerator(size=shape[0], channels=shape[-1], latent_dim=model.latent_dim, width=model.g_width,
                                shared_dim=model.shared_dim, hierarchical=model.hierarchical,
                                attention=model.self_attention, spectral=model.g_spectral_norm,
                                weight_init=model.weight_init, axis_name=axis_name, dtype=dtype)
    discriminator = BigGANDiscriminator(width=model.d_width, attention=model.self_attention,
                                        weight_init=model.weight_init, features_only=features_only, dtype=dtype)
    return generator, discriminator


def validate(model, shape, image) -> None:
    if shape is None:
        return
    side = shape[0]
    blocks, _ = doubling_layout(side)
    reject(shape[0] != shape[1] or side % 4 or blocks < 2,
           f"model.name='biggan' builds square images whose side is divisible by 4 with at least two 2x up-blocks "
           f"(32x32 as CIFAR-10, 28x28 as MNIST); the data are {shape[0]}x{shape[1]}")
    reject(model.hierarchical and model.latent_dim % (blocks + 1) != 0,
           f"model.latent_dim={model.latent_dim} does not split into {blocks + 1} equal chunks for the hierarchical "
           f"latent of a {side}x{side} BigGAN ({blocks} blocks + the input layer): use a multiple of {blocks + 1}, "
           f"or model.hierarchical=False")


FAMILY = Family("biggan", "BigGAN", OPTIONS, build, validate, images_only=True, sn_heads=True)

"""The context encoder's networks (Pathak et al. 2016, CVPR, "Context Encoders: Feature
Learning by Inpainting", Sec. 3 and Fig. 2; the authors' code, pathak22/context-encoder,
train.lua and train_random.lua), sized for any square image of at least 8 pixels.

Encoder-decoder generator: the masked image -> 4x4 stride-2 convolutions (BatchNorm and
LeakyReLU(0.2) after all but the first, which has LeakyReLU only) down to 4x4 or less -> a
convolution over the whole map to the bottleneck vector (the paper's 4,000 units for the central
block) -> BatchNorm, LeakyReLU -> a transposed convolution to k x k -> 4x4 stride-2 transposed
convolutions (BatchNorm, ReLU) -> the predicted region's pixels, tanh. It predicts the central
block (half the image side; the paper's "center" model) or the whole image (its "random
region" model); its output is the image with that region replaced by the prediction, so a
central-block prediction sits in its context.

Discriminator (the paper's adversarial discriminator on the predicted region alone, not its
context): 4x4 stride-2 convolutions down to 4x4 or less (BatchNorm after all but the first,
LeakyReLU(0.2)) -> a convolution over the whole map to one logit.

Widths (`model.g_width` = nef = ngf, `model.d_width` = ndf; the authors' 64) double with every
downsampling and halve with every upsampling. As the authors' code: kernels from N(0, 0.02^2),
BatchNorm scales from N(1, 0.02^2), and no biases (their code zeroes every convolution's bias
before each update). Deviations, named: the authors' encoder keeps its first two widths equal
(nef, nef, 2 nef, ...); here every downsampling doubles. Their bottleneck is a 4x4 convolution of
a 4x4 map; for 28-pixel images the map is also 4x4 (28 -> 14 -> 7 -> 4 with "SAME" padding).
The convolutions to and from the 1x1 bottleneck map are computed as the fully connected layers
they are.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.masks import Region
from jaxgan.nets.conv import Conv4x4Stride2
from jaxgan.nets.dcgan import ConvTranspose4x4Stride2

INIT_STD = 0.02


def _scale_init(key, shape, dtype=jnp.float32):
    return 1.0 + INIT_STD * jax.random.normal(key, shape, dtype)


def _batch_norm(train, axis_name, dtype):
    # momentum 0.9 is Torch's 0.1 (running = 0.9 running + 0.1 batch)
    return nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=axis_name, dtype=dtype,
                        scale_init=_scale_init)


def downsamplings(size: int) -> int:
    """How many 4x4 stride-2 "SAME" convolutions take `size` pixels to 4 or fewer."""
    count = 0
    while size > 4:
        size, count = -(-size // 2), count + 1
    return count


def upsamplings(side: int) -> tuple[int, int]:
    """(k, m): a side-`side` prediction is k x k after the first transposed convolution, then
    doubled m times (m >= 1, k >= 4 unless `side` is odd after one halving)."""
    k, m = side // 2, 1
    while k % 2 == 0 and k // 2 >= 4:
        k, m = k // 2, m + 1
    return k, m


class DownStack(nn.Module):
    """x (B, s, s, C) -> (B, <= 4, <= 4, width * 2^(n-1)): the n stride-2 convolutions both
    networks start with."""

    width: int
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool):
        h = x.astype(self.dtype)
        for i in range(downsamplings(x.shape[1])):
            h = Conv4x4Stride2(self.width * 2**i, use_bias=False, dtype=self.dtype, init_std=INIT_STD)(h)
            if i > 0:
                h = _batch_norm(train, self.axis_name, self.dtype)(h)
            h = nn.leaky_relu(h, 0.2)
        return h


def _whole_map_conv(features, h, dtype, name=None):
    """A convolution whose kernel covers the whole map ("VALID": one output position), computed
    as the fully connected layer it is: (B, h, w, C) -> (B, features). XLA's CPU backend ran the
    convolution form 3x slower (a 4x4x256 map to 4,000 units)."""
    return nn.Dense(features, use_bias=False, dtype=dtype, kernel_init=nn.initializers.normal(INIT_STD),
                    name=name)(h.reshape(h.shape[0], -1))


class ContextEncoderGenerator(nn.Module):
    """masked images (B, s, s, C) -> (B, s, s, C): the input with `region` replaced by the
    prediction (in [-1, 1])."""

    region: Region
    width: int = 64
    bottleneck: int = 4000
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32
    form: str = "phases"  # of the stride-2 transposed convolutions (`nets.dcgan.transposed_op`)

    @nn.compact
    def __call__(self, x, *, train: bool):
        if x.ndim != 4 or x.shape[1:3] != (self.region.size, self.region.size):
            raise ValueError(f"the context encoder takes masked images (B, {self.region.size}, {self.region.size}, C), "
                             f"got shape {x.shape}")
        channels = x.shape[-1]
        h = DownStack(self.width, self.axis_name, self.dtype, name="encoder")(x, train=train)
        h = _whole_map_conv(self.bottleneck, h, self.dtype, name="bottleneck")
        h = nn.leaky_relu(_batch_norm(train, self.axis_name, self.dtype)(h), 0.2)  # (B, bottleneck)
        k, m = upsamplings(self.region.side)
        # the transposed convolution of the 1x1 bottleneck map to k x k: a fully connected layer
        width = self.width * 2 ** (m - 1)
        h = nn.Dense(k * k * width, use_bias=False, dtype=self.dtype, kernel_init=nn.initializers.normal(INIT_STD),
                     name="project")(h).reshape(-1, k, k, width)
        h = nn.relu(_batch_norm(train, self.axis_name, self.dtype)(h))
        for i in range(m - 1):
            h = ConvTranspose4x4Stride2(self.width * 2 ** (m - 2 - i), use_bias=False, dtype=self.dtype,
                                        form=self.form, init_std=INIT_STD)(h)
            h = nn.relu(_batch_norm(train, self.axis_name, self.dtype)(h))
        h = ConvTranspose4x4Stride2(channels, use_bias=False, dtype=self.dtype, form=self.form, init_std=INIT_STD)(h)
        prediction = jnp.tanh(h.astype(jnp.float32))
        return self.region.paste(x.astype(jnp.float32), prediction)


class RegionDiscriminator(nn.Module):
    """regions (B, r, r, C) -> logits (B,)."""

    width: int = 64
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool):
        if x.ndim != 4 or x.shape[1] != x.shape[2] or x.shape[1] < 8:
            raise ValueError(f"the region discriminator takes square regions (B, r, r, C), r >= 8, got {x.shape}")
        h = DownStack(self.width, self.axis_name, self.dtype)(x, train=train)
        return _whole_map_conv(1, h, self.dtype)[:, 0].astype(jnp.float32)

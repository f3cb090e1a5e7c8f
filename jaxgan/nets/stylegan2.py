"""StyleGAN2 (Karras et al., CVPR 2020, "Analyzing and Improving the Image Quality of StyleGAN"):
`model.name="stylegan2"`, with the constants of the authors' NVlabs/stylegan2-ada-pytorch
(`training/networks.py`).

Generator: the mapping network (z normalized to unit second moment, `model.mapping_layers`
fully connected layers with leaky ReLU and a learning-rate multiplier of 0.01) gives w; w is
broadcast to one copy per layer ("ws"), the tracked average of w (`w_avg`, decay 0.995 per
training pass) is kept in the "tracked" collection for the truncation trick
w' = w_avg + psi (w - w_avg) (Sec. 2 of Karras et al. 2019; `truncation_psi`). The synthesis
network starts from a learned constant and runs one block per resolution: a 2x up-sampling
modulated convolution, a modulated convolution, and a modulated 1x1 "toRGB" whose output is
added to the up-sampled image of the blocks before (the skip generator, Fig. 7b). A modulated
convolution (Sec. 2.2, Eq. 1-3) scales the kernel's input channels by the style s = A(w) (an
affine layer whose bias starts at 1), and "demodulates" each output channel by
1 / sqrt(sum (s w)^2 + 1e-8) (not in toRGB); then per-pixel noise times a learned strength
(initially 0), the bias, and leaky ReLU times sqrt(2).

Discriminator (the residual D, Fig. 7c): a 1x1 "fromRGB", then per resolution
conv3x3 -> conv3x3 with 2x down-sampling, plus a 1x1 down-sampled skip, both scaled by
sqrt(1/2); the epilogue at the bottom resolution: minibatch standard deviation (Karras et al.
2018, `techniques.MinibatchStdDev`: the authors' strided groups of 4, one feature), conv3x3, a
fully connected layer and the output.

Every layer uses the equalized learning rate (Karras et al. 2018, Sec. 4.1): its weights are
drawn from N(0, 1) (divided by the learning-rate multiplier) and scaled at run time by
lr_multiplier / sqrt(fan_in), its bias by lr_multiplier. Resampling uses the [1, 3, 3, 1]
low-pass filter as the authors' upfirdn2d: the up-sampling convolution is a stride-2 transposed
convolution followed by the filter (gain 4), the down-sampling one the filter followed by a
stride-2 convolution. Noise: random in training (drawn from one key per example, which the game
passes), a fixed draw per layer at inference (the authors' `noise_mode="const"`).

Image sizes: 4 x 2^k as the paper's (32 for CIFAR-10, 1024 for FFHQ) and 7 x 2^k (28 for MNIST
and Fashion-MNIST without padding); the channels of a resolution are
min(channel_base / r, channel_max) at its nominal resolution r (the power of two nearest, so a
28x28 network has the channels of a 32x32 one's top three blocks).
"""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxgan.nets.family import DTYPES, Family, Option, positive_int, reject
from jaxgan.nets.layers import doubling_layout
from jaxgan.techniques import MinibatchStdDev

LEAKY_GAIN = math.sqrt(2.0)  # the authors' bias_act gain for leaky ReLU (slope 0.2)
LOW_PASS = np.array([1.0, 3.0, 3.0, 1.0])
CONV = ("NHWC", "HWIO", "NHWC")
TRACKED = "tracked"  # the collection of w_avg


def low_pass(x: jax.Array, *, padding: tuple[int, int], gain: float = 1.0, stride: int = 1,
             dilation: int = 1) -> jax.Array:
    """The [1, 3, 3, 1] x [1, 3, 3, 1] filter (normalized to sum `gain`) on each channel of
    (B, H, W, C) maps, after inserting `dilation - 1` zeros between pixels and padding by
    `padding` (before, after) on both spatial axes, keeping every `stride`-th output (the
    authors' `upfirdn2d`). Computed separably by shifted sums: XLA's CPU backend runs the
    equivalent depthwise convolution's gradient ~100x slower."""
    taps = LOW_PASS / LOW_PASS.sum() * math.sqrt(gain)
    zero = jnp.zeros((), x.dtype)
    for axis in (1, 2):
        config = [(0, 0, 0)] * x.ndim
        config[axis] = (padding[0], padding[1], dilation - 1)
        padded = lax.pad(x, zero, config)
        length = padded.shape[axis] - len(taps) + 1
        x = sum(float(t) * lax.slice_in_dim(padded, i, i + length, axis=axis) for i, t in enumerate(taps))
        if stride > 1:
            x = lax.slice_in_dim(x, 0, None, stride, axis=axis)
    return x


def upsample(x: jax.Array) -> jax.Array:
    """2x up-sampling of (B, H, W, C) maps: zeros inserted, then the low-pass filter with gain 4
    (the authors' `upfirdn2d.upsample2d`)."""
    return low_pass(x, padding=(2, 2), gain=4.0, dilation=2)


def downsample(x: jax.Array) -> jax.Array:
    """2x down-sampling of (B, H, W, C) maps: the low-pass filter, every second pixel kept
    (`upfirdn2d.downsample2d`)."""
    return low_pass(x, padding=(1, 1), stride=2)


def transposed_conv3x3(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """The stride-2 transposed 3x3 convolution of (B, H, W, C) maps with `kernel` (3, 3, C, F),
    (B, 2H + 2, 2W + 2, F) with out[2h + 2 - i, 2w + 2 - j] += x[h, w] kernel[i, j] (XLA's
    input-dilated convolution with padding 2; the last row and column are zero). By phase: output
    rows 2m read input rows m - 1 and m with kernel rows 0 and 2, rows 2m + 1 input row m with
    kernel row 1 (columns alike); each of the four phases is one matrix product of shifted copies
    of the input, whose gradients XLA's CPU backend runs 5-10x faster than those of the dilated
    convolution."""
    b, h, w, _ = x.shape
    padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    shifted = {(r, c): padded[:, r:r + h + 1, c:c + w + 1] for r in (0, 1) for c in (0, 1)}
    taps = {0: ((0, 0), (1, 2)), 1: ((1, 1),)}  # phase -> ((shift, kernel index), ...)

    def phase(a, c):
        pairs = [((ra, ca), (ka, kc)) for ra, ka in taps[a] for ca, kc in taps[c]]
        inputs = jnp.concatenate([shifted[s] for s, _ in pairs], axis=-1)
        return inputs @ jnp.concatenate([kernel[i, j] for _, (i, j) in pairs], axis=0)

    stacked = jnp.stack([jnp.stack([phase(a, c) for c in (0, 1)], axis=3) for a in (0, 1)], axis=2)
    return stacked.reshape(b, 2 * h + 2, 2 * w + 2, kernel.shape[-1])


def convolve(x: jax.Array, kernel: jax.Array, *, up: bool = False, down: bool = False) -> jax.Array:
    """A k x k convolution of (B, H, W, C) maps with `kernel` (k, k, C, C'), 'same' size, or with
    2x up-sampling (3x3 only: a stride-2 transposed convolution, then the filter with gain 4, the
    authors' `conv2d_resample` with up=2) or 2x down-sampling (the filter, then a stride-2
    convolution)."""
    k = kernel.shape[0]
    if up:
        if k != 3:
            raise ValueError(f"the up-sampling convolution is 3x3, got a {k}x{k} kernel")
        return low_pass(transposed_conv3x3(x, kernel), padding=(1, 0), gain=4.0)
    if down:
        if k == 1:
            return downsample(x) @ kernel[0, 0]
        return lax.conv_general_dilated(low_pass(x, padding=(2, 2)), kernel, (2, 2), "VALID", dimension_numbers=CONV)
    return lax.conv_general_dilated(x, kernel, (1, 1), "SAME", dimension_numbers=CONV)


def bias_act(x: jax.Array, bias: jax.Array, *, activation: bool, gain: float = 1.0) -> jax.Array:
    """x + bias, then leaky ReLU (slope 0.2) times sqrt(2) when `activation`, times `gain`."""
    x = x + bias.astype(x.dtype)
    return (nn.leaky_relu(x, 0.2) * LEAKY_GAIN if activation else x) * gain


def normalize_2nd_moment(x: jax.Array, eps: float = 1e-8) -> jax.Array:
    """x / sqrt(mean(x^2) + eps) over the last axis (the mapping network's input)."""
    return x * lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + eps)


class EqualDense(nn.Module):
    """A fully connected layer with the equalized learning rate: weight ~ N(0, 1) / lr_multiplier,
    used as weight * lr_multiplier / sqrt(fan_in); bias starts at `bias_init`, used times
    lr_multiplier (the authors' `FullyConnectedLayer`)."""

    features: int
    activation: bool = False
    lr_multiplier: float = 1.0
    bias_init: float = 0.0

    @nn.compact
    def __call__(self, x):
        fan_in = x.shape[-1]
        weight = self.param("weight", lambda k, shape: jax.random.normal(k, shape) / self.lr_multiplier,
                            (fan_in, self.features))
        bias = self.param("bias", lambda k, s: jnp.full(s, self.bias_init, jnp.float32), (self.features,))
        y = x @ (weight * (self.lr_multiplier / math.sqrt(fan_in))).astype(x.dtype)
        return bias_act(y, bias * self.lr_multiplier, activation=self.activation)


class EqualConv(nn.Module):
    """A k x k convolution with the equalized learning rate (weight ~ N(0, 1), used as
    weight / sqrt(k k C_in)), optional bias and leaky ReLU, 2x down-sampling when `down`, its output
    scaled by `gain` (the authors' `Conv2dLayer`)."""

    features: int
    kernel_size: int = 3
    activation: bool = True
    use_bias: bool = True
    down: bool = False
    gain: float = 1.0
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x):
        k, c = self.kernel_size, x.shape[-1]
        weight = self.param("weight", nn.initializers.normal(1.0), (k, k, c, self.features))
        x = x.astype(self.dtype)
        y = convolve(x, (weight / math.sqrt(k * k * c)).astype(self.dtype), down=self.down)
        bias = self.param("bias", nn.initializers.zeros, (self.features,)) if self.use_bias else jnp.zeros(())
        return bias_act(y, bias, activation=self.activation, gain=self.gain)


def modulated_conv(x: jax.Array, weight: jax.Array, styles: jax.Array, *, demodulate: bool = True,
                   up: bool = False) -> jax.Array:
    """The modulated convolution of StyleGAN2 (Karras et al. 2020, Sec. 2.2, Eq. 1 and 3): for each
    example b, the kernel w'_{ijk} = s_{b,i} w_{ijk} (input channel i, output j, taps k), demodulated
    to w''_{ijk} = w'_{ijk} / sqrt(sum_{i,k} w'_{ijk}^2 + 1e-8). Computed as the authors' code does
    without grouped convolutions: x scaled by s, one convolution with the shared w, the output
    scaled by the demodulation coefficients (equal by linearity).

    Args:
      x: (B, H, W, C_in) maps.
      weight: (k, k, C_in, C_out) kernel shared by the batch.
      styles: (B, C_in) per-example scales s.
      demodulate: scale each output channel as above (False: toRGB).
      up: 2x up-sampling convolution (`convolve`).
    """
    y = convolve(x * styles[:, None, None, :].astype(x.dtype), weight.astype(x.dtype), up=up)
    if not demodulate:
        return y
    energy = jnp.square(styles.astype(jnp.float32)) @ jnp.sum(jnp.square(weight.astype(jnp.float32)), axis=(0, 1))
    return y * lax.rsqrt(energy + 1e-8)[:, None, None, :].astype(y.dtype)


class SynthesisLayer(nn.Module):
    """A modulated 3x3 convolution (2x up-sampling when `up`), noise, bias and leaky ReLU."""

    features: int
    up: bool = False
    layer_index: int = 0
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, w, noise_keys=None):
        c = x.shape[-1]
        styles = EqualDense(c, bias_init=1.0, name="affine")(w)
        weight = self.param("weight", nn.initializers.normal(1.0), (3, 3, c, self.features))
        y = modulated_conv(x.astype(self.dtype), weight, styles, up=self.up)
        strength = self.param("noise_strength", nn.initializers.zeros, ())
        size = y.shape[1:3]
        if noise_keys is not None:  # per example, so that no device layout changes a draw
            noise = jax.vmap(lambda k: jax.random.normal(jax.random.fold_in(k, self.layer_index), size + (1,)))(
                noise_keys)
        else:  # the authors' noise_mode="const": one fixed draw per layer
            noise = jax.random.normal(jax.random.key(self.layer_index), size + (1,))[None]
        y = y + (noise * strength).astype(y.dtype)
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        return bias_act(y, bias, activation=True)


class ToRGB(nn.Module):
    """A modulated 1x1 convolution without demodulation, styles scaled by 1 / sqrt(C_in), and a bias."""

    channels: int
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, w):
        c = x.shape[-1]
        styles = EqualDense(c, bias_init=1.0, name="affine")(w) / math.sqrt(c)
        weight = self.param("weight", nn.initializers.normal(1.0), (1, 1, c, self.channels))
        y = modulated_conv(x.astype(self.dtype), weight, styles, demodulate=False)
        bias = self.param("bias", nn.initializers.zeros, (self.channels,))
        return bias_act(y.astype(jnp.float32), bias, activation=False)


def resolutions(size: int) -> list[int]:
    """The block resolutions of a network for `size` x `size` images, bottom first (32: 4, 8, 16,
    32; 28: 7, 14, 28)."""
    blocks, bottom = doubling_layout(size)
    return [bottom * 2**i for i in range(blocks + 1)]


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
    """min(channel_base / r, channel_max) at the nominal resolution r of `resolution` (the power of
    two nearest it: 7 -> 8, 28 -> 32)."""
    nominal = 2 ** round(math.log2(resolution))
    return max(1, min(channel_base // nominal, channel_max))


def num_ws(size: int) -> int:
    """How many copies of w the synthesis network of `size` takes: one per convolution, and one for
    the last toRGB (each toRGB shares the w of the next block's first convolution)."""
    return 2 * len(resolutions(size))


class MappingNetwork(nn.Module):
    """z -> w, broadcast to (B, num_ws, w_dim); tracks w_avg while training (`track`; the mean over
    the pmap axis `axis_name` too), truncated toward it by `truncation_psi`."""

    w_dim: int
    num_ws: int
    num_layers: int = 8
    lr_multiplier: float = 0.01
    w_avg_beta: float = 0.995
    truncation_psi: float = 1.0
    axis_name: str | None = None

    @nn.compact
    def __call__(self, z, *, train: bool, track: bool = True):
        x = normalize_2nd_moment(z.astype(jnp.float32))
        for i in range(self.num_layers):
            x = EqualDense(self.w_dim, activation=True, lr_multiplier=self.lr_multiplier, name=f"fc{i}")(x)
        w_avg = self.variable(TRACKED, "w_avg", jnp.zeros, (self.w_dim,))
        if train and track:
            mean = jnp.mean(lax.stop_gradient(x), axis=0)
            mean = lax.pmean(mean, self.axis_name) if self.axis_name else mean  # the global batch's, as BatchNorm's
            w_avg.value = mean + self.w_avg_beta * (w_avg.value - mean)
        ws = jnp.broadcast_to(x[:, None, :], (x.shape[0], self.num_ws, self.w_dim))
        if self.truncation_psi != 1.0:
            ws = truncate(ws, w_avg.value, self.truncation_psi)
        return ws


def truncate(ws: jax.Array, w_avg: jax.Array, psi: float) -> jax.Array:
    """The truncation trick in W (Karras et al. 2019, Sec. 3.1; StyleGAN2's Sec. 5 setting):
    w' = w_avg + psi (w - w_avg)."""
    return w_avg + psi * (ws - w_avg)


class SynthesisNetwork(nn.Module):
    """ws (B, num_ws, w_dim) -> images (B, size, size, channels) (the skip generator)."""

    size: int
    channels: int
    channel_base: int
    channel_max: int
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, ws, noise_keys=None):
        levels = resolutions(self.size)
        if ws.ndim != 3 or ws.shape[1] != num_ws(self.size):
            raise ValueError(f"the {self.size}x{self.size} StyleGAN2 synthesis network takes ws of shape "
                             f"(B, {num_ws(self.size)}, w_dim), got {ws.shape}")
        width = lambda r: channels_at(r, self.channel_base, self.channel_max)
        const = self.param("const", nn.initializers.normal(1.0), (levels[0], levels[0], width(levels[0])))
        x = jnp.broadcast_to(const[None], (ws.shape[0],) + const.shape)
        x = SynthesisLayer(width(levels[0]), layer_index=0, dtype=self.dtype, name=f"b{levels[0]}_conv1")(
            x, ws[:, 0], noise_keys)
        image = ToRGB(self.channels, self.dtype, name=f"b{levels[0]}_torgb")(x, ws[:, 1])
        for i, r in enumerate(levels[1:], start=1):
            x = SynthesisLayer(width(r), up=True, layer_index=2 * i - 1, dtype=self.dtype, name=f"b{r}_conv0")(
                x, ws[:, 2 * i - 1], noise_keys)
            x = SynthesisLayer(width(r), layer_index=2 * i, dtype=self.dtype, name=f"b{r}_conv1")(
                x, ws[:, 2 * i], noise_keys)
            image = upsample(image) + ToRGB(self.channels, self.dtype, name=f"b{r}_torgb")(x, ws[:, 2 * i + 1])
        return image.astype(jnp.float32)


class StyleGAN2Generator(nn.Module):
    """z (B, latent_dim) -> images (B, size, size, channels), unbounded as the authors' (the data
    are in [-1, 1]). `mapping` and `synthesis` run the two halves (the path length regularizer
    differentiates the synthesis network with respect to ws; style mixing maps two z)."""

    size: int
    channels: int
    w_dim: int = 512
    mapping_layers: int = 8
    channel_base: int = 32768
    channel_max: int = 512
    truncation_psi: float = 1.0
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32

    def setup(self):
        self.mapping_network = MappingNetwork(self.w_dim, num_ws(self.size), self.mapping_layers,
                                              truncation_psi=self.truncation_psi, axis_name=self.axis_name)
        self.synthesis_network = SynthesisNetwork(self.size, self.channels, self.channel_base, self.channel_max,
                                                  self.dtype)

    def mapping(self, z, *, train: bool, track: bool = True):
        """ws (B, num_ws, w_dim) of z; `track`: update w_avg (training passes but style mixing's
        second z, as the authors' `skip_w_avg_update`)."""
        return self.mapping_network(z, train=train, track=track)

    def synthesis(self, ws, *, train: bool, noise_keys=None):
        """Images of ws; the noise inputs drawn from one key per example (`noise_keys`, (B,)), or
        without keys the fixed draw of each layer (the authors' noise_mode="const")."""
        del train  # the synthesis network has no training-mode layers
        return self.synthesis_network(ws, noise_keys)

    def __call__(self, z, *, train: bool):
        return self.synthesis(self.mapping(z, train=train), train=train)


class StyleGAN2Discriminator(nn.Module):
    """images (B, H, W, C) -> logits (B,): the residual D (`architecture="resnet"`, the paper's) or
    the plain one ("orig": no skips, the authors' CIFAR-10 configuration); with `features_only`,
    the epilogue's last features (B, channels) for the labeled games' heads."""

    channel_base: int = 32768
    channel_max: int = 512
    mbstd_group_size: int = 4
    architecture: str = "resnet"
    features_only: bool = False
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x, *, train: bool):
        if x.ndim != 4 or x.shape[1] != x.shape[2] or doubling_layout(x.shape[1])[1] not in (4, 7):
            raise ValueError(f"the StyleGAN2 discriminator takes square images (B, H, W, C) of side 4 x 2^k or "
                             f"7 x 2^k, got shape {x.shape}")
        levels = resolutions(x.shape[1])[::-1]
        width = lambda r: channels_at(r, self.channel_base, self.channel_max)
        h = EqualConv(width(levels[0]), kernel_size=1, dtype=self.dtype, name=f"b{levels[0]}_fromrgb")(x)
        residual = self.architecture == "resnet"
        gain = math.sqrt(0.5) if residual else 1.0
        for r in levels[:-1]:
            skip = EqualConv(width(r // 2), kernel_size=1, activation=False, use_bias=False, down=True, gain=gain,
                             dtype=self.dtype, name=f"b{r}_skip")(h) if residual else 0.0
            h = EqualConv(width(r), dtype=self.dtype, name=f"b{r}_conv0")(h)
            h = skip + EqualConv(width(r // 2), down=True, gain=gain, dtype=self.dtype, name=f"b{r}_conv1")(h)
        bottom = levels[-1]
        h = MinibatchStdDev(self.mbstd_group_size)(h.astype(jnp.float32))  # the authors' epilogue runs in float32
        h = EqualConv(width(bottom), dtype=self.dtype, name="epilogue_conv")(h)
        h = EqualDense(width(bottom), activation=True, name="epilogue_fc")(h.reshape(h.shape[0], -1))
        h = h.astype(jnp.float32)
        if self.features_only:
            return h
        return EqualDense(1, name="epilogue_out")(h)[:, 0]


# The family (`model.name="stylegan2"`): its `model.*` options and builder.
def _power_of_two(value) -> str | None:
    return positive_int(value) or (None if value & (value - 1) == 0 else "must be a power of two")


OPTIONS = {
    "w_dim": Option(512, "StyleGAN2's intermediate latent size (w; the authors': 512)", check=positive_int),
    "mapping_layers": Option(8, "StyleGAN2's mapping network depth (the paper's 8; the authors' CIFAR-10 and "
                             "'auto' configurations: 2)", check=positive_int),
    "channel_base": Option(32768, "StyleGAN2's channels: min(channel_base / resolution, channel_max) per block "
                           "(the authors': 32768 x fmaps, fmaps 1 or 0.5)", check=_power_of_two),
    "channel_max": Option(512, "StyleGAN2's largest block width (the authors': 512)", check=positive_int),
    "d_architecture": Option("resnet", "StyleGAN2's discriminator: 'resnet' (the paper's residual D) or 'orig' "
                             "(no skip connections: the authors' CIFAR-10 configuration)", choices=("resnet", "orig")),
    "mbstd_group_size": Option(4, "StyleGAN2's minibatch standard deviation group (the authors': 4; CIFAR-10: 32; "
                               "data.batch_size must be divisible by it)", check=positive_int),
}


def build(model, shape, *, image, features_only, axis_name, penalized) -> tuple[nn.Module, nn.Module]:
    dtype = DTYPES[model.dtype]
    generator = StyleGAN2Generator(size=shape[0], channels=shape[-1], w_dim=model.w_dim,
                                   mapping_layers=model.mapping_layers, channel_base=model.channel_base,
                                   channel_max=model.channel_max, axis_name=axis_name, dtype=dtype)
    discriminator = StyleGAN2Discriminator(channel_base=model.channel_base, channel_max=model.channel_max,
                                           mbstd_group_size=model.mbstd_group_size,
                                           architecture=model.d_architecture, features_only=features_only,
                                           dtype=dtype)
    return generator, discriminator


def validate(model, shape, image) -> None:
    if shape is None:
        return
    blocks, bottom = doubling_layout(shape[0])
    reject(shape[0] != shape[1] or bottom not in (4, 7) or blocks < 1,
           f"model.name='stylegan2' builds square images of side 4 x 2^k (32 as CIFAR-10, 1024 as FFHQ) or "
           f"7 x 2^k (28 as MNIST); the data are {shape[0]}x{shape[1]}")


FAMILY = Family("stylegan2", "StyleGAN2", OPTIONS, build, validate, images_only=True)

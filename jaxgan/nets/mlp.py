"""Multilayer perceptrons for low-dimensional data (the 2D mode-coverage studies) and images.

`dtype` (e.g. `jnp.bfloat16`) is the compute dtype of the dense and normalization layers;
parameters stay float32 and outputs are float32."""

import math
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.nets.family import (
    DTYPES,
    Family,
    Option,
    layer_widths,
    non_negative,
    non_negative_int,
    reject,
    unit_interval,
)
from jaxgan.nets.layers import ACTIVATIONS, Maxout, WeightNormDense, activation_fn, kernel_init, norm_layer
from jaxgan.techniques import MinibatchDiscrimination, MinibatchStdDev, spectral_norm

NORMS = ("none", "batch", "layer")


def _norm(kind, train, axis_name, dtype, momentum=0.9):
    if kind not in NORMS:
        raise ValueError(f"unknown norm {kind!r}; expected one of {NORMS}")
    return norm_layer(kind, train=train, axis_name=axis_name, dtype=dtype, momentum=momentum)


class MLPGenerator(nn.Module):
    """z (B, latent_dim) -> x (B, output_dim): Dense -> [norm] -> activation per hidden layer,
    linear out.

    output_shape: for images, e.g. (28, 28, 1): the output (prod(output_shape) units, replacing
      output_dim) is squashed to [-1, 1] with tanh and reshaped to (B, *output_shape).
    init_std: if > 0, every kernel starts from N(0, init_std^2) (`kernel_init`); biases start at 0.
    activation: "relu" (default) or "softplus" (the Improved-GAN MNIST generator) or "leaky_relu".
    output_weight_norm: the output layer is a `WeightNormDense` (trainable scale, starting at 1),
      as the Improved-GAN MNIST generator's `l2normalize` output layer.
    bn_momentum: with norm "batch", the running averages' momentum (PacGAN's code: 0.95).

    Example:
      >>> g = MLPGenerator(hidden=(64, 64), output_dim=2)
      >>> variables = g.init(jax.random.key(0), jnp.zeros((4, 8)), train=False)
    """

    hidden: Sequence[int] = (256, 256, 256)
    output_dim: int = 2
    norm: str = "none"
    axis_name: str | None = None
    output_shape: tuple | None = None
    init_std: float = 0.0
    activation: str = "relu"
    output_weight_norm: bool = False
    bn_momentum: float = 0.9
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, z, *, train: bool):
        h = z
        init = kernel_init(self.init_std)
        act = activation_fn(self.activation)
        for width in self.hidden:
            # A bias before BatchNorm is cancelled by the mean subtraction: leave it out.
            h = nn.Dense(width, use_bias=self.norm != "batch", kernel_init=init, dtype=self.dtype)(h)
            h = _norm(self.norm, train, self.axis_name, self.dtype, self.bn_momentum)(h)
            h = act(h)
        units = self.output_dim if self.output_shape is None else math.prod(self.output_shape)
        if self.output_weight_norm:
            out = WeightNormDense(units, kernel_init=init, dtype=self.dtype)(h).astype(jnp.float32)
        else:
            out = nn.Dense(units, kernel_init=init, dtype=self.dtype)(h).astype(jnp.float32)
        if self.output_shape is None:
            return out
        return jnp.tanh(out).reshape((z.shape[0],) + tuple(self.output_shape))


class MLPDiscriminator(nn.Module):
    """x (B, ...) -> logits (B,): flattened input, Dense -> [norm] -> activation (LeakyReLU(0.2) by
    default, or "relu"), linear out.

    maxout_pieces: if > 0, every hidden layer is a linear `Maxout` of that many pieces instead of
      Dense -> [norm] -> LeakyReLU (PacGAN's 2D discriminator: 3 x 200 units, 5 pieces; Lin et al.
      2018, App. D, after Dumoulin et al. 2017); no norm layer then.
    spectral_norm: wrap every Dense in `nn.SpectralNorm` (Miyato et al. 2018); its power-iteration
      vectors live in the `batch_stats` collection, i.e. in the train state's `d_state`.
    minibatch_kernels: if > 0, a `MinibatchDiscrimination` layer with that many kernels before
      the output layer (Salimans et al. 2016).
    minibatch_std: append the minibatch standard deviation before the output layer (Karras 2018).
    weight_norm: every Dense is a `WeightNormDense` (Salimans & Kingma 2016), as in the
      Improved-GAN semi-supervised MNIST discriminator.
    weight_norm_data_init: the Improved-GAN code's form of those layers: data-dependent
      initialization (initialize with a real batch), v from N(0, 0.1^2), and the scales of the
      hidden layers fixed at their initial values (only the output layer trains its scale).
    input_noise, hidden_noise: standard deviations of additive Gaussian noise on the input and
      after every hidden layer while training (Salimans et al. 2016's MNIST discriminator uses
      0.3 and 0.5); drawn from the `noise` RNG stream that the step factories pass.
    features_only: return the last hidden features (B, F) instead of the logit, for
      `AuxiliaryDiscriminator` heads and feature matching: the activations of the last hidden
      layer before its noise (the head adds it, `AuxiliaryDiscriminator.feature_noise`), the
      layer the Improved-GAN code matches.
    init_std: if > 0, every kernel starts from N(0, init_std^2) (`kernel_init`); biases start at 0.
    bn_momentum: with norm "batch", the running averages' momentum.
    """

    hidden: Sequence[int] = (256, 256, 256)
    norm: str = "none"
    axis_name: str | None = None
    spectral_norm: bool = False
    maxout_pieces: int = 0
    minibatch_kernels: int = 0
    minibatch_std: bool = False
    weight_norm: bool = False
    input_noise: float = 0.0
    hidden_noise: float = 0.0
    features_only: bool = False
    init_std: float = 0.0
    activation: str = "leaky_relu"
    weight_norm_data_init: bool = False
    bn_momentum: float = 0.9
    dtype: jnp.dtype = jnp.float32

    def _dense(self, width, h, train, use_bias=True, output=False):
        if self.weight_norm or self.weight_norm_data_init:
            init = nn.initializers.normal(0.1) if self.weight_norm_data_init else kernel_init(self.init_std)
            return WeightNormDense(width, data_init=self.weight_norm_data_init,
                                   train_scale=output or not self.weight_norm_data_init, kernel_init=init,
                                   dtype=self.dtype)(h)
        layer = nn.Dense(width, use_bias=use_bias, kernel_init=kernel_init(self.init_std), dtype=self.dtype)
        return spectral_norm.normalized(layer, h, train=train, on=self.spectral_norm)

    def _noise(self, h, std, train):
        if not train or std == 0.0:
            return h
        return h + std * jax.random.normal(self.make_rng("noise"), h.shape, h.dtype)

    @nn.compact
    def __call__(self, x, *, train: bool):
        act = activation_fn(self.activation)
        h = self._noise(x.reshape(x.shape[0], -1), self.input_noise, train)
        for i, width in enumerate(self.hidden):
            if self.maxout_pieces:
                if self.norm != "none" or self.spectral_norm or self.weight_norm:
                    raise ValueError("maxout_pieces > 0 takes no norm, spectral_norm or weight_norm")
                h = self._noise(Maxout(width, self.maxout_pieces, kernel_init=kernel_init(self.init_std),
                                                dtype=self.dtype)(h), self.hidden_noise, train)
                continue
            # A bias before BatchNorm is cancelled by the mean subtraction: leave it out.
            h = self._dense(width, h, train, use_bias=self.norm != "batch")
            h = act(_norm(self.norm, train, self.axis_name, self.dtype, self.bn_momentum)(h))
            if self.features_only and i == len(self.hidden) - 1:
                break
            h = self._noise(h, self.hidden_noise, train)
        if self.features_only:
            return h.astype(jnp.float32)
        if self.minibatch_kernels or self.minibatch_std:
            h = h.astype(jnp.float32)  # batch statistics of the features: computed in float32
        if self.minibatch_kernels:
            h = MinibatchDiscrimination(num_kernels=self.minibatch_kernels)(h)
        if self.minibatch_std:
            h = MinibatchStdDev()(h)
        return self._dense(1, h, train, output=True)[:, 0].astype(jnp.float32)


# The family (`model.name="mlp"`): its `model.*` options and builder.
OPTIONS = {
    "g_hidden": Option((256, 256, 256), "the generator's hidden layer widths", check=layer_widths),
    "d_hidden": Option((256, 256, 256), "the discriminator's hidden layer widths", check=layer_widths),
    "g_norm": Option("none", "normalization after each hidden layer of G", choices=NORMS),
    "d_norm": Option("none", "normalization after each hidden layer of D (gradient penalties need 'none' or "
                     "'layer')", choices=NORMS),
    "d_spectral_norm": Option(False, "spectral normalization of every layer of D (jaxgan.techniques.spectral_norm)"),
    "d_maxout_pieces": Option(0, "> 0: D's hidden layers are linear maxout units of that many pieces (PacGAN's "
                              "2D critic: d_hidden (200, 200, 200), 5 pieces)", check=non_negative_int),
    "init_std": Option(0.0, "> 0: every kernel starts from N(0, init_std^2) (PacGAN, DCGAN: 0.02); 0: Flax's "
                       "default (LeCun normal)", check=non_negative),
    "d_minibatch_kernels": Option(0, "> 0: a minibatch discrimination layer with that many kernels before D's "
                                  "output (jaxgan.techniques.minibatch)", check=non_negative_int),
    "d_minibatch_std": Option(False, "append the minibatch standard deviation before D's output"),
    "d_input_noise": Option(0.0, "std of Gaussian noise on D's input while training (Improved-GAN MNIST: 0.3 of "
                            "the pixel range)", check=non_negative),
    "d_hidden_noise": Option(0.0, "std of Gaussian noise after each hidden layer of D while training",
                             check=non_negative),
    "d_weight_norm": Option(False, "every layer of D weight-normalized (Salimans & Kingma 2016)"),
    "d_weight_norm_data_init": Option(False, "the Improved-GAN code's weight norm: data-dependent init on the first "
                                      "real batch, v ~ N(0, 0.1^2), hidden scales fixed"),
    "g_activation": Option("relu", "G's hidden activation", choices=tuple(ACTIVATIONS)),
    "d_activation": Option("leaky_relu", "D's hidden activation (leaky_relu: slope 0.2)", choices=tuple(ACTIVATIONS)),
    "g_output_weight_norm": Option(False, "G's output layer weight-normalized (Improved-GAN's MNIST generator)"),
    "bn_momentum": Option(0.9, "the BatchNorm layers' running-average momentum: running <- bn_momentum * running + "
                          "(1 - bn_momentum) * batch (PacGAN's code: 0.95)", check=unit_interval),
}


def build(model, shape, *, image, features_only, axis_name, penalized) -> tuple[nn.Module, nn.Module]:
    """The MLP pair; on images G's output is reshaped to `shape` through tanh."""
    dtype = DTYPES[model.dtype]
    generator = MLPGenerator(hidden=tuple(model.g_hidden), output_dim=shape[0], norm=model.g_norm, axis_name=axis_name,
                             output_shape=shape if image else None, init_std=model.init_std,
                             activation=model.g_activation, output_weight_norm=model.g_output_weight_norm,
                             bn_momentum=model.bn_momentum, dtype=dtype)
    discriminator = MLPDiscriminator(
        hidden=tuple(model.d_hidden), norm=model.d_norm, axis_name=axis_name, spectral_norm=model.d_spectral_norm,
        maxout_pieces=model.d_maxout_pieces, minibatch_kernels=model.d_minibatch_kernels,
        minibatch_std=model.d_minibatch_std, weight_norm=model.d_weight_norm,
        weight_norm_data_init=model.d_weight_norm_data_init, activation=model.d_activation,
        input_noise=model.d_input_noise, hidden_noise=model.d_hidden_noise, features_only=features_only,
        init_std=model.init_std, bn_momentum=model.bn_momentum, dtype=dtype)
    return generator, discriminator


def validate(model, shape, image) -> None:
    reject(model.d_weight_norm_data_init and model.d_spectral_norm,
           "model.d_weight_norm_data_init and d_spectral_norm are two normalizations of the same layers: choose one")
    reject(model.d_maxout_pieces and (model.d_norm != "none" or model.d_spectral_norm or model.d_weight_norm
                                      or model.d_weight_norm_data_init),
           f"model.d_maxout_pieces={model.d_maxout_pieces} replaces the critic's hidden Dense -> norm -> LeakyReLU: "
           "set model.d_norm='none' and leave d_spectral_norm / d_weight_norm off")


FAMILY = Family("mlp", "MLP", OPTIONS, build, validate)

"""Networks by name (`model.name`): each entry builds the (generator, discriminator) pair of an
unconditional GAN from a run's `model` config group and the shape of one example. The games put
their heads on the discriminator (`features_only`) and pick the translation networks themselves.
"""

import jax.numpy as jnp

from jaxgan import backend
from jaxgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from jaxgan.nets.layers import Packed
from jaxgan.nets.mlp import MLPDiscriminator, MLPGenerator
from jaxgan.nets.resnet import ResNetDiscriminator, ResNetGenerator

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def upsampling(model, backend_name=None):
    """`model.upsample`, where "auto" is the backend's fastest form of the paper's transposed
    convolution (`backend.choices(backend_name).upsample`)."""
    if model.upsample != "auto":
        return model.upsample
    return backend.choices(backend_name).upsample


def critic_convolution(model, *, penalized, backend_name=None):
    """The DCGAN critic's convolution: `model.d_conv`, where "auto" is the backend's measured
    choice (`backend.choices`) for a critic that a gradient penalty differentiates twice
    (`penalized`) or for one differentiated once (on XLA:CPU: "matmul" with a penalty, "xla"
    without)."""
    if model.d_conv != "auto":
        return model.d_conv
    chosen = backend.choices(backend_name)
    return chosen.critic_conv_with_penalty if penalized else chosen.critic_conv


def _mlp(model, shape, *, image, features_only, axis_name, penalized):
    dtype = DTYPES[model.dtype]
    generator = MLPGenerator(hidden=tuple(model.g_hidden), output_dim=shape[0], norm=model.g_norm, axis_name=axis_name,
                             output_shape=shape if image else None, init_std=model.init_std,
                             activation=model.g_activation, output_weight_norm=model.g_output_weight_norm, dtype=dtype)
    discriminator = MLPDiscriminator(
        hidden=tuple(model.d_hidden), norm=model.d_norm, axis_name=axis_name, spectral_norm=model.d_spectral_norm,
        maxout_pieces=model.d_maxout_pieces, minibatch_kernels=model.d_minibatch_kernels,
        minibatch_std=model.d_minibatch_std, weight_norm=model.d_weight_norm,
        weight_norm_data_init=model.d_weight_norm_data_init, activation=model.d_activation,
        input_noise=model.d_input_noise, hidden_noise=model.d_hidden_noise, features_only=features_only,
        init_std=model.init_std, dtype=dtype)
    return generator, discriminator


def _dcgan(model, shape, *, image, features_only, axis_name, penalized):
    dtype = DTYPES[model.dtype]
    generator = DCGANGenerator(size=shape[0], channels=shape[-1], width=model.g_width, upsample=upsampling(model),
                               axis_name=axis_name, dtype=dtype, dense=tuple(model.g_dense))
    discriminator = DCGANDiscriminator(size=shape[0], width=model.d_width, norm=model.d_norm,
                                       spectral_norm=model.d_spectral_norm, axis_name=axis_name, dtype=dtype,
                                       features_only=features_only,
                                       conv=critic_convolution(model, penalized=penalized),
                                       dense=tuple(model.d_dense))
    return generator, discriminator


def _resnet(model, shape, *, image, features_only, axis_name, penalized):
    dtype = DTYPES[model.dtype]
    return (ResNetGenerator(channels=shape[-1], width=model.g_width, axis_name=axis_name, dtype=dtype),
            ResNetDiscriminator(width=model.d_width, features_only=features_only, dtype=dtype))


# name: builder(model, shape, *, image, features_only, axis_name, penalized) -> (G, D)
NETWORKS = {"mlp": _mlp, "dcgan": _dcgan, "resnet": _resnet}


def build_networks(model, shape, *, image, features_only=False, axis_name=None, penalized=False):
    """(generator, discriminator) of `model.name` for examples of `shape` (`image`: images
    rather than 2D points), the discriminator packed when `model.packing` > 1 (PacGAN).

    Args:
      model: the `model` config group (any mapping with its keys).
      features_only: the discriminator returns its last features (for a game's heads).
      axis_name: the pmap axis for BatchNorm statistics (None under jit).
      penalized: a gradient penalty differentiates the critic twice (picks its convolution).
    """
    if model.name not in NETWORKS:
        raise ValueError(f"model.name={model.name!r} is not one of {list(NETWORKS)}")
    generator, discriminator = NETWORKS[model.name](model, shape, image=image, features_only=features_only,
                                                    axis_name=axis_name, penalized=penalized)
    if model.packing > 1:
        discriminator = Packed(inner=discriminator, num_packed=model.packing)
    return generator, discriminator

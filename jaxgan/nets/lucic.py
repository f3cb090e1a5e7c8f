"""The InfoGAN-style networks every loss shares in Lucic et al. 2018 ("Are GANs Created Equal?",
App. A; InfoGAN's MNIST pair, Chen et al. 2016, App. C.1), for 28x28 images (MNIST and
Fashion-MNIST): `model.name="lucic"`.

Generator: z -> FC 1024 -> FC 7x7x128 -> 4x4 stride-2 deconv 64 -> 4x4 stride-2 deconv to the
image channels -> tanh, BatchNorm + ReLU after every hidden layer; the 7x7x128 layer is
batch-normalized per unit before the reshape, as compare_gan's generator does
(`model.g_projection_norm="unit"`, this family's "auto"). That matters: normalized per channel
instead (over batch and positions, "channel", DCGAN's layout), the generator can make every z
give the same image, the positions supplying the variance, and against a discriminator without
BatchNorm it does, by 200 steps (docs/results.md, "The image zoo"). Discriminator: 4x4 stride-2
conv 64 -> LeakyReLU(0.2) -> 4x4 stride-2 conv 128 -> norm -> LeakyReLU -> FC 1024 -> norm ->
LeakyReLU -> FC 1, with `model.d_norm` ("batch" was one of the study's searched settings; the
gradient penalties need "none" or "layer"). The layers are the DCGAN family's (`nets.dcgan`),
with one fully connected hidden layer on each side. Deviations, named: tanh on data in [-1, 1]
(theirs: sigmoid on [0, 1]); ReLU in G (the InfoGAN paper's; compare_gan's code uses LeakyReLU:
`model.g_activation="leaky_relu"`).
"""

import flax.linen as nn

from jaxgan.nets import dcgan
from jaxgan.nets.family import DTYPES, Family, critic_convolution, reject, upsampling

SIZE = 28
G_WIDTH, D_WIDTH, HIDDEN = 32, 64, (1024,)  # 7x7x(4 x 32) = 7x7x128 after the FC layers; D: 64, 128
OPTIONS = {key: dcgan.OPTIONS[key] for key in ("d_norm", "d_spectral_norm", "upsample", "d_conv", "init_std",
                                                  "g_activation", "g_projection_norm")}


def build(model, shape, *, image, features_only, axis_name, penalized) -> tuple[nn.Module, nn.Module]:
    dtype = DTYPES[model.dtype]
    generator = dcgan.DCGANGenerator(size=SIZE, channels=shape[-1], width=G_WIDTH, upsample=upsampling(model),
                                     axis_name=axis_name, dtype=dtype, dense=HIDDEN, init_std=model.init_std,
                                     activation=model.g_activation,
                                     projection_norm=dcgan.projection_norm(model, "unit"))
    discriminator = dcgan.DCGANDiscriminator(size=SIZE, width=D_WIDTH, norm=model.d_norm,
                                             spectral_norm=model.d_spectral_norm, axis_name=axis_name, dtype=dtype,
                                             features_only=features_only,
                                             conv=critic_convolution(model, penalized=penalized), dense=HIDDEN,
                                             init_std=model.init_std)
    return generator, discriminator


def validate(model, shape, image) -> None:
    if shape is not None:
        reject(tuple(shape[:2]) != (SIZE, SIZE), f"model.name='lucic' (Lucic et al.'s MNIST networks) builds 28x28 "
                                                 f"images; the data are {shape[0]}x{shape[1]}: use model.name='dcgan'")


FAMILY = Family("lucic", "Lucic et al.", OPTIONS, build, validate, images_only=True)

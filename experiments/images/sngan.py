"""SNGAN with the "standard CNN" (Miyato et al. 2018, Table 3): spectral normalization of every
discriminator layer, hinge loss (their Eq. 16-17), for 28, 32 and 64 pixel data.

    ./run jaxgan train --config experiments/images/sngan.py --config.data.name=mnist --workdir runs/sngan_mnist

Paper settings: setting C of their Table 1, Adam(2e-4, beta1 0.5, beta2 0.999), n_dis = 1,
batch 64. Deviation, flagged: the DCGAN layer layout (4x4 stride-2 convolutions) rather than the
paper's 3x3/4x4 alternation. For the ResNet on 32x32 data see `sngan_resnet.py`.
"""

from jaxgan import presets


def get_config():
    return presets.sngan()

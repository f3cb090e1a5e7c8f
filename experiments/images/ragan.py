"""Relativistic average GAN (Jolicoeur-Martineau 2019, Eq. 17-18, RaSGAN): D estimates whether real
data are more realistic than the average fake, and vice versa; both players use both terms.

    ./run jaxgan train --config experiments/images/ragan.py --config.data.name=mnist --workdir runs/ragan_mnist

Paper settings: Adam(2e-4, beta1 0.5, beta2 0.999), n_D = 1, batch 32 (CIFAR-10, standard CNN)
and DCGAN-style networks with BatchNorm.
"""

from jaxgan import presets


def get_config():
    return presets.image(loss="relativistic_average", learning_rate=2e-4, b1=0.5, b2=0.999, batch_size=32)

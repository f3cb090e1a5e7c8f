"""LSGAN (Mao et al. 2017, Eq. 2 with a = 0, b = c = 1): least-squares losses on D's raw output.

    ./run jaxgan train --config experiments/images/lsgan.py --config.data.name=mnist --workdir runs/lsgan_mnist

Paper settings: Adam(2e-4, beta1 0.5), batch 64, DCGAN-style networks with BatchNorm.
Deviation, flagged: DCGAN's architecture rather than the paper's larger 112x112 LSUN network.
"""

from jaxgan import presets


def get_config():
    return presets.image(loss="least_squares", learning_rate=2e-4, b1=0.5, b2=0.999)

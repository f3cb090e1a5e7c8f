"""Non-saturating GAN (Goodfellow et al. 2014, Sec. 3) on a 2D Gaussian mixture.

    ./run jaxgan train --config experiments/two_d/gan_ns_2d.py --workdir runs/gan_ns_grid
    ./run jaxgan train --config experiments/two_d/gan_ns_2d.py --config.data.name=ring --workdir runs/gan_ns_ring

Generator: MLP 2 -> 128 -> 128 -> 128 -> 2 with BatchNorm and ReLU, z ~ N(0, I_2).
Discriminator: MLP 2 -> 64 -> 64 -> 64 -> 1 with LeakyReLU(0.2), no normalization.
Adam(1e-3, 0.5, 0.999) for both players, batch 128, 4,000 generator steps fused 100 per call.
The sizes are chosen so that 10 seeds of every variant train in minutes on two CPU cores.
"""

from jaxgan import presets


def get_config():
    return presets.mlp_2d()

"""Non-saturating GAN (Goodfellow et al. 2014, Sec. 3) on a 2D Gaussian mixture.

    ./run jaxgan train --config experiments/gan_ns_2d.py --workdir runs/gan_ns_grid
    ./run jaxgan train --config experiments/gan_ns_2d.py --config.data.name=ring --workdir runs/gan_ns_ring

MLP generator (3 x 256, BatchNorm, ReLU) and discriminator (3 x 256, LeakyReLU), Adam(1e-4,
0.5, 0.999) for both players, batch 256, 16-dimensional N(0, I) latent.
"""

from jaxgan.config import base_config


def get_config():
    config = base_config()
    config.loss = "non_saturating"
    config.model.g_norm = "batch"
    config.train.num_steps = 6000
    return config

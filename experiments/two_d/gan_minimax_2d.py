"""Minimax GAN with the true saturating generator loss E[log(1 - D(G(z)))]
(Goodfellow et al. 2014, Eq. 1) on a 2D Gaussian mixture.

    ./run jaxgan train --config experiments/two_d/gan_minimax_2d.py --workdir runs/gan_minimax_grid

Same networks and optimizers as `gan_ns_2d`; only the generator loss differs, which is the
point of the comparison: the saturating loss's gradient vanishes when D rejects the fakes.
"""

from jaxgan import presets


def get_config():
    config = presets.mlp_2d()
    config.loss = "minimax"
    return config

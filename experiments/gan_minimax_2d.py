"""Minimax GAN with the true saturating generator loss E[log(1 - D(G(z)))]
(Goodfellow et al. 2014, Eq. 1) on a 2D Gaussian mixture.

    ./run jaxgan train --config experiments/gan_minimax_2d.py --workdir runs/gan_minimax_grid

Same networks and optimizers as `gan_ns_2d`; only the generator loss differs, which is the
point of the comparison: the saturating loss's gradient vanishes when D rejects the fakes.
"""

from experiments import gan_ns_2d


def get_config():
    config = gan_ns_2d.get_config()
    config.loss = "minimax"
    return config

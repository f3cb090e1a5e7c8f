"""WGAN-LP (Petzka et al. 2018, Eq. 8): the one-sided penalty lambda E[max(0, ||grad D(x_hat)|| - 1)^2],
otherwise as WGAN-GP.

    ./run jaxgan train --config experiments/images/wgan_lp.py --config.data.name=mnist --workdir runs/wgan_lp_mnist

Paper settings: lambda = 10 (their Sec. 6 uses WGAN-GP's architecture and optimizer: Adam(1e-4,
0, 0.9), n_critic = 5).
"""

from jaxgan import presets


def get_config():
    config = presets.image(loss="wasserstein", learning_rate=1e-4, b1=0.0, b2=0.9, n_critic=5, d_norm="layer")
    config.penalties.wgan_lp = 10.0
    return config

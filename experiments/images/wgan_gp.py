"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1): Wasserstein critic with the two-sided gradient
penalty lambda E[(||grad D(x_hat)|| - 1)^2] at random interpolates.

    ./run jaxgan train --config experiments/images/wgan_gp.py --config.data.name=mnist --workdir runs/wgan_gp_mnist

Paper settings: lambda = 10, n_critic = 5, Adam(1e-4, beta1 0, beta2 0.9), batch 64, no BatchNorm
in the critic (Sec. 4: layer normalization instead).
"""

from jaxgan import presets


def get_config():
    config = presets.image(loss="wasserstein", learning_rate=1e-4, b1=0.0, b2=0.9, n_critic=5, d_norm="layer")
    config.penalties.wgan_gp = 10.0
    return config

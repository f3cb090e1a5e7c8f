"""WGAN-div (Wu et al. 2018, Eq. 15): the Wasserstein divergence penalty
k/2 (E_real ||grad D||^p + E_fake ||grad D||^p) with k = 2, p = 6.

    ./run jaxgan train --config experiments/images/wgan_div.py --config.data.name=mnist --workdir runs/wgan_div_mnist

Paper settings: k = 2, p = 6, Adam(2e-4, beta1 0.5, beta2 0.999), n_critic = 5, batch 64.
"""

from jaxgan import presets


def get_config():
    config = presets.image(loss="wasserstein", learning_rate=2e-4, b1=0.5, b2=0.999, n_critic=5, d_norm="layer")
    config.penalties.wgan_div = 1.0  # the k/2 factor is inside jaxgan.losses.divergence_penalty
    return config

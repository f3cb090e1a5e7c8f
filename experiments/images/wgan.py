"""WGAN (Arjovsky et al. 2017, Algorithm 1): Wasserstein critic with weight clipping.

    ./run jaxgan train --config experiments/images/wgan.py --config.data.name=mnist --workdir runs/wgan_mnist

Paper settings: RMSProp(5e-5), clip c = 0.01, n_critic = 5, batch 64, DCGAN networks (BatchNorm in
the critic is allowed here: no gradient penalty).
"""

from jaxgan import presets


def get_config():
    config = presets.image(loss="wasserstein", learning_rate=5e-5, b1=0.5, b2=0.999, n_critic=5)
    for side in ("g", "d"):
        config.optimizer[side].name = "rmsprop"
    config.clip_bound = 0.01
    return config

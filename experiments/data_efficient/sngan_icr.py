"""SNGAN with improved consistency regularization (Zhao et al. 2021, "Improved Consistency
Regularization for GANs", Sec. 3, Algorithms 1-2): balanced CR (10 * ||D(x) - D(T(x))||^2 on
real and on generated images) and latent CR (5 * ||D(G(z)) - D(G(z + dz))||^2 for D,
-0.5 * ||G(z) - G(z + dz)||^2 for G, dz ~ N(0, 0.03^2 I)).

    ./run jaxgan train --config experiments/data_efficient/sngan_icr.py \\
        --config.data.name=mnist --config.data.train_size=600 --workdir runs/sngan_icr_600

The base is `experiments/images/sngan.py`, the paper's SNDCGAN setting aside.
"""

from jaxgan import presets


def get_config():
    config = presets.sngan()
    consistency = config.techniques.consistency
    consistency.real, consistency.fake, consistency.latent_d, consistency.latent_g = 10.0, 10.0, 5.0, 0.5
    return config

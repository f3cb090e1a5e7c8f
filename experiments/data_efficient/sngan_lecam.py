"""SNGAN with LeCam regularization (Tseng et al. 2021, "Regularizing Generative Adversarial
Networks under Limited Data", Eq. 3): the critic's loss gets 0.3 * (relu(D(x) - alpha_F)^2 +
relu(alpha_R - D(G(z)))^2), the anchors moving averages (decay 0.99) of its outputs, on after
1,000 critic updates (the authors' CIFAR-10 settings).

    ./run jaxgan train --config experiments/data_efficient/sngan_lecam.py \\
        --config.data.name=mnist --config.data.train_size=600 --workdir runs/sngan_lecam_600

The base is `experiments/images/sngan.py`; the paper used BigGAN and StyleGAN2.
"""

from jaxgan import presets


def get_config():
    config = presets.sngan()
    config.techniques.lecam.weight = 0.3
    return config

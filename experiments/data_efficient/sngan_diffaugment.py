"""SNGAN with DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
Training", Sec. 3): every image D sees, real or generated, in both players' updates, goes through
T = color, translation, cutout (their policy for unconditional generation with little data).

    ./run jaxgan train --config experiments/data_efficient/sngan_diffaugment.py \\
        --config.data.name=mnist --config.data.train_size=600 --workdir runs/sngan_diffaugment_600

The base is `experiments/images/sngan.py` (its networks, hinge loss and optimizer); the paper used
BigGAN and StyleGAN2, not SNGAN's CNN.
"""

from jaxgan import presets


def get_config():
    config = presets.sngan()
    config.techniques.diffaugment = "color,translation,cutout"
    return config

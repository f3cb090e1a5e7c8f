"""SNGAN with adaptive discriminator augmentation (Karras et al. 2020, "Training Generative
Adversarial Networks with Limited Data", Sec. 3): the 'bgc' pipeline at probability p, p adjusted
every 4 steps toward r_t = E[sign(D(x_real))] = 0.6 at a speed that moves it by 1 in 500k images.

    ./run jaxgan train --config experiments/data_efficient/sngan_ada.py \\
        --config.data.name=mnist --config.data.train_size=600 --workdir runs/sngan_ada_600

The base is `experiments/images/sngan.py`; the paper used StyleGAN2 with the non-saturating loss
and lazy R1. r_t reads the sign of the hinge critic's output as theirs reads the logit's.
"""

from jaxgan import presets


def get_config():
    config = presets.sngan()
    config.techniques.ada.pipeline = "bgc"
    config.techniques.ada.target = 0.6
    return config

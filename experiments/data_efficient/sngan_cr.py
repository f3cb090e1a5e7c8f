"""SNGAN with consistency regularization (Zhang et al. 2020, "Consistency Regularization for
Generative Adversarial Networks", Eq. 1-2): 10 * ||D(x) - D(T(x))||^2 on real images, T a random
x-flip and translation by up to 1/8 of the side (their CIFAR-10 setting on SNDCGAN).

    ./run jaxgan train --config experiments/data_efficient/sngan_cr.py \\
        --config.data.name=mnist --config.data.train_size=600 --workdir runs/sngan_cr_600

The base is `experiments/images/sngan.py`. On digits an x-flip is not a symmetry of the data;
`--config.techniques.consistency.augment=translation` drops it.
"""

from jaxgan import presets


def get_config():
    config = presets.sngan()
    config.techniques.consistency.real = 10.0
    return config

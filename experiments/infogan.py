"""InfoGAN (Chen et al. 2016, Eq. 6; MNIST setup of Sec. 7.1 and App. C.1): G(z, c) with a
10-way categorical code and 2 continuous codes U(-1, 1); Q shares D's body and adds one hidden
layer; both players add lambda * (-log Q(c | G(z, c))), lambda = 1 for the categorical code and
0.1 for the continuous ones (a fixed unit-variance Gaussian Q, as in the paper).

    ./run jaxgan train --config experiments/infogan.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS/mnist --workdir runs/infogan_mnist
    ./run jaxgan sample --workdir runs/infogan_mnist --by-class     # one row per code value

Paper settings kept: 62-d noise, batch 64 (paper: 100 noise... 62 + 10 + 2 = 74 inputs),
D lr 2e-4, G lr 1e-3, Adam beta1 0.5. Deviation, flagged: the DCGAN networks of this package
instead of the paper's FC-conv G and conv-FC D. Measured: `code_class_accuracy`, the shipped
MNIST classifier's accuracy on samples per code value after the best code -> digit matching
(how well the unsupervised code captures digit class).
"""

from experiments.labeled_common import labeled_config


def get_config():
    config = labeled_config(game="infogan", latent_dim=62)
    config.optimizer.g.learning_rate = 1e-3
    config.game.categorical_codes = 10
    config.game.continuous_codes = 2
    config.game.categorical_weight = 1.0
    config.game.continuous_weight = 0.1
    return config

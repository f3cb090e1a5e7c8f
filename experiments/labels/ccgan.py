"""CCGAN (Denton, Gross & Fergus 2016, arXiv:1611.06430) on MNIST with 100 labels: a
semi-supervised K + 1 class discriminator whose fakes are training digits with a 14x14 square
hole at a random position, in-painted by the generator (`jaxgan/games/ccgan.py`).

    ./run jaxgan train --config experiments/labels/ccgan.py --workdir runs/ccgan
    ./run jaxgan train --config experiments/labels/ccgan.py --config.game.num_labeled=1000 --workdir runs/ccgan_1000

Settings: the DCGAN family's discriminator for 28-pixel images (width 64, no normalization:
with BatchNorm, whose running averages mix real, in-painted and labeled batches, the test error
at 1,000 steps was 38.4% against 31.6% without) with the K + 1 class head of `sgan.py`, 100
labeled digits (10 per class) in batches of 100 beside unlabeled batches of 64; the context
encoder's generator on the whole image (3 stride-2 convolutions, bottleneck 4,000;
`model.g_width` 64); holes of half the image side
(the context encoder's central block, here anywhere), filled with MNIST's mean before G sees
them; Adam 2e-4 (0.5, 0.999) for both players (the paper's: Adam, its learning rates unstated
in the text we follow); 5,000 steps; D's test error on the whole test split every 1,000 steps.
"""

from jaxgan import presets

MNIST_MEAN = 0.1307  # of the training images' pixels in [0, 1]


def get_config():
    config = presets.image(loss="non_saturating", learning_rate=2e-4, b1=0.5, b2=0.999, d_norm="none")
    config.game.name = "ccgan"
    config.game.num_labeled = 100
    config.game.labeled_batch_size = 100
    config.game.hole_side = 14
    config.game.hole_fill = round(2 * MNIST_MEAN - 1, 4)
    config.ema_decay = 0.0
    config.ema_rampup = 0.0
    config.train.num_steps = 5_000
    config.train.eval_every = 1000
    config.train.plot_every = 500
    return config

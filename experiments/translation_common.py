"""Defaults shared by the image-to-image translation recipes (Pix2Pix, CycleGAN).

Data (`jaxgan.data.translation`): the offline tasks edges2mnist, edges2fashion (paired) and
mnist2fashion (unpaired) are made from the MNIST / Fashion-MNIST files, 32 x 32; read them from
TFDS (`jaxgan data prepare mnist`, `... fashion_mnist`) or from the official files with
`--config.data.source=idx --config.data.dir=$JAXGAN_DATASETS` (the folder holding mnist/ and
fashion_mnist/). With internet: `--config.data.name=cycle_gan/horse2zebra` (TFDS, 256 x 256).

Evaluation at the end (and every `train.eval_every` steps) on the first 1,000 held-out test
images (`jaxgan.evaluation.translation`), with a grid of inputs, translations and targets or
cycles in WORKDIR/samples/translations_*.png.
"""

from jaxgan.config import base_config


def translation_config(*, game, data, loss, batch_size, num_steps):
    """Adam(2e-4, beta1 0.5) for both players (Isola et al. 2017, Sec. 3.3; Zhu et al. 2017, Sec. 4),
    no EMA (the papers use none), evaluation at the end only."""
    config = base_config()
    config.game.name = game
    config.data.name = data
    config.data.batch_size = batch_size
    config.loss = loss
    for side in ("g", "d"):
        config.optimizer[side].name = "adam"
        config.optimizer[side].learning_rate = 2e-4
        config.optimizer[side].b1 = 0.5
        config.optimizer[side].b2 = 0.999
    config.model.g_width = 64
    config.model.d_width = 64
    config.ema_decay = 0.0
    config.train.num_steps = num_steps
    config.train.log_every = 100
    config.train.plot_every = 0
    config.train.eval_every = 0
    config.train.checkpoint_every = 1000
    config.eval.batch_size = 100
    config.eval.num_samples = 64
    return config

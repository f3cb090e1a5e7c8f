"""Defaults shared by the label, code and autoencoder recipes (CGAN, ACGAN, semi-supervised GANs,
InfoGAN, AAE) on MNIST / Fashion-MNIST. Data: TFDS after `jaxgan data prepare mnist`, or the
official files with `--config.data.source=idx --config.data.dir=../shared/datasets/mnist`.

Each run evaluates its game's own measure at the end (and every `train.eval_every` steps):
class accuracy of the shipped classifier on class-conditional samples, the test error of the
semi-supervised classifier, or the AAE's code statistics (`jaxgan.game_evaluation`), beside
FID/KID/precision/recall/density/coverage/IS of 10,000 samples.
"""

from jaxgan.config import base_config


def labeled_config(*, game, model="dcgan", learning_rate=2e-4, b1=0.5, b2=0.999, batch_size=64, latent_dim=100,
                   num_steps=10_000):
    config = base_config()
    config.game.name = game
    config.data.name = "mnist"
    config.data.batch_size = batch_size
    config.model.name = model
    config.model.latent_dim = latent_dim
    config.model.g_width = 64
    config.model.d_width = 64
    config.loss = "non_saturating"
    for side in ("g", "d"):
        config.optimizer[side].name = "adam"
        config.optimizer[side].learning_rate = learning_rate
        config.optimizer[side].b1 = b1
        config.optimizer[side].b2 = b2
    config.ema_decay = 0.999
    config.train.num_steps = num_steps
    config.train.log_every = 100
    config.train.plot_every = 1000
    config.train.eval_every = 0
    config.train.checkpoint_every = 1000
    config.eval.num_samples = 10_000
    config.eval.batch_size = 500
    return config

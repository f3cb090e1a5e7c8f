"""Defaults shared by the label, code and autoencoder recipes (CGAN, ACGAN, semi-supervised GANs,
InfoGAN, AAE) on MNIST / Fashion-MNIST. Data: TFDS after `jaxgan data prepare mnist`, or the
official files with `--config.data.source=idx --config.data.dir=$JAXGAN_DATASETS/mnist`.

Each run evaluates its game's own measure at the end (and every `train.eval_every` steps):
class accuracy of the shipped classifier on class-conditional samples, the test error of the
semi-supervised classifier, or the AAE's code statistics (`jaxgan.evaluation.labels`), beside
FID/KID/precision/recall/density/coverage/IS of 10,000 samples.
"""

from experiments.image_common import image_config


def labeled_config(*, game, model="dcgan", learning_rate=2e-4, b1=0.5, b2=0.999, batch_size=64, latent_dim=100,
                   num_steps=10_000):
    """`image_config`'s data, optimizer, EMA and evaluation defaults with a game: no norm in D
    (the heads sit on its features), evaluation at the end only."""
    config = image_config(loss="non_saturating", learning_rate=learning_rate, b1=b1, b2=b2, batch_size=batch_size,
                          d_norm="none")
    config.game.name = game
    config.model.name = model
    config.model.latent_dim = latent_dim
    config.train.num_steps = num_steps
    config.train.eval_every = 0
    return config

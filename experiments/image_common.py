"""Defaults shared by the image recipes (DCGAN-family networks on MNIST, Fashion-MNIST, CIFAR-10
and CelebA-64). Each recipe starts here and sets its paper's loss, penalty and optimizer.

Data: `data.name` picks the dataset (mnist by default; fashion_mnist, cifar10, celeb_a at 64x64,
stacked_mnist) and the networks follow its size and channels. Data come from TFDS
(`jaxgan data prepare NAME [--from DIR]` first); `--config.data.source=idx
--config.data.dir=DIR` reads the official MNIST-layout files directly.

Evaluation every `train.eval_every` steps and at the end: 10,000 EMA-generator samples against
the test split, FID/KID/precision/recall/density/coverage/IS with the shipped domain classifier
on (Fashion-)MNIST and with FID Inception weights (`eval.inception_weights`) elsewhere.
"""

from jaxgan.config import base_config


def image_config(*, loss, learning_rate, b1, b2, batch_size=64, n_critic=1, d_norm="batch"):
    config = base_config()
    config.data.name = "mnist"
    config.data.batch_size = batch_size
    config.model.name = "dcgan"
    config.model.latent_dim = 100
    config.model.g_width = 64
    config.model.d_width = 64
    config.model.d_norm = d_norm
    config.loss = loss
    config.n_critic = n_critic
    for side in ("g", "d"):
        config.optimizer[side].name = "adam"
        config.optimizer[side].learning_rate = learning_rate
        config.optimizer[side].b1 = b1
        config.optimizer[side].b2 = b2
    # EMA generator for evaluation (Yazici et al. 2019): on by default, the raw one is kept too.
    config.ema_decay = 0.999
    config.train.num_steps = 20_000
    config.train.log_every = 100
    config.train.plot_every = 1000
    config.train.eval_every = 5000
    config.train.checkpoint_every = 1000
    config.eval.num_samples = 10_000
    config.eval.batch_size = 500
    return config

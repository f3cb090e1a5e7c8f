"""EBGAN-PT (Zhao, Mathieu & LeCun 2017) on MNIST: an autoencoder discriminator whose per-pixel
reconstruction error is the energy, margin loss (Eq. 1-2) and the pulling-away term (Eq. 7,
weight 0.1), MLP networks as in the paper's MNIST study (Sec. 4.1).

    ./run jaxgan train --config experiments/images/ebgan.py --workdir runs/ebgan_mnist

Settings: G 100-512-512-784 with BatchNorm and ReLU, tanh output; D encoder 784-256-64 (the
64-unit code S is what the pulling-away term spreads) and decoder 64-256-784; Adam(2e-4, 0.5),
batch 64, 10,000 steps; EMA generator for evaluation.
Deviations, flagged: the energy is the per-pixel mean squared error of images in [-1, 1] (the
paper writes the reconstruction norm), so the margin is on that scale: m = 1, PyTorch-GAN's value
for batch 64, rather than the paper's grid {10, ..., 50}; the paper's MNIST study searched the
sizes and learning rate, and these are one point of its grid, not its best.
"""

from jaxgan.config import base_config


def get_config():
    config = base_config()
    config.game.name = "ebgan"
    config.game.margin = 1.0
    config.game.pullaway_weight = 0.1
    config.data.name = "mnist"
    config.data.batch_size = 64
    config.model.name = "mlp"
    config.model.latent_dim = 100
    config.model.g_hidden = (512, 512)
    config.model.g_norm = "batch"
    config.model.d_hidden = (256, 64)
    for side in ("g", "d"):
        config.optimizer[side].learning_rate = 2e-4
        config.optimizer[side].b1 = 0.5
    config.ema_decay = 0.999
    config.train.num_steps = 10_000
    config.train.fused_steps = 10
    config.train.log_every = 500
    config.train.plot_every = 2500
    config.train.eval_every = 2500
    config.train.checkpoint_every = 2500
    config.eval.num_samples = 10_000
    config.eval.metrics = "fid,kid,pr,dc,is"
    return config

"""The starting points the recipes in `experiments/` share: configs (`ml_collections`) that a
recipe's `get_config()` takes and changes. A recipe file imports only `jaxgan`, so a copy of it
loads from any folder (`jaxgan train --config ~/my_recipe.py`).

    mlp_2d            the 2D mode-coverage recipes' MLPs and optimizer (gan_ns_2d and its variants)
    image             DCGAN-family networks on MNIST, Fashion-MNIST, CIFAR-10, CelebA-64
    lucic_networks    Lucic et al. 2018's InfoGAN-style networks on any image recipe
    labeled           the label, code and autoencoder games on MNIST / Fashion-MNIST
    improved_gan_mnist  the Improved-GAN code's semi-supervised MNIST networks and optimizer
    translation       Pix2Pix and CycleGAN on the MNIST-made translation tasks
"""

from ml_collections import ConfigDict

from jaxgan.config import base_config
from jaxgan.nets.registry import model_defaults, readers

# The Improved-GAN MNIST protocol: 60,000 training images in batches of 100; the matched layer's width.
IMPROVED_GAN_STEPS_PER_EPOCH = 600
IMPROVED_GAN_FEATURES = 250


def mlp_2d() -> ConfigDict:
    """The non-saturating GAN on a 2D mixture (grid by default): G 2 -> 128 -> 128 -> 128 -> 2 with
    BatchNorm and ReLU, D 2 -> 64 -> 64 -> 64 -> 1 with LeakyReLU(0.2); Adam(1e-3, 0.5, 0.999),
    batch 128, 4,000 generator steps fused 100 per call (10 seeds train in minutes on 2 CPU cores)."""
    config = base_config()
    config.loss = "non_saturating"
    config.data.batch_size = 128
    config.model.latent_dim = 2
    config.model.g_hidden = (128, 128, 128)
    config.model.d_hidden = (64, 64, 64)
    config.model.g_norm = "batch"
    for side in ("g", "d"):
        config.optimizer[side].learning_rate = 1e-3
    config.train.num_steps = 4000
    config.train.fused_steps = 100
    config.train.log_every = 100
    config.train.checkpoint_every = 1000
    return config


def image(*, loss: str, learning_rate: float, b1: float, b2: float, batch_size: int = 64, n_critic: int = 1,
          d_norm: str = "batch") -> ConfigDict:
    """DCGAN-family networks (width 64, z 100-d) with the given loss and Adam settings on MNIST
    (`data.name` picks the dataset; the networks follow its size and channels); the generator's
    EMA (0.999, ramped up as StyleGAN2-ADA's: half-life at most 5% of the updates so far) is
    evaluated; 20,000 steps; 10,000 samples evaluated every 5,000 steps against the
    test split (the shipped classifier's features on (Fashion-)MNIST, Inception elsewhere with
    `eval.inception_weights`)."""
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
    # The rampup keeps the initial weights out of it: a constant 0.999 still holds 37% of them
    # after 1,000 updates (4.4% after a WGAN's 3,120), measured in docs/results.md.
    config.ema_decay = 0.999
    config.ema_rampup = 0.05
    config.train.num_steps = 20_000
    config.train.log_every = 100
    config.train.plot_every = 1000
    config.train.eval_every = 5000
    config.train.checkpoint_every = 1000
    config.eval.num_samples = 10_000
    config.eval.batch_size = 500
    return config


def sngan() -> ConfigDict:
    """SNGAN (Miyato et al. 2018, setting C of their Table 1): `image`'s DCGAN-family networks with
    spectral normalization of every discriminator layer and no other normalization in D, the hinge
    loss, Adam(2e-4, 0.5, 0.999), batch 64: `experiments/images/sngan.py`, and the base of the
    data-efficient recipes (`experiments/data_efficient/`)."""
    config = image(loss="hinge", learning_rate=2e-4, b1=0.5, b2=0.999, d_norm="none")
    config.model.d_spectral_norm = True
    return config


def lucic_networks(config: ConfigDict) -> ConfigDict:
    """`config` on the InfoGAN-style networks every loss shares in Lucic et al. 2018 ("Are GANs
    Created Equal?", App. A), the same for MNIST and Fashion-MNIST (`model.name="lucic"`,
    `jaxgan.nets.lucic`), with their 64-d latent; D's normalization stays the config's
    `model.d_norm`. Deviation, named: z ~ N(0, I) (theirs: U(-1, 1))."""
    defaults = model_defaults()
    for key in list(config.model.keys()):  # the options only other families read go back to their defaults
        if key in defaults and readers(key) and "lucic" not in readers(key):
            config.model[key] = defaults[key]
    config.model.name = "lucic"
    config.model.latent_dim = 64
    return config


def labeled(*, game: str, model: str = "dcgan", learning_rate: float = 2e-4, b1: float = 0.5, b2: float = 0.999,
            batch_size: int = 64, latent_dim: int = 100, num_steps: int = 10_000) -> ConfigDict:
    """`image`'s data, optimizer, EMA and evaluation defaults with a game with labels, codes or an
    autoencoder: no norm in D (the heads sit on its features), evaluation at the end only (the
    game's own measure beside sample quality)."""
    config = image(loss="non_saturating", learning_rate=learning_rate, b1=b1, b2=b2, batch_size=batch_size,
                   d_norm="none")
    config.game.name = game
    config.model.name = model
    config.model.latent_dim = latent_dim
    config.train.num_steps = num_steps
    config.train.eval_every = 0
    return config


def improved_gan_mnist() -> ConfigDict:
    """The networks and optimizer of the Improved-GAN semi-supervised MNIST code (Salimans et al.
    2016; openai/improved-gan train_mnist_feature_matching.py): D 784-1000-500-250-250-250-10 with
    ReLU, input noise 0.6 (0.3 of their pixel range) and hidden noise 0.5, weight norm with the
    data-dependent init; G 100-500-500-784 with BatchNorm and softplus, a weight-normalized output;
    Adam(3e-3, 0.5) with eps inside the square root; 100 labels; 300 epochs of batch 100."""
    config = labeled(game="semi_supervised", model="mlp", learning_rate=3e-3, b1=0.5, b2=0.999, batch_size=100,
                     latent_dim=100, num_steps=300 * IMPROVED_GAN_STEPS_PER_EPOCH)
    config.model.g_hidden = (500, 500)
    config.model.g_norm = "batch"
    config.model.g_activation = "softplus"
    config.model.g_output_weight_norm = True
    config.model.d_hidden = (1000, 500, 250, 250, IMPROVED_GAN_FEATURES)
    config.model.d_activation = "relu"
    config.model.d_weight_norm_data_init = True
    config.model.d_input_noise = 0.6
    config.model.d_hidden_noise = 0.5
    for side in ("g", "d"):
        config.optimizer[side].eps = 0.0
        config.optimizer[side].eps_root = 1e-8
    config.game.num_labeled = 100
    config.game.labeled_batch_size = 100
    config.ema_decay = 0.0
    config.train.checkpoint_every = 10 * IMPROVED_GAN_STEPS_PER_EPOCH
    config.train.plot_every = 10 * IMPROVED_GAN_STEPS_PER_EPOCH
    return config


def translation(*, game: str, data: str, loss: str, batch_size: int, num_steps: int) -> ConfigDict:
    """A translation game on `data` with Adam(2e-4, beta1 0.5) for both players (Isola et al. 2017,
    Sec. 3.3; Zhu et al. 2017, Sec. 4), widths 64, no EMA (the papers use none), evaluation (held-out
    L1 / PSNR or cycle error and domain accuracy, with a grid) at the end only."""
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

"""StyleGAN2 (Karras et al., CVPR 2020) on MNIST or Fashion-MNIST at 28x28: the mapping network,
modulated and demodulated convolutions with noise inputs, the skip generator and residual
discriminator with minibatch standard deviation, the equalized learning rate, the
non-saturating loss with lazy R1 (every 16 steps) and lazy path length regularization (every 4
steps), style mixing (0.9) and G's EMA; `--config.eval.truncation_psi=PSI` samples with the
truncation trick in W.

    ./run jaxgan train --config experiments/images/stylegan2.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS/mnist --workdir runs/stylegan2_mnist
    ./run python -m experiments.studies.truncation_curve --workdir runs/stylegan2_mnist --psi 0.5,0.7,1

Settings: the authors' "auto" configuration of NVlabs/stylegan2-ada-pytorch for one GPU at this
resolution (`train.py --cfg=auto`: batch 32, minibatch standard deviation groups of 4, Adam
0.0025 with betas (0, 0.99) and eps 1e-8, the EMA's half-life 10k images ramped up over the
first 5% of training, a 2-layer mapping network), with the paper's path length regularization
and style mixing on (the auto configuration keeps both), and the lazy regularizers' Adam
adjustment (lr c, betas^c, c = interval / (interval + 1): `games.stylegan2.lazy_adam`).
Deviations, named, for a CPU budget: 28x28 without padding to 32 (a 7x7 constant and 3 blocks;
the channels of a 32x32 network's top three blocks), channels min(1024 / r, 128) (the authors':
min(16384 / r, 512) at this resolution), z and w of 128 (theirs: 512), R1 gamma 0.01 (the
authors' CIFAR-10 value; their heuristic 0.0002 r^2 / batch gives 0.0064 at r = 32), 10,000
steps (theirs: 25M images).
Measured: FID of the EMA generator with the shipped classifier (docs/results.md).
"""

from jaxgan import presets
from jaxgan.games.stylegan2 import lazy_adam
from jaxgan.nets.registry import model_defaults

R1_INTERVAL, PL_INTERVAL = 16, 4


def lazy_optimizers(config, learning_rate, b1=0.0, b2=0.99):
    """Both players' Adam at the authors' rate and betas, adjusted for their lazy regularization
    (G every PL_INTERVAL steps, D every R1_INTERVAL: `lazy_adam`)."""
    for side, interval in (("g", PL_INTERVAL), ("d", R1_INTERVAL)):
        group = config.optimizer[side]
        group.learning_rate, group.b1, group.b2 = lazy_adam(learning_rate, b1, b2, interval)


def get_config():
    config = presets.image(loss="non_saturating", learning_rate=0.0025, b1=0.0, b2=0.99, batch_size=32)
    config.game.name = "stylegan2"
    config.model.name = "stylegan2"
    config.model.latent_dim = 128
    config.model.w_dim = 128
    config.model.mapping_layers = 2
    config.model.channel_base = 1024
    config.model.channel_max = 128
    config.model.mbstd_group_size = 4
    for model_key in ("g_width", "d_width", "d_norm"):  # presets.image's DCGAN keys, back to their defaults
        config.model[model_key] = model_defaults()[model_key]
    config.game.r1_gamma = 0.01
    config.game.r1_interval = R1_INTERVAL
    config.game.pl_interval = PL_INTERVAL
    lazy_optimizers(config, 0.0025)
    config.ema_decay = 0.5 ** (32 / 10_000)  # a half-life of 10k images at batch 32
    config.ema_rampup = 0.05
    config.train.num_steps = 10_000
    config.train.eval_every = 2_000
    config.train.plot_every = 500
    return config

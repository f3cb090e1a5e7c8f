"""StyleGAN2's CIFAR-10 configuration (Karras et al.; NVlabs/stylegan2-ada-pytorch
`train.py --cfg=cifar`, the configuration of their CIFAR-10 results), unconditional, for an
accelerator: CIFAR-10 and the FID Inception weights are not available offline here, so this
recipe is validated and built in the tests but not trained on this machine.

    ./run jaxgan data prepare cifar10          # with internet: TFDS
    ./run jaxgan train --config experiments/images/stylegan2_cifar10.py \\
        --config.eval.inception_weights=PATH --workdir runs/stylegan2_cifar10

The configuration: 512 channels at every resolution (channel_base 32768, channel_max 512), z
and w of 512, a 2-layer mapping network, the plain discriminator ("orig": no residual skips),
minibatch standard deviation groups of 32, batch 64, Adam 0.0025 with betas (0, 0.99) and the
lazy R1's adjustment (every 16 steps, gamma 0.01), no path length regularization and no style
mixing (both off in that configuration), the EMA's half-life 500k images ramped up over the
first 5% of training, 100M images (1,562,500 steps of 64).
"""

from experiments.images import stylegan2


def get_config():
    config = stylegan2.get_config()
    config.data.name = "cifar10"
    config.data.batch_size = 64
    config.model.latent_dim = 512
    config.model.w_dim = 512
    config.model.mapping_layers = 2
    config.model.channel_base = 32768
    config.model.channel_max = 512
    config.model.mbstd_group_size = 32
    config.model.d_architecture = "orig"
    config.game.r1_gamma = 0.01
    config.game.pl_weight = 0.0
    config.game.style_mixing = 0.0
    stylegan2.lazy_optimizers(config, 0.0025)  # the authors' G keeps its interval-4 adjustment with PL off
    config.ema_decay = 0.5 ** (64 / 500_000)
    config.ema_rampup = 0.05
    config.train.num_steps = 100_000_000 // 64
    config.train.eval_every = 50_000
    config.train.plot_every = 5_000
    config.train.checkpoint_every = 5_000
    return config

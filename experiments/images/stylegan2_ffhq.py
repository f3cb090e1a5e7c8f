"""StyleGAN2 at 1024x1024, the configuration of the paper's FFHQ results (Karras et al. 2020,
config F; NVlabs/stylegan2-ada-pytorch `train.py --cfg=stylegan2`), for a user with FFHQ on an
accelerator; validated and built (as shapes) in the tests, not trained here.

    ./run jaxgan train --config experiments/images/stylegan2_ffhq.py --config.data.dir=PATH \\
        --config.eval.inception_weights=FILE.npz --workdir runs/stylegan2_ffhq

`data.dir`: a folder of FFHQ's 70,000 1024x1024 PNGs (`data.name="folder"`). The configuration:
channels min(32768 / r, 512), z and w of 512, the 8-layer mapping network, the residual D with
minibatch standard deviation groups of 4, batch 32, Adam 0.002 with betas (0, 0.99) and the
lazy regularizers' adjustment, R1 gamma 10 every 16 steps, path length weight 2 every 4 steps
on half the batch, style mixing 0.9, the EMA's half-life 10k images (no ramp-up), 25M images
(781,250 steps of 32). The authors train it in mixed precision on 8 GPUs (`model.dtype` bfloat16
is the nearest here).
"""

from experiments.images import stylegan2


def get_config():
    config = stylegan2.get_config()
    config.data.name = "folder"
    config.data.source = "tfds"
    config.data.batch_size = 32
    config.model.latent_dim = 512
    config.model.w_dim = 512
    config.model.mapping_layers = 8
    config.model.channel_base = 32768
    config.model.channel_max = 512
    config.model.mbstd_group_size = 4
    config.game.r1_gamma = 10.0
    stylegan2.lazy_optimizers(config, 0.002)
    config.ema_decay = 0.5 ** (32 / 10_000)
    config.ema_rampup = 0.0
    config.train.num_steps = 25_000_000 // 32
    config.train.eval_every = 50_000
    config.train.plot_every = 5_000
    config.train.checkpoint_every = 5_000
    return config

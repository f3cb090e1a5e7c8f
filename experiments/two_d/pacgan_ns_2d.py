"""PacGAN2 (Lin et al. 2018, Sec. 3): the non-saturating GAN of `gan_ns_2d` with a discriminator
that sees packs of m = 2 samples, all real or all fake, concatenated (`model.packing`).

    ./run jaxgan train --config experiments/two_d/pacgan_ns_2d.py --workdir runs/pacgan2_grid
    ./run jaxgan train --config experiments/two_d/pacgan_ns_2d.py --config.model.packing=4 \
        --config.data.batch_size=256 --workdir runs/pacgan4

The main job's PacGAN row: `gan_ns_2d`'s networks, optimizer and 4,000 steps, with 64 packs of 2 per
batch (128 samples, so a step costs what a `gan_ns_2d` step costs). PacGAN's own 2D protocol (G 4 x
400 BatchNorm, D 3 x 200 maxout, 100 packs per batch, 400k iterations) is `pacgan_2d.py`, measured
in `experiments.studies.pacgan_study`.
"""

from jaxgan import presets


def get_config():
    config = presets.mlp_2d()
    config.model.packing = 2
    config.data.batch_size = 128
    return config

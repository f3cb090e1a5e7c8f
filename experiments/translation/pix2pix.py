"""Pix2Pix (Isola et al. 2017): conditional GAN with an L1 term, U-Net generator, PatchGAN.

    ./run jaxgan train --config experiments/translation/pix2pix.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS --workdir runs/pix2pix_edges2mnist
    ./run jaxgan translate --checkpoint runs/pix2pix_edges2mnist --input my_edges/

The paper's networks and training (Sec. 3.2-3.3, App. 6.1-6.2): U-Net with skips down to a
1 x 1 bottleneck (depth 5 on 32 x 32 images, 8 on 256 x 256), BatchNorm, dropout 0.5 in the
three innermost decoder layers as the noise; the 70 x 70 PatchGAN (`translation.patch_layers=3`)
on (source, image) pairs; BCE with D's objective halved, non-saturating G + 100 L1; Adam(2e-4,
0.5, 0.999), batch 1 as in most of the paper's experiments (it also used up to 10).
The default task is edges2mnist (outline -> digit, 32 x 32); at 32 pixels the 70-pixel patch
covers the whole image, `--config.translation.patch_layers=1` gives 16 x 16 patches.
Deviation, flagged: evaluation and `translate` run the network in inference mode (BatchNorm
running averages, no dropout); the paper keeps dropout and batch statistics at test time.
"""

from jaxgan import presets


def get_config():
    config = presets.translation(game="pix2pix", data="edges2mnist", loss="non_saturating", batch_size=1,
                                num_steps=200_000)
    config.translation.generator = "unet"
    config.translation.norm = "batch"
    config.translation.patch_layers = 3
    config.translation.dropout = 0.5
    config.translation.l1_weight = 100.0
    return config

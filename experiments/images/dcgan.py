"""DCGAN (Radford et al. 2016, Sec. 3-4): the non-saturating GAN loss (Goodfellow et al. 2014,
Sec. 3) with the all-convolutional BatchNorm generator and discriminator.

    ./run jaxgan data prepare mnist --from $JAXGAN_DATASETS/mnist     # offline; or omit --from
    ./run jaxgan train --config experiments/images/dcgan.py --config.data.name=mnist --workdir runs/dcgan_mnist

Paper settings: Adam(2e-4, beta1 0.5), batch 128, z ~ 100-d, BatchNorm in both networks except
G's output and D's input layer, LeakyReLU(0.2) in D. Deviations, flagged: weights start from
Flax's LeCun-normal init, not N(0, 0.02); 2x upsampling by the measured-fastest layer on CPU
(model.upsample='auto'; 'transpose' is the paper's 4x4 stride-2 transposed conv).

On 28-pixel data (MNIST, Fashion-MNIST) these networks have two stages each and stop improving
near FID 155 (the shipped classifier's features; 2,000-4,000 steps of 64, docs/results.md, "The
image zoo"); Lucic et al. 2018's networks, one flag away (`--config.model.name=lucic
--config.model.latent_dim=64`), reached 58.9 (raw) at 2,000 steps and 3.37 (EMA) at Lucic et al.'s
15,600 with G's projection batch-normalized per channel (`--config.model.g_projection_norm=channel`;
their family now normalizes it per unit, as compare_gan does).
"""

from jaxgan import presets


def get_config():
    return presets.image(loss="non_saturating", learning_rate=2e-4, b1=0.5, b2=0.999, batch_size=128)

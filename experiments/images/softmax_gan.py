"""Softmax GAN (Lin 2017, arXiv:1704.06191): one softmax over the whole batch of real and generated
examples (D's output is a negative energy); D fits it to 1/|B+| on each real example, G to
1/|B| on every example (`losses.softmax_discriminator_loss`, `losses.softmax_generator_loss`).

    ./run jaxgan train --config experiments/images/softmax_gan.py --config.data.name=mnist --workdir runs/softmax_mnist

Settings: the DCGAN recipe's networks and Adam(2e-4, beta1 0.5), batch 64, as PyTorch-GAN's
softmax_gan.py trains it on MNIST (its MLPs aside); the paper builds on DCGAN's networks. On
28-pixel data, Lucic et al.'s networks are one flag away (`--config.model.name=lucic
--config.model.latent_dim=64`). Deviations of PyTorch-GAN's script from the paper, not copied:
its D loss's backward pass reaches G (the generated images are not detached), so its G step
follows grad(L_D + L_G); and it sums exp(-E) directly, which overflows where the logsumexp here
does not. The softmax couples the batch: under pmap each device's shard is its own batch.
"""

from jaxgan import presets


def get_config():
    return presets.image(loss="softmax", learning_rate=2e-4, b1=0.5, b2=0.999)

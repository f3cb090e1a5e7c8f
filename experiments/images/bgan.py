"""Boundary-seeking GAN for continuous data (Hjelm et al. 2018, ICLR): D is the minimax
discriminator; G minimizes 1/2 (log D(G(z)) - log(1 - D(G(z))))^2 = logit^2 / 2, pulling its
samples to D's decision boundary (`losses.boundary_seeking_generator_loss`).

    ./run jaxgan train --config experiments/images/bgan.py --config.data.name=mnist --workdir runs/bgan_mnist

Settings: the DCGAN recipe's networks and Adam(2e-4, beta1 0.5), batch 64, as PyTorch-GAN's
bgan.py trains it on MNIST (its MLPs aside); the paper's continuous experiments (CelebA, SVHN,
...) also used DCGAN-style networks. On 28-pixel data, Lucic et al.'s networks are one flag away
(`--config.model.name=lucic --config.model.latent_dim=64`; experiments/README). The loss is taken
from D's logit: PyTorch-GAN's log(p) - log(1 - p) on the sigmoid output is inf once D saturates.
"""

from jaxgan import presets


def get_config():
    return presets.image(loss="boundary_seeking", learning_rate=2e-4, b1=0.5, b2=0.999)

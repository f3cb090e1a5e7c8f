"""BEGAN (Berthelot, Schumm & Metz 2017, arXiv:1703.10717) on MNIST: an autoencoder
discriminator with the pixel-wise L1 loss, L_D = L(x) - k_t L(G(z)), L_G = L(G(z)), the
proportional control of k_t towards E[L(G(z))] = gamma E[L(x)], and the convergence measure
M_global logged every step (`jaxgan/games/began.py`).

    ./run jaxgan train --config experiments/images/began.py --workdir runs/began_mnist
    ./run jaxgan train --config experiments/images/began.py --config.game.gamma=0.7 --workdir runs/began_g07

Settings (the paper's, where it gives them): its networks (`model.name="began"`, 3x3
convolutions with ELU, two per scale, filters n, 2n, 3n with each stride-2 down-sampling in the
encoder, n throughout the decoder, nearest-neighbour up-sampling, FC layers without
non-linearity to and from the 64-d embedding h), z 64-d, gamma 0.5, lambda_k 0.001, k_0 = 0,
Adam at 1e-4 (the top of the paper's [5e-5, 1e-4]; beta1 0.5 as the widely used TF port,
carpedm20/BEGAN-tensorflow); batch 64 and 20,000 steps (Lucic et al.'s protocol for MNIST).
Deviations, named: n = 32 for 28-pixel digits (three scales; the paper's faces used more and
wider scales); z ~ N(0, I) (the paper: U(-1, 1)); the generator's tanh output (the paper's
decoder is linear); the rate is kept, where the paper halved it when M_global stalled; the
EMA generator is evaluated beside the raw one. Lucic et al.'s networks (their generator,
compare_gan's autoencoder critic) are `--config.model.name=lucic --config.model.latent_dim=64`.
"""

from jaxgan import presets


def get_config():
    config = presets.image(loss="non_saturating", learning_rate=1e-4, b1=0.5, b2=0.999, d_norm="none")
    config.game.name = "began"
    config.game.gamma = 0.5
    config.game.lambda_k = 0.001
    config.game.exponent = 1
    config.model.name = "began"
    config.model.latent_dim = 64
    config.model.began_width = 32
    config.model.began_code = 64
    config.model.began_repeat = 2
    return config

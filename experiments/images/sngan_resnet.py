"""SNGAN with the ResNet networks for 32x32 images (Miyato et al. 2018, Appendix B.4): spectral
normalization in every D layer, hinge loss.

    ./run jaxgan train --config experiments/images/sngan_resnet.py --workdir runs/sngan_resnet_cifar10

Paper settings: Adam(2e-4, beta1 0, beta2 0.9), n_dis = 5, batch 64, z ~ 128-d, G width 256,
D width 128. CIFAR-10 by default (32x32 only); FID needs `--config.eval.inception_weights`.
"""

from jaxgan import presets


def get_config():
    config = presets.image(loss="hinge", learning_rate=2e-4, b1=0.0, b2=0.9, n_critic=5, d_norm="none")
    config.data.name = "cifar10"
    config.model.name = "resnet"
    config.model.latent_dim = 128
    config.model.g_width = 256
    config.model.d_width = 128
    return config

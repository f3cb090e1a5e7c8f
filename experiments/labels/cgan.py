"""CGAN (Mirza & Osindero 2014, Eq. 2): G(z, y) and D(x, y) with the cross-entropy GAN loss
(the non-saturating G loss, Goodfellow et al. 2014, Sec. 3), on a DCGAN body.

    ./run jaxgan train --config experiments/labels/cgan.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS/mnist --workdir runs/cgan_mnist
    ./run jaxgan sample --workdir runs/cgan_mnist --by-class          # one row per digit

The label enters G as a one-hot block of its input (a learned class embedding added to its
first layer). D conditioning: game.conditioning = 'projection' (default; Miyato & Koyama 2018,
logit + <embed(y), phi(x)>) or 'concat' (Mirza's form: one-hot maps appended to the image).
Deviation, flagged: DCGAN convolutional networks instead of the paper's maxout MLPs (the paper
reports only Parzen log-likelihood, which we do not use); fake labels are drawn uniformly.
Measured: `class_accuracy` (shipped MNIST classifier on 1,000 samples per requested class).
"""

from jaxgan import presets


def get_config():
    return presets.labeled(game="cgan")

"""ACGAN (Odena, Olah & Shlens 2017, Eq. 1-2): D outputs a real/fake logit and K class logits;
D minimizes L_S + L_C(real) + L_C(fake), G minimizes its L_S + L_C(fake). Cross-entropy on
logits (softmax inside the loss; PyTorch-GAN applies a softmax before CrossEntropyLoss).

    ./run jaxgan train --config experiments/acgan.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS/mnist --workdir runs/acgan_mnist
    ./run jaxgan sample --workdir runs/acgan_mnist --by-class

Paper settings kept: Adam(2e-4, beta1 0.5), class embedding into G's input, non-saturating G
loss. Deviation, flagged: DCGAN networks sized for 28x28 (the paper's are for ImageNet/CIFAR).
Measured: `class_accuracy` of the shipped MNIST classifier on generated digits per class.
"""

from experiments.labeled_common import labeled_config


def get_config():
    return labeled_config(game="acgan")

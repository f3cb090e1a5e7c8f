"""Semi-supervised GAN with K+1 classes (Odena 2016; Salimans et al. 2016, Sec. 5), on MNIST
with 100 labels (10 per class, chosen by seed and recorded in WORKDIR/labeled_subset.json).

    ./run jaxgan train --config experiments/labels/sgan.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS/mnist --workdir runs/sgan_mnist

D has K+1 logits, the last "fake"; its loss is supervised cross-entropy on a labeled batch
(K+1-way) plus the unlabeled-real and fake terms (`losses.k_plus_one_discriminator_loss`). G:
the non-saturating loss on the derived real/fake logit. The networks and optimizer are those
of `improved_gan_ssl` (Salimans' MNIST MLPs) so the two heads compare like for like.
Measured: `test_error` of D's classifier on the 10,000 test images.
"""

from jaxgan import presets


def get_config():
    config = presets.improved_gan_mnist()
    config.game.semi_supervised_head = "k_plus_one"
    config.game.g_objective = "adversarial"
    return config

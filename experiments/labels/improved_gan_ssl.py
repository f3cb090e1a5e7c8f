"""Improved-GAN semi-supervised MNIST (Salimans et al. 2016, Sec. 5, Table 1): K logits with the
fake logit fixed at 0 (D(x) = Z/(Z+1), Z = sum_k exp l_k), feature matching for G (Sec. 3.1),
100 labels (10 per class, chosen by seed, recorded in WORKDIR/labeled_subset.json).

    ./run jaxgan train --config experiments/labels/improved_gan_ssl.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS/mnist --workdir runs/ssl_mnist
    ./run python -m experiments.studies.labels_study --rows ssl --steps 20000 --seeds 3   # curve and table

The protocol of the authors' code, openai/improved-gan mnist_svhn_cifar10/
train_mnist_feature_matching.py (read 2026-11-30), which the paper's 0.93% (93 +- 6.5 errors of
10,000, 100 labels, 300 epochs) comes from:
- D: 784 -> 1000 -> 500 -> 250 -> 250 -> 250 -> 10, ReLU, Gaussian noise std 0.3 on the input
  and 0.5 after every hidden layer (while training); every layer weight-normalized with the
  data-dependent initialization on 500 training images (init pass with the noise on), v from
  N(0, 0.1^2), and only the output layer's scale trained (`nn.DenseLayer`, train_scale).
- G: 100 -> 500 -> 500 -> 784, BatchNorm + softplus, a
  weight-normalized (`l2normalize`) output layer.
- D's loss: supervised cross-entropy + 0.5 x (unlabeled-real + fake terms) (`loss_unl`).
- G: feature matching on the last hidden layer's activations (before its noise).
- Adam(3e-3, beta1 0.5, beta2 0.999) with eps inside the square root (1e-8), constant rate, batch
  100 unlabeled + 100 labeled + 100 generated; 600 steps per epoch, 300 epochs = 180,000 steps.
- Test error of a moving average of D's parameters (decay 0.9999).

Deviations, named:
- Images in [-1, 1] with a tanh output (theirs: [0, 1], sigmoid). tanh(a) = 2 sigmoid(2a) - 1 is
  the same family, and D's first layer is normalized on the data, so this is their model in other
  units; the input noise is doubled to 0.6 to stay 0.3 of their pixel range.
- G's latent is N(0, I) (theirs: U(0, 1)^100); its BatchNorm has a trainable gain (theirs: none).
- G's real batch for feature matching is D's unlabeled batch of the same step (theirs: a second,
  independently permuted batch).
- Feature matching sums the squared mean differences over the 250 features (theirs: the mean).
  Under Adam this is their loss exactly when G's eps_root is 250^2 times theirs, as here.
- The moving average of D is bias-corrected (`techniques.update_debiased_ema`); theirs starts from
  zero uncorrected, which scales it by 1 - 0.9999^t (0.83 at 18,000 steps, 1.00 at 100,000).
- The labeled subset is drawn by `data.labeled.choose_labeled_subset` from the run's seed
  (theirs: the first 10 per class of a seeded permutation), and labeled batches are drawn in
  epochs of the subset (theirs: tiled permutations of it), the same distribution.
Measured: `test_error` / `test_errors` (the averaged D) and `test_error_raw` (the current D) on
the 10,000 test images.
"""

from jaxgan import presets


def get_config():
    config = presets.improved_gan_mnist()
    config.game.semi_supervised_head = "salimans"
    config.game.g_objective = "feature_matching"
    config.game.unlabeled_weight = 0.5
    config.game.d_average_decay = 0.9999
    # Their loss is the mean over the features, ours the sum: eps_root scaled by the squared ratio
    # makes the Adam update identical.
    config.optimizer.g.eps_root = 1e-8 * presets.IMPROVED_GAN_FEATURES**2
    return config

"""Improved-GAN semi-supervised MNIST (Salimans et al. 2016, Sec. 5 and their code): K logits
with the fake logit fixed at 0 (D(x) = Z/(Z+1), Z = sum_k exp l_k), feature matching for G
(Sec. 3.1), 100 labels (10 per class, chosen by seed, recorded in WORKDIR/labeled_subset.json).

    ./run jaxgan train --config experiments/improved_gan_ssl.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS/mnist --workdir runs/ssl_mnist

Paper settings kept: D an MLP 1000-500-250-250-250 with Gaussian noise (std 0.3 on the input,
0.5 after each layer) and weight normalization; G 100 -> 500 -> 500 -> 784 with BatchNorm;
Adam(3e-3, beta1 0.5); batches of 100 unlabeled, 100 labeled and 100 generated; feature
matching on D's last hidden layer. The paper reports 93 +- 6.5 test errors (0.93%) after 300
epochs. Deviations, flagged: ReLU (not softplus) in G and LeakyReLU(0.2) (not ReLU) in D; no
data-dependent weight-norm initialization; constant learning rate (the paper decays it
linearly over the last epochs); a tanh output in [-1, 1] (theirs: sigmoid in [0, 1]).
Measured: `test_error` / `test_errors` of D's classifier on the 10,000 test images.
"""

from experiments.labeled_common import labeled_config


def salimans_mnist():
    config = labeled_config(game="semi_supervised", model="mlp", learning_rate=3e-3, b1=0.5, b2=0.999,
                            batch_size=100, latent_dim=100, num_steps=18_000)  # 30 epochs of 600 batches
    config.model.g_hidden = (500, 500)
    config.model.g_norm = "batch"
    config.model.d_hidden = (1000, 500, 250, 250, 250)
    config.model.d_weight_norm = True
    config.model.d_input_noise = 0.3
    config.model.d_hidden_noise = 0.5
    config.game.num_labeled = 100
    config.game.labeled_batch_size = 100
    config.ema_decay = 0.0
    config.train.checkpoint_every = 600
    config.train.plot_every = 600
    return config


def get_config():
    config = salimans_mnist()
    config.game.semi_supervised_head = "salimans"
    config.game.g_objective = "feature_matching"
    return config

"""ClusterGAN (Mukherjee et al. 2019, AAAI; arXiv:1809.03627) on MNIST: a latent of a one-hot
class c (K = 10) and z_n ~ N(0, 0.1^2 I) (30-d), an encoder E trained with G to recover both from
G(z) (beta_n = beta_c = 10), and the WGAN-GP critic (`jaxgan/games/clustergan.py`). E clusters
the test split: `cluster_purity` (the paper's ACC), `cluster_nmi`, `cluster_ari`.

    ./run jaxgan train --config experiments/labels/clustergan.py --workdir runs/clustergan_mnist
    ./run jaxgan train --config experiments/labels/clustergan.py --config.data.name=fashion_mnist \\
        --workdir runs/clustergan_fashion

Settings, the authors' code (sudiptodip15/ClusterGAN, Image_ClusterGAN.py, mnist/clus_wgan.py):
G FC 1024 -> FC 7x7x128 (BatchNorm per channel after the reshape) -> 4x4 stride-2 deconvs 64 and
1, ReLU; D conv 64 -> conv 128 -> FC 1024 -> FC 1, LeakyReLU 0.2, no normalization; E the same
body with a linear output of K + 30 units; every kernel from N(0, 0.02^2) (Lucic et al.'s
networks, `model.name="lucic"`, are the same pair); WGAN-GP with lambda 10, 5 critic updates per
generator update; Adam(1e-4, 0.5, 0.9) for D and for G with E; batch 64.
Deviations, named: 30,000 generator updates (theirs: 500,000); the gradient penalty's
interpolation coefficient is drawn per example (the WGAN-GP paper's; their code draws one per
batch); tanh output on [-1, 1] data (theirs: sigmoid on [0, 1]); their G's BatchNorm uses batch
statistics at evaluation too (TF's batch_norm default), ours its running averages; the generator's
EMA is evaluated for sample quality (E is scored with its trained weights).
"""

from jaxgan import presets


def get_config():
    config = presets.labeled(game="clustergan", model="lucic", learning_rate=1e-4, b1=0.5, b2=0.9,
                             batch_size=64, latent_dim=30, num_steps=30_000)
    config.loss = "wasserstein"
    config.penalties.wgan_gp = 10.0
    config.n_critic = 5
    config.model.g_projection_norm = "channel"
    config.model.init_std = 0.02
    config.game.num_classes = 10
    config.game.noise_std = 0.1
    config.game.beta_n = 10.0
    config.game.beta_c = 10.0
    config.ema_decay = 0.999
    config.ema_rampup = 0.05
    config.train.eval_every = 10_000
    config.eval.metrics = "fid,kid,pr,dc,is,clustering"
    return config

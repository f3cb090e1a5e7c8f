"""BigGAN's 32x32 CIFAR-10 configuration (Brock et al. 2019; the authors' BigGAN-PyTorch
`launch_cifar_ema.sh` with the paper's parts that script leaves out switched on), for an
accelerator: CIFAR-10 and the FID Inception weights are not available offline here, so this
recipe is validated and built in the tests but not trained on this machine.

    ./run jaxgan data prepare cifar10          # with internet: TFDS
    ./run jaxgan train --config experiments/labels/biggan_cifar10.py \\
        --config.eval.inception_weights=PATH --workdir runs/biggan_cifar10
    ./run python -m experiments.studies.truncation_curve --workdir runs/biggan_cifar10

Networks: `G_arch[32]` / `D_arch[32]` at G_ch = D_ch = 64 (256 channels per block), the shared
embedding (128), z 128 in 4 chunks of 32 (3 blocks and the input layer), self-attention at 16x16
in both networks, orthogonal initialization. Training: the script's Adam 2e-4 for both players,
beta1 0, beta2 0.999, 4 D steps per G step, batch 50, the EMA of G (0.9999, ramped up as the image
recipes' EMA; theirs starts at step 1,000) sampled with standing statistics, the hinge loss,
orthogonal regularization beta 1e-4 (the paper's; the script sets 0), the script's 500 epochs:
125,000 G steps, each reading 4 D batches of 50.
"""

from experiments.labels import biggan


def get_config():
    config = biggan.get_config()
    config.data.name = "cifar10"
    config.data.batch_size = 50
    config.model.g_width = 256
    config.model.d_width = 256
    config.model.latent_dim = 128
    config.n_critic = 4
    config.ema_decay = 0.9999
    config.train.num_steps = 125_000
    config.train.eval_every = 5000
    return config

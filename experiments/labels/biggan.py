"""BigGAN (Brock et al., ICLR 2019): class-conditional BatchNorm with a shared class embedding and
the hierarchical latent, residual blocks with self-attention (SAGAN), the projection
discriminator (Miyato & Koyama 2018), spectral normalization in both networks, orthogonal
regularization of G (Sec. 3.1), the hinge loss, and G's EMA sampled with standing statistics
(App. C.1); `--config.eval.truncation=T` samples with the truncation trick (Sec. 4.1).

    ./run jaxgan train --config experiments/labels/biggan.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS/mnist --workdir runs/biggan_mnist
    ./run jaxgan sample --workdir runs/biggan_mnist --by-class          # one row per digit
    ./run jaxgan train --config experiments/labels/biggan.py --config.data.name=cifar10 \\
        --config.model.g_width=256 --config.model.d_width=256 --config.model.latent_dim=128 \\
        --config.eval.inception_weights=PATH --workdir runs/biggan_cifar10   # the 32x32 configuration

Networks (`jaxgan.nets.biggan`): the authors' 32x32 layout (BigGAN-PyTorch `G_arch[32]`,
`D_arch[32]`), scaled to MNIST's 28x28 by a 7x7 start and two up-blocks; self-attention at
half the image side in both networks (StudioGAN's CIFAR-10 BigGAN: after G's second block and
D's first). Settings: the authors' CIFAR-10 script (`launch_cifar_ema.sh`: Adam 2e-4 for both,
beta1 0, beta2 0.999) with the paper's parts it leaves out switched on (shared embedding,
hierarchical z, attention, orthogonal regularization beta 1e-4, orthogonal initialization).
Deviations, named, for a CPU budget: width 32 (theirs: 4 x 64 = 256 at 32x32; 64 costs 2.8x the
step time here), 2 D steps per G step (the paper's ImageNet setting; their CIFAR-10 script: 4),
a 60-d z (3 chunks of 20, StudioGAN's chunk size), 3,000 steps; batch 64 (theirs: 50;
StudioGAN's: 64); the EMA is 0.999 ramped up as the image recipes' (theirs: 0.9999 from step
1,000, for 500 epochs).
Measured: FID of the EMA generator and the shipped classifier's accuracy on its samples
(`class_accuracy`), docs/results.md.
"""

from jaxgan import presets


def get_config():
    config = presets.labeled(game="cgan", model="biggan", learning_rate=2e-4, b1=0.0, b2=0.999, latent_dim=60,
                             num_steps=3_000)
    config.game.conditioning = "projection"
    config.loss = "hinge"
    config.model.g_width = 32
    config.model.d_width = 32
    config.n_critic = 2
    config.optimizer.g.orthogonal = 1e-4
    config.eval.bn_statistics = "standing"
    config.eval.num_samples = 10_000
    config.train.eval_every = 1000
    config.train.plot_every = 500
    return config

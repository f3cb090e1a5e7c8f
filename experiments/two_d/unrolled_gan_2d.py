"""Unrolled GAN (Metz et al. 2017, Sec. 3.1 and Fig. 2) on a 2D Gaussian mixture, with the
authors' 2D settings (poolio/unrolled_gan): the generator's loss is taken against the
discriminator after 5 more Adam steps on the same batch, differentiated through them.

    ./run jaxgan train --config experiments/two_d/unrolled_gan_2d.py --workdir runs/unrolled_ring

As in the authors' code: G 256 -> 128 -> 128 -> 2 and D 2 -> 128 -> 128 -> 1, tanh hidden units,
z ~ N(0, I_256); the saddle objective (D: BCE; G: minus D's loss, `loss="minimax"`); Adam with
beta1 0.5 and eps 1e-8, D's rate 1e-4 and G's 1e-3; batch 512; 5 unrolling steps; 25,000
iterations. Deviations, named: weights start from Flax's LeCun normal (theirs: orthogonal, gain
1.4); the ring is the main job's (8 modes at angles 2 pi k / 8, radius 1, std 0.01: their
`linspace(0, 2 pi, 8)` puts two of the 8 components on one mode).
Measured (docs/results.md; ring-8, 10 seeds, 25,000 iterations, final checkpoint): 7.5 +- 0.3
modes, 76.7 +- 6.9% high quality, reverse KL 0.15 +- 0.09; without unrolling
(`--config.game.unroll_steps=0`) 7.9 +- 0.1, 79.7 +- 4.4%, 0.07 +- 0.05: on this ring the 0-step
game does not collapse either.
"""

from jaxgan import presets


def get_config():
    config = presets.mlp_2d()
    config.game.name = "unrolled"
    config.game.unroll_steps = 5
    config.loss = "minimax"
    config.data.name = "ring"
    config.data.batch_size = 512
    config.model.latent_dim = 256
    config.model.g_hidden = (128, 128)
    config.model.d_hidden = (128, 128)
    config.model.g_norm = "none"
    config.model.g_activation = "tanh"
    config.model.d_activation = "tanh"
    for side, rate in (("g", 1e-3), ("d", 1e-4)):
        config.optimizer[side].learning_rate = rate
        config.optimizer[side].b1 = 0.5
        config.optimizer[side].eps = 1e-8
    config.train.num_steps = 25_000
    config.train.fused_steps = 100
    config.train.checkpoint_every = 5000
    return config

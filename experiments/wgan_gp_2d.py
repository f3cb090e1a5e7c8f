"""WGAN-GP (Gulrajani et al. 2017, Algorithm 1) on a 2D Gaussian mixture.

    ./run jaxgan train --config experiments/wgan_gp_2d.py --workdir runs/wgan_gp_grid

Critic without normalization (the penalty needs per-example gradients), n_critic = 5,
Adam(1e-4, 0.5, 0.9) as in the paper's toy experiments. Deviation, flagged: lambda = 0.1, the
value of the authors' 2D toy code (gan_toy.py), not the lambda = 10 of their image experiments;
with std-0.05 modes lambda = 10 over-smooths the critic and leaves samples between modes.
"""

from jaxgan.config import base_config


def get_config():
    config = base_config()
    config.loss = "wasserstein"
    config.penalties.wgan_gp = 0.1
    config.n_critic = 5
    config.model.g_norm = "batch"
    config.optimizer.g.b2 = 0.9
    config.optimizer.d.b2 = 0.9
    config.train.num_steps = 6000
    return config

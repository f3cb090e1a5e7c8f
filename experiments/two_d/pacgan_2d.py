"""PacGAN's 2D protocol (Lin et al. 2018, Sec. 5 / App. D, Table 1; fjxmlzn/PacGAN
synthetic_data_experiments/2D{Grid,Ring}_GAN&PacGAN/config.py).

    ./run jaxgan train --config experiments/two_d/pacgan_2d.py --workdir runs/pacgan4_grid
    ./run jaxgan train --config experiments/two_d/pacgan_2d.py --config.model.packing=1 --config.data.batch_size=100 \\
        --config.data.train_size=100000 --config.data.name=ring --workdir runs/gan_ring   # the paper's "GAN" row

As in the paper's code (read from `pacgan_task.py`, `pacgan/bricks.py`, `pacgan/extensions.py` and
ALI's `ali/algorithms.py`), each difference from jaxgan's defaults an option, the authors' choice
the default here (`experiments.studies.pacgan_ablation` measures each):
  - generator: 2 -> 400 -> 400 -> 400 -> 400 -> 2, BatchNorm (no bias) and ReLU per hidden layer,
    a linear output; z ~ N(0, I_2). The generator runs on each of the m pack slots' 100 latents on
    its own, so BatchNorm normalizes each slot separately (`game.packing_bn="per_slot"`; "joint"
    normalizes all 100 m together), and the running averages move by 0.05 of the mean of the
    slots' batch statistics per update (`model.bn_momentum=0.95`; jaxgan's default 0.9);
  - discriminator: three linear maxout layers of 200 units with 5 pieces, a linear output, on
    m packed samples (m * 2 inputs); `model.packing` = m (1 = the plain GAN row, 2-4 = PacGANm);
  - every kernel from N(0, 0.02^2), biases 0 (`model.init_std=0.02`; 0 = Flax's LeCun normal);
  - the non-saturating loss (the code's generator loss softplus(D(x)) + softplus(-D(G(z))) has
    the non-saturating gradient); Adam(1e-4, beta1 0.8) for both players, updated simultaneously:
    both gradients at the same parameters on the same batch and latents, as ALI's training
    algorithm (`game.updates="simultaneous"`; "alternating": D first, G through the new D);
  - batches of 100 packs (`data.batch_size` = 100 m points) from a fixed training set of
    100,000 packs per seed (`data.train_size` = 100,000 m points), 400 epochs = 400k iterations;
  - evaluation: 2,500 samples drawn with BatchNorm statistics of the evaluated weights
    (`eval.bn_statistics="standing"`): the authors' `GraphLogger` samples with the population
    averages right after their train-stream monitor has moved them 50 times (5,000 points in
    batches of 100, `updates=bn_updates`) at those weights, which leaves 0.95^50 = 8% of the
    averages kept in training; a mode is covered by a sample within 3 standard deviations
    (PacGAN's "high quality"), reverse KL over modes.
Deviations, named: the training set holds 100,000 m distinct points read m per pack (theirs: m
slot-wise draws with replacement from 100,000 points; both are i.i.d. draws from the mixture);
their BatchNorm averages standard deviations (ours variances) with epsilon 1e-4 (ours 1e-5);
`train.num_steps` defaults to a CPU budget, not 400k.
"""

from jaxgan.config import base_config

PACKS_PER_BATCH = 100
TRAINING_PACKS = 100_000
# Lin et al. 2018, Table 1 (fjxmlzn/PacGAN synthetic_data_experiments/results/Table1.png): mean +- s.e.
# over 10 trials after 400 epochs; (modes, high-quality %, reverse KL), each (mean, s.e.).
PAPER_TABLE1 = {
    "ring": {"GAN": ((6.3, 0.5), (98.2, 0.2), (0.45, 0.09)), "ALI": ((6.6, 0.3), (97.6, 0.4), (0.36, 0.04)),
             "PacGAN2": ((7.9, 0.1), (95.6, 2.0), (0.07, 0.03)), "PacGAN3": ((7.8, 0.1), (97.7, 0.3), (0.10, 0.02)),
             "PacGAN4": ((7.8, 0.1), (95.9, 1.4), (0.07, 0.02))},
    "grid": {"GAN": ((17.3, 0.8), (94.8, 0.7), (0.70, 0.07)), "ALI": ((24.1, 0.4), (95.7, 0.6), (0.14, 0.03)),
             "PacGAN2": ((23.8, 0.7), (91.3, 0.8), (0.13, 0.04)), "PacGAN3": ((24.6, 0.4), (94.2, 0.4), (0.06, 0.02)),
             "PacGAN4": ((24.8, 0.2), (93.6, 0.6), (0.04, 0.01))},
}


def get_config(packing=4):
    config = base_config()
    config.loss = "non_saturating"
    config.model.packing = packing
    config.data.batch_size = PACKS_PER_BATCH * packing
    config.data.train_size = TRAINING_PACKS * packing
    config.model.latent_dim = 2
    config.model.g_hidden = (400, 400, 400, 400)
    config.model.g_norm = "batch"
    config.model.d_hidden = (200, 200, 200)
    config.model.d_maxout_pieces = 5
    config.model.init_std = 0.02
    config.model.bn_momentum = 0.95
    config.game.packing_bn = "per_slot"
    config.game.updates = "simultaneous"
    for side in ("g", "d"):
        config.optimizer[side].learning_rate = 1e-4
        config.optimizer[side].b1 = 0.8
    config.train.num_steps = 20_000
    config.train.fused_steps = 100
    config.train.log_every = 100
    config.train.checkpoint_every = 5000
    config.eval.num_samples = 2500
    config.eval.bn_statistics = "standing"
    return config

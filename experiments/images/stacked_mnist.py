"""Stacked MNIST mode coverage: DCGAN and PacDCGAN (Lin et al. 2018, Sec. 5.2, Table 2, the VEEGAN
protocol of Srivastava et al. 2017, Sec. 5.2), and WGAN-GP at GDPP's length (Elfeki et al. 2019).

    ./run jaxgan train --config experiments/images/stacked_mnist.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS/mnist --workdir runs/pacdcgan2_stacked
    ./run python -m experiments.studies.stacked_mnist_study          # the rows side by side with the papers

`get_config(packing=2)` follows PacGAN's code (fjxmlzn/PacGAN stacked_MNIST_experiments/
VEEGAN_experiment, built on carpedm20/DCGAN-tensorflow):
  - DCGAN generator and discriminator of width 64 (BatchNorm in both except G's output and D's
    input layer, LeakyReLU 0.2 in D), z 100-d, the non-saturating loss, Adam(2e-4, beta1 0.5);
  - packing m (`model.packing`; 1 = DCGAN): D sees m images concatenated along channels, 3m of
    them; batches of 64 packs (`data.batch_size` = 64 m images);
  - 50 epochs of 2,000 batches = 100,000 iterations (`train.num_steps`);
  - evaluation of the raw generator (no EMA): 26,000 samples, each channel classified by an MNIST
    classifier (ours: the shipped one), modes = distinct digit triples, reverse KL of the triple
    histogram to uniform over 1000.
Deviations, flagged: z ~ N(0, I) (theirs U[-1, 1]^100); one generator update per discriminator
update (carpedm20's code runs two); the training set is `data.name=stacked_mnist`, one random
triple per MNIST training image, 60,000 (theirs 128,000 random triples); Flax's default weight
init (theirs N(0, 0.02)); 2x upsampling by the measured-fastest layer (`model.upsample='auto'`).

`get_config(loss="wasserstein")`: WGAN-GP on the same DCGAN networks (the critic with LayerNorm
instead of BatchNorm, as the penalty needs per-example gradients), lambda 10, n_critic 5,
Adam(1e-4, 0.5, 0.9), 15,000 iterations: the WGAN-GP row of GDPP's Stacked MNIST table.
"""

from jaxgan import presets

PACKS_PER_BATCH = 64
PAPER_ITERATIONS = 100_000
GDPP_ITERATIONS = 15_000
# Lin et al. 2018, Table 2 (fjxmlzn/PacGAN stacked_MNIST_experiments/results/Table2.png):
# (modes, reverse KL), each (mean, s.e.) over 10 trials; "DCGAN" is their own implementation
# (VEEGAN's paper reports 99.0 modes, KL 3.40 for DCGAN, without s.e.).
PAPER_TABLE2 = {
    "DCGAN": ((78.9, 6.46), (4.50, 0.127)),
    "PacDCGAN2": ((1000.0, 0.0), (0.06, 0.003)),
    "PacDCGAN3": ((1000.0, 0.0), (0.06, 0.003)),
    "PacDCGAN4": ((1000.0, 0.0), (0.07, 0.005)),
}
# GDPP (Elfeki et al. 2019), Stacked MNIST after 15k iterations, (modes, reverse KL), no s.e.;
# the values as quoted by our issue 15, not re-read from the paper here.
GDPP_TABLE = {"WGAN-GP": (995.0, 0.148), "GDPP": (1000.0, 0.135)}


def get_config(packing=2, loss="non_saturating"):
    if loss == "non_saturating":
        config = presets.image(loss=loss, learning_rate=2e-4, b1=0.5, b2=0.999, batch_size=PACKS_PER_BATCH * packing)
        config.model.packing = packing
        config.train.num_steps = PAPER_ITERATIONS
    elif loss == "wasserstein":
        if packing != 1:
            raise ValueError(f"the WGAN-GP row is unpacked; got packing={packing}")
        config = presets.image(loss=loss, learning_rate=1e-4, b1=0.5, b2=0.9, batch_size=PACKS_PER_BATCH,
                              n_critic=5, d_norm="layer")
        config.penalties.wgan_gp = 10.0
        config.train.num_steps = GDPP_ITERATIONS
    else:
        raise ValueError(f"loss must be 'non_saturating' (DCGAN/PacDCGAN) or 'wasserstein' (WGAN-GP), got {loss!r}")
    config.data.name = "stacked_mnist"
    config.ema_decay = 0.0
    config.eval.metrics = "modes"
    config.eval.num_samples = 26_000
    config.train.plot_every = 5000
    config.train.eval_every = 10_000
    config.train.checkpoint_every = 5000
    return config

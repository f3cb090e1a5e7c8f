"""DRAGAN (Kodali et al. 2017, Sec. 5): the non-saturating GAN with a gradient penalty
lambda E[(||grad D(x + delta)|| - 1)^2] around perturbed real data.

    ./run jaxgan train --config experiments/images/dragan.py --config.data.name=mnist --workdir runs/dragan_mnist

Paper settings: lambda = 10, perturbations 0.5 * std(batch) * N(0, 1), Adam(1e-4, beta1 0.5,
beta2 0.9), DCGAN networks without BatchNorm in D (the penalty needs per-example gradients;
flagged deviation: layer normalization in its place). The authors' released code perturbs
differently from the paper (a one-sided uniform push, interpolated):
`--config.penalty_options.dragan.perturbation=uniform_interpolated`.
"""

from jaxgan import presets


def get_config():
    config = presets.image(loss="non_saturating", learning_rate=1e-4, b1=0.5, b2=0.9, d_norm="layer")
    config.penalties.dragan = 10.0
    return config

"""Pure adversarial losses and penalties.

Conventions (one for the whole package):
  * Networks return logits; sigmoids live here, computed with `jax.nn.log_sigmoid`/`softplus`.
  * Every adversarial loss has the signature `loss(real_logits, fake_logits) -> scalar`, for the
    discriminator and the generator side alike, and returns the batch mean (the one reduction).
    Logits have shape (B,) or (B, 1). A generator loss that ignores `real_logits` costs nothing
    under `jit`: the unused discriminator pass is removed as dead code.
  * Every penalty has the signature `penalty(critic, real, fake, *, key, **hyperparameters)`
    where `critic` maps a batch (B, ...) to logits (B,) and `key` is one typed PRNG key or a
    vector of B per-example keys (see `example_keys`). It returns a scalar (batch mean).
  * Auxiliary terms (classification, semi-supervised, InfoGAN, feature matching, reconstruction)
    take logits, features or images with their targets and return a batch mean.
"""

from jaxgan.losses.adversarial import (
    autoencoder_error,
    boundary_equilibrium_discriminator_loss,
    boundary_equilibrium_generator_loss,
    boundary_seeking_generator_loss,
    energy_discriminator_loss,
    energy_generator_loss,
    hinge_discriminator_loss,
    hinge_generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_discriminator_loss,
    minimax_generator_loss,
    non_saturating_generator_loss,
    relativistic_average_discriminator_loss,
    relativistic_average_generator_loss,
    relativistic_discriminator_loss,
    relativistic_generator_loss,
    softmax_discriminator_loss,
    softmax_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)
from jaxgan.losses.auxiliary import (
    categorical_code_loss,
    classification_loss,
    cycle_consistency_loss,
    feature_matching_loss,
    gaussian_code_loss,
    identity_loss,
    k_plus_one_discriminator_loss,
    l1_loss,
    l2_loss,
    pulling_away_term,
    salimans_discriminator_loss,
)
from jaxgan.losses.penalties import (
    divergence_penalty,
    dragan_penalty,
    example_keys,
    gradient_penalty,
    lipschitz_penalty,
    r1_penalty,
    r2_penalty,
)
from jaxgan.losses.registry import (
    ADVERSARIAL,
    PENALTIES,
    adversarial_losses,
    loss_hyperparameters,
    penalty,
    penalty_hyperparameters,
)

__all__ = [
    "ADVERSARIAL",
    "PENALTIES",
    "adversarial_losses",
    "loss_hyperparameters",
    "penalty",
    "penalty_hyperparameters",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "non_saturating_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "relativistic_discriminator_loss",
    "relativistic_generator_loss",
    "relativistic_average_discriminator_loss",
    "relativistic_average_generator_loss",
    "boundary_seeking_generator_loss",
    "softmax_discriminator_loss",
    "softmax_generator_loss",
    "energy_discriminator_loss",
    "energy_generator_loss",
    "autoencoder_error",
    "boundary_equilibrium_discriminator_loss",
    "boundary_equilibrium_generator_loss",
    "pulling_away_term",
    "gradient_penalty",
    "lipschitz_penalty",
    "divergence_penalty",
    "dragan_penalty",
    "r1_penalty",
    "r2_penalty",
    "example_keys",
    "classification_loss",
    "k_plus_one_discriminator_loss",
    "salimans_discriminator_loss",
    "categorical_code_loss",
    "gaussian_code_loss",
    "feature_matching_loss",
    "l1_loss",
    "l2_loss",
    "cycle_consistency_loss",
    "identity_loss",
]

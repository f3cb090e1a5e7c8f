"""InfoGAN (Chen et al. 2016): the generator's input carries codes c, and both players maximize
a variational lower bound on I(c; G(z, c)) through a Q head on D's body.

Batches: {"x": (n_critic, B, ...)}.
"""

import jax.numpy as jnp

from jaxgan.games._labeled import Rules, common_step_options, labeled_game, labeled_models, make_labeled_step
from jaxgan.games.settings import config_losses, config_penalties, one_of, reject, weights
from jaxgan.games.spec import Step
from jaxgan.latents import NOISES, Prior
from jaxgan.losses import (
    categorical_code_loss,
    gaussian_code_loss,
    minimax_discriminator_loss,
    non_saturating_generator_loss,
)
from jaxgan.nets.heads import Q_NORMS

BATCH_KEYS = ("x",)


def info_terms(out, draws, prior) -> dict:
    """InfoGAN's -L_I terms (Chen et al. 2016, Eq. 5) for the codes the prior has:
    `info_categorical` = -log Q(c_cat | x) and `info_continuous` = -log Q(c_cont | x) under a
    fixed unit-variance Gaussian Q (the paper's choice)."""
    terms = {}
    if prior.num_classes:
        terms["info_categorical"] = categorical_code_loss(out["code_logits"], draws["y"])
    if prior.continuous_codes:
        mean = out["code_mean"]
        terms["info_continuous"] = gaussian_code_loss(mean, jnp.zeros_like(mean), draws["c"])
    return terms


def make_infogan_step(*, prior, d_loss=minimax_discriminator_loss, g_loss=non_saturating_generator_loss,
                      info_weights=(1.0, 0.1), penalties=(), n_critic=1, ema_decay=None, joint_batches=False,
                      augment=None, axis_name=None) -> Step:
    """An InfoGAN step (Chen et al. 2016, Eq. 6): both players add
    info_weights[0] * (-log Q(c_cat | x)) + info_weights[1] * (-log Q(c_cont | x)) on the fakes
    to their adversarial losses.

    Args:
      prior: `latents.Prior`: `num_classes` values of the categorical code, `continuous_codes`.
      info_weights: (lambda_cat, lambda_cont); the paper's text suggests (1, 0.1) for MNIST, the
        authors' code uses (1, 1) (`info_reg_coeff`; experiments/labels/infogan.py).

    Returns:
      `step(state, batch) -> (state, metrics)`; metrics `d_loss`, `d_total`, `g_loss`,
      `real_logit`, `fake_logit`, `info_categorical`, `info_continuous`.
    """
    if not (prior.num_classes or prior.continuous_codes):
        raise ValueError("game 'infogan' needs a prior with a categorical or continuous code")
    cat_weight, cont_weight = info_weights

    def weighted(terms):
        return cat_weight * terms.get("info_categorical", 0.0) + cont_weight * terms.get("info_continuous", 0.0)

    def d_objective(outs, batch, draws):
        adversarial = d_loss(outs[0]["logit"], outs[1]["logit"])
        terms = info_terms(outs[1], draws, prior)
        return adversarial, adversarial + weighted(terms), terms

    def g_objective(real_out, fake_out, draws):
        return g_loss(real_out["logit"], fake_out["logit"]) + weighted(info_terms(fake_out, draws, prior))

    rules = Rules("infogan", BATCH_KEYS, False, d_objective, g_objective)
    return make_labeled_step(rules, prior=prior, penalties=penalties, n_critic=n_critic, ema_decay=ema_decay,
                             joint_batches=joint_batches, augment=augment, axis_name=axis_name)


def _validate(config):
    game = config.game
    for key in ("categorical_codes", "continuous_codes"):
        reject(int(game[key]) != game[key] or game[key] < 0, f"game.{key} must be an integer >= 0, got {game[key]!r}")
    reject(not (game.categorical_codes or game.continuous_codes),
           "game.name='infogan' needs game.categorical_codes > 0 or game.continuous_codes > 0")
    weights(game, ("categorical_weight", "continuous_weight"), "game")
    one_of(game.noise, NOISES, "game.noise")
    one_of(game.q_norm, Q_NORMS, "game.q_norm")


def _prior(config):
    game = config.game
    return Prior(noise_dim=config.model.latent_dim, num_classes=game.categorical_codes,
                 continuous_codes=game.continuous_codes, noise=game.noise)


def _step(config, axis_name=None):
    game = config.game
    d_loss, g_loss = config_losses(config)
    return make_infogan_step(prior=_prior(config), d_loss=d_loss, g_loss=g_loss,
                             info_weights=(game.categorical_weight, game.continuous_weight),
                             penalties=config_penalties(config),
                             **common_step_options(config, axis_name, per_example_head=game.q_norm == "none"))


GAME = labeled_game(
    "infogan",
    # game.noise: the distribution of the incompressible noise z, "normal" (N(0, I)) or "uniform"
    # (U(-1, 1), the authors' code). game.q_norm: "batch" puts BatchNorm in Q's hidden layer (the
    # authors' code), "none" leaves it out.
    defaults={"game.categorical_codes": 10, "game.continuous_codes": 2, "game.categorical_weight": 1.0,
              "game.continuous_weight": 0.1, "game.noise": "normal", "game.q_norm": "none"},
    validate=_validate,
    models=lambda config, axis_name=None: labeled_models(config, axis_name,
                                                         categorical_codes=config.game.categorical_codes,
                                                         continuous_codes=config.game.continuous_codes,
                                                         q_norm=config.game.q_norm),
    step=_step, prior=_prior, labels="none", evaluators=("code_accuracy",),
    techniques=("gradient_penalties", "spectral_norm", "diffaugment"))

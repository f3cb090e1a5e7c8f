"""Class-conditional GANs: CGAN (Mirza & Osindero 2014) and ACGAN (Odena et al. 2017).

Batches: {"x": (n_critic, B, ...), "y": (n_critic, B) int}. The generator takes
`latents.Prior` latents `[one_hot(y), z]` with fake labels drawn uniformly; the discriminator is
an `nets.AuxiliaryDiscriminator` (CGAN: D(x, y) by projection or concatenation; ACGAN: D(x) with
a class head).
"""

import jax.numpy as jnp

from jaxgan.games._labeled import (
    Rules,
    class_prior,
    common_step_options,
    image_example,
    labeled_game,
    labeled_models,
    make_labeled_step,
)
from jaxgan.games.settings import config_losses, config_penalties, one_of, positive_int, weights
from jaxgan.games.spec import Step
from jaxgan.losses import classification_loss, minimax_discriminator_loss, non_saturating_generator_loss
from jaxgan.nets.heads import CONDITIONING

BATCH_KEYS = ("x", "y")


def _check_prior(game, prior):
    if not prior.num_classes:
        raise ValueError(f"game {game!r} needs a prior with num_classes > 0")


def make_cgan_step(*, prior, d_loss=minimax_discriminator_loss, g_loss=non_saturating_generator_loss, penalties=(),
                   n_critic=1, ema_decay=None, joint_batches=False, augment=None, axis_name=None) -> Step:
    """A CGAN step (Mirza & Osindero 2014, Eq. 2): min_G max_D V(D, G) with D(x, y) and G(z, y).

    Args:
      prior: `latents.Prior` with `num_classes` > 0.
      d_loss, g_loss: the adversarial losses on D(x, y) (`jaxgan.losses`; default BCE, G
        non-saturating).
      penalties: `Penalty` terms on D(., y) with the batch labels.
      n_critic, ema_decay, joint_batches, augment, axis_name: as `games.make_labeled_step`.

    Returns:
      `step(state, batch) -> (state, metrics)`; metrics `d_loss`, `d_total`, `g_loss`,
      `real_logit`, `fake_logit` and one per penalty.
    """
    _check_prior("cgan", prior)

    def d_objective(outs, batch, draws):
        adversarial = d_loss(outs[0]["logit"], outs[1]["logit"])
        return adversarial, adversarial, {}

    def g_objective(real_out, fake_out, draws):
        return g_loss(real_out["logit"], fake_out["logit"])

    rules = Rules("cgan", BATCH_KEYS, True, d_objective, g_objective)
    return make_labeled_step(rules, prior=prior, penalties=penalties, n_critic=n_critic, ema_decay=ema_decay,
                             joint_batches=joint_batches, augment=augment, axis_name=axis_name)


def make_acgan_step(*, prior, d_loss=minimax_discriminator_loss, g_loss=non_saturating_generator_loss,
                    class_weight=1.0, classify_fakes=True, penalties=(), n_critic=1, ema_decay=None,
                    joint_batches=False, augment=None, axis_name=None) -> Step:
    """An ACGAN step (Odena et al. 2017, Eq. 1-2): D(x) -> (logit, class logits). D minimizes
    adversarial + w * (L_C(real) + L_C(fake)); G minimizes its adversarial loss + w * L_C(fake),
    with L_C the cross-entropy on class logits and w = `class_weight`.

    Args:
      classify_fakes: True: D's classifier also learns the fakes' drawn labels (the paper's
        L_C over real and generated). False: only the real labels, StudioGAN's "AC" (its
        fake-label term is the ADC variant): then D's classifier cannot learn cues only fakes
        have, so G must draw what a classifier of real digits reads as the class.

    Returns:
      `step(state, batch) -> (state, metrics)`; metrics `d_loss` (adversarial part), `d_total`,
      `g_loss`, `real_logit`, `fake_logit`, `class_real`, `class_fake`.
    """
    _check_prior("acgan", prior)

    def d_objective(outs, batch, draws):
        real_out, fake_out = outs[:2]
        adversarial = d_loss(real_out["logit"], fake_out["logit"])
        terms = {"class_real": classification_loss(real_out["class_logits"], batch["y"]),
                 "class_fake": classification_loss(fake_out["class_logits"], draws["y"])}
        classified = terms["class_real"] + terms["class_fake"] if classify_fakes else terms["class_real"]
        return adversarial, adversarial + class_weight * classified, terms

    def g_objective(real_out, fake_out, draws):
        loss = g_loss(real_out["logit"], fake_out["logit"])
        return loss + class_weight * classification_loss(fake_out["class_logits"], draws["y"])

    rules = Rules("acgan", BATCH_KEYS, False, d_objective, g_objective)
    return make_labeled_step(rules, prior=prior, penalties=penalties, n_critic=n_critic, ema_decay=ema_decay,
                             joint_batches=joint_batches, augment=augment, axis_name=axis_name)


def _validate_cgan(config):
    one_of(config.game.conditioning, CONDITIONING[1:], "game.conditioning")
    positive_int(config.game.num_classes, "game.num_classes")


def _validate_acgan(config):
    positive_int(config.game.num_classes, "game.num_classes")
    weights(config.game, ("class_weight",), "game")


def _cgan_step(config, axis_name=None):
    d_loss, g_loss = config_losses(config)
    return make_cgan_step(prior=class_prior(config), d_loss=d_loss, g_loss=g_loss, penalties=config_penalties(config),
                          **common_step_options(config, axis_name))


def _acgan_step(config, axis_name=None):
    d_loss, g_loss = config_losses(config)
    return make_acgan_step(prior=class_prior(config), d_loss=d_loss, g_loss=g_loss,
                           class_weight=config.game.class_weight, classify_fakes=config.game.classify_fakes,
                           penalties=config_penalties(config),
                           **common_step_options(config, axis_name))


def _cgan_example(config):
    return image_example(config), jnp.zeros((config.model.packing,), jnp.int32)


CGAN = labeled_game(
    "cgan", defaults={"game.num_classes": 10, "game.conditioning": "projection"}, validate=_validate_cgan,
    models=lambda config, axis_name=None: labeled_models(config, axis_name, conditioning=config.game.conditioning),
    step=_cgan_step, prior=class_prior, labels="all", evaluators=("class_accuracy",), example=_cgan_example,
    techniques=("gradient_penalties", "spectral_norm", "diffaugment"))
ACGAN = labeled_game(
    "acgan", defaults={"game.num_classes": 10, "game.class_weight": 1.0, "game.classify_fakes": True},
    validate=_validate_acgan,
    models=lambda config, axis_name=None: labeled_models(config, axis_name, class_head="separate"),
    step=_acgan_step, prior=class_prior, labels="all", evaluators=("class_accuracy",),
    techniques=("gradient_penalties", "spectral_norm", "diffaugment"))

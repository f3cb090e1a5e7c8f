"""Semi-supervised GANs: D is a K-class classifier that also tells real from fake (Odena 2016;
Salimans et al. 2016, Sec. 5), trained on a small labeled batch, an unlabeled batch and fakes.

Batches: {"x": unlabeled (n_critic, B, ...), "x_labeled": (n_critic, L, ...),
"y_labeled": (n_critic, L) int}.
"""

import jax

from jaxgan.games._labeled import (
    Rules,
    common_step_options,
    labeled_game,
    labeled_models,
    make_labeled_step,
    noise_prior,
    validate_cross_entropy,
)
from jaxgan.games.settings import config_losses, one_of, optional, positive_int, reject, weights
from jaxgan.games.spec import Step
from jaxgan.losses import (
    classification_loss,
    feature_matching_loss,
    k_plus_one_discriminator_loss,
    non_saturating_generator_loss,
    salimans_discriminator_loss,
)

BATCH_KEYS = ("x", "x_labeled", "y_labeled")
HEADS = {"k_plus_one": k_plus_one_discriminator_loss, "salimans": salimans_discriminator_loss}
G_OBJECTIVES = ("adversarial", "feature_matching")


def make_semi_supervised_step(*, prior, head="k_plus_one", g_objective="adversarial",
                              g_loss=non_saturating_generator_loss, unlabeled_weight=1.0, d_average_decay=None,
                              n_critic=1, ema_decay=None, joint_batches=False, augment=None, generate=None,
                              axis_name=None) -> Step:
    """A semi-supervised GAN step.

    Args:
      prior: `latents.Prior` (noise only).
      head: D's classifier loss, `HEADS[head]`: "k_plus_one" (Odena 2016: K+1 logits) or
        "salimans" (Salimans et al. 2016, Eq. 5: K logits, the fake logit fixed at 0). It holds
        the labeled, unlabeled-real and fake terms.
      g_objective: "adversarial" (`g_loss` on the derived real-vs-fake logit) or
        "feature_matching" (Salimans et al. 2016, Sec. 3.1: on D's last features of the unlabeled
        batch).
      unlabeled_weight: the weight of the unlabeled-real and fake terms of D's loss (the
        Improved-GAN code uses 0.5).
      d_average_decay: if set, a bias-corrected moving average of D's parameters in
        `state.param_averages["d_ema"]` (the Improved-GAN code tests its classifier with such an
        average, decay 0.9999, not bias-corrected: see `techniques.update_debiased_ema`).
      n_critic, ema_decay, joint_batches, augment, generate, axis_name: as `games.make_labeled_step`
        (`generate`: CCGAN's fakes are in-painted images, `games.ccgan`).

    Returns:
      `step(state, batch) -> (state, metrics)`; metrics `d_loss` (the whole Odena / Salimans
      loss), `d_total`, `g_loss`, `real_logit`, `fake_logit`, `class_labeled`.
    """
    if head not in HEADS:
        raise ValueError(f"semi_supervised_head must be one of {list(HEADS)}, got {head!r}")
    if g_objective not in G_OBJECTIVES:
        raise ValueError(f"g_objective must be one of {G_OBJECTIVES}, got {g_objective!r}")
    d_head = HEADS[head]

    def d_objective(outs, batch, draws):
        real_out, fake_out, labeled_out = outs
        logits = labeled_out["class_logits"]
        loss = d_head(logits, batch["y_labeled"], real_out["class_logits"], fake_out["class_logits"],
                      unlabeled_weight=unlabeled_weight)
        num_classes = logits.shape[1] - (head == "k_plus_one")
        return loss, loss, {"class_labeled": classification_loss(logits[:, :num_classes], batch["y_labeled"])}

    def g_loss_fn(real_out, fake_out, draws):
        if g_objective == "feature_matching":
            return feature_matching_loss(jax.lax.stop_gradient(real_out["features"]), fake_out["features"])
        return g_loss(real_out["logit"], fake_out["logit"])

    rules = Rules("semi_supervised", BATCH_KEYS, False, d_objective, g_loss_fn, labeled_input=True)
    return make_labeled_step(rules, prior=prior, n_critic=n_critic, ema_decay=ema_decay,
                             d_average_decay=d_average_decay, joint_batches=joint_batches, augment=augment,
                             generate=generate, axis_name=axis_name)


def validate_semi_supervised(config) -> None:
    game = config.game
    one_of(game.semi_supervised_head, tuple(HEADS), "game.semi_supervised_head")
    one_of(game.g_objective, G_OBJECTIVES, "game.g_objective")
    for key in ("num_classes", "num_labeled", "labeled_batch_size"):
        positive_int(game[key], f"game.{key}")
    weights(game, ("unlabeled_weight",), "game")
    reject(not 0.0 <= game.d_average_decay < 1.0,
           f"game.d_average_decay must be in [0, 1) (0: off), got {game.d_average_decay}")
    validate_cross_entropy(config)


def _step(config, axis_name=None):
    game = config.game
    _, g_loss = config_losses(config)
    return make_semi_supervised_step(prior=noise_prior(config), head=game.semi_supervised_head,
                                     g_objective=game.g_objective, g_loss=g_loss,
                                     unlabeled_weight=game.unlabeled_weight,
                                     d_average_decay=optional(game.d_average_decay),
                                     **common_step_options(config, axis_name))


GAME = labeled_game(
    "semi_supervised",
    # unlabeled_weight: the weight of the unlabeled-real and fake terms of D's loss (the
    # Improved-GAN code: 0.5); d_average_decay > 0 keeps a bias-corrected moving average of D's
    # parameters that the test error is measured with (theirs: 0.9999).
    defaults={"game.num_classes": 10, "game.semi_supervised_head": "k_plus_one", "game.num_labeled": 100,
              "game.labeled_batch_size": 100, "game.g_objective": "adversarial", "game.unlabeled_weight": 1.0,
              "game.d_average_decay": 0.0},
    validate=validate_semi_supervised,
    models=lambda config, axis_name=None: labeled_models(config, axis_name,
                                                         class_head=config.game.semi_supervised_head),
    step=_step, prior=noise_prior, labels="subset", evaluators=("test_error",),
    techniques=("spectral_norm", "diffaugment"),
    state_options=lambda config: {"d_average": config.game.d_average_decay > 0})

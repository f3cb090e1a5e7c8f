"""Adversarial autoencoders (Makhzani et al. 2016): an autoencoder whose code distribution is
matched to a prior by a discriminator on codes.

The generator slot holds `nets.AdversarialAutoencoder` (encoder + decoder), the discriminator
slot `nets.CodeDiscriminators`. Batches: {"x"} (unsupervised), {"x", "y"} (supervised),
{"x", "x_labeled", "y_labeled"} (semi-supervised), each with leading axis 1.
"""

import jax
import jax.numpy as jnp

from jaxgan import data
from jaxgan.games._core import (CRITIC, apply, check_batch, ema, example_keys, global_indices, mean_over_devices,
                                one_of, optional, player_update, positive_int, reject, step_key, weights)
from jaxgan.games._labeled import draws as prior_draws
from jaxgan.games._labeled import labeled_game, validate_cross_entropy
from jaxgan.latents import Prior
from jaxgan.losses import classification_loss, l2_loss, minimax_discriminator_loss, non_saturating_generator_loss
from jaxgan.nets.aae import AdversarialAutoencoder, CodeDiscriminators

MODES = ("unsupervised", "supervised", "semi_supervised")
BATCH_KEYS = {"unsupervised": ("x",), "supervised": ("x", "y"), "semi_supervised": ("x", "x_labeled", "y_labeled")}


def make_aae_step(*, mode, prior, adversarial_weight=1.0, class_weight=1.0, ema_decay=None, axis_name=None):
    """A step of an adversarial autoencoder (Makhzani et al. 2016).

    Per step:
      1. Regularization, discriminator side (Sec. 2): D separates prior draws ("real") from codes
         of the batch ("fake"): BCE. The style code's prior is N(0, I); in the semi-supervised
         variant a second D separates one-hot draws of Cat(K) from the encoder's softmax(y)
         (Sec. 5).
      2. One update of encoder and decoder on
           reconstruction ||x - dec(code)||^2 (per-pixel mean)
           + adversarial_weight * (-log D(enc(x)))   (the regularization phase's encoder side)
           [+ class_weight * cross-entropy of the encoder's class logits on the labeled batch,
            the semi-supervised classification phase].
         The decoder input is [one_hot(y), z] with the given label (supervised, Sec. 5: the label
         goes to the decoder, the code keeps the style), [softmax(y), z] (semi-supervised), or z.
    Deviation, flagged: the paper alternates the reconstruction, regularization and
    classification phases as separate SGD-momentum updates with their own learning rates; here
    they are one Adam update of the summed terms (same objective, one optimizer state).

    Args:
      mode: one of `MODES`.
      prior: `latents.Prior` (with `num_classes` > 0 unless unsupervised).

    Returns:
      `step(state, batch) -> (state, metrics)`; metrics `reconstruction`, `d_loss`, `g_loss`
      (encoder's adversarial term), `class_labeled` (semi-supervised), `d_total`.
    """
    if mode not in MODES:
        raise ValueError(f"AAE mode must be one of {MODES}, got {mode!r}")
    if mode != "unsupervised" and not prior.num_classes:
        raise ValueError(f"AAE mode {mode!r} needs a prior with num_classes > 0")
    game = f"aae_{mode}"

    def encode(state, params, x):
        return apply(state.generator, params, state.g_state, x, train=True, method="encode")[0]

    def codes(out):
        """The codes the discriminators see."""
        result = {"style": out["style"]}
        if mode == "semi_supervised":
            result["category"] = jax.nn.softmax(out["class_logits"])
        return result

    def prior_codes(drawn):
        result = {"style": drawn["z"]}
        if mode == "semi_supervised":
            result["category"] = jax.nn.one_hot(drawn["y"], prior.num_classes)
        return result

    def decoder_input(out, batch):
        if mode == "unsupervised":
            return out["style"]
        y = jax.nn.one_hot(batch["y"], prior.num_classes) if mode == "supervised" else jax.nn.softmax(out["class_logits"])
        return jnp.concatenate([y, out["style"]], axis=1)

    def adversarial_loss(logits_real, logits_fake, side):
        total = 0.0
        for name in logits_fake:
            total = total + (minimax_discriminator_loss(logits_real[name], logits_fake[name]) if side == "d"
                             else non_saturating_generator_loss(None, logits_fake[name]))
        return total

    def step(state, batch):
        check_batch(game, batch, BATCH_KEYS[mode], 1)
        batch = jax.tree.map(lambda x: x[0], batch)
        x = batch["x"]
        keys = example_keys(jax.random.fold_in(step_key(state), CRITIC), global_indices(x.shape[0], axis_name))
        drawn = prior_draws(prior, keys)
        fake_codes = jax.lax.stop_gradient(codes(encode(state, state.g_params, x)))

        def d_loss_fn(params):
            real_logits, d_state = apply(state.discriminator, params, state.d_state, prior_codes(drawn), train=True)
            fake_logits, d_state = apply(state.discriminator, params, d_state, fake_codes, train=True)
            return adversarial_loss(real_logits, fake_logits, "d"), d_state

        (d_value, d_state), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(state.d_params)
        d_params, d_opt_state = player_update(state.d_tx, d_grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)

        def g_loss_fn(params):
            out = encode(state, params, x)
            reconstruction = l2_loss(x, apply(state.generator, params, state.g_state, decoder_input(out, batch),
                                              train=True)[0])
            fake_logits, _ = apply(state.discriminator, d_params, d_state, codes(out), train=True)
            adversarial = adversarial_loss(None, fake_logits, "g")
            terms = {"reconstruction": reconstruction, "g_loss": adversarial}
            total = reconstruction + adversarial_weight * adversarial
            if mode == "semi_supervised":
                labeled = encode(state, params, batch["x_labeled"])
                terms["class_labeled"] = classification_loss(labeled["class_logits"], batch["y_labeled"])
                total = total + class_weight * terms["class_labeled"]
            return total, terms

        (_, terms), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state.g_params)
        g_params, g_opt_state = player_update(state.g_tx, g_grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        d_value, terms = mean_over_devices((d_value, terms), axis_name)
        state = state.replace(
            step=state.step + 1, d_params=d_params, d_state=d_state, d_opt_state=d_opt_state,
            g_params=g_params, g_opt_state=g_opt_state, ema_params=ema(ema_decay, state.ema_params, g_params))
        return state, {"d_loss": d_value, "d_total": d_value, **terms}

    return step


def _validate(config):
    game, m = config.game, config.model
    one_of(game.aae_mode, MODES, "game.aae_mode")
    for key in ("num_classes", "num_labeled", "labeled_batch_size"):
        positive_int(game[key], f"game.{key}")
    weights(game, ("adversarial_weight", "class_weight"), "game")
    validate_cross_entropy(config)
    reject(m.name != "mlp", f"game.name='aae' uses the paper's MLP encoder/decoder (model.name='mlp'), got {m.name!r}")
    reject(config.n_critic != 1,
           f"game.name='aae' makes one discriminator update per step; n_critic must be 1, got {config.n_critic}")
    reject(m.dtype != "float32",
           f"model.dtype={m.dtype!r}: the AAE networks compute in float32 only (game.name='aae')")


def _prior(config):
    classes = config.game.num_classes if config.game.aae_mode != "unsupervised" else 0
    return Prior(noise_dim=config.model.latent_dim, num_classes=classes)


def _models(config, axis_name=None):
    m, game = config.model, config.game
    generator = AdversarialAutoencoder(
        image_shape=data.example_shape(config.data), code_dim=m.latent_dim,
        num_classes=game.num_classes if game.aae_mode != "unsupervised" else 0,
        infer_class=game.aae_mode == "semi_supervised", hidden=tuple(m.g_hidden))
    return generator, CodeDiscriminators(hidden=tuple(m.d_hidden))


def _example(config):
    codes = {"style": jnp.zeros((1, config.model.latent_dim))}
    if config.game.aae_mode == "semi_supervised":
        codes["category"] = jnp.zeros((1, config.game.num_classes))
    return codes


def _step(config, axis_name=None):
    game = config.game
    return make_aae_step(mode=game.aae_mode, prior=_prior(config), adversarial_weight=game.adversarial_weight,
                         class_weight=game.class_weight, ema_decay=optional(config.ema_decay), axis_name=axis_name)


LABELS = {"unsupervised": "none", "supervised": "all", "semi_supervised": "subset"}

GAME = labeled_game(
    "aae",
    defaults={"game.aae_mode": "unsupervised", "game.adversarial_weight": 1.0, "game.class_weight": 1.0,
              "game.num_classes": 10, "game.num_labeled": 100, "game.labeled_batch_size": 100},
    validate=_validate, models=_models, step=_step, prior=_prior, example=_example,
    labels=lambda config: LABELS[config.game.aae_mode],
    evaluators=lambda config: ("autoencoder",) if config.game.aae_mode == "unsupervised" else ("class_accuracy",
                                                                                               "autoencoder"),
    batch_keys=lambda config: BATCH_KEYS[config.game.aae_mode])

"""Adversarial autoencoders (Makhzani et al. 2016): an autoencoder whose code distribution is
matched to a prior by a discriminator on codes.

The generator slot holds `nets.AdversarialAutoencoder` (encoder + decoder), the discriminator
slot `nets.CodeDiscriminators`. Batches: {"x"} (unsupervised), {"x", "y"} (supervised),
{"x", "x_labeled", "y_labeled"} (semi-supervised), each with leading axis 1.
"""

import jax
import jax.numpy as jnp

from jaxgan import data
from jaxgan.games._labeled import draws as prior_draws
from jaxgan.games._labeled import labeled_game, validate_cross_entropy
from jaxgan.games.settings import ema_settings, one_of, positive_int, reject, weights
from jaxgan.games.spec import Step
from jaxgan.games.steps import (
    CRITIC,
    apply,
    check_batch,
    example_keys,
    global_indices,
    mean_over_devices,
    player_update,
    step_key,
)
from jaxgan.latents import Prior
from jaxgan.losses import classification_loss, l2_loss, minimax_discriminator_loss, non_saturating_generator_loss
from jaxgan.nets.aae import AdversarialAutoencoder, CodeDiscriminators
from jaxgan.techniques import ema

MODES = ("unsupervised", "supervised", "semi_supervised")
BATCH_KEYS = {"unsupervised": ("x",), "supervised": ("x", "y"), "semi_supervised": ("x", "x_labeled", "y_labeled")}


def make_aae_step(*, mode, prior, adversarial_weight=1.0, class_weight=1.0, phased=False, ema_decay=None,
                  axis_name=None) -> Step:
    """A step of an adversarial autoencoder (Makhzani et al. 2016).

    Per step (`phased=False`, one update of the autoencoder per step):
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

    `phased=True` is the paper's training (Sec. 2 and 5: "the adversarial network and the
    autoencoder are trained jointly with SGD in two phases ... executed on each mini-batch", a
    third for the labeled mini-batch in Sec. 5): three updates of the autoencoder per step, in
    order, each from the parameters the previous one left and with its own optimizer state
    (`state.g_tx` is then `optimizers.phased_optimizer`, its rates per phase):
      1. reconstruction: encoder and decoder on the reconstruction error;
      2. regularization: D as above on the codes of the just-updated encoder, then the encoder
         on adversarial_weight * (-log D(enc(x))) against the updated D;
      3. classification (semi-supervised): the encoder on class_weight * the labeled batch's
         cross-entropy.

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
        y = (
            jax.nn.one_hot(batch["y"], prior.num_classes)
            if mode == "supervised"
            else jax.nn.softmax(out["class_logits"])
        )
        return jnp.concatenate([y, out["style"]], axis=1)

    def adversarial_loss(logits_real, logits_fake, side):
        total = 0.0
        for name in logits_fake:
            total = total + (minimax_discriminator_loss(logits_real[name], logits_fake[name]) if side == "d"
                             else non_saturating_generator_loss(None, logits_fake[name]))
        return total

    def reconstruction_loss(state, params, out, batch):
        decoded = apply(state.generator, params, state.g_state, decoder_input(out, batch), train=True)[0]
        return l2_loss(batch["x"], decoded)

    def encoder_adversarial_loss(state, d_params, d_state, out):
        return adversarial_loss(None, apply(state.discriminator, d_params, d_state, codes(out), train=True)[0], "g")

    def class_loss(state, params, batch):
        return classification_loss(encode(state, params, batch["x_labeled"])["class_logits"], batch["y_labeled"])

    def d_update(state, g_params, batch, drawn):
        """The regularization phase's discriminator update, on the codes `g_params` give."""
        fake_codes = jax.lax.stop_gradient(codes(encode(state, g_params, batch["x"])))

        def d_loss_fn(params):
            real_logits, d_state = apply(state.discriminator, params, state.d_state, prior_codes(drawn), train=True)
            fake_logits, d_state = apply(state.discriminator, params, d_state, fake_codes, train=True)
            return adversarial_loss(real_logits, fake_logits, "d"), d_state

        (d_value, d_state), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(state.d_params)
        d_params, d_opt_state = player_update(state.d_tx, d_grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)
        return d_value, d_params, d_state, d_opt_state

    def summed_update(state, batch, drawn):
        d_value, d_params, d_state, d_opt_state = d_update(state, state.g_params, batch, drawn)

        def g_loss_fn(params):
            out = encode(state, params, batch["x"])
            terms = {"reconstruction": reconstruction_loss(state, params, out, batch),
                     "g_loss": encoder_adversarial_loss(state, d_params, d_state, out)}
            total = terms["reconstruction"] + adversarial_weight * terms["g_loss"]
            if mode == "semi_supervised":
                terms["class_labeled"] = class_loss(state, params, batch)
                total = total + class_weight * terms["class_labeled"]
            return total, terms

        (_, terms), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state.g_params)
        g_params, g_opt_state = player_update(state.g_tx, g_grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        return g_params, g_opt_state, (d_value, d_params, d_state, d_opt_state), terms

    def phased_update(state, batch, drawn):
        def phase(name, term, weight, params, opt_state):
            """One phase's update on weight * term; returns the unweighted term."""
            def weighted(p):
                value = term(p)
                return weight * value, value

            (_, value), grads = jax.value_and_grad(weighted, has_aux=True)(params)
            params, opt_state = player_update(state.g_tx, {name: grads}, opt_state, params, axis_name=axis_name)
            return value, params, opt_state

        terms = {}
        terms["reconstruction"], g_params, g_opt_state = phase(
            "reconstruction", lambda p: reconstruction_loss(state, p, encode(state, p, batch["x"]), batch), 1.0,
            state.g_params, state.g_opt_state)
        d_value, d_params, d_state, d_opt_state = d_update(state, g_params, batch, drawn)
        terms["g_loss"], g_params, g_opt_state = phase(
            "regularization",
            lambda p: encoder_adversarial_loss(state, d_params, d_state, encode(state, p, batch["x"])),
            adversarial_weight,
            g_params,
            g_opt_state,
        )
        if mode == "semi_supervised":
            terms["class_labeled"], g_params, g_opt_state = phase(
                "classification", lambda p: class_loss(state, p, batch), class_weight, g_params, g_opt_state)
        return g_params, g_opt_state, (d_value, d_params, d_state, d_opt_state), terms

    def step(state, batch):
        check_batch(game, batch, BATCH_KEYS[mode], 1)
        batch = jax.tree.map(lambda x: x[0], batch)
        keys = example_keys(jax.random.fold_in(step_key(state), CRITIC), global_indices(batch["x"].shape[0], axis_name))
        drawn = prior_draws(prior, keys)
        update = phased_update if phased else summed_update
        g_params, g_opt_state, (d_value, d_params, d_state, d_opt_state), terms = update(state, batch, drawn)
        d_value, terms = mean_over_devices((d_value, terms), axis_name)
        state = state.replace(
            step=state.step + 1, d_params=d_params, d_state=d_state, d_opt_state=d_opt_state,
            g_params=g_params, g_opt_state=g_opt_state,
            ema_params=ema(ema_decay, state.ema_params, g_params, state.step + 1))
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
    for phase in ("regularization", "classification"):
        rate = game[f"{phase}_learning_rate"]
        reject(not rate >= 0, f"game.{phase}_learning_rate must be >= 0 (0: optimizer.g.learning_rate), got {rate}")
        reject(rate and not game.aae_phases,
               f"game.{phase}_learning_rate={rate} sets a phase's rate of the paper's phased training; "
               "it needs game.aae_phases=True")
    reject(game.classification_learning_rate and game.aae_mode != "semi_supervised",
           f"game.classification_learning_rate={game.classification_learning_rate}: only the semi_supervised mode "
           f"has a classification phase, got game.aae_mode={game.aae_mode!r}")


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
                         class_weight=game.class_weight, phased=game.aae_phases, ema_decay=ema_settings(config),
                         axis_name=axis_name)


def _generator_phases(config):
    """{phase: learning rate} of the phased training (`make_aae_step(phased=True)`), None
    without it; a rate of 0 in the config is optimizer.g's."""
    game = config.game
    if not game.aae_phases:
        return None
    base = config.optimizer.g.learning_rate
    phases = {"reconstruction": base, "regularization": game.regularization_learning_rate or base}
    if game.aae_mode == "semi_supervised":
        phases["classification"] = game.classification_learning_rate or base
    return phases


LABELS = {"unsupervised": "none", "supervised": "all", "semi_supervised": "subset"}

GAME = labeled_game(
    "aae",
    defaults={"game.aae_mode": "unsupervised", "game.adversarial_weight": 1.0, "game.class_weight": 1.0,
              "game.num_classes": 10, "game.num_labeled": 100, "game.labeled_batch_size": 100,
              "game.aae_phases": False, "game.regularization_learning_rate": 0.0,
              "game.classification_learning_rate": 0.0},
    validate=_validate, models=_models, step=_step, prior=_prior, example=_example,
    generator_phases=_generator_phases,
    labels=lambda config: LABELS[config.game.aae_mode],
    evaluators=lambda config: ("autoencoder",) if config.game.aae_mode == "unsupervised" else ("class_accuracy",
                                                                                               "autoencoder"),
    model_keys=("g_hidden", "d_hidden"))

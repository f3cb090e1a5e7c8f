"""Step factories for games with labels, codes or an autoencoder: CGAN, ACGAN, semi-supervised
GANs, InfoGAN (`make_game_step`) and adversarial autoencoders (`make_aae_step`).

They follow `jaxgan.steps.make_step`'s contract: `step(state, batch) -> (state, metrics)`, pure,
written for one global batch, randomness from `fold_in(state.key, state.step)` and per-example
keys folded with global example indices. The discriminator is an
`nets.AuxiliaryDiscriminator` returning a dict of logits; the generator takes `latents.Prior`
latents `[one_hot(y), c, z]`.

Batches (leading axis: critic update):
  cgan, acgan:     {"x": (n_critic, B, ...), "y": (n_critic, B) int}
  semi_supervised: {"x": unlabeled (n_critic, B, ...), "x_labeled": (n_critic, L, ...),
                    "y_labeled": (n_critic, L)}
  infogan:         {"x": (n_critic, B, ...)}
"""

import jax
import jax.numpy as jnp
import optax

from jaxgan.losses import (
    categorical_code_loss,
    classification_loss,
    feature_matching_loss,
    gaussian_code_loss,
    k_plus_one_discriminator_loss,
    l2_loss,
    minimax_discriminator_loss,
    non_saturating_generator_loss,
    salimans_discriminator_loss,
    update_debiased_ema,
)
from jaxgan.steps import (
    _CRITIC,
    _GENERATOR,
    NOISE_SALT,
    Penalty,
    _apply,
    _example_keys,
    _global_indices,
    _mean_over_devices,
    scan_or_unroll,
)

GAMES = ("cgan", "acgan", "semi_supervised", "infogan")
SEMI_SUPERVISED_LOSSES = {"k_plus_one": k_plus_one_discriminator_loss, "salimans": salimans_discriminator_loss}
G_OBJECTIVES = ("adversarial", "feature_matching")


def _draws(prior, keys):
    return jax.vmap(lambda k: prior.draw(jax.random.fold_in(k, 0)))(keys)


def _ema(ema_decay, ema_params, params):
    if ema_decay is None:
        return params
    return jax.tree.map(lambda e, p: ema_decay * e + (1.0 - ema_decay) * p, ema_params, params)


def _info_terms(out, draws, prior):
    """InfoGAN's -L_I terms (Chen et al. 2016, Eq. 5) for the codes the prior has."""
    terms = {}
    if prior.num_classes:
        terms["info_categorical"] = categorical_code_loss(out["code_logits"], draws["y"])
    if prior.continuous_codes:
        mean = out["code_mean"]
        terms["info_continuous"] = gaussian_code_loss(mean, jnp.zeros_like(mean), draws["c"])
    return terms


def make_game_step(
    *,
    game,
    prior,
    d_loss,
    g_loss,
    class_weight=1.0,
    info_weights=(1.0, 0.1),
    semi_supervised_head="k_plus_one",
    g_objective="adversarial",
    unlabeled_weight=1.0,
    d_average_decay=None,
    penalties=(),
    n_critic=1,
    ema_decay=None,
    joint_batches=False,
    axis_name=None,
):
    """A step for a GAN with labels or codes.

    game:
      "cgan" (Mirza & Osindero 2014, Eq. 2): D(x, y) and G(z, y); fake labels drawn uniformly.
        The adversarial losses are `d_loss` / `g_loss` (BCE: minimax + non-saturating).
      "acgan" (Odena et al. 2017, Eq. 1-2): D(x) -> (logit, class logits). D minimizes
        adversarial + w * (L_C(real) + L_C(fake)); G minimizes its adversarial loss + w * L_C(fake).
      "semi_supervised" (Odena 2016; Salimans et al. 2016, Sec. 5): D's classifier is trained on
        the labeled batch with `SEMI_SUPERVISED_LOSSES[semi_supervised_head]` (which also holds
        the unlabeled-real and fake terms); the unlabeled batch carries no labels. G uses
        `g_loss` on the derived real-vs-fake logit, or feature matching (Salimans Sec. 3.1) on
        D's last features of the unlabeled batch (`g_objective="feature_matching"`).
      "infogan" (Chen et al. 2016, Eq. 6): both players add
        info_weights[0] * (-log Q(c_cat | x)) + info_weights[1] * (-log Q(c_cont | x)),
        a fixed unit-variance Gaussian Q for continuous codes (the paper's choice).
    class_weight: w above (CGAN ignores it).
    unlabeled_weight: semi_supervised: the weight of the unlabeled-real and fake terms of D's
      loss (`salimans_discriminator_loss`; the Improved-GAN code uses 0.5).
    d_average_decay: semi_supervised: if set, `state.param_averages["d_ema"]` (from
      `create(..., d_average=True)`) follows D's parameters as a bias-corrected exponential moving
      average (`update_debiased_ema`, once per step after its n_critic updates); the Improved-GAN
      code tests its classifier with such an average (decay 0.9999, not bias-corrected: see that
      function).
    penalties: `Penalty` terms on the real-vs-fake logit (CGAN: conditioned on the batch labels).
    joint_batches: run D once on the concatenation of the batches it scores in an update (real,
      fake and labeled; one noise draw for all) instead of once per batch. The same function
      only for a discriminator without cross-example layers (no BatchNorm, minibatch features or
      packing), which `config` checks; XLA:CPU multiplies 300-row matrices about twice as fast
      per row as 100-row ones.

    Metrics: `d_loss` (the adversarial part, for semi_supervised the whole Salimans/Odena loss),
    `d_total`, `g_loss`, `real_logit`, `fake_logit`, and the game's terms (`class_real`,
    `class_fake`, `info_categorical`, `info_continuous`), averaged over critic updates.
    """
    if game not in GAMES:
        raise ValueError(f"game must be one of {GAMES}, got {game!r}")
    if g_objective not in G_OBJECTIVES:
        raise ValueError(f"g_objective must be one of {G_OBJECTIVES}, got {g_objective!r}")
    if semi_supervised_head not in SEMI_SUPERVISED_LOSSES:
        raise ValueError(f"semi_supervised_head must be one of {list(SEMI_SUPERVISED_LOSSES)}, got {semi_supervised_head!r}")
    if game in ("cgan", "acgan") and not prior.num_classes:
        raise ValueError(f"game {game!r} needs a prior with num_classes > 0")
    if int(n_critic) != n_critic or n_critic < 1:
        raise ValueError(f"n_critic must be a positive integer, got {n_critic!r}")
    if d_average_decay is not None and (game != "semi_supervised" or not 0.0 <= d_average_decay < 1.0):
        raise ValueError(f"d_average_decay (in [0, 1)) is for the semi_supervised game, got {d_average_decay!r} "
                         f"with game {game!r}")
    penalties = tuple(Penalty(*p) for p in penalties)
    conditioned = game == "cgan"
    cat_weight, cont_weight = info_weights

    def d_input(x, labels):
        return (x, labels) if conditioned else x

    def discriminate(state, params, collections, x, labels, noise):
        return _apply(state.discriminator, params, collections, d_input(x, labels), train=True, noise_key=noise)

    def discriminate_batches(state, params, collections, inputs, noise):
        """D's outputs for each (x, labels) of `inputs`: batch i draws its noise from
        fold_in(noise, i), or all from fold_in(noise, 0) in one pass with `joint_batches`."""
        if not joint_batches:
            outs = []
            for i, (x, labels) in enumerate(inputs):
                out, collections = discriminate(state, params, collections, x, labels, jax.random.fold_in(noise, i))
                outs.append(out)
            return outs, collections
        sizes = [x.shape[0] for x, _ in inputs]
        x = jnp.concatenate([x for x, _ in inputs])
        labels = jnp.concatenate([labels for _, labels in inputs]) if conditioned else None
        out, collections = discriminate(state, params, collections, x, labels, jax.random.fold_in(noise, 0))
        offsets = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
        return [jax.tree.map(lambda a: a[offsets[i]:offsets[i + 1]], out) for i in range(len(sizes))], collections

    def critic_update(state, carry, inputs):
        d_params, d_state, d_opt_state = carry
        batch, key = inputs
        real = batch["x"]
        keys = _example_keys(key, _global_indices(real.shape[0], axis_name))
        draws = _draws(prior, keys)
        fake, _ = _apply(state.generator, state.g_params, state.g_state, prior.latent(draws), train=True)
        fake = jax.lax.stop_gradient(fake)
        real_labels = batch.get("y")
        noise = jax.random.fold_in(key, NOISE_SALT)

        def loss_fn(params):
            inputs = [(real, real_labels), (fake, draws["y"])]
            if game == "semi_supervised":
                inputs.append((batch["x_labeled"], None))
            outs, collections = discriminate_batches(state, params, d_state, inputs, noise)
            real_out, fake_out = outs[:2]
            terms = {}
            if game == "semi_supervised":
                labeled_out = outs[2]
                adversarial = SEMI_SUPERVISED_LOSSES[semi_supervised_head](
                    labeled_out["class_logits"], batch["y_labeled"], real_out["class_logits"], fake_out["class_logits"],
                    unlabeled_weight=unlabeled_weight)
                logits = labeled_out["class_logits"]
                num_classes = logits.shape[1] - (semi_supervised_head == "k_plus_one")
                terms["class_labeled"] = classification_loss(logits[:, :num_classes], batch["y_labeled"])
                total = adversarial
            else:
                adversarial = d_loss(real_out["logit"], fake_out["logit"])
                total = adversarial
                if game == "acgan":
                    terms["class_real"] = classification_loss(real_out["class_logits"], real_labels)
                    terms["class_fake"] = classification_loss(fake_out["class_logits"], draws["y"])
                    total = total + class_weight * (terms["class_real"] + terms["class_fake"])
                if game == "infogan":
                    terms.update(_info_terms(fake_out, draws, prior))
                    total = total + _weighted_info(terms, cat_weight, cont_weight)
            for i, p in enumerate(penalties):
                critic = lambda x: discriminate(state, params, collections, x, real_labels, jax.random.fold_in(noise, 3))[0]["logit"]
                terms[p.name] = p.fn(critic, real, fake, key=jax.vmap(lambda k: jax.random.fold_in(k, 1 + i))(keys))
                total = total + p.weight * terms[p.name]
            metrics = {"d_loss": adversarial, "d_total": total, "real_logit": jnp.mean(real_out["logit"]),
                       "fake_logit": jnp.mean(fake_out["logit"]), **terms}
            return total, (collections, metrics)

        grads, (d_state, metrics) = jax.grad(loss_fn, has_aux=True)(d_params)
        grads, metrics = _mean_over_devices((grads, metrics), axis_name)
        updates, d_opt_state = state.d_tx.update(grads, d_opt_state, d_params)
        return (optax.apply_updates(d_params, updates), d_state, d_opt_state), metrics

    def average_critic(state, d_params):
        if d_average_decay is None:
            return state
        if "d_ema" not in state.param_averages:
            raise ValueError("d_average_decay needs a state from create(..., d_average=True)")
        count = state.step + 1  # averaged once per step, after its n_critic updates
        d_ema = update_debiased_ema(state.param_averages["d_ema"], d_params, d_average_decay, count)
        return state.replace(param_averages={**state.param_averages, "d_ema": d_ema})

    def generator_update(state, batch, key):
        real = batch["x"]
        keys = _example_keys(key, _global_indices(real.shape[0], axis_name))
        draws = _draws(prior, keys)
        noise = jax.random.fold_in(key, NOISE_SALT)

        def loss_fn(params):
            fake, g_state = _apply(state.generator, params, state.g_state, prior.latent(draws), train=True)
            (real_out, fake_out), _ = discriminate_batches(state, state.d_params, state.d_state,
                                                           [(real, batch.get("y")), (fake, draws["y"])], noise)
            terms = {}
            if g_objective == "feature_matching":
                loss = feature_matching_loss(jax.lax.stop_gradient(real_out["features"]), fake_out["features"])
            else:
                loss = g_loss(real_out["logit"], fake_out["logit"])
            if game == "acgan":
                loss = loss + class_weight * classification_loss(fake_out["class_logits"], draws["y"])
            if game == "infogan":
                terms = _info_terms(fake_out, draws, prior)
                loss = loss + _weighted_info(terms, cat_weight, cont_weight)
            return loss, g_state

        (loss, g_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.g_params)
        grads, loss = _mean_over_devices((grads, loss), axis_name)
        updates, g_opt_state = state.g_tx.update(grads, state.g_opt_state, state.g_params)
        g_params = optax.apply_updates(state.g_params, updates)
        return state.replace(g_params=g_params, g_state=g_state, g_opt_state=g_opt_state,
                             ema_params=_ema(ema_decay, state.ema_params, g_params)), loss

    def step(state, batch):
        _check_batch(game, batch, n_critic)
        step_key = jax.random.fold_in(state.key, state.step)
        critic_keys = jax.vmap(lambda c: jax.random.fold_in(jax.random.fold_in(step_key, _CRITIC), c))(jnp.arange(n_critic))
        (d_params, d_state, d_opt_state), critic_metrics = scan_or_unroll(
            lambda carry, inputs: critic_update(state, carry, inputs),
            (state.d_params, state.d_state, state.d_opt_state),
            (batch, critic_keys),
        )
        state = average_critic(state.replace(d_params=d_params, d_state=d_state, d_opt_state=d_opt_state), d_params)
        last = jax.tree.map(lambda x: x[-1], batch)
        state, g_loss_value = generator_update(state, last, jax.random.fold_in(step_key, _GENERATOR))
        metrics = jax.tree.map(jnp.mean, critic_metrics)
        metrics["g_loss"] = g_loss_value
        return state.replace(step=state.step + 1), metrics

    return step


def _weighted_info(terms, cat_weight, cont_weight):
    return cat_weight * terms.get("info_categorical", 0.0) + cont_weight * terms.get("info_continuous", 0.0)


BATCH_KEYS = {
    "cgan": ("x", "y"),
    "acgan": ("x", "y"),
    "semi_supervised": ("x", "x_labeled", "y_labeled"),
    "infogan": ("x",),
    "aae_unsupervised": ("x",),
    "aae_supervised": ("x", "y"),
    "aae_semi_supervised": ("x", "x_labeled", "y_labeled"),
}


def _check_batch(game, batch, n_critic):
    want = BATCH_KEYS[game]
    if sorted(batch) != sorted(want):
        raise ValueError(f"game {game!r} takes a batch with keys {list(want)}, got {sorted(batch)}")
    for name in want:
        if batch[name].shape[0] != n_critic:
            raise ValueError(f"batch[{name!r}] must have leading axis n_critic={n_critic}, got shape {batch[name].shape}")
    for name in ("y", "y_labeled"):
        if name in batch and not jnp.issubdtype(batch[name].dtype, jnp.integer):
            raise TypeError(f"batch[{name!r}] must hold integer class labels, got dtype {batch[name].dtype}")


AAE_MODES = ("unsupervised", "supervised", "semi_supervised")


def make_aae_step(*, mode, prior, adversarial_weight=1.0, class_weight=1.0, ema_decay=None, axis_name=None):
    """A step of an adversarial autoencoder (Makhzani et al. 2016).

    The generator slot holds `nets.AdversarialAutoencoder` (encoder + decoder), the discriminator
    slot `nets.CodeDiscriminators`. Per step:
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

    Batches: {"x"} (unsupervised), {"x", "y"} (supervised), {"x", "x_labeled", "y_labeled"}
    (semi-supervised). Metrics: `reconstruction`, `d_loss`, `g_loss` (encoder's adversarial
    term), `class_labeled` (semi-supervised), `d_total`.
    """
    if mode not in AAE_MODES:
        raise ValueError(f"AAE mode must be one of {AAE_MODES}, got {mode!r}")
    if mode != "unsupervised" and not prior.num_classes:
        raise ValueError(f"AAE mode {mode!r} needs a prior with num_classes > 0")
    game = f"aae_{mode}"

    def encode(state, params, x):
        return _apply(state.generator, params, state.g_state, x, train=True, method="encode")[0]

    def codes(out):
        """The codes the discriminators see."""
        result = {"style": out["style"]}
        if mode == "semi_supervised":
            result["category"] = jax.nn.softmax(out["class_logits"])
        return result

    def prior_codes(draws):
        result = {"style": draws["z"]}
        if mode == "semi_supervised":
            result["category"] = jax.nn.one_hot(draws["y"], prior.num_classes)
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
        _check_batch(game, batch, 1)
        batch = jax.tree.map(lambda x: x[0], batch)
        x = batch["x"]
        step_key = jax.random.fold_in(state.key, state.step)
        keys = _example_keys(jax.random.fold_in(step_key, _CRITIC), _global_indices(x.shape[0], axis_name))
        draws = _draws(prior, keys)
        fake_codes = jax.lax.stop_gradient(codes(encode(state, state.g_params, x)))

        def d_loss_fn(params):
            real_logits, d_state = _apply(state.discriminator, params, state.d_state, prior_codes(draws), train=True)
            fake_logits, d_state = _apply(state.discriminator, params, d_state, fake_codes, train=True)
            return adversarial_loss(real_logits, fake_logits, "d"), d_state

        (d_value, d_state), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(state.d_params)
        d_grads, d_value = _mean_over_devices((d_grads, d_value), axis_name)
        d_updates, d_opt_state = state.d_tx.update(d_grads, state.d_opt_state, state.d_params)
        d_params = optax.apply_updates(state.d_params, d_updates)

        def g_loss_fn(params):
            out = encode(state, params, x)
            reconstruction = l2_loss(x, _apply(state.generator, params, state.g_state, decoder_input(out, batch), train=True)[0])
            fake_logits, _ = _apply(state.discriminator, d_params, d_state, codes(out), train=True)
            adversarial = adversarial_loss(None, fake_logits, "g")
            terms = {"reconstruction": reconstruction, "g_loss": adversarial}
            total = reconstruction + adversarial_weight * adversarial
            if mode == "semi_supervised":
                labeled = encode(state, params, batch["x_labeled"])
                terms["class_labeled"] = classification_loss(labeled["class_logits"], batch["y_labeled"])
                total = total + class_weight * terms["class_labeled"]
            return total, terms

        (g_total, terms), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state.g_params)
        g_grads, terms = _mean_over_devices((g_grads, terms), axis_name)
        g_updates, g_opt_state = state.g_tx.update(g_grads, state.g_opt_state, state.g_params)
        g_params = optax.apply_updates(state.g_params, g_updates)
        state = state.replace(
            step=state.step + 1, d_params=d_params, d_state=d_state, d_opt_state=d_opt_state,
            g_params=g_params, g_opt_state=g_opt_state, ema_params=_ema(ema_decay, state.ema_params, g_params))
        return state, {"d_loss": d_value, "d_total": d_value, **terms}

    return step

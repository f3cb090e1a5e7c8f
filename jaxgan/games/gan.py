"""The unconditional GAN (Goodfellow et al. 2014) and its variants that change only the losses,
the critic's constraint or the update schedule: WGAN (clipping, n_critic), WGAN-GP / LP / div,
DRAGAN, R1 / R2, LSGAN, hinge, RSGAN / RaGAN, historical averaging, PacGAN (packing, with the
generator's BatchNorm per pack slot), and simultaneous updates (ALI's and PacGAN's code).

`make_gan_step(...)` returns `step(state, batch) -> (state, metrics)` where
`batch = {"x": real}` with `real` of shape (n_critic, B, ...): critic update c uses `real[c]`.
The step is written for one (global) batch with no collectives; `jaxgan.parallel` compiles it
(single device, jit over a sharded mesh, or pmap). Only the pmap form needs collectives, and
passes `axis_name` for them.
"""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan.games.settings import config_losses, config_penalties, ema_settings, one_of, optional, reject
from jaxgan.games.spec import Game, Step, plain_game
from jaxgan.games.steps import (
    AUGMENT_FAKE,
    AUGMENT_PENALTY,
    AUGMENT_REAL,
    CONSISTENCY_FAKE,
    CONSISTENCY_REAL,
    LATENT_PERTURBATION,
    NOISE_SALT,
    Penalty,
    apply,
    check_critic_updates,
    critic_keys,
    example_keys,
    generator_key,
    global_indices,
    latents,
    mean_over_devices,
    normal_latent,
    player_update,
    salted,
    scan_or_unroll,
    step_key,
)
from jaxgan.techniques import (
    AdaSchedule,
    Augment,
    Consistency,
    EMARampup,
    LeCam,
    ada_schedule,
    augment_settings,
    check_ema,
    clip_weights,
    consistency_settings,
    ema,
    historical_average_penalty,
    initial_extras,
    lecam_settings,
    per_slot,
    update_running_average,
)
from jaxgan.techniques.ada import accumulate_signs, adjust_p
from jaxgan.techniques.consistency import consistency_gap, generator_diversity, latent_perturbation
from jaxgan.techniques.lecam import lecam_active, lecam_penalty, update_anchors

PACKING_BN = ("joint", "per_slot")
UPDATES = ("alternating", "simultaneous")


def make_gan_step(
    *,
    d_loss: Callable,
    g_loss: Callable,
    penalties: Sequence[Penalty] = (),
    n_critic: int = 1,
    clip_bound: float | None = None,
    ema_decay: float | EMARampup | None = None,
    historical_averaging: float | None = None,
    sample_latent: Callable = normal_latent,
    generator_slots: int = 1,
    simultaneous: bool = False,
    augment: Augment | None = None,
    ada: AdaSchedule | None = None,
    lecam: LeCam | None = None,
    consistency: Consistency | None = None,
    generator_terms: Callable | None = None,
    axis_name: str | None = None,
) -> Step:
    """Compose a GAN training step.

    Args:
      d_loss, g_loss: adversarial losses `loss(real_logits, fake_logits) -> scalar`
        (`jaxgan.losses`).
      penalties: `Penalty(name, fn, weight)` terms added to the critic loss, each
        `fn(critic, real, fake, key=per_example_keys)`.
      n_critic: critic updates per generator update (WGAN: 5), run by `scan_or_unroll` inside the
        step; the batch carries one real slice per critic update.
      clip_bound: if set, clip every critic parameter to [-c, c] after each critic update (WGAN).
      ema_decay: if set, `ema <- decay * ema + (1 - decay) * g_params` after each G update; an
        `EMARampup` ramps the decay up over the first updates.
      historical_averaging: if set, a weight w: each player's loss gets
        w * ||theta - mean of its past theta||^2 (Salimans et al. 2016, Sec. 3.3); the state
        must come from `create(..., track_param_averages=True)`.
      sample_latent: `sample_latent(key, shape) -> z`, the prior (default N(0, I)).
      generator_slots: m > 1: the generator runs on each of the m pack slots' examples on their
        own (`techniques.per_slot`), so its BatchNorm normalizes each slot separately, as
        PacGAN's code applies its generator to m latent batches (Lin et al. 2018; fjxmlzn/PacGAN).
      simultaneous: both players' gradients at the step's starting parameters, on the same real
        batch and the same latents, applied together (ALI's `ali_algorithm`, which PacGAN's
        code trains with; Dumoulin et al. 2017). False: D is updated first and G's gradient is
        taken through the updated D (alternating). Needs n_critic = 1.
      augment: T of every image D sees (`techniques.Augment`: DiffAugment, ADA): D(T(x)) and
        D(T(G(z))) in both players' losses, and D o T inside the penalties.
      ada: ADA's adjustment of p (`techniques.AdaSchedule`), for an `augment` with an ADA
        pipeline; p and the sign statistic are `state.extras["ada"]` (`techniques.initial_extras`).
      lecam: LeCam regularization (`techniques.LeCam`), anchors in `state.extras["lecam"]`.
      consistency: CR / bCR / zCR (`techniques.Consistency`).
      generator_terms: `terms(state, g_params, z, fake) -> (added, {name: value})`: a game's own
        terms of the generator's loss (`added`, already weighted), differentiated with G's
        parameters, e.g. ClusterGAN's latent recovery through an encoder in the generator slot
        (`games.clustergan`); its values become metrics. Per-example means, so equal on every
        device layout.
      axis_name: only for `jax.pmap`: the mapped axis; gradients, metrics and example indices
        are then global. Use `jaxgan.parallel.pmap_step`, which sets it.

    Returns:
      `step(state, batch) -> (state, metrics)`, pure. Metrics (scalars): `d_loss` (adversarial
      part, averaged over critic updates), one entry per penalty (unweighted), `d_total`,
      `g_loss`, `real_logit`, `fake_logit`, and `historical_average` (the critic's) when enabled;
      with the data-efficient techniques `ada_p` (after the step), `ada_signs` (the mean of
      sign(D(T(real))) of the step's critic updates), `lecam` (unweighted), `cr_real`, `cr_fake`,
      `zcr_d` and `zcr_g` (unweighted); the `generator_terms`' values.
    """
    check_critic_updates(n_critic)
    if simultaneous and n_critic != 1:
        raise ValueError(f"simultaneous updates take one critic update per step, got n_critic={n_critic}")
    if int(generator_slots) != generator_slots or generator_slots < 1:
        raise ValueError(f"generator_slots must be a positive integer, got {generator_slots!r}")
    if clip_bound is not None and not clip_bound > 0:
        raise ValueError(f"clip_bound must be positive or None, got {clip_bound!r}")
    if historical_averaging is not None and not historical_averaging > 0:
        raise ValueError(f"historical_averaging must be a positive weight or None, got {historical_averaging!r}")
    check_ema(ema_decay)
    penalties = tuple(Penalty(*p) for p in penalties)
    names = [p.name for p in penalties]
    if ada is not None and not (augment is not None and augment.ada_pipeline):
        raise ValueError("an ADA schedule needs an augment with an ADA pipeline")
    reserved = {"d_loss", "d_total", "g_loss", "real_logit", "fake_logit", "historical_average", "lecam", "cr_real",
                "cr_fake", "zcr_d", "zcr_g", "ada_p", "ada_signs"}
    if len(set(names)) != len(names) or reserved & set(names):
        raise ValueError(f"penalty names must be unique and not one of {sorted(reserved)}, got {names}")

    def generator_pass(state, params, z):
        run = lambda inputs: apply(state.generator, params, state.g_state, inputs, train=True)
        return per_slot(run, z, generator_slots) if generator_slots > 1 else run(z)

    def seen(images, keys, salt, extras):
        """What D sees of `images`: T(images) under `augment`, the same for any batch split."""
        if augment is None:
            return images
        return augment(salted(keys, salt), images, extras["ada"]["p"] if "ada" in extras else 0.0)

    def critic_update(state, carry, inputs):
        d_params, d_state, d_opt_state, d_average, extras = carry
        real, key, update_index = inputs
        keys = example_keys(key, global_indices(real.shape[0], axis_name))
        z = latents(state, keys, sample_latent)
        fake, _ = generator_pass(state, state.g_params, z)
        fake = lax.stop_gradient(fake)
        real_seen, fake_seen = seen(real, keys, AUGMENT_REAL, extras), seen(fake, keys, AUGMENT_FAKE, extras)
        if consistency is not None and consistency.latent_d:
            perturbed = latent_perturbation(salted(keys, LATENT_PERTURBATION), z, consistency.latent_std)
            fake_perturbed = seen(lax.stop_gradient(generator_pass(state, state.g_params, perturbed)[0]), keys,
                                  AUGMENT_FAKE, extras)

        noise = jax.random.fold_in(key, NOISE_SALT)

        def loss_fn(params):
            real_logits, collections = apply(state.discriminator, params, d_state, real_seen, train=True,
                                             noise_key=jax.random.fold_in(noise, 0))
            fake_logits, collections = apply(state.discriminator, params, collections, fake_seen, train=True,
                                             noise_key=jax.random.fold_in(noise, 1))
            adversarial = d_loss(real_logits, fake_logits)
            judge = lambda x: apply(state.discriminator, params, collections, x, train=True,
                                    noise_key=jax.random.fold_in(noise, 2))[0]
            critic = judge if augment is None else (lambda x: judge(seen(x, keys, AUGMENT_PENALTY, extras)))
            terms = {
                p.name: p.fn(critic, real, fake, key=jax.vmap(lambda k: jax.random.fold_in(k, 1 + i))(keys))
                for i, p in enumerate(penalties)
            }
            total = adversarial + sum(p.weight * terms[p.name] for p in penalties)
            if historical_averaging is not None:
                terms["historical_average"] = historical_average_penalty(params, d_average)
                total = total + historical_averaging * terms["historical_average"]
            updated = dict(extras)
            if lecam is not None:
                updated["lecam"] = update_anchors(extras["lecam"], real_logits, fake_logits, decay=lecam.decay,
                                                  start=lecam.start, axis_name=axis_name)
                terms["lecam"] = lecam_penalty(real_logits, fake_logits, updated["lecam"], one_sided=lecam.one_sided)
                weight = jnp.where(lecam_active(updated["lecam"], lecam.start), lecam.weight, 0.0)
                total = total + weight * terms["lecam"]
            if consistency is not None:
                regularizers = (
                    ("cr_real", consistency.real,
                     lambda: judge(consistency.augmented(salted(keys, CONSISTENCY_REAL), real_seen)), real_logits),
                    ("cr_fake", consistency.fake,
                     lambda: judge(consistency.augmented(salted(keys, CONSISTENCY_FAKE), fake_seen)), fake_logits),
                    ("zcr_d", consistency.latent_d, lambda: judge(fake_perturbed), fake_logits),
                )
                for name, weight, other, logits in regularizers:
                    if weight:
                        terms[name] = consistency_gap(logits, other())
                        total = total + weight * terms[name]
            if "ada" in extras:
                updated["ada"] = accumulate_signs(extras["ada"], real_logits, axis_name)
            metrics = {
                "d_loss": adversarial,
                "d_total": total,
                "real_logit": jnp.mean(real_logits),
                "fake_logit": jnp.mean(fake_logits),
                **terms,
            }
            return total, (collections, updated, metrics)

        grads, (d_state, extras, metrics) = jax.grad(loss_fn, has_aux=True)(d_params)
        d_params, d_opt_state = player_update(state.d_tx, grads, d_opt_state, d_params, axis_name=axis_name)
        if clip_bound is not None:
            d_params = clip_weights(d_params, bound=clip_bound)
        if historical_averaging is not None:  # the mean of update_index + 1 parameter vectors
            d_average = update_running_average(d_average, d_params, update_index + 1)
        return (d_params, d_state, d_opt_state, d_average, extras), mean_over_devices(metrics, axis_name)

    def generator_update(state, real, key):
        keys = example_keys(key, global_indices(real.shape[0], axis_name))
        z = latents(state, keys, sample_latent)

        noise = jax.random.fold_in(key, NOISE_SALT)
        real_seen = seen(real, keys, AUGMENT_REAL, state.extras)
        latent_g = consistency is not None and consistency.latent_g
        if latent_g:
            perturbed = latent_perturbation(salted(keys, LATENT_PERTURBATION), z, consistency.latent_std)

        def loss_fn(params):
            fake, g_state = generator_pass(state, params, z)
            fake_logits, _ = apply(state.discriminator, state.d_params, state.d_state,
                                   seen(fake, keys, AUGMENT_FAKE, state.extras), train=True,
                                   noise_key=jax.random.fold_in(noise, 1))
            real_logits, _ = apply(state.discriminator, state.d_params, state.d_state, real_seen, train=True,
                                   noise_key=jax.random.fold_in(noise, 0))
            loss = g_loss(real_logits, fake_logits)
            if historical_averaging is not None:
                loss = loss + historical_averaging * historical_average_penalty(params, state.param_averages["g"])
            diversity = generator_diversity(fake, generator_pass(state, params, perturbed)[0]) if latent_g else 0.0
            added, terms = generator_terms(state, params, z, fake) if generator_terms is not None else (0.0, {})
            total = loss - (consistency.latent_g * diversity if latent_g else 0.0) + added
            return total, (g_state, loss, diversity, terms)

        (_, (g_state, loss, diversity, terms)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.g_params)
        g_params, g_opt_state = player_update(state.g_tx, grads, state.g_opt_state, state.g_params, axis_name=axis_name)
        state = state.replace(g_params=g_params, g_state=g_state, g_opt_state=g_opt_state,
                              ema_params=ema(ema_decay, state.ema_params, g_params, state.step + 1))
        if historical_averaging is not None:
            g_average = update_running_average(state.param_averages["g"], g_params, state.step + 2)
            state = state.replace(param_averages={**state.param_averages, "g": g_average})
        return state, mean_over_devices({"g_loss": loss, **({"zcr_g": diversity} if latent_g else {}), **terms},
                                        axis_name)

    def step(state, batch):
        real = batch["x"]
        if real.ndim < 2 or real.shape[0] != n_critic:
            raise ValueError(
                f"batch['x'] must have shape (n_critic={n_critic}, B, ...), got {real.shape}"
            )
        if historical_averaging is not None and not state.param_averages:
            raise ValueError("historical_averaging needs a state from create(..., track_param_averages=True)")
        key = step_key(state)
        # Critic update c of this step is the critic's (step * n_critic + c + 1)-th update overall.
        update_index = state.step * n_critic + jnp.arange(n_critic) + 1
        d_average = state.param_averages.get("d", {})
        keys = critic_keys(key, n_critic)
        (d_params, d_state, d_opt_state, d_average, extras), critic_metrics = scan_or_unroll(
            lambda carry, inputs: critic_update(state, carry, inputs),
            (state.d_params, state.d_state, state.d_opt_state, d_average, state.extras),
            (real, keys, update_index),
        )
        if simultaneous:  # G's gradient through the D it played against, on the critic's latents
            state, g_metrics = generator_update(state, real[-1], keys[-1])
        state = state.replace(d_params=d_params, d_state=d_state, d_opt_state=d_opt_state, extras=extras)
        if historical_averaging is not None:
            state = state.replace(param_averages={**state.param_averages, "d": d_average})
        if not simultaneous:
            state, g_metrics = generator_update(state, real[-1], generator_key(key))
        metrics = {**jax.tree.map(jnp.mean, critic_metrics), **g_metrics}
        if "ada" in state.extras:
            images_per_step = real.shape[0] * real.shape[1] * (1 if axis_name is None else lax.psum(1, axis_name))
            metrics["ada_signs"] = state.extras["ada"]["signs"] / jnp.maximum(state.extras["ada"]["count"], 1.0)
            if ada is not None:
                state = state.replace(extras={**state.extras, "ada": adjust_p(
                    state.extras["ada"], state.step + 1, target=ada.target, interval=ada.interval,
                    images_per_step=images_per_step, kimg=ada.kimg)})
            metrics["ada_p"] = state.extras["ada"]["p"]
        return state.replace(step=state.step + 1), metrics

    return step


def _step(config, axis_name=None):
    d_loss, g_loss = config_losses(config)
    slots = config.model.packing if config.game.packing_bn == "per_slot" else 1
    group = config.techniques
    return make_gan_step(d_loss=d_loss, g_loss=g_loss, penalties=config_penalties(config), n_critic=config.n_critic,
                         clip_bound=optional(config.clip_bound), ema_decay=ema_settings(config),
                         historical_averaging=optional(config.historical_averaging), generator_slots=slots,
                         simultaneous=config.game.updates == "simultaneous", augment=augment_settings(group),
                         ada=ada_schedule(group), lecam=lecam_settings(group),
                         consistency=consistency_settings(group), axis_name=axis_name)


def _validate(config):
    one_of(config.game.packing_bn, PACKING_BN, "game.packing_bn")
    one_of(config.game.updates, UPDATES, "game.updates")
    reject(config.game.updates == "simultaneous" and config.n_critic != 1,
           f"game.updates='simultaneous' takes one critic update per step; n_critic must be 1, got {config.n_critic}")


GAME: Game = plain_game(
    "gan", step=_step, validate=_validate,
    defaults={"game.packing_bn": "joint", "game.updates": "alternating"},
    techniques=("gradient_penalties", "packing", "clipping", "historical_averaging", "minibatch_discrimination",
                "minibatch_std", "spectral_norm", "diffaugment", "ada", "lecam", "consistency"),
    extras=lambda config: initial_extras(config.techniques) or None,
    state_options=lambda config: {"track_param_averages": config.historical_averaging > 0})

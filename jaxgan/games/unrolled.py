"""Unrolled GAN (Metz, Poole, Pfau & Sohl-Dickstein 2017, "Unrolled Generative Adversarial
Networks", Sec. 2, Eq. 4-6; the authors' 2D code, poolio/unrolled_gan): the generator's loss is
taken against the discriminator as it would be after K more steps of its own optimizer on the
same batch, and differentiated through those K steps, so G is scored by how D would answer its
move rather than by D's current state. It damps mode collapse on the 2D mixtures.

Batches: {"x": (1, B, ...)}; the generator is an unconditional one, D any critic without
batch-coupled layers in its parameters' path (its collections, e.g. BatchNorm statistics, are
held fixed during the unrolled steps).
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax
from jax import lax

from jaxgan.games.settings import config_losses, ema_settings, reject
from jaxgan.games.spec import Game, Step, plain_game
from jaxgan.games.steps import (
    GENERATOR,
    apply,
    check_batch,
    example_keys,
    global_indices,
    latents,
    mean_over_devices,
    normal_latent,
    player_update,
    step_key,
)
from jaxgan.techniques import ema

BATCH_KEYS = ("x",)


def make_unrolled_step(*, d_loss: Callable, g_loss: Callable, unroll_steps: int = 5, ema_decay: float | None = None,
                       sample_latent: Callable = normal_latent, axis_name: str | None = None) -> Step:
    """An unrolled GAN step (Metz et al. 2017). On one batch (real x, latents z):

      theta_D^0 = D's parameters, s^0 its optimizer state;
      theta_D^{k+1}, s^{k+1} = the optimizer's step on d_loss(D(x), D(G(z))) from theta_D^k, s^k  (Eq. 4)
      D's update: theta_D^1, s^1 (its ordinary step);
      G's update: the gradient of g_loss(D_{theta_D^K}(x), D_{theta_D^K}(G(z))) with respect to
        G's parameters, through all K steps (the surrogate f_K of Eq. 5 and its gradient, Eq. 6).

    Both updates start from the step's parameters, as in the authors' code (their D and G train
    ops run together): D's first unrolled step is its own update. `unroll_steps=0` is that
    simultaneous GAN step. The unrolled steps use D's optimizer (`state.d_tx`, e.g. Adam with its
    moments) and the same x and z; under pmap their gradients are averaged over devices like D's.

    Args:
      d_loss, g_loss: adversarial losses on logits (`jaxgan.losses`); the authors' G minimizes
        -d_loss (`loss="minimax"`).
      unroll_steps: K >= 0.
      ema_decay, sample_latent, axis_name: as `make_gan_step`.

    Returns:
      `step(state, batch) -> (state, metrics)`; metrics `d_loss`, `g_loss` (against theta_D^K),
      `real_logit`, `fake_logit`.
    """
    if int(unroll_steps) != unroll_steps or unroll_steps < 0:
        raise ValueError(f"unroll_steps must be an integer >= 0, got {unroll_steps!r}")

    def discriminator_loss(state, d_params, real, fake):
        real_logits, _ = apply(state.discriminator, d_params, state.d_state, real, train=True)
        fake_logits, _ = apply(state.discriminator, d_params, state.d_state, fake, train=True)
        return d_loss(real_logits, fake_logits), (real_logits, fake_logits)

    def unrolled(state, real, fake):
        """theta_D^K from theta_D^0 and its optimizer state, differentiable in `fake`."""
        params, opt_state = state.d_params, state.d_opt_state
        for _ in range(unroll_steps):
            grads = jax.grad(lambda p: discriminator_loss(state, p, real, fake)[0])(params)
            updates, opt_state = state.d_tx.update(mean_over_devices(grads, axis_name), opt_state, params)
            params = optax.apply_updates(params, updates)
        return params

    def step(state, batch):
        check_batch("unrolled", batch, BATCH_KEYS, 1)
        real = batch["x"][0]
        keys = example_keys(jax.random.fold_in(step_key(state), GENERATOR), global_indices(real.shape[0], axis_name))
        z = latents(state, keys, sample_latent)
        fake, _ = apply(state.generator, state.g_params, state.g_state, z, train=True)

        (d_value, (real_logits, fake_logits)), d_grads = jax.value_and_grad(
            lambda p: discriminator_loss(state, p, real, lax.stop_gradient(fake)), has_aux=True)(state.d_params)
        d_params, d_opt_state = player_update(state.d_tx, d_grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)

        def g_loss_fn(params):
            images, g_state = apply(state.generator, params, state.g_state, z, train=True)
            d_k = unrolled(state, real, images)
            real_k, _ = apply(state.discriminator, d_k, state.d_state, real, train=True)
            fake_k, _ = apply(state.discriminator, d_k, state.d_state, images, train=True)
            return g_loss(real_k, fake_k), g_state

        (g_value, g_state), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state.g_params)
        g_params, g_opt_state = player_update(state.g_tx, g_grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        state = state.replace(step=state.step + 1, d_params=d_params, d_opt_state=d_opt_state, g_params=g_params,
                              g_state=g_state, g_opt_state=g_opt_state,
                              ema_params=ema(ema_decay, state.ema_params, g_params, state.step + 1))
        metrics = {"d_loss": d_value, "g_loss": g_value, "real_logit": jnp.mean(real_logits),
                   "fake_logit": jnp.mean(fake_logits)}
        return state, mean_over_devices(metrics, axis_name)

    return step


def _validate(config):
    k = config.game.unroll_steps
    reject(int(k) != k or k < 0, f"game.unroll_steps must be an integer >= 0, got {k!r}")
    reject(config.n_critic != 1, f"game.name='unrolled' makes one discriminator update per step (its unrolled steps "
                                 f"are game.unroll_steps); n_critic must be 1, got {config.n_critic}")


def _step(config, axis_name=None):
    d_loss, g_loss = config_losses(config)
    return make_unrolled_step(d_loss=d_loss, g_loss=g_loss, unroll_steps=config.game.unroll_steps,
                              ema_decay=ema_settings(config), axis_name=axis_name)


GAME: Game = plain_game("unrolled", step=_step, defaults={"game.unroll_steps": 5}, validate=_validate)

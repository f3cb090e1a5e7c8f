"""BEGAN (Berthelot, Schumm & Metz 2017, arXiv:1703.10717): the discriminator is an autoencoder;
the game matches the distributions of its reconstruction errors on real and generated images,
and a proportional controller, k_t, keeps E[L(G(z))] = gamma E[L(x)], gamma being the
diversity ratio. M_global, the paper's convergence measure, is a metric of every step.

Batches: {"x": (1, B, ...)}. The discriminator slot holds an autoencoder returning
{"reconstruction", "code"} (`nets.BEGANAutoencoder`, or `nets.LucicAutoencoder` on Lucic et
al.'s networks); k_t is the game's extra state, `state.extras["k"]`, checkpointed with the rest.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan.games.settings import ema_settings, one_of, reject
from jaxgan.games.spec import Game, Step, plain_game
from jaxgan.games.steps import (
    CRITIC,
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
from jaxgan.losses import (
    autoencoder_error,
    boundary_equilibrium_discriminator_loss,
    boundary_equilibrium_generator_loss,
)
from jaxgan.nets.began import autoencoder
from jaxgan.techniques import ema

BATCH_KEYS = ("x",)
NETWORKS = ("began", "lucic")


def equilibrium_update(k: jax.Array, real_error: jax.Array, fake_error: jax.Array, *, gamma: float,
                       lambda_k: float) -> jax.Array:
    """The proportional control of k (arXiv:1703.10717): k_{t+1} = k_t + lambda_k (gamma L(x) -
    L(G(z_G))), kept in [0, 1] (the paper's k_t in [0, 1]), from the batch means L."""
    return jnp.clip(k + lambda_k * (gamma * real_error - fake_error), 0.0, 1.0)


def convergence_measure(real_error: jax.Array, fake_error: jax.Array, *, gamma: float) -> jax.Array:
    """M_global = L(x) + |gamma L(x) - L(G(z_G))| (arXiv:1703.10717): low when the autoencoder
    reconstructs the data well and the game is at its equilibrium E[L(G(z))] = gamma E[L(x)]."""
    return real_error + jnp.abs(gamma * real_error - fake_error)


def make_began_step(*, gamma: float = 0.5, lambda_k: float = 0.001, exponent: float = 1,
                    ema_decay: float | None = None, sample_latent: Callable = normal_latent,
                    axis_name: str | None = None) -> Step:
    """A BEGAN step (Berthelot et al. 2017, arXiv:1703.10717): one discriminator update on
    L_D = L(x) - k_t L(G(z_D)), then one generator update, against the updated D, on
    L_G = L(G(z_G)), then k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1), with
    L(v) the autoencoder's per-example error |v - D(v)|^eta averaged over the pixels
    (`losses.autoencoder_error`) and averaged over the (global) batch. L(x) is the one D's update
    saw and L(G(z_G)) the generator's loss; z_D and z_G are independent draws. All three are
    batch means, so under pmap they are averaged over the devices and the step equals the
    single-device one.

    Args:
      gamma: the diversity ratio E[L(G(z))] / E[L(x)] the control aims at, in (0, 1].
      lambda_k: the proportional gain (the paper: 0.001).
      exponent: eta, 1 (L1, the paper's) or 2.
      ema_decay, sample_latent, axis_name: as `make_gan_step`.

    Returns:
      `step(state, batch) -> (state, metrics)`; `state.extras["k"]` holds k_t. Metrics `d_loss`,
      `g_loss`, `real_error` (L(x)), `fake_error` (L(G(z_D)), as D's update saw it), `k` (the k_t
      the step used), `balance` (gamma L(x) - L(G(z_G))) and `convergence` (M_global).
    """
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma must be in (0, 1], got {gamma!r}")
    if not lambda_k >= 0:
        raise ValueError(f"lambda_k must be >= 0, got {lambda_k!r}")
    if exponent not in (1, 2):
        raise ValueError(f"exponent must be 1 or 2, got {exponent!r}")

    def errors(state, params, collections, images):
        out, collections = apply(state.discriminator, params, collections, images, train=True)
        return autoencoder_error(images, out["reconstruction"], exponent=exponent), collections

    def step(state, batch):
        check_batch("began", batch, BATCH_KEYS, 1)
        real = batch["x"][0]
        k = state.extras["k"]
        key = step_key(state)
        indices = global_indices(real.shape[0], axis_name)
        z_d = latents(state, example_keys(jax.random.fold_in(key, CRITIC), indices), sample_latent)
        fake = lax.stop_gradient(apply(state.generator, state.g_params, state.g_state, z_d, train=True)[0])

        def d_loss_fn(params):
            real_error, collections = errors(state, params, state.d_state, real)
            fake_error, collections = errors(state, params, collections, fake)
            loss = boundary_equilibrium_discriminator_loss(real_error, fake_error, k)
            return loss, (collections, {"d_loss": loss, "real_error": jnp.mean(real_error),
                                        "fake_error": jnp.mean(fake_error)})

        d_grads, (d_state, d_metrics) = jax.grad(d_loss_fn, has_aux=True)(state.d_params)
        d_params, d_opt_state = player_update(state.d_tx, d_grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)
        z_g = latents(state, example_keys(jax.random.fold_in(key, GENERATOR), indices), sample_latent)

        def g_loss_fn(params):
            images, g_state = apply(state.generator, params, state.g_state, z_g, train=True)
            fake_error, _ = errors(state, d_params, d_state, images)
            loss = boundary_equilibrium_generator_loss(None, fake_error)
            return loss, (g_state, {"g_loss": loss})

        g_grads, (g_state, g_metrics) = jax.grad(g_loss_fn, has_aux=True)(state.g_params)
        g_params, g_opt_state = player_update(state.g_tx, g_grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        metrics = mean_over_devices({**d_metrics, **g_metrics}, axis_name)
        real_error, generated_error = metrics["real_error"], metrics["g_loss"]
        metrics.update(k=k, balance=gamma * real_error - generated_error,
                       convergence=convergence_measure(real_error, generated_error, gamma=gamma))
        state = state.replace(
            step=state.step + 1, d_params=d_params, d_state=d_state, d_opt_state=d_opt_state, g_params=g_params,
            g_state=g_state, g_opt_state=g_opt_state, ema_params=ema(ema_decay, state.ema_params, g_params,
                                                                      state.step + 1),
            extras={"k": equilibrium_update(k, real_error, generated_error, gamma=gamma, lambda_k=lambda_k)})
        return state, metrics

    return step


def initial_extras(k: float = 0.0) -> dict:
    """BEGAN's extra state at step 0: {"k": k_0} (the paper: k_0 = 0)."""
    return {"k": jnp.asarray(k, jnp.float32)}


# The `Game` spec: `game.gamma`, `game.lambda_k`, `game.exponent`; the networks are BEGAN's
# (`model.name="began"`: its decoder as G, its autoencoder as D) or, on Lucic et al.'s
# (`model.name="lucic"`), their generator with compare_gan's autoencoder critic.

def _validate(config):
    game, m = config.game, config.model
    reject(not 0 < game.gamma <= 1, f"game.gamma (BEGAN's diversity ratio) must be in (0, 1], got {game.gamma}")
    reject(not game.lambda_k >= 0, f"game.lambda_k (the gain of k) must be >= 0, got {game.lambda_k}")
    one_of(game.exponent, (1, 2), "game.exponent (BEGAN's eta)")
    one_of(m.name, NETWORKS, "model.name (BEGAN's critic is an autoencoder: its own networks or Lucic et al.'s)")
    if m.name == "lucic":
        one_of(m.d_norm, ("batch", "none"), "model.d_norm (the BEGAN critic on Lucic et al.'s networks)")
    reject(config.n_critic != 1, f"game.name='began' makes one discriminator update per step; n_critic must be 1, "
                                 f"got {config.n_critic}")
    reject(m.packing != 1, f"game.name='began' judges single images; model.packing must be 1, got {m.packing}")


def _step(config, axis_name=None):
    return make_began_step(gamma=config.game.gamma, lambda_k=config.game.lambda_k, exponent=config.game.exponent,
                           ema_decay=ema_settings(config), axis_name=axis_name)


GAME: Game = plain_game(
    "began",
    step=_step,
    defaults={"game.gamma": 0.5, "game.lambda_k": 0.001, "game.exponent": 1},
    validate=_validate,
    discriminator=lambda config, axis_name: autoencoder(config.model, axis_name),
    extras=lambda config: initial_extras(),
)

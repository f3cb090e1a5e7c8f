"""EBGAN (Zhao, Mathieu & LeCun 2017): the discriminator is an energy function, an autoencoder
whose reconstruction error is low on the data and pushed above a margin on the fakes; the
generator lowers the energy of its samples and, with the pulling-away term, spreads them in the
autoencoder's code space.

Batches: {"x": (1, B, ...)}. The discriminator slot holds `nets.AutoencoderDiscriminator`
({"energy", "embedding"} per example), the generator slot an unconditional generator.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan.games.settings import ema_settings, one_of, reject, weights
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
from jaxgan.losses import energy_discriminator_loss, energy_generator_loss, pulling_away_term
from jaxgan.nets.ebgan import AutoencoderDiscriminator
from jaxgan.techniques import ema

BATCH_KEYS = ("x",)


def make_ebgan_step(*, margin: float = 1.0, pullaway_weight: float = 0.1, ema_decay: float | None = None,
                    sample_latent: Callable = normal_latent, axis_name: str | None = None) -> Step:
    """An EBGAN step (Zhao et al. 2017): one discriminator update on
    L_D = E[D(x)] + E[max(0, m - D(G(z)))]                               (Eq. 1)
    then one generator update, against the updated D, on
    L_G = E[D(G(z))] + pullaway_weight * f_PT(S)                        (Eq. 2, Eq. 7)
    with D(x) the autoencoder's per-example mean squared reconstruction error and S its codes of
    the generated batch. f_PT is a statistic of the whole batch: under pmap it is taken of the
    gathered global batch, so the step equals the single-device one on every layout.

    Args:
      margin: m > 0, in the energy's units (mean squared error of images in [-1, 1]).
      pullaway_weight: the weight of f_PT (the paper's EBGAN-PT: 0.1); 0 is plain EBGAN.
      ema_decay, sample_latent, axis_name: as `make_gan_step`.

    Returns:
      `step(state, batch) -> (state, metrics)`; metrics `d_loss`, `g_loss` (E[D(G(z))]),
      `pullaway`, `g_total`, `real_energy`, `fake_energy`.
    """
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin!r}")
    if pullaway_weight < 0:
        raise ValueError(f"pullaway_weight must be >= 0, got {pullaway_weight!r}")

    def gathered(x):
        return x if axis_name is None else lax.all_gather(x, axis_name, tiled=True)

    def step(state, batch):
        check_batch("ebgan", batch, BATCH_KEYS, 1)
        real = batch["x"][0]
        key = step_key(state)
        indices = global_indices(real.shape[0], axis_name)
        fake_latents = latents(state, example_keys(jax.random.fold_in(key, CRITIC), indices), sample_latent)
        fake = lax.stop_gradient(apply(state.generator, state.g_params, state.g_state, fake_latents, train=True)[0])

        def d_loss_fn(params):
            real_out, _ = apply(state.discriminator, params, state.d_state, real, train=True)
            fake_out, _ = apply(state.discriminator, params, state.d_state, fake, train=True)
            loss = energy_discriminator_loss(real_out["energy"], fake_out["energy"], margin=margin)
            return loss, {"d_loss": loss, "real_energy": jnp.mean(real_out["energy"]),
                          "fake_energy": jnp.mean(fake_out["energy"])}

        d_grads, d_metrics = jax.grad(d_loss_fn, has_aux=True)(state.d_params)
        d_params, d_opt_state = player_update(state.d_tx, d_grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)
        z = latents(state, example_keys(jax.random.fold_in(key, GENERATOR), indices), sample_latent)

        def g_loss_fn(params):
            images, g_state = apply(state.generator, params, state.g_state, z, train=True)
            out, _ = apply(state.discriminator, d_params, state.d_state, images, train=True)
            energy = energy_generator_loss(None, out["energy"])
            terms = {"g_loss": energy}
            total = energy
            if pullaway_weight:
                terms["pullaway"] = pulling_away_term(gathered(out["embedding"]))
                total = total + pullaway_weight * terms["pullaway"]
            return total, (g_state, dict(terms, g_total=total))

        g_grads, (g_state, g_metrics) = jax.grad(g_loss_fn, has_aux=True)(state.g_params)
        g_params, g_opt_state = player_update(state.g_tx, g_grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        state = state.replace(step=state.step + 1, d_params=d_params, d_opt_state=d_opt_state, g_params=g_params,
                              g_state=g_state, g_opt_state=g_opt_state,
                              ema_params=ema(ema_decay, state.ema_params, g_params, state.step + 1))
        return state, mean_over_devices({**d_metrics, **g_metrics}, axis_name)

    return step


# The `Game` spec: `game.margin`, `game.pullaway_weight`; D's encoder is `model.d_hidden` (its last
# entry the code size) and the decoder its mirror; the generator is `model.name`'s.

def _validate(config):
    game, m = config.game, config.model
    reject(not game.margin > 0, f"game.margin must be positive, got {game.margin}")
    weights(game, ("pullaway_weight",), "game")
    one_of(m.name, ("mlp",), "model.name (EBGAN's autoencoder discriminator is an MLP)")
    reject(config.n_critic != 1, f"game.name='ebgan' makes one discriminator update per step; n_critic must be 1, "
                                 f"got {config.n_critic}")


def _step(config, axis_name=None):
    return make_ebgan_step(margin=config.game.margin, pullaway_weight=config.game.pullaway_weight,
                           ema_decay=ema_settings(config), axis_name=axis_name)


GAME: Game = plain_game(
    "ebgan",
    step=_step,
    defaults={"game.margin": 1.0, "game.pullaway_weight": 0.1},
    validate=_validate,
    discriminator=lambda config, axis_name: AutoencoderDiscriminator(hidden=tuple(config.model.d_hidden)),
    model_keys=("d_hidden",),
)

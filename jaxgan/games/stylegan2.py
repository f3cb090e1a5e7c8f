"""StyleGAN2's training (Karras et al., CVPR 2020; the constants and the phase schedule of the
authors' NVlabs/stylegan2-ada-pytorch, `training/loss.py` and `training_loop.py`): the
non-saturating loss, lazy R1 on D, lazy path length regularization on G, style mixing and G's
EMA, on the StyleGAN2 networks (`model.name="stylegan2"`, `jaxgan.nets.stylegan2`).

One step runs the authors' four phases in their order, each an optimizer update of its own:
  1. G main: the adversarial loss on G(z), z with style mixing.
  2. G reg (steps t with t % pl_interval == 0): pl_interval * pl_weight * E[(||J_w^T y|| - a)^2]
     on every pl_batch_shrink-th example (`losses.regularizers.path_length_penalty`), the
     running mean `a` updated first (decay 0.01) and kept in `state.extras["pl_mean"]`.
  3. D main: the adversarial loss on the real batch and G(z) of the updated G.
  4. D reg (t % r1_interval == 0): r1_interval * gamma * R1 on the real batch, with
     R1 = 1/2 E||grad D(x)||^2 (`losses.r1_penalty`), i.e. the authors' gamma / 2 scaled by the
     interval ("lazy regularization", Sec. 3.1). The optimizers of lazily regularized players
     run at lr * c and betas^c, c = interval / (interval + 1) (`lazy_adam`), as the authors'.

Style mixing (Sec. 3 of Karras et al. 2019): with probability `style_mixing`, one cutoff
1 <= k < num_ws drawn per batch, and the copies of w from k on replaced by those of a second
z's (which does not update w_avg). The lazy phases run under `lax.cond`, so a step that does not
regularize does not compute the penalty (seeds vmapped turn the cond into a select: both run).
The last values of the penalties are kept in `state.extras` and reported by every step.

Batches: {"x": (1, B, ...)}. Every draw is per example from its global index (latents, the
second z of style mixing, the synthesis network's noise inputs, the path length noise), so a step
is the same on every device layout but for the minibatch standard deviation, whose groups are
formed within each device's examples under pmap (as the authors' per-GPU groups).
"""

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan.games.settings import config_losses, ema_settings, positive_int, reject, weights
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
    salted,
    step_key,
)
from jaxgan.losses import r1_penalty
from jaxgan.losses.regularizers import path_length_mean, path_length_penalty, path_lengths
from jaxgan.techniques import EMARampup, check_ema, ema

BATCH_KEYS = ("x",)
# Folds of the step key (phases) and of each example's key (what the phases draw per example).
G_REG, D_REG, MIXING = 2, 3, 4
MIXING_LATENT, PATH_NOISE, NOISE_INPUTS = 2000, 2001, 2002
EXTRAS = ("pl_mean", "r1", "path_length", "pl_penalty")


def lazy_adam(learning_rate: float, b1: float, b2: float, interval: int | None) -> tuple[float, float, float]:
    """Adam's (learning rate, b1, b2) for a player regularized every `interval` steps with its own
    optimizer update (lazy regularization): c = interval / (interval + 1), lr * c and b^c, so that
    interval + 1 updates move as far as interval unregularized ones (the authors'
    training_loop.py, `mb_ratio`). `interval` None or 0: unchanged."""
    if not interval:
        return learning_rate, b1, b2
    c = interval / (interval + 1)
    return learning_rate * c, b1**c, b2**c


def initial_extras() -> dict:
    """The state the game carries: the path lengths' running mean and the last measured values
    of the penalties (reported by every step)."""
    return {name: jnp.zeros((), jnp.float32) for name in EXTRAS}


def mix_styles(ws: jax.Array, other: jax.Array, key: jax.Array, probability: float) -> jax.Array:
    """Style mixing: with `probability`, the copies of w from a cutoff k ~ U{1, ..., num_ws - 1}
    on taken from `other` (one k and one coin for the batch, as the authors' code)."""
    count = ws.shape[1]
    coin, cut = jax.random.split(key)
    cutoff = jax.random.randint(cut, (), 1, count)
    cutoff = jnp.where(jax.random.uniform(coin) < probability, cutoff, count)
    return jnp.where((jnp.arange(count) < cutoff)[None, :, None], ws, other)


def make_stylegan2_step(*, d_loss: Callable, g_loss: Callable, r1_gamma: float = 10.0, r1_interval: int = 16,
                        pl_weight: float = 2.0, pl_interval: int = 4, pl_batch_shrink: int = 2,
                        pl_decay: float = 0.01, style_mixing: float = 0.9,
                        ema_decay: float | EMARampup | None = None, sample_latent: Callable = normal_latent,
                        axis_name: str | None = None) -> Step:
    """A StyleGAN2 step (module docstring).

    Args:
      d_loss, g_loss: adversarial losses `loss(real_logits, fake_logits)` (StyleGAN2's: the
        non-saturating pair, `losses.adversarial_losses("non_saturating")`).
      r1_gamma: gamma of R1 (0: off); the authors' 10 for FFHQ 1024, 0.01 for CIFAR-10.
      r1_interval: D's regularization interval (1: R1 in every step).
      pl_weight: the path length weight (0: off; the authors' 2).
      pl_interval: G's regularization interval.
      pl_batch_shrink: the path length batch is every pl_batch_shrink-th example (the authors'
        first B / 2; every second one here, so that a device's share is the same on any layout).
      pl_decay: the running mean's decay.
      style_mixing: the probability of mixing two z's styles (0.9; 0: off).
      ema_decay, sample_latent, axis_name: as `make_gan_step`.

    Returns:
      `step(state, batch) -> (state, metrics)`; the state's `extras` must be `initial_extras()`.
      Metrics: `g_loss`, `d_loss`, `real_logit`, `fake_logit`, and the last measured `r1`
      (unweighted R1), `path_length` (mean ||J_w^T y||), `pl_penalty` and `pl_mean`.
    """
    for name, value in (("r1_interval", r1_interval), ("pl_interval", pl_interval),
                        ("pl_batch_shrink", pl_batch_shrink)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    for name, value in (("r1_gamma", r1_gamma), ("pl_weight", pl_weight)):
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")
    if not 0 <= style_mixing <= 1:
        raise ValueError(f"style_mixing is a probability in [0, 1], got {style_mixing!r}")
    if not 0 < pl_decay <= 1:
        raise ValueError(f"pl_decay must be in (0, 1], got {pl_decay!r}")
    check_ema(ema_decay)

    def styles(state, params, g_state, keys, key):
        """ws of the examples' latents (style-mixed) and the generator state with w_avg updated."""
        z = latents(state, keys, sample_latent)
        ws, g_state = apply(state.generator, params, g_state, z, train=True, method="mapping")
        if style_mixing > 0:
            other = latents(state, salted(keys, MIXING_LATENT), sample_latent)
            untracked = lambda module, z, train: module.mapping(z, train=train, track=False)
            other_ws, _ = apply(state.generator, params, g_state, other, train=True, method=untracked)
            ws = mix_styles(ws, other_ws, jax.random.fold_in(key, MIXING), style_mixing)
        return ws, g_state

    def synthesize(state, params, g_state, ws, keys):
        noisy = lambda module, inputs, train: module.synthesis(inputs[0], train=train, noise_keys=inputs[1])
        return apply(state.generator, params, g_state, (ws, salted(keys, NOISE_INPUTS)), train=True, method=noisy)

    def logits(state, d_params, images):
        return apply(state.discriminator, d_params, state.d_state, images, train=True)[0]

    def generator_main(state, real, key):
        keys = example_keys(key, global_indices(real.shape[0], axis_name))

        def loss_fn(params):
            ws, g_state = styles(state, params, state.g_state, keys, key)
            fake, g_state = synthesize(state, params, g_state, ws, keys)
            return g_loss(logits(state, state.d_params, real), logits(state, state.d_params, fake)), g_state

        (loss, g_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.g_params)
        g_params, g_opt_state = player_update(state.g_tx, grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        return state.replace(g_params=g_params, g_state=g_state, g_opt_state=g_opt_state), loss

    def generator_regularization(state, real, key):
        keys = example_keys(key, global_indices(real.shape[0], axis_name))[::pl_batch_shrink]

        def loss_fn(params):
            ws, g_state = styles(state, params, state.g_state, keys, key)
            image_shape = real.shape[1:]
            noise = jax.vmap(lambda k: jax.random.normal(k, image_shape))(salted(keys, PATH_NOISE))
            noise = noise / math.sqrt(image_shape[0] * image_shape[1])
            synthesis = lambda w: synthesize(state, params, g_state, w, keys)[0]
            lengths = path_lengths(synthesis, ws, noise)
            total = lax.psum(jnp.sum(lengths), axis_name) if axis_name else jnp.sum(lengths)
            count = lengths.shape[0] * (lax.psum(1, axis_name) if axis_name else 1)
            pl_mean = path_length_mean(state.extras["pl_mean"], jnp.full((1,), total / count), pl_decay)
            penalty = mean_over_devices(path_length_penalty(lengths, pl_mean), axis_name)
            return pl_interval * pl_weight * penalty, (g_state, pl_mean, penalty, total / count)

        grads, (g_state, pl_mean, penalty, length) = jax.grad(loss_fn, has_aux=True)(state.g_params)
        g_params, g_opt_state = player_update(state.g_tx, grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        extras = {**state.extras, "pl_mean": pl_mean, "pl_penalty": penalty, "path_length": length}
        return state.replace(g_params=g_params, g_state=g_state, g_opt_state=g_opt_state, extras=extras)

    def discriminator_main(state, real, key):
        keys = example_keys(key, global_indices(real.shape[0], axis_name))
        ws, g_state = styles(state, state.g_params, state.g_state, keys, key)
        fake = lax.stop_gradient(synthesize(state, state.g_params, g_state, ws, keys)[0])

        def loss_fn(params):
            real_logits, d_state = apply(state.discriminator, params, state.d_state, real, train=True)
            fake_logits, d_state = apply(state.discriminator, params, d_state, fake, train=True)
            return d_loss(real_logits, fake_logits), (d_state, real_logits, fake_logits)

        (loss, (d_state, real_logits, fake_logits)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.d_params)
        d_params, d_opt_state = player_update(state.d_tx, grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)
        metrics = {"d_loss": loss, "real_logit": jnp.mean(real_logits), "fake_logit": jnp.mean(fake_logits)}
        return state.replace(d_params=d_params, d_state=d_state, d_opt_state=d_opt_state, g_state=g_state), metrics

    def discriminator_regularization(state, real, key):
        def loss_fn(params):
            critic = lambda x: apply(state.discriminator, params, state.d_state, x, train=True)[0]
            penalty = r1_penalty(critic, real, None, key=key)
            return r1_interval * r1_gamma * penalty, penalty

        grads, penalty = jax.grad(loss_fn, has_aux=True)(state.d_params)
        d_params, d_opt_state = player_update(state.d_tx, grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)
        extras = {**state.extras, "r1": mean_over_devices(penalty, axis_name)}
        return state.replace(d_params=d_params, d_opt_state=d_opt_state, extras=extras)

    def lazily(every: int, on: bool, update: Callable, state, real, key):
        if not on:
            return state
        if every == 1:
            return update(state, real, key)
        return lax.cond(state.step % every == 0, lambda s: update(s, real, key), lambda s: s, state)

    def step(state, batch):
        check_batch("stylegan2", batch, BATCH_KEYS, 1)
        missing = sorted(set(EXTRAS) - set(state.extras))
        if missing:
            raise ValueError(f"the StyleGAN2 step needs state.extras from games.stylegan2.initial_extras(); "
                             f"missing {missing}")
        real = batch["x"][0]
        if real.shape[0] % pl_batch_shrink:
            raise ValueError(f"the path length batch takes every pl_batch_shrink={pl_batch_shrink}-th example; "
                             f"the (device's) batch of {real.shape[0]} is not divisible by it")
        key = step_key(state)
        state, g_main = generator_main(state, real, jax.random.fold_in(key, GENERATOR))
        state = lazily(pl_interval, pl_weight > 0, generator_regularization, state, real,
                       jax.random.fold_in(key, G_REG))
        state = state.replace(ema_params=ema(ema_decay, state.ema_params, state.g_params, state.step + 1))
        state, d_metrics = discriminator_main(state, real, jax.random.fold_in(key, CRITIC))
        state = lazily(r1_interval, r1_gamma > 0, discriminator_regularization, state, real,
                       jax.random.fold_in(key, D_REG))
        metrics = {"g_loss": g_main, **d_metrics, **{name: state.extras[name] for name in EXTRAS}}
        return state.replace(step=state.step + 1), mean_over_devices(metrics, axis_name)

    return step


def _step(config, axis_name=None):
    d_loss, g_loss = config_losses(config)
    g = config.game
    return make_stylegan2_step(d_loss=d_loss, g_loss=g_loss, r1_gamma=g.r1_gamma, r1_interval=g.r1_interval,
                               pl_weight=g.pl_weight, pl_interval=g.pl_interval, pl_batch_shrink=g.pl_batch_shrink,
                               pl_decay=g.pl_decay, style_mixing=g.style_mixing, ema_decay=ema_settings(config),
                               axis_name=axis_name)


def _validate(config):
    g = config.game
    reject(config.model.name != "stylegan2",
           f"game.name='stylegan2' trains the StyleGAN2 networks (model.name='stylegan2'), got "
           f"model.name={config.model.name!r}")
    reject(config.n_critic != 1, f"StyleGAN2 alternates one G and one D update per step; n_critic must be 1, got "
           f"{config.n_critic}")
    for key in ("r1_interval", "pl_interval", "pl_batch_shrink"):
        positive_int(g[key], f"game.{key}")
    weights(g, ("r1_gamma", "pl_weight"), "game")
    reject(not 0 <= g.style_mixing <= 1, f"game.style_mixing is a probability in [0, 1], got {g.style_mixing!r}")
    reject(not 0 < g.pl_decay <= 1, f"game.pl_decay must be in (0, 1], got {g.pl_decay!r}")
    reject(config.data.batch_size % g.pl_batch_shrink,
           f"data.batch_size={config.data.batch_size} is not divisible by game.pl_batch_shrink={g.pl_batch_shrink}")
    group = min(config.model.mbstd_group_size, config.data.batch_size)
    reject(config.data.batch_size % group,
           f"data.batch_size={config.data.batch_size} is not divisible by model.mbstd_group_size="
           f"{config.model.mbstd_group_size} (the minibatch standard deviation's groups)")


GAME: Game = plain_game(
    "stylegan2", step=_step, validate=_validate,
    defaults={"game.r1_gamma": 10.0, "game.r1_interval": 16, "game.pl_weight": 2.0, "game.pl_interval": 4,
              "game.pl_batch_shrink": 2, "game.pl_decay": 0.01, "game.style_mixing": 0.9},
    extras=lambda config: initial_extras())

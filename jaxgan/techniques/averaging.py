"""Averages of the players' parameters kept in the train state:

  ema                     the generator's exponential moving average, evaluated instead of the
                          raw generator (Yazici et al. 2019, "The Unusual Effectiveness of
                          Averaging in GAN Training"); config `ema_decay` (0 = off), with
                          `ema_rampup` its decay ramped up over the first updates (`EMARampup`).
  update_debiased_ema     a bias-corrected moving average of D's parameters (the semi-supervised
                          classifier's evaluation copy, `state.param_averages["d_ema"]`);
                          config `game.d_average_decay`.
  historical averaging    each player's loss gets w ||theta - mean of its past theta||^2
                          (Salimans et al. 2016, "Improved Techniques for Training GANs",
                          Sec. 3.3), with the running means in `state.param_averages`;
                          config `historical_averaging` = w (0 = off).
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class EMARampup(NamedTuple):
    """An EMA whose half-life is at most `rampup` times the generator updates so far, and at most
    `decay`'s: decay_t = min(decay, 0.5 ** (1 / (rampup * t))) at update t (StyleGAN2-ADA's
    `ema_rampup`, Karras et al. 2020, their training_loop.py; 0.05 there). A constant decay of
    0.999 keeps 0.999^t of the initial weights at update t (37% at 1,000, 4.4% at 3,120); ramped
    up, the average covers the last ~5% of training until that reaches decay's half-life (693
    updates at 0.999, from update 13,860 on)."""

    decay: float
    rampup: float

    def at(self, count) -> jax.Array:
        """The decay of update `count` (1-based)."""
        half_life = self.rampup * jnp.asarray(count, jnp.float32)
        return jnp.minimum(self.decay, jnp.power(0.5, 1.0 / jnp.maximum(half_life, 1e-8)))


def check_ema(decay) -> None:
    """Raise ValueError unless `decay` is None, a decay in [0, 1) or an `EMARampup` of one with
    rampup > 0."""
    constant = decay.decay if isinstance(decay, EMARampup) else decay
    if constant is not None and not 0.0 <= constant < 1.0:
        raise ValueError(f"ema_decay must be in [0, 1) or None, got {decay!r}")
    if isinstance(decay, EMARampup) and not decay.rampup > 0:
        raise ValueError(f"EMARampup.rampup must be > 0, got {decay.rampup!r}")


def ema(decay: float | EMARampup | None, ema_params, params, count=None) -> Any:
    """`decay * ema + (1 - decay) * params`; `params` itself when `decay` is None (no EMA). With
    an `EMARampup`, the decay of generator update `count` (1-based: the state's step + 1)."""
    if decay is None:
        return params
    if isinstance(decay, EMARampup):
        if count is None:
            raise ValueError("an EMARampup needs the generator update's count (the state's step + 1)")
        decay = decay.at(count)
    return jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema_params, params)


def historical_average_penalty(params, average) -> jax.Array:
    """||theta - (1/t) sum_i theta_i||^2 (Salimans et al. 2016, Sec. 3.3), summed over every
    parameter; `average` is the running mean kept in the train state."""
    return sum(jnp.sum(jnp.square(p - a)) for p, a in zip(jax.tree.leaves(params), jax.tree.leaves(average),
                                                            strict=True))


def update_running_average(average, params, count) -> Any:
    """The mean of `count` parameter vectors from the mean of the first `count - 1`:
    avg + (params - avg) / count."""
    return jax.tree.map(lambda a, p: a + (p - a) / count, average, params)


def update_debiased_ema(average, params, decay, count) -> Any:
    """The bias-corrected exponential moving average after `count` updates (Kingma & Ba 2015,
    Sec. 3): avg_t = E_t / (1 - decay^t) with E_t = decay E_{t-1} + (1 - decay) theta_t, E_0 = 0,
    computed as avg_t = avg_{t-1} + w_t (theta_t - avg_{t-1}), w_t = (1 - decay) / (1 - decay^t).
    So avg_1 = theta_1 whatever `average` held, and the weights over theta_1..theta_t sum to 1.
    The Improved-GAN code keeps E_t itself (no correction), which is E_t's scale times avg_t:
    0.83 avg_t after 18,000 steps at decay 0.9999, the same after about 100,000.
    """
    decay = jnp.asarray(decay, jnp.float32)
    weight = (1.0 - decay) / (1.0 - jnp.power(decay, jnp.asarray(count, jnp.float32)))
    return jax.tree.map(lambda a, p: a + weight * (p - a), average, params)

"""Averages of the players' parameters kept in the train state:

  ema                     the generator's exponential moving average, evaluated instead of the
                          raw generator (Yazici et al. 2019, "The Unusual Effectiveness of
                          Averaging in GAN Training"); config `ema_decay` (0 = off).
  update_debiased_ema     a bias-corrected moving average of D's parameters (the semi-supervised
                          classifier's evaluation copy, `state.param_averages["d_ema"]`);
                          config `game.d_average_decay`.
  historical averaging    each player's loss gets w ||theta - mean of its past theta||^2
                          (Salimans et al. 2016, "Improved Techniques for Training GANs",
                          Sec. 3.3), with the running means in `state.param_averages`;
                          config `historical_averaging` = w (0 = off).
"""

from typing import Any

import jax
import jax.numpy as jnp


def ema(decay: float | None, ema_params, params) -> Any:
    """`decay * ema + (1 - decay) * params`; `params` itself when `decay` is None (no EMA)."""
    if decay is None:
        return params
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

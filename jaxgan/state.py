"""The one immutable train state of a GAN run."""

import functools
from typing import Any

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp
import optax

from jaxgan.backend import init_compiler_options


def _split_variables(variables):
    """Flax variables -> (params, the other (mutable) collections)."""
    variables = dict(variables)
    params = variables.pop("params")
    return params, variables


class TrainState(flax.struct.PyTreeNode):
    """Both players' parameters and collections, optimizer states, the EMA generator, step, key.

    Fields (pytree leaves unless noted):
      step:         int32 scalar, number of generator updates done.
      key:          typed PRNG key (`jax.random.key`); every random draw of step t is derived
                    from `fold_in(key, t)`, so the key itself never changes.
      g_params, d_params: parameters of generator and discriminator.
      g_state, d_state:   their other variable collections (e.g. `batch_stats` of BatchNorm,
                    spectral-norm `u` vectors); `{}` when there are none.
      g_opt_state, d_opt_state: optax states.
      ema_params:   exponential moving average of `g_params` (equal to them when EMA is off).
      param_averages: `{"g": ..., "d": ...}` running means of each player's parameters over
                    all its updates, for historical averaging, and/or `{"d_ema": ...}`, a moving
                    average of D's parameters (the semi-supervised classifier's evaluation copy);
                    `{}` when not tracked.
      extras:       other arrays a game carries from step to step, e.g. CycleGAN's history pools
                    of generated images (`jaxgan.games.cyclegan.init_pool`); `{}` when none
                    (the game spec's `extras`).
      generator, discriminator (static): the flax modules; `module.apply` runs them. Modules
                    compare by their hyperparameters, so states built from equal modules
                    share one compiled step and can be stacked.
      g_tx, d_tx (static): the optax transformations (separate: TTUR is a choice of two).
      latent_shape (static): shape of one latent vector.

    The state is changed only with `.replace(...)`; it is a frozen dataclass.
    """

    step: jax.Array
    key: jax.Array
    g_params: Any
    d_params: Any
    g_state: Any
    d_state: Any
    g_opt_state: Any
    d_opt_state: Any
    ema_params: Any
    param_averages: Any
    extras: Any
    generator: nn.Module = flax.struct.field(pytree_node=False)
    discriminator: nn.Module = flax.struct.field(pytree_node=False)
    g_tx: optax.GradientTransformation = flax.struct.field(pytree_node=False)
    d_tx: optax.GradientTransformation = flax.struct.field(pytree_node=False)
    latent_shape: tuple = flax.struct.field(pytree_node=False)


def create(
    *,
    generator,
    discriminator,
    g_tx,
    d_tx,
    latent_shape,
    sample_x,
    key,
    track_param_averages=False,
    extras=None,
    d_average=False,
    init_x=None,
) -> TrainState:
    """Initialize a `TrainState`.

    Args:
      generator, discriminator: flax.linen modules called as `module(inputs, train=bool)`.
      g_tx, d_tx: optax transformations for each player.
      latent_shape: shape of one latent vector, e.g. (64,).
      sample_x: a discriminator input (B, ...), or a pytree of them (e.g. `(images, labels)` for a
        conditional discriminator); only shapes and dtypes are used (B must suit the
        discriminator, e.g. a multiple of the packing degree).
      key: a typed PRNG key (`jax.random.key(seed)`) or an int seed.
      track_param_averages: keep running means of both players' parameters (needed by the step
        factory's `historical_averaging`).
      extras: the game's carried arrays (`TrainState.extras`); None for none.
      d_average: keep `param_averages["d_ema"]`, starting as a copy of D's parameters (the step
        factory's `d_average_decay`).
      init_x: a real discriminator input (with `sample_x`'s structure) to initialize D with, in
        training mode (its noise on), for data-dependent initialization
        (`nets.WeightNormDense(data_init=True)`); None: zeros of `sample_x`'s shapes, `train=False`.

    `create` is traceable, so `jax.vmap(lambda k: create(..., key=k))(keys)` builds a stack of
    independent states for training several seeds in one program. It runs as one compiled
    program (unoptimized on the CPU backend, `backend.init_compiler_options`): initializing a
    convolutional net op by op takes XLA:CPU 10-20 s.
    """
    if isinstance(key, int):
        key = jax.random.key(key)
    if not jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        raise TypeError(f"create needs a typed key from jax.random.key or an int seed, got dtype {key.dtype}")
    if init_x is not None and jax.tree.structure(init_x) != jax.tree.structure(sample_x):
        raise ValueError(f"init_x must have sample_x's structure {jax.tree.structure(sample_x)}, "
                         f"got {jax.tree.structure(init_x)}")
    return _compiled_create()(
        key, sample_x, extras, init_x, generator=generator, discriminator=discriminator, g_tx=g_tx, d_tx=d_tx,
        latent_shape=tuple(int(d) for d in latent_shape), track_param_averages=bool(track_param_averages),
        d_average=bool(d_average),
    )


@functools.cache
def _compiled_create():
    return jax.jit(_create, static_argnames=("generator", "discriminator", "g_tx", "d_tx", "latent_shape",
                                             "track_param_averages", "d_average"),
                   compiler_options=init_compiler_options())


def _create(key, sample_x, extras, init_x, *, generator, discriminator, g_tx, d_tx, latent_shape, track_param_averages,
            d_average):
    g_key, d_key, run_key = jax.random.split(key, 3)
    z = jnp.zeros((1,) + latent_shape, jnp.float32)
    g_params, g_state = _split_variables(generator.init(g_key, z, train=False))
    if init_x is None:
        x = jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), sample_x)
        d_params, d_state = _split_variables(discriminator.init(d_key, x, train=False))
    else:  # the data-dependent init pass runs as in training, noise on (the Improved-GAN code's)
        noise_key = jax.random.fold_in(d_key, 1)
        d_params, d_state = _split_variables(
            discriminator.init({"params": d_key, "noise": noise_key}, init_x, train=True)
        )
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        key=run_key,
        g_params=g_params,
        d_params=d_params,
        g_state=g_state,
        d_state=d_state,
        g_opt_state=g_tx.init(g_params),
        d_opt_state=d_tx.init(d_params),
        ema_params=jax.tree.map(jnp.copy, g_params),
        param_averages={
            **(
                {"g": jax.tree.map(jnp.copy, g_params), "d": jax.tree.map(jnp.copy, d_params)}
                if track_param_averages
                else {}
            ),
            **({"d_ema": jax.tree.map(jnp.copy, d_params)} if d_average else {}),
        },
        extras={} if extras is None else extras,
        generator=generator,
        discriminator=discriminator,
        g_tx=g_tx,
        d_tx=d_tx,
        latent_shape=latent_shape,
    )

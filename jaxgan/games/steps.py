"""What every game's step is made of, written once: running a network, the per-step and
per-example keys, the player update, batch checks, the critic loop, fused steps and sampling.

Randomness: everything step t draws comes from `step_key(state) = fold_in(state.key, t)`: the
critic updates from `critic_keys`, the generator update from `generator_key`. Each example's
latent vector and penalty draws come from a key folded with the example's *global* index
(`example_keys(key, global_indices(...))`), so how the batch is split over devices does not
change a single number. Noise layers draw from `fold_in(update key, NOISE_SALT)`.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax
from jax.sharding import PartitionSpec as P

from jaxgan.backend import choices
from jaxgan.latents import normal_noise
from jaxgan.parallel import DATA_AXIS
from jaxgan.state import TrainState

CRITIC, GENERATOR = 0, 1
# Disjoint from the per-example keys, which are folds of the same key with indices < 2**31.
NOISE_SALT = 2**31 - 1
# The key of `standing_statistics` at evaluation: fold_in(state.key, STANDING_SALT).
STANDING_SALT = 2**31 - 2
# Folds of each example's key (the latent is fold 0, penalty i fold 1 + i) for what the
# data-efficient techniques draw: the augmentations of D's real and generated inputs and of the
# inputs inside the penalties, the consistency transforms, zCR's latent perturbation.
AUGMENT_REAL, AUGMENT_FAKE, AUGMENT_PENALTY, CONSISTENCY_REAL, CONSISTENCY_FAKE, LATENT_PERTURBATION = (
    1000, 1001, 1002, 1003, 1004, 1005)


class Penalty(NamedTuple):
    """A weighted critic penalty: adds `weight * fn(critic, real, fake, key=...)` to the D loss."""

    name: str
    fn: Callable
    weight: float


def normal_latent(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """The standard normal prior, z ~ N(0, I)."""
    return jax.random.normal(key, shape)


def truncated_latent(truncation: float) -> Callable:
    """The standard normal prior truncated to [-truncation, truncation] per entry (BigGAN's
    truncation trick, Brock et al. 2019, Sec. 4.1; `latents.normal_noise`); 0: `normal_latent`."""
    if not truncation:
        return normal_latent
    return lambda key, shape: normal_noise(key, shape, truncation)


def apply(module: Any, params: Any, collections: dict, inputs: Any, *, train: bool, noise_key: jax.Array | None = None,
          method: str | None = None) -> tuple[Any, dict]:
    """Run a network; returns (outputs, updated collections). Collections are updated only when
    training and when the network has any. `noise_key` feeds the `noise` RNG stream (noise
    layers draw from it only while training)."""
    variables = {"params": params, **collections}
    rngs = {"noise": noise_key} if noise_key is not None else None
    if train and collections:
        out, updated = module.apply(variables, inputs, train=True, mutable=list(collections), rngs=rngs, method=method)
        return out, dict(updated)
    return module.apply(variables, inputs, train=train, rngs=rngs, method=method), collections


def global_indices(batch_size: int, axis_name: str | None) -> jax.Array:
    """Global indices of the local examples: offset by the device position under pmap; under a
    data-parallel jit (`parallel.data_parallel`) split over the data axis like the batch, so that
    what is computed per example from them (latents, fakes, the generator's passes) is split too
    rather than replicated on every device."""
    if axis_name is not None:
        return lax.axis_index(axis_name) * batch_size + jnp.arange(batch_size)
    mesh = jax.sharding.get_abstract_mesh()
    if DATA_AXIS in mesh.axis_names and batch_size % mesh.shape[DATA_AXIS] == 0:
        return jax.lax.with_sharding_constraint(jnp.arange(batch_size), P(DATA_AXIS))
    return jnp.arange(batch_size)


def example_keys(key: jax.Array, indices: jax.Array) -> jax.Array:
    """One key per example: `fold_in(key, i)` for each global index i."""
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(indices)


def salted(keys: jax.Array, salt: int) -> jax.Array:
    """`fold_in(k, salt)` of each example key."""
    return jax.vmap(lambda k: jax.random.fold_in(k, salt))(keys)


def step_key(state: TrainState) -> jax.Array:
    """The key of step `state.step`: every random number of the step comes from it."""
    return jax.random.fold_in(state.key, state.step)


def critic_keys(key: jax.Array, n_critic: int) -> jax.Array:
    """The keys of the step's `n_critic` critic updates (stacked), from its `step_key`."""
    return jax.vmap(lambda c: jax.random.fold_in(jax.random.fold_in(key, CRITIC), c))(jnp.arange(n_critic))


def generator_key(key: jax.Array) -> jax.Array:
    """The key of the step's generator update, from its `step_key`."""
    return jax.random.fold_in(key, GENERATOR)


def mean_over_devices(tree: Any, axis_name: str | None) -> Any:
    """The mean over the pmap axis (gradients, metrics); the identity for a global batch."""
    return tree if axis_name is None else lax.pmean(tree, axis_name)


def player_update(tx: optax.GradientTransformation, grads: Any, opt_state: Any, params: Any, *,
                  axis_name: str | None = None) -> tuple[Any, Any]:
    """One optimizer update of a player: gradients averaged over devices (under pmap), then
    `tx.update` and `optax.apply_updates`. Returns (params, opt_state)."""
    grads = mean_over_devices(grads, axis_name)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state


def check_batch(game: str, batch: dict, keys: tuple[str, ...], n_critic: int) -> None:
    """Raise if `batch` does not have exactly `keys`, each with leading axis `n_critic`, and
    integer class labels under "y" / "y_labeled"."""
    if sorted(batch) != sorted(keys):
        raise ValueError(f"game {game!r} takes a batch with keys {list(keys)}, got {sorted(batch)}")
    for name in keys:
        if batch[name].shape[0] != n_critic:
            raise ValueError(
                f"batch[{name!r}] must have leading axis n_critic={n_critic}, got shape {batch[name].shape}"
            )
    for name in ("y", "y_labeled"):
        if name in batch and not jnp.issubdtype(batch[name].dtype, jnp.integer):
            raise TypeError(f"batch[{name!r}] must hold integer class labels, got dtype {batch[name].dtype}")


def check_critic_updates(n_critic: int) -> None:
    if int(n_critic) != n_critic or n_critic < 1:
        raise ValueError(f"n_critic must be a positive integer, got {n_critic!r}")


def scan_or_unroll(body: Callable, carry: Any, xs: Any, *, max_unrolled: int | None = None) -> tuple[Any, Any]:
    """`lax.scan(body, carry, xs)`, unrolled into straight-line code when the loop has at most
    `max_unrolled` iterations (same values, same stacked outputs). `max_unrolled=None` takes the
    backend's measured choice (`backend.choices().max_unrolled`): XLA's CPU backend runs
    convolutions inside a while loop about 25x slower than outside one (a DCGAN critic gradient,
    13 ms vs 338 ms in a 1-step `lax.scan`); longer loops stay a `lax.scan` to bound compile time."""
    if max_unrolled is None:
        max_unrolled = choices().max_unrolled
    length = jax.tree.leaves(xs)[0].shape[0]
    if length > max_unrolled:
        return lax.scan(body, carry, xs)
    outputs = []
    for i in range(length):
        carry, out = body(carry, jax.tree.map(lambda x: x[i], xs))
        outputs.append(out)
    return carry, jax.tree.map(lambda *o: jnp.stack(o), *outputs)


def fuse_steps(step: Callable) -> Callable:
    """K whole steps in one call: `fused(state, batches)` runs `step` over the leading axis of
    `batches` (K, n_critic, B, ...) (`scan_or_unroll`: unrolled for short loops) and returns
    metrics stacked to shape (K,)."""

    def fused(state, batches):
        return scan_or_unroll(step, state, batches)

    return fused


def latents(state: TrainState, keys: jax.Array, sample_latent: Callable) -> jax.Array:
    """One latent vector per example key, from `fold_in(key, 0)`."""
    return jax.vmap(lambda k: sample_latent(jax.random.fold_in(k, 0), state.latent_shape))(keys)


def generate(state: TrainState, key: jax.Array, num: int, *, use_ema: bool = True,
             sample_latent: Callable = normal_latent) -> jax.Array:
    """`num` samples from the generator in inference mode (BatchNorm running averages).

    Example i uses `fold_in(key, i)`, so the first n of `generate(.., num=N)` equal
    `generate(.., num=n)`.
    """
    keys = example_keys(key, jnp.arange(num))
    return decode(state, latents(state, keys, sample_latent), use_ema=use_ema)


def standing_statistics(state: TrainState, key: jax.Array, *, num_batches: int, batch_size: int,
                        use_ema: bool = True, sample_latent: Callable = normal_latent) -> Any:
    """The generator's BatchNorm statistics recomputed for the parameters that will be evaluated:
    the mean over `num_batches` batches of `batch_size` latents of each batch's statistics in
    training mode ("standing statistics", Brock et al. 2019, App. C.1). The running averages kept
    during training follow the raw parameters, not their EMA; with `use_ema=False` this
    re-estimates them for the raw ones. Returns `state.g_state` with its BatchNorm averages
    replaced (spectral norm's vectors, kept in the same collection, unchanged); a generator
    without BatchNorm gets its `g_state` back unchanged.

    A training-mode pass stores `momentum * old + (1 - momentum) * statistic` in every leaf; a
    pass from zeroed averages and one from averages of ones read each leaf's momentum, so the
    batch statistics are recovered exactly whatever momentum the network's layers use."""
    collections = state.g_state
    if "batch_stats" not in collections:
        return collections
    params = state.ema_params if use_ema else state.g_params
    kept = collections["batch_stats"]

    def stored(k, fill):
        filled = jax.tree_util.tree_map_with_path(lambda p, x: jnp.full_like(x, fill) if _normalization(p) else x, kept)
        start = {**collections, "batch_stats": filled}
        inputs = latents(state, example_keys(k, jnp.arange(batch_size)), sample_latent)
        return apply(state.generator, params, start, inputs, train=True)[1]["batch_stats"]

    keys = jax.vmap(lambda b: jax.random.fold_in(key, b))(jnp.arange(num_batches))
    momentum = jax.tree.map(lambda one, zero: one - zero, stored(keys[0], 1.0), stored(keys[0], 0.0))
    scaled = jax.lax.map(lambda k: stored(k, 0.0), keys)
    statistics = jax.tree_util.tree_map_with_path(
        lambda p, s, m, old: s.mean(axis=0) / (1.0 - m) if _normalization(p) else old, scaled, momentum, kept)
    return {**collections, "batch_stats": statistics}


def _normalization(path) -> bool:
    """Whether a `batch_stats` leaf is a BatchNorm running average ("mean", "var"), not another
    layer's state kept in the same collection (spectral norm's power-iteration "u" and "sigma",
    which the standing statistics leave as they are)."""
    return getattr(path[-1], "key", None) in ("mean", "var")


def decode(state: TrainState, inputs: jax.Array, *, use_ema: bool = True) -> jax.Array:
    """The generator (EMA or raw) in inference mode on given inputs (latent vectors (N, latent_dim),
    or source images for a translation)."""
    params = state.ema_params if use_ema else state.g_params
    return apply(state.generator, params, state.g_state, inputs, train=False)[0]

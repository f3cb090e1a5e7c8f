"""What every game's step is made of, written once: running a network, the per-step and
per-example keys, the player update, the generator EMA, batch checks, the critic loop and the
`Game` spec that the run machinery reads.

Randomness: everything step t draws comes from `step_key(state) = fold_in(state.key, t)`: the
critic updates from `critic_keys`, the generator update from `generator_key`. Each example's
latent vector and penalty draws come from a key folded with the example's *global* index
(`example_keys(key, global_indices(...))`), so how the batch is split over devices does not
change a single number. Noise layers draw from `fold_in(update key, NOISE_SALT)`.
"""

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax
from jax.sharding import PartitionSpec as P

from jaxgan import data, losses
from jaxgan.backend import choices
from jaxgan.data.images import ImageSource
from jaxgan.errors import ConfigError
from jaxgan.parallel import DATA_AXIS

CRITIC, GENERATOR = 0, 1
# Disjoint from the per-example keys, which are folds of the same key with indices < 2**31.
NOISE_SALT = 2**31 - 1


class Penalty(NamedTuple):
    """A weighted critic penalty: adds `weight * fn(critic, real, fake, key=...)` to the D loss."""

    name: str
    fn: Callable
    weight: float


def no_phases(config):
    """`Game.generator_phases` of a game whose generator has one optimizer state."""
    return None


class Game(NamedTuple):
    """A game as the run machinery sees it (in the style of optax's `GradientTransformation`: a
    tuple of pure functions). Each function takes the run config (an `ml_collections`
    ConfigDict, validated except by `validate` itself); none reads files except through
    `jaxgan.data`.

    Attributes:
      name: `config.game.name`.
      defaults: {"game.key" / "translation.key": default} of the config keys this game reads
        beyond the common ones (loss, penalties, model, data, optimizer, train); `config`'s
        schema is their union over all games (a key two games read has one default), and
        `config.validate` rejects a changed key that the chosen game does not read.
      validate: `validate(config)` raises `ConfigError` for settings this game cannot take.
      models: `models(config, axis_name) -> (generator, discriminator)` flax modules.
      step: `step(config, axis_name) -> step(state, batch) -> (state, metrics)`, pure.
      prior: `prior(config) -> latents.Prior | None` (None: z ~ N(0, I)).
      generator_input_shape: `(config) -> shape` of one generator input.
      discriminator_example: `(config) -> a zero input of D's structure` (for `state.create`).
      extras: `(config) -> the extra state the game carries` (`TrainState.extras`; None if none).
      batch_keys: `(config) -> the keys of a batch` (each (n_critic, B, ...)).
      labels: `(config) -> "all" | "subset" | "none"`: which class labels training reads.
      source: `source(config, **common) -> a data source` of the game's batches (`common`: batch
        size, n_critic, seed, streams and process of `jaxgan.data` sources).
      evaluators: `(config) -> names` of the game's own measures (`jaxgan.evaluation.MEASURES`;
        beside sample quality).
      generator_phases: `(config) -> {phase: learning rate} | None`: a generator updated in
        several phases per step, each with its own state of optimizer.g's kind at its own rate
        (`run.phased_optimizer`; the phased AAE); None: one optimizer state.
    """

    name: str
    defaults: dict
    validate: Callable
    models: Callable
    step: Callable
    prior: Callable
    generator_input_shape: Callable
    discriminator_example: Callable
    extras: Callable
    batch_keys: Callable
    labels: Callable
    source: Callable
    evaluators: Callable
    generator_phases: Callable = no_phases


def normal_latent(key, shape):
    """The standard normal prior, z ~ N(0, I)."""
    return jax.random.normal(key, shape)


def apply(module, params, collections, inputs, *, train, noise_key=None, method=None):
    """Run a network; returns (outputs, updated collections). Collections are updated only when
    training and when the network has any. `noise_key` feeds the `noise` RNG stream (noise
    layers draw from it only while training)."""
    variables = {"params": params, **collections}
    rngs = {"noise": noise_key} if noise_key is not None else None
    if train and collections:
        out, updated = module.apply(variables, inputs, train=True, mutable=list(collections), rngs=rngs, method=method)
        return out, dict(updated)
    return module.apply(variables, inputs, train=train, rngs=rngs, method=method), collections


def global_indices(batch_size, axis_name):
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


def example_keys(key, indices):
    """One key per example: `fold_in(key, i)` for each global index i."""
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(indices)


def step_key(state):
    """The key of step `state.step`: every random number of the step comes from it."""
    return jax.random.fold_in(state.key, state.step)


def critic_keys(key, n_critic):
    """The keys of the step's `n_critic` critic updates (stacked), from its `step_key`."""
    return jax.vmap(lambda c: jax.random.fold_in(jax.random.fold_in(key, CRITIC), c))(jnp.arange(n_critic))


def generator_key(key):
    """The key of the step's generator update, from its `step_key`."""
    return jax.random.fold_in(key, GENERATOR)


def mean_over_devices(tree, axis_name):
    """The mean over the pmap axis (gradients, metrics); the identity for a global batch."""
    return tree if axis_name is None else lax.pmean(tree, axis_name)


def player_update(tx, grads, opt_state, params, *, axis_name=None):
    """One optimizer update of a player: gradients averaged over devices (under pmap), then
    `tx.update` and `optax.apply_updates`. Returns (params, opt_state)."""
    grads = mean_over_devices(grads, axis_name)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state


def ema(decay, ema_params, params):
    """`decay * ema + (1 - decay) * params`; `params` itself when `decay` is None (no EMA)."""
    if decay is None:
        return params
    return jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema_params, params)


def check_batch(game, batch, keys, n_critic):
    """Raise if `batch` does not have exactly `keys`, each with leading axis `n_critic`, and
    integer class labels under "y" / "y_labeled"."""
    if sorted(batch) != sorted(keys):
        raise ValueError(f"game {game!r} takes a batch with keys {list(keys)}, got {sorted(batch)}")
    for name in keys:
        if batch[name].shape[0] != n_critic:
            raise ValueError(f"batch[{name!r}] must have leading axis n_critic={n_critic}, got shape {batch[name].shape}")
    for name in ("y", "y_labeled"):
        if name in batch and not jnp.issubdtype(batch[name].dtype, jnp.integer):
            raise TypeError(f"batch[{name!r}] must hold integer class labels, got dtype {batch[name].dtype}")


def check_critic_updates(n_critic):
    if int(n_critic) != n_critic or n_critic < 1:
        raise ValueError(f"n_critic must be a positive integer, got {n_critic!r}")


def scan_or_unroll(body, carry, xs, *, max_unrolled=None):
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


def fuse_steps(step):
    """K whole steps in one call: `fused(state, batches)` runs `step` over the leading axis of
    `batches` (K, n_critic, B, ...) (`scan_or_unroll`: unrolled for short loops) and returns
    metrics stacked to shape (K,)."""

    def fused(state, batches):
        return scan_or_unroll(step, state, batches)

    return fused


def latents(state, keys, sample_latent):
    """One latent vector per example key, from `fold_in(key, 0)`."""
    return jax.vmap(lambda k: sample_latent(jax.random.fold_in(k, 0), state.latent_shape))(keys)


def generate(state, key, num, *, use_ema=True, sample_latent=normal_latent):
    """`num` samples from the generator in inference mode (BatchNorm running averages).

    Example i uses `fold_in(key, i)`, so the first n of `generate(.., num=N)` equal
    `generate(.., num=n)`.
    """
    keys = example_keys(key, jnp.arange(num))
    return decode(state, latents(state, keys, sample_latent), use_ema=use_ema)


def decode(state, inputs, *, use_ema=True):
    """The generator (EMA or raw) in inference mode on given inputs (latent vectors (N, latent_dim),
    or source images for a translation)."""
    params = state.ema_params if use_ema else state.g_params
    return apply(state.generator, params, state.g_state, inputs, train=False)[0]


# What several games' specs read from a run config (a validated `ml_collections` ConfigDict).

def config_losses(config):
    """(d_loss, g_loss) of `config.loss` with its `loss_options` bound."""
    return losses.adversarial_losses(config.loss, **_options(config.loss_options, config.loss))


def config_penalties(config):
    """The `Penalty` terms of the penalties with weight > 0, with their `penalty_options` bound."""
    return [Penalty(name, losses.penalty(name, **_options(config.penalty_options, name)), weight)
            for name, weight in config.penalties.items() if weight > 0]


def _options(group, name):
    return dict(group[name].items()) if name in group else {}


def reject_translation_data(config):
    """For the games that do not translate images."""
    reject(data.is_translation_data(config.data),
           f"data.name={config.data.name!r} is translation data: use game.name='pix2pix' (paired) or 'cyclegan', "
           f"not {config.game.name!r}")


def penalized(config):
    """Whether a gradient penalty differentiates the critic twice."""
    return any(weight > 0 for weight in config.penalties.values())


def optional(value):
    """A config's 0 ("off") as None, the step factories' off."""
    return value or None


def image_source(config, *, with_labels, **common):
    """A source of the training split of an image dataset (`data.images.ImageSource`)."""
    return ImageSource(data.open_split(config.data, "train"), with_labels=with_labels, **common)


def no_extras(config):
    return None


def no_labels(config):
    return "none"


def gan_only_options(config):
    """The config keys set here that only the unconditional GAN (game.name='gan') reads."""
    m = config.model
    return [name for name, on in (("penalties", penalized(config)), ("clip_bound", config.clip_bound > 0),
                                  ("historical_averaging", config.historical_averaging > 0),
                                  ("model.packing", m.packing > 1),
                                  ("model.d_minibatch_kernels", m.d_minibatch_kernels > 0),
                                  ("model.d_minibatch_std", m.d_minibatch_std)) if on]


def reject(condition, message):
    if condition:
        raise ConfigError(message)


def one_of(value, choices, key):
    reject(value not in choices, f"{key}={value!r} is not one of {list(choices)}")


def positive_int(value, key):
    reject(int(value) != value or value < 1, f"{key} must be a positive integer, got {value!r}")


def weights(group, keys, prefix):
    for key in keys:
        reject(group[key] < 0, f"{prefix}.{key} is a weight and must be >= 0, got {group[key]}")

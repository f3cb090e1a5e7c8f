"""The `Game` spec: a game as the run machinery sees it, in the style of optax's
`GradientTransformation` (a tuple of pure functions), each field typed below. Every function
takes the run config (an `ml_collections.ConfigDict`, validated except by `validate` itself);
none reads files except through `jaxgan.data`. `plain_game` builds the spec of an unconditional
game from its step factory.
"""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan import data
from jaxgan.data import Source
from jaxgan.games import settings
from jaxgan.latents import Prior
from jaxgan.state import TrainState

Config = Any
"""A run config: `ml_collections.ConfigDict` with the keys of `jaxgan.config.base_config()`."""

Batch = dict[str, jax.Array]
"""A step's batch: arrays with leading axis n_critic, then the examples, e.g. {"x": (n_critic, B, ...)}."""

Metrics = dict[str, jax.Array]
"""A step's metrics: scalars by name (e.g. d_loss, g_loss)."""


class Step(Protocol):
    def __call__(self, state: TrainState, batch: Batch) -> tuple[TrainState, Metrics]:
        """One training step: pure, written for one (global) batch without collectives (only the
        pmap form, given `axis_name`, has them)."""


class StepFactory(Protocol):
    def __call__(self, config: Config, axis_name: str | None = None) -> Step:
        """The game's step for `config`; `axis_name` is the pmap axis (None under jit)."""


class ModelsFactory(Protocol):
    def __call__(self, config: Config, axis_name: str | None = None) -> tuple[nn.Module, nn.Module]:
        """(generator, discriminator) flax modules of `config`; `axis_name` for BatchNorm under pmap."""


class SourceFactory(Protocol):
    def __call__(self, config: Config, *, batch_size: int, n_critic: int, seed: int, num_streams: int,
                 process_index: int, process_count: int) -> Source:
        """The training data source: batches of this process's rows for `num_streams` seeds."""


class ExampleBatch(Protocol):
    def __call__(self, config: Config, key: jax.Array, *, batch_size: int, fused: int) -> Batch:
        """A batch of the structure the program's step takes, of random values (images in [-1, 1],
        labels in range): arrays (seeds, fused, n_critic, batch_size, ...), without the seed axis
        when training one seed. For timing and fingerprinting a step without a dataset
        (`jaxgan bench`, `benchmarks.state_hashes`)."""


def accept_any(config: Config) -> None:
    """The `validate` of a game with nothing to check beyond the common keys."""


def no_prior(config: Config) -> None:
    """The `prior` of a game whose generator takes z ~ N(0, I) (or no latent at all)."""


def no_extras(config: Config) -> None:
    """The `extras` of a game that carries no extra state."""


def no_evaluators(config: Config) -> tuple[str, ...]:
    """The `evaluators` of a game measured by sample quality alone."""
    return ()


def no_phases(config: Config) -> None:
    """The `generator_phases` of a game whose generator has one optimizer state."""


def no_state_options(config: Config) -> dict:
    """The `state_options` of a game that keeps no parameter averages."""
    return {}


def no_held_out_inputs(config: Config, num: int) -> None:
    """The `held_out_inputs` of a game whose generator samples from its prior."""


def raw_outputs(config: Config, outputs: Any) -> Any:
    """The `held_out_samples` of a game whose samples are its generator's outputs as they are."""
    return outputs


def data_batch_size(config: Config) -> tuple[int, ...]:
    """The `batch_sizes` of a game whose batch arrays all hold `data.batch_size` examples."""
    return (config.data.batch_size,)


class Game(NamedTuple):
    """A game as the run machinery sees it.

    Attributes:
      name: `config.game.name`.
      defaults: {"game.key" / "translation.key": default} of the config keys this game reads
        beyond the common ones (loss, penalties, model, data, optimizer, train); `config`'s schema
        is their union over all games (a key two games read has one default), and
        `config.validate` rejects a changed key that the chosen game does not read.
      validate: `validate(config) -> None`: raise `ConfigError` for settings this game cannot take.
      models: `ModelsFactory`.
      step: `StepFactory`.
      prior: `prior(config) -> latents.Prior | None` (None: z ~ N(0, I) of `model.latent_dim`).
      generator_input_shape: `(config) -> shape` of one generator input.
      discriminator_example: `(config) -> a zero input of D's structure` (for `state.create`).
      extras: `(config) -> the extra state the game carries` (`TrainState.extras`; None if none).
      source: `SourceFactory`.
      example_batch: `ExampleBatch`.
      evaluators: `(config) -> names` of the game's own measures (`jaxgan.evaluation.EVALUATORS`),
        evaluated with every evaluation beside sample quality.
      generator_phases: `(config) -> {phase: learning rate} | None`: a generator updated in several
        phases per step, each with its own state of optimizer.g's kind at its own rate
        (`optimizers.phased_optimizer`; the phased AAE); None: one optimizer state.
      model_keys: `model` keys the game reads itself (its own networks), beside those of the
        network family `model.name` names (`jaxgan.nets.registry`).
      techniques: names of the `jaxgan.techniques.TECHNIQUES` the game composes; a config that
        switches on another one is rejected.
      state_options: `(config) -> keyword options of state.create` (parameter averages to keep).
      batch_sizes: `(config) -> the example counts of the batch's arrays` (each must divide over
        the devices of a data-parallel run).
      held_out_inputs: `(config, num) -> generator inputs or None`: the inputs whose outputs are
        the run's samples when they are not drawn from a prior (translation: held-out sources).
      held_out_samples: `(config, outputs (S, N, ...)) -> samples`: the samples made of the
        generator's outputs on `held_out_inputs` (the inpainting games keep the known pixels and
        take the hole from the output); by default the outputs themselves.
    """

    name: str
    defaults: Mapping[str, Any]
    validate: Callable[[Config], None]
    models: ModelsFactory
    step: StepFactory
    prior: Callable[[Config], Prior | None]
    generator_input_shape: Callable[[Config], tuple[int, ...]]
    discriminator_example: Callable[[Config], Any]
    extras: Callable[[Config], Any]
    source: SourceFactory
    example_batch: ExampleBatch
    evaluators: Callable[[Config], tuple[str, ...]] = no_evaluators
    generator_phases: Callable[[Config], dict[str, float] | None] = no_phases
    model_keys: tuple[str, ...] = ()
    techniques: frozenset[str] = frozenset()
    state_options: Callable[[Config], dict] = no_state_options
    batch_sizes: Callable[[Config], tuple[int, ...]] = data_batch_size
    held_out_inputs: Callable[[Config, int], jax.Array | None] = no_held_out_inputs
    held_out_samples: Callable[[Config, Any], Any] = raw_outputs


def leading_axes(config: Config, fused: int, n_critic: int | None = None) -> tuple[int, ...]:
    """The axes of a program's batch before the examples: [seeds,] fused steps, critic updates."""
    seeds = (config.num_seeds,) if config.num_seeds > 1 else ()
    return seeds + (fused, config.n_critic if n_critic is None else n_critic)


def random_images(key: jax.Array, lead: tuple[int, ...], count: int, shape: tuple[int, ...]) -> jax.Array:
    """Uniform values in [-1, 1] of shape lead + (count,) + shape."""
    return jax.random.uniform(key, tuple(lead) + (count,) + tuple(shape), minval=-1, maxval=1)


def unconditional_batch(config: Config, key: jax.Array, *, batch_size: int, fused: int) -> Batch:
    """The `example_batch` of an unconditional game ({"x"}): random images, or for the 2D
    mixtures a batch drawn from the mixture's own source."""
    if not data.is_image(config.data):
        source = unconditional_source(config, batch_size=batch_size, n_critic=config.n_critic, seed=config.seed,
                                      num_streams=config.num_seeds, process_index=jax.process_index(),
                                      process_count=jax.process_count())
        batch = source.next(fused)  # (seeds, fused, n_critic, B, 2)
        return batch if config.num_seeds > 1 else jax.tree.map(lambda x: x[0], batch)
    keys = jax.random.split(key, 4)  # x from the first, as the labeled games' batches draw theirs
    return {"x": random_images(keys[0], leading_axes(config, fused), batch_size, data.example_shape(config.data))}


def unconditional_source(config: Config, **common) -> Source:
    """The `source` of an unconditional game: the 2D mixture, or the image training split."""
    if not data.is_image(config.data):
        return data.SyntheticSource(config.data.name, train_size=config.data.train_size, **common)
    return settings.image_source(config, with_labels=False, **common)


def plain_game(name: str, *, step: StepFactory, defaults: Mapping[str, Any] | None = None,
               validate: Callable[[Config], None] = accept_any,
               discriminator: Callable[[Config, str | None], nn.Module] | None = None, model_keys: tuple[str, ...] = (),
               techniques: tuple[str, ...] = (), state_options: Callable[[Config], dict] = no_state_options,
               evaluators: Callable[[Config], tuple[str, ...]] = no_evaluators,
               extras: Callable[[Config], Any] = no_extras) -> Game:
    """The `Game` of an unconditional game: G(z), z ~ N(0, I) of `model.latent_dim`; batches
    {"x": (n_critic, B, ...)} of a 2D mixture or an image dataset's training split; the networks
    of the family `model.name` names, D replaced by `discriminator(config, axis_name)` when given; `extras`
    the state the game carries (`TrainState.extras`). Its `validate` rejects translation data,
    then calls `validate`.

    Example (a game in one module: the step factory and this spec):
      >>> GAME = plain_game("my_game", step=lambda config, axis_name=None: make_my_step(...))
    """

    def check(config):
        settings.reject_translation_data(config)
        validate(config)

    def models(config, axis_name=None):
        generator, critic = settings.family_networks(config, axis_name)
        return generator, critic if discriminator is None else discriminator(config, axis_name)

    def discriminator_example(config):
        return jnp.zeros((config.model.packing,) + data.example_shape(config.data), jnp.float32)

    return Game(
        name=name, defaults=dict(defaults or {}), validate=check, models=models, step=step, prior=no_prior,
        generator_input_shape=lambda config: (config.model.latent_dim,), discriminator_example=discriminator_example,
        extras=extras, source=unconditional_source, example_batch=unconditional_batch, evaluators=evaluators,
        model_keys=tuple(model_keys), techniques=frozenset(techniques), state_options=state_options)

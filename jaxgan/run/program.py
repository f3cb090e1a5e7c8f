"""The compiled program of a run config: its game's networks and step (fused, seed-vmapped,
data-parallel), state creation, sampling, the data source and the optimizers.

It never knows which GAN variant it runs: the game's spec (`jaxgan.games.get(config.game.name)`)
builds the networks, the step, the data source and the extra state.
"""

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan import backend, data, games, parallel
from jaxgan.data import Source
from jaxgan.data.images import to_model_range
from jaxgan.errors import DataError
from jaxgan.games import decode, fuse_steps, generate
from jaxgan.games.steps import STANDING_SALT, standing_statistics, truncated_latent
from jaxgan.latents import Prior
from jaxgan.optimizers import build_optimizer, phased_optimizer
from jaxgan.run.memory import memory_plan
from jaxgan.state import TrainState, create


def _parallel_mode(config, num_devices):
    mode = config.train.parallel
    if mode == "auto":
        mode = "jit" if num_devices > 1 else "single"
    if mode == "pmap" and jax.process_count() > 1:
        raise ValueError("train.parallel='pmap' is single-host; use 'jit' (the default) for multi-host runs")
    return mode


def seed_loop(config) -> str:
    """How the seeds of one program run: "vmap" (batched into each operation) or "unrolled" (each
    seed's own operations, side by side in the program). `train.seed_loop="auto"`: "unrolled" for
    image data on the CPU, where XLA runs a vmapped convolution as a grouped one, slower than the
    seeds' own (SNGAN's step, 3 seeds, batch 64: 1,469 ms vmapped, 769 ms unrolled, 301 ms for one
    seed; benchmarks/README.md), else "vmap" (faster for the 2D MLPs)."""
    loop = config.train.seed_loop
    if loop == "auto":
        return "unrolled" if jax.default_backend() == "cpu" and data.is_image(config.data) else "vmap"
    return loop


def _unrolled(fn):
    """`fn` over a leading seed axis of all its arguments, seed by seed, unrolled in the program
    (not `jax.lax.map`: XLA:CPU runs convolutions inside its loop about 20x slower, 14.4 s for the
    step above)."""

    def run(*args):
        seeds = jax.tree.leaves(args)[0].shape[0]
        outputs = [fn(*jax.tree.map(lambda x: x[s], args)) for s in range(seeds)]
        return jax.tree.map(lambda *xs: jnp.stack(xs), *outputs)

    return run


class Program:
    """The compiled training program of a config: state creation, the (fused, seed-vmapped,
    data-parallel) step, sampling, and conversion to and from the checkpointed form.

    `devices`: the devices to train on (default: every device of every process); `jaxgan bench
    --devices N` passes the first N."""

    def __init__(self, config, devices=None):
        self.config = config
        self.devices = None if devices is None else list(devices)
        self.mode = _parallel_mode(config, jax.device_count() if devices is None else len(self.devices))
        self.num_seeds = config.num_seeds
        axis_name = parallel.DATA_AXIS if self.mode == "pmap" else None
        self.game = games.get(config.game.name)
        self.generator, self.discriminator = self.game.models(config, axis_name)
        step = fuse_steps(self.game.step(config, axis_name))
        seeded = self.num_seeds > 1
        self.seed_loop = seed_loop(config)
        over_seeds = jax.vmap if self.seed_loop == "vmap" else _unrolled
        if seeded:
            step = over_seeds(step)
        # batch axes: [seed,] fused step, critic step, example, features...
        self.example_axis = 3 if seeded else 2
        num_devices = (jax.device_count() if devices is None else len(self.devices)) if self.mode != "single" else 1
        for size in self.game.batch_sizes(config):
            parallel.check_divisible(size, num_devices)
        if self.mode == "single":
            self.step = parallel.single_device(step, cpu_convolutions=config.train.cpu_convolutions)
        elif self.mode == "jit":
            self.mesh = parallel.make_mesh(self.devices)
            self.step = parallel.data_parallel(step, self.mesh, example_axis=self.example_axis,
                                               cpu_convolutions=config.train.cpu_convolutions)
        else:
            self.step = parallel.pmap_step(step, example_axis=self.example_axis, devices=self.devices)
        # What samples are drawn from: the game's prior, truncated as `eval.truncation` says.
        self.prior = self.game.prior(config)
        truncation = config.eval.truncation
        if self.prior is not None and truncation:
            self.prior = self.prior._replace(truncation=truncation)
        prior_sample = truncated_latent(truncation) if self.prior is None else self.prior.sample_latent

        def sample(state, key, num, use_ema):
            draw = lambda s: generate(s, key, num, use_ema=use_ema, sample_latent=prior_sample)
            return over_seeds(draw)(state) if seeded else draw(state)

        def decode_latents(state, latents, use_ema):
            run = lambda s: decode(s, latents, use_ema=use_ema)
            return over_seeds(run)(state) if seeded else run(state)[None]

        def standing(state, use_ema):
            e = config.eval
            recompute = lambda s: s.replace(g_state=standing_statistics(
                s, jax.random.fold_in(s.key, STANDING_SALT), num_batches=-(-e.num_samples // e.batch_size),
                batch_size=e.batch_size, use_ema=use_ema, sample_latent=prior_sample))
            return over_seeds(recompute)(state) if seeded else recompute(state)

        options = backend.compiler_options(config.train.cpu_convolutions)
        self._standing = jax.jit(standing, static_argnums=(1,), compiler_options=options)
        self._sample = jax.jit(sample, static_argnums=(2, 3), compiler_options=options)
        self._decode = jax.jit(decode_latents, static_argnums=(2,), compiler_options=options)

    def init_state(self, init_x=None) -> TrainState:
        """A fresh state in checkpoint form (seed-stacked when num_seeds > 1). `init_x`: the real
        batch every seed's discriminator is initialized with (`data_init_batch`), for configs
        with data-dependent initialization; None: zeros (enough for a checkpoint template)."""
        c = self.config
        g_tx, d_tx = build_optimizers(c)
        make = lambda key: create(
            generator=self.generator,
            discriminator=self.discriminator,
            g_tx=g_tx,
            d_tx=d_tx,
            latent_shape=self.game.generator_input_shape(c),
            sample_x=self.game.discriminator_example(c),
            key=key,
            extras=self.game.extras(c),
            init_x=init_x,
            **self.game.state_options(c),
        )
        keys = jax.vmap(jax.random.key)(c.seed + jnp.arange(self.num_seeds))
        return jax.vmap(make)(keys) if self.num_seeds > 1 else make(keys[0])

    def compile_step(self, state, batch) -> dict | None:
        """Compile the step for these placed arguments before its first call, and call the
        compiled form from then on; returns its memory plan (`jaxgan.run.memory.memory_plan`),
        or None under pmap (which has no ahead-of-time form here) or where the backend reports
        none."""
        if self.mode == "pmap":
            return None
        self._jitted = self.step
        compiled = self.step.lower(state, batch).compile()
        self.step = compiled
        return memory_plan(compiled)

    def plan_at(self, state, batch, size) -> dict | None:
        """The memory plan of the step (after `compile_step`) on `size` examples of `batch`'s
        shapes: compiled, not run."""
        def resized(x):
            shape = x.shape[: self.example_axis] + (size,) + x.shape[self.example_axis + 1 :]
            sharding = x.sharding if self.mode == "single" else parallel.batch_sharding(self.mesh, self.example_axis)
            return jax.ShapeDtypeStruct(shape, x.dtype, sharding=sharding)

        return memory_plan(self._jitted.lower(state, jax.tree.map(resized, batch)).compile())

    def local_devices(self) -> list:
        """The devices of this process that the step runs on."""
        if self.mode == "single":
            return [self.devices[0] if self.devices else jax.local_devices()[0]]
        devices = self.devices or jax.devices()
        return [d for d in devices if d.process_index == jax.process_index()]

    def to_device(self, state) -> TrainState:
        if self.mode == "jit":
            return parallel.replicate_state(state, self.mesh)
        if self.mode == "pmap":
            return parallel.replicate(state, self.devices)
        return state if self.devices is None else jax.device_put(state, self.devices[0])

    def from_device(self, state) -> TrainState:
        return parallel.unreplicate(state) if self.mode == "pmap" else state

    def place_batch(self, batch) -> dict:
        if self.mode == "jit":
            return parallel.shard_batch(batch, self.mesh, example_axis=self.example_axis)
        return batch if self.devices is None or self.mode == "pmap" else jax.device_put(batch, self.devices[0])

    def decode(self, state, latents, use_ema=None) -> np.ndarray:
        """Generator outputs (S, N, ...) of given latents (N, latent_dim) for every seed, in
        batches of `eval.batch_size`."""
        use_ema = self.default_use_ema() if use_ema is None else use_ema
        state = self.sampling_state(state, use_ema)
        batch = self.config.eval.batch_size
        chunks = [np.asarray(jax.device_get(self._decode(state, latents[s : s + batch], use_ema)))
                  for s in range(0, latents.shape[0], batch)]
        return np.concatenate(chunks, axis=1)

    def sampling_state(self, state, use_ema) -> TrainState:
        """The state generators sample from: with `eval.bn_statistics="standing"`, the generator's
        BatchNorm statistics recomputed for the weights evaluated (`games.steps.standing_statistics`
        on eval.num_samples latents from fold_in(state.key, STANDING_SALT)); else as trained. With
        `eval.truncation_psi` != 1, StyleGAN2's generator truncated toward its tracked mean w."""
        state = self.from_device(state)
        if self.config.eval.bn_statistics == "standing":
            state = self._standing(state, use_ema)
        psi = self.config.eval.truncation_psi
        if psi != 1:  # StyleGAN's truncation in W (`eval.truncation_psi`), for sampling only
            state = state.replace(generator=state.generator.clone(truncation_psi=psi))
        return state

    def seed_states(self, state) -> list[TrainState]:
        """The train state of each seed (host copies), for evaluating its networks."""
        state = jax.device_get(self.from_device(state))
        if self.num_seeds == 1:
            return [state]
        return [jax.tree.map(lambda x, s=s: x[s], state) for s in range(self.num_seeds)]

    def default_use_ema(self) -> bool:
        return self.config.ema_decay > 0

    def samples(self, state, key, num=None, use_ema=None) -> np.ndarray:
        """Generator samples (S, N, ...) for every seed (S = 1 when training one seed); by default
        `eval.num_samples` from the EMA generator when EMA is on. They are drawn in batches of
        `eval.batch_size` (batch b from `fold_in(key, b)`), so memory does not grow with N.
        A game whose samples are not drawn from a prior (translation) gives its held-out inputs
        (`Game.held_out_inputs`), and the samples are made of their outputs (`Game.held_out_samples`;
        `key` unused)."""
        num = self.config.eval.num_samples if num is None else num
        use_ema = self.default_use_ema() if use_ema is None else use_ema
        inputs = self.game.held_out_inputs(self.config, num)
        if inputs is not None:
            return self.game.held_out_samples(self.config, self.decode(state, inputs, use_ema))
        batch = self.config.eval.batch_size
        state = self.sampling_state(state, use_ema)
        chunks = [np.asarray(jax.device_get(self._sample(state, jax.random.fold_in(key, b), batch, use_ema)))
                  for b in range(-(-num // batch))]
        out = np.concatenate(chunks, axis=1 if self.num_seeds > 1 else 0)
        out = out[:, :num] if self.num_seeds > 1 else out[None, :num]
        return out


class ProgramSampler:
    """The `evaluation.Sampler` of a program's train state: what evaluators may call."""

    def __init__(self, program: "Program", state: TrainState):
        self.program, self.state = program, state
        self.num_seeds: int = program.num_seeds
        self.prior: Prior | None = program.prior

    def samples(self, key: jax.Array, num: int, use_ema: bool) -> np.ndarray:
        return self.program.samples(self.state, key, num, use_ema)

    def decode(self, latents: np.ndarray, use_ema: bool) -> np.ndarray:
        return self.program.decode(self.state, latents, use_ema)

    def seed_states(self) -> list[TrainState]:
        return self.program.seed_states(self.state)


def make_source(config: Any) -> Source:
    """The training data source of `config`: its game's (`Game.source`), one stream per seed."""
    return games.get(config.game.name).source(
        config, batch_size=config.data.batch_size, n_critic=config.n_critic, seed=config.seed,
        num_streams=config.num_seeds, process_index=jax.process_index(), process_count=jax.process_count())


def build_optimizers(config: Any) -> tuple:
    """(g_tx, d_tx) of a config. A schedule runs over each player's own number of updates: the
    generator's `train.num_steps`, the discriminator's `train.num_steps * n_critic` (it updates
    n_critic times per step), so that both decay over the whole run. A game with generator phases
    (`Game.generator_phases`) gets a `phased_optimizer` of optimizer.g's kind at each phase's rate."""
    num_steps = config.train.num_steps
    phases = games.get(config.game.name).generator_phases(config)
    if phases is None:
        g_tx = build_optimizer(config.optimizer.g, num_steps)
    else:
        g_tx = phased_optimizer({name: build_optimizer(_with_rate(config.optimizer.g, rate), num_steps)
                                 for name, rate in phases.items()})
    return g_tx, build_optimizer(config.optimizer.d, num_steps * config.n_critic)


def _with_rate(opt, rate):
    """A copy of the optimizer config `opt` at learning rate `rate`."""
    opt = opt.copy_and_resolve_references()
    opt.learning_rate = rate
    return opt


DATA_INIT_SALT = 0xD1A1  # keeps the init batch's order independent of the batch permutations


def data_init_batch(config, size=500) -> jax.Array | None:
    """The real batch that data-dependent initialization reads (`model.d_weight_norm_data_init`):
    `size` training images in an order drawn from `config.seed` (the Improved-GAN code: the first
    500 of its seeded permutation), or None when the config does not initialize from data."""
    if not config.model.d_weight_norm_data_init:
        return None
    images = data.open_split(config.data, "train")
    if len(images) < size:
        raise DataError(
            f"data-dependent initialization reads {size} training images; {images.origin} has {len(images)}"
        )
    order = np.random.default_rng([config.seed, DATA_INIT_SALT]).permutation(len(images))[:size]
    return jnp.asarray(to_model_range(images.take(np.sort(order))))

"""The compiled program of a run config: its game's networks and step (fused, seed-vmapped,
data-parallel), state creation, sampling, the data source and the optimizers.

It never knows which GAN variant it runs: the game's spec (`jaxgan.games.get(config.game.name)`)
builds the networks, the step, the data source and the extra state.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxgan import backend, data, games, parallel
from jaxgan.data.images import to_model_range
from jaxgan.data.translation import held_out
from jaxgan.errors import DataError
from jaxgan.games import decode, fuse_steps, generate, normal_latent
from jaxgan.state import create


def _parallel_mode(config, num_devices):
    mode = config.train.parallel
    if mode == "auto":
        mode = "jit" if num_devices > 1 else "single"
    if mode == "pmap" and jax.process_count() > 1:
        raise ValueError("train.parallel='pmap' is single-host; use 'jit' (the default) for multi-host runs")
    return mode


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
        if seeded:
            step = jax.vmap(step)
        # batch axes: [seed,] fused step, critic step, example, features...
        self.example_axis = 3 if seeded else 2
        num_devices = (jax.device_count() if devices is None else len(self.devices)) if self.mode != "single" else 1
        parallel.check_divisible(config.data.batch_size, num_devices)
        if self.game.labels(config) == "subset":
            parallel.check_divisible(config.game.labeled_batch_size, num_devices)
        if self.mode == "single":
            self.step = parallel.single_device(step, cpu_convolutions=config.train.cpu_convolutions)
        elif self.mode == "jit":
            self.mesh = parallel.make_mesh(self.devices)
            self.step = parallel.data_parallel(step, self.mesh, example_axis=self.example_axis,
                                               cpu_convolutions=config.train.cpu_convolutions)
        else:
            self.step = parallel.pmap_step(step, example_axis=self.example_axis, devices=self.devices)
        self.data_shape = data.example_shape(config.data)
        self.prior = self.game.prior(config)
        prior_sample = normal_latent if self.prior is None else self.prior.sample_latent

        def sample(state, key, num, use_ema):
            draw = lambda s: generate(s, key, num, use_ema=use_ema, sample_latent=prior_sample)
            return jax.vmap(draw)(state) if seeded else draw(state)

        def decode_latents(state, latents, use_ema):
            run = lambda s: decode(s, latents, use_ema=use_ema)
            return jax.vmap(run)(state) if seeded else run(state)[None]

        options = backend.compiler_options(config.train.cpu_convolutions)
        self._sample = jax.jit(sample, static_argnums=(2, 3), compiler_options=options)
        self._decode = jax.jit(decode_latents, static_argnums=(2,), compiler_options=options)

    def init_state(self, init_x=None):
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
            track_param_averages=c.historical_averaging > 0,
            extras=self.game.extras(c),
            d_average=c.game.d_average_decay > 0,
            init_x=init_x,
        )
        keys = jax.vmap(jax.random.key)(c.seed + jnp.arange(self.num_seeds))
        return jax.vmap(make)(keys) if self.num_seeds > 1 else make(keys[0])

    def to_device(self, state):
        if self.mode == "jit":
            return parallel.replicate_state(state, self.mesh)
        if self.mode == "pmap":
            return parallel.replicate(state, self.devices)
        return state if self.devices is None else jax.device_put(state, self.devices[0])

    def from_device(self, state):
        return parallel.unreplicate(state) if self.mode == "pmap" else state

    def place_batch(self, batch):
        if self.mode == "jit":
            return parallel.shard_batch(batch, self.mesh, example_axis=self.example_axis)
        return batch if self.devices is None or self.mode == "pmap" else jax.device_put(batch, self.devices[0])

    def decode(self, state, latents, use_ema=None):
        """Generator outputs (S, N, ...) of given latents (N, latent_dim) for every seed, in
        batches of `eval.batch_size`."""
        use_ema = self.default_use_ema() if use_ema is None else use_ema
        state = self.from_device(state)
        batch = self.config.eval.batch_size
        chunks = [np.asarray(jax.device_get(self._decode(state, latents[s : s + batch], use_ema)))
                  for s in range(0, latents.shape[0], batch)]
        return np.concatenate(chunks, axis=1)

    def seed_states(self, state):
        """The train state of each seed (host copies), for evaluating its networks."""
        state = jax.device_get(self.from_device(state))
        if self.num_seeds == 1:
            return [state]
        return [jax.tree.map(lambda x, s=s: x[s], state) for s in range(self.num_seeds)]

    def default_use_ema(self):
        return self.config.ema_decay > 0

    def held_out_sources(self, num):
        """The first `num` test sources (domain A) of a translation config, in [-1, 1]."""
        d = self.config.data
        return held_out(d.name, num, source=d.source, directory=d.dir, image_size=d.image_size)[0]

    def samples(self, state, key, num=None, use_ema=None):
        """Generator samples (S, N, ...) for every seed (S = 1 when training one seed); by default
        `eval.num_samples` from the EMA generator when EMA is on. They are drawn in batches of
        `eval.batch_size` (batch b from `fold_in(key, b)`), so memory does not grow with N.
        Translation configs: the translations of the first N held-out sources (`key` unused)."""
        num = self.config.eval.num_samples if num is None else num
        use_ema = self.default_use_ema() if use_ema is None else use_ema
        if data.is_translation_data(self.config.data):
            return self.decode(state, self.held_out_sources(num), use_ema)
        batch = self.config.eval.batch_size
        state = self.from_device(state)
        chunks = [np.asarray(jax.device_get(self._sample(state, jax.random.fold_in(key, b), batch, use_ema)))
                  for b in range(-(-num // batch))]
        out = np.concatenate(chunks, axis=1 if self.num_seeds > 1 else 0)
        out = out[:, :num] if self.num_seeds > 1 else out[None, :num]
        return out


def make_source(config):
    """The training data source of `config`: its game's (`Game.source`), one stream per seed."""
    return games.get(config.game.name).source(
        config, batch_size=config.data.batch_size, n_critic=config.n_critic, seed=config.seed,
        num_streams=config.num_seeds, process_index=jax.process_index(), process_count=jax.process_count())


def learning_rate(opt, num_steps):
    """The learning rate (a float, or an optax schedule of the update count) of `opt`."""
    if opt.schedule == "constant":
        return opt.learning_rate
    start = int(round(opt.decay_start * num_steps))
    return optax.join_schedules(
        [optax.constant_schedule(opt.learning_rate),
         optax.linear_schedule(opt.learning_rate, 0.0, max(num_steps - start, 1))], [start])


def build_optimizer(opt, num_steps=None):
    """The optax transformation of `optimizer.g` / `optimizer.d`; `num_steps` (train.num_steps)
    is needed by the linear_decay schedule."""
    if opt.schedule != "constant" and num_steps is None:
        raise ValueError(f"schedule {opt.schedule!r} needs num_steps")
    rate = learning_rate(opt, num_steps)
    if opt.name == "adam":
        return optax.adam(rate, b1=opt.b1, b2=opt.b2, eps=opt.eps, eps_root=opt.eps_root)
    if opt.name == "rmsprop":
        return optax.rmsprop(rate, decay=opt.decay)
    return optax.sgd(rate, momentum=opt.momentum or None)


def phased_optimizer(transforms):
    """One optax transformation made of a transformation per named phase (a player updated in
    several phases per step, each with its own optimizer state: the phased AAE). Its state is
    {phase: state}; `update` takes gradients {phase: grads} for the phases updated now, advances
    only their states and returns the sum of their updates."""
    transforms = dict(transforms)

    def init(params):
        return {name: tx.init(params) for name, tx in transforms.items()}

    def update(grads, state, params=None):
        unknown = sorted(set(grads) - set(transforms))
        if unknown or not grads:
            raise ValueError(f"phased optimizer: gradients must be keyed by some of the phases {sorted(transforms)}, "
                             f"got {sorted(grads)}")
        state, total = dict(state), None
        for name, phase_grads in grads.items():
            updates, state[name] = transforms[name].update(phase_grads, state[name], params)
            total = updates if total is None else jax.tree.map(jnp.add, total, updates)
        return total, state

    return optax.GradientTransformation(init, update)


def build_optimizers(config):
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


def data_init_batch(config, size=500):
    """The real batch that data-dependent initialization reads (`model.d_weight_norm_data_init`):
    `size` training images in an order drawn from `config.seed` (the Improved-GAN code: the first
    500 of its seeded permutation), or None when the config does not initialize from data."""
    if not config.model.d_weight_norm_data_init:
        return None
    images = data.open_split(config.data, "train")
    if len(images) < size:
        raise DataError(f"data-dependent initialization reads {size} training images; {images.origin} has {len(images)}")
    order = np.random.default_rng([config.seed, DATA_INIT_SALT]).permutation(len(images))[:size]
    return jnp.asarray(to_model_range(images.take(np.sort(order))))

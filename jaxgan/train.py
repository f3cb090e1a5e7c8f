"""The training loop: compile the configured step, feed it data, checkpoint, log, evaluate.

It never knows which GAN variant it runs: the game's spec (`jaxgan.games.get(config.game.name)`)
builds the networks, the step, the data source and the extra state, and the loop only moves
batches, metrics and checkpoints.
"""

import contextlib
import json
import os
import signal
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from jaxgan import backend, data, games, parallel
from jaxgan.checkpoint import Checkpointer, NonFiniteStateError
from jaxgan.config import validate
from jaxgan.data import MIXTURES
from jaxgan.data.images import to_model_range
from jaxgan.data.translation import held_out
from jaxgan.errors import DataError
from jaxgan.evaluation import EVAL_KEY_SALT, Evaluator, evaluate_game
from jaxgan.state import create
from jaxgan.games import decode, fuse_steps, generate, normal_latent
from jaxgan.workdir import (WorkdirLock, check_config_change, describe_holder, read_run_config, record_config,
                            truncate_metrics)
from jaxgan.writers import MetricWriter


class NonFiniteError(RuntimeError):
    """A loss, a penalty or the state became NaN or infinite; the run stopped without saving that
    state, and the message names the last (finite) checkpoint."""


class Interrupted(Exception):
    """SIGTERM or SIGINT arrived; a checkpoint was saved. `signum` says which."""

    def __init__(self, signum, step):
        super().__init__(f"stopped by signal {signal.Signals(signum).name} at step {step}; checkpoint saved")
        self.signum = signum
        self.step = step


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
    return optax.sgd(rate)


def build_optimizers(config):
    """(g_tx, d_tx) of a config. A schedule runs over each player's own number of updates: the
    generator's `train.num_steps`, the discriminator's `train.num_steps * n_critic` (it updates
    n_critic times per step), so that both decay over the whole run."""
    return (build_optimizer(config.optimizer.g, config.train.num_steps),
            build_optimizer(config.optimizer.d, config.train.num_steps * config.n_critic))


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


class Prefetcher:
    """Prepares the next host batch in a background thread while the devices run the current
    step. `get_state()` is the source position after the batches handed out so far (not the one
    prepared ahead), so checkpoints resume exactly."""

    def __init__(self, source, count):
        from concurrent.futures import ThreadPoolExecutor

        self.source = source
        self.count = count
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="jaxgan-data")
        self._state = source.get_state()
        self._ahead = None

    def _prepare(self):
        batch = self.source.next(self.count)
        return batch, self.source.get_state()

    def next(self):
        batch, self._state = self._ahead.result() if self._ahead is not None else self._prepare()
        self._ahead = self._pool.submit(self._prepare)
        return batch

    def get_state(self):
        return self._state

    def close(self):
        if self._ahead is not None:
            self._ahead.cancel()
        self._pool.shutdown(wait=True)


def eval_key(config):
    return jax.random.fold_in(jax.random.key(config.seed), EVAL_KEY_SALT)


def _first_non_finite(metrics):
    """(name, fused index, seed or None) of the earliest non-finite metric, else None.
    Metrics are (fused,) or, with several seeds, (seed, fused)."""
    found = []
    for name, values in metrics.items():
        values = np.asarray(values)
        for bad in np.argwhere(~np.isfinite(values)):
            index, seed = (int(bad[1]), int(bad[0])) if values.ndim == 2 else (int(bad[0]), None)
            found.append((index, name, seed))
    if not found:
        return None
    index, name, seed = min(found, key=lambda f: f[0])
    return name, index, seed


def _config_json(config):
    return json.loads(config.to_json())


def _save_config(config, workdir, step, changes):
    """Write config.json and append the change (or, for a new run, the whole config) to the history."""
    if jax.process_index() != 0:
        return
    temporary = os.path.join(workdir, "config.json.tmp")
    with open(temporary, "w") as f:
        f.write(config.to_json(indent=2))
    os.replace(temporary, os.path.join(workdir, "config.json"))
    record_config(workdir, step, _config_json(config), changes)


def _report(line):
    if jax.process_index() == 0:
        print(f"jaxgan: {line}", file=sys.stderr, flush=True)


def _resume(checkpoints, state, step, report):
    """(state, data_state or None) restored from checkpoint `step` (None: the newest intact one).
    Checkpoints newer than the one restored (damaged ones, or those past an explicit `step`) are
    moved to checkpoints.set_aside/, so that the run's new saves cannot collide with them."""
    if checkpoints.latest_step() is None:
        if step is not None:
            checkpoints.restore(state, step=step)  # raises: no checkpoint at all
        return state, None
    state, data_state = checkpoints.restore(state, step=step, report=report)
    restored = int(np.asarray(jax.device_get(state.step)).reshape(-1)[0])
    newer = [s for s in checkpoints.all_steps() if s > restored]
    if newer:
        why = "superseded" if step is not None else "damaged"
        moved = checkpoints.set_aside(newer, why)
        report(f"resuming from step {restored}; the newer checkpoints {newer} were moved to "
               f"{os.path.dirname(moved[0]) if moved else checkpoints.directory + '.set_aside'}")
    return state, data_state


class _SignalFlag:
    """Records SIGTERM/SIGINT instead of dying, so the loop can save and stop cleanly."""

    def __init__(self):
        self.signum = None
        self._previous = {}

    def __enter__(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum, frame):
        self.signum = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def train(config, workdir, *, step=None, allow_config_change=False):
    """Train `config` in `workdir`, resuming from its newest intact checkpoint if there is one
    (or from checkpoint `step`; newer ones are then moved aside).

    The workdir is locked for the run (`WorkdirLocked` if another `train` holds it). Resuming
    with a config that differs from the saved one in what it computes raises `ConfigChanged`
    unless `allow_config_change`; every change is recorded in `config_history.jsonl`.

    Returns a dict: final `step`, `evaluation` (metrics per seed, summary over seeds, protocol),
    `samples` (S, N, ...) and `timing` (seconds from this call to the end of the first step,
    the first step's call incl. compile, the median call). Raises
    `NonFiniteError` when a loss or the state turns NaN/inf (nothing is saved past the last
    finite checkpoint), and `Interrupted` after saving when SIGTERM/SIGINT arrives.
    """
    launched = time.perf_counter()
    validate(config)
    os.makedirs(workdir, exist_ok=True)
    lock = WorkdirLock(workdir) if jax.process_index() == 0 else contextlib.nullcontext()
    with lock:
        if getattr(lock, "stale", None):
            _report(f"took over the lock of a run that is no longer running ({describe_holder(lock.stale)})")
        return _train_locked(config, workdir, step, allow_config_change, launched)


def _train_locked(config, workdir, resume_step, allow_config_change, launched):
    checkpoints = Checkpointer(os.path.join(workdir, "checkpoints"), keep=config.train.keep_checkpoints)
    changes = None
    if checkpoints.latest_step() is not None and os.path.exists(os.path.join(workdir, "config.json")):
        changes = check_config_change(_config_json(read_run_config(workdir)), _config_json(config),
                                      allow=allow_config_change, workdir=workdir)
    program = Program(config)
    source = make_source(config)
    state, data_state = _resume(checkpoints, program.init_state(init_x=data_init_batch(config)), resume_step, _report)
    if data_state is not None:
        source.set_state(data_state)
    step = int(np.asarray(jax.device_get(state.step)).reshape(-1)[0])
    resumed = data_state is not None
    if jax.process_index() == 0:
        truncate_metrics(os.path.join(workdir, "metrics.jsonl"), step)
    _save_config(config, workdir, step, changes if resumed else None)
    writer = MetricWriter(workdir, tensorboard=config.train.tensorboard, resumed_at=step if resumed else None)
    if hasattr(source, "describe") and jax.process_index() == 0:  # the labeled subset a source chose
        with open(os.path.join(workdir, "labeled_subset.json"), "w") as f:
            json.dump(source.describe(config.seed), f)
    saved_step = step if resumed else None
    state = program.to_device(state)
    t = config.train
    fused = t.fused_steps
    call_times = []
    progress = tqdm(total=t.num_steps, initial=step, unit="step", disable=not t.progress or jax.process_index() != 0,
                    dynamic_ncols=True, desc=os.path.basename(os.path.normpath(workdir)))

    def last_good():
        if saved_step is None:
            return "no checkpoint was saved yet"
        return f"the last good checkpoint is step {saved_step} in {checkpoints.directory}"

    def save():
        nonlocal saved_step
        if saved_step != step:
            try:
                checkpoints.save(step, program.from_device(state), batches.get_state())
            except NonFiniteStateError as error:
                raise NonFiniteError(f"{error}; stopping: {last_good()}") from None
            saved_step = step

    def due(interval):
        return interval > 0 and step % interval == 0

    evaluator = Evaluator(config)
    evaluation = None
    batches = Prefetcher(source, fused)
    try:
        with _SignalFlag() as stop:
            while step < t.num_steps:
                if stop.signum is not None:
                    save()
                    raise Interrupted(stop.signum, step)
                batch = batches.next()
                if program.num_seeds == 1:
                    batch = jax.tree.map(lambda x: x[0], batch)
                started = time.perf_counter()
                state, metrics = program.step(state, program.place_batch(batch))
                metrics = jax.device_get(metrics)
                call_times.append(time.perf_counter() - started)
                if len(call_times) == 1:
                    to_first_step = time.perf_counter() - launched
                bad = _first_non_finite(metrics)
                if bad is not None:
                    name, index, seed = bad
                    where = f" (seed {config.seed + seed})" if seed is not None else ""
                    raise NonFiniteError(f"non-finite {name} at step {step + index + 1}{where}; stopping: {last_good()}")
                step += fused
                progress.update(fused)
                if due(t.log_every):
                    scalars = {k: float(np.mean(v)) for k, v in metrics.items()}
                    writer.write(step, scalars)
                    progress.set_postfix({k: f"{scalars[k]:.3f}" for k in ("d_loss", "g_loss")}, refresh=False)
                if due(t.eval_every) or due(t.plot_every):
                    samples = program.samples(state, eval_key(config))
                    if due(t.eval_every):
                        evaluation = record_evaluation(evaluator, workdir, writer, samples, step, key=eval_key(config),
                                                       use_ema=program.default_use_ema(), program=program, state=state)
                    if due(t.plot_every):
                        _plot_samples(config, workdir, samples, step)
                if due(t.checkpoint_every):
                    save()
            save()
    finally:
        batches.close()
        progress.close()
        writer.close()
        checkpoints.close()
    samples = program.samples(state, eval_key(config))
    if evaluation is None or evaluation["step"] != step:
        evaluation = record_evaluation(evaluator, workdir, None, samples, step, key=eval_key(config),
                                       use_ema=program.default_use_ema(), program=program, state=state)
    _plot_samples(config, workdir, samples, step)
    steady = call_times[1:] or call_times
    median_call = statistics.median(steady) if steady else float("nan")
    return {
        "step": step,
        "evaluation": evaluation,
        "samples": samples,
        "timing": {
            "to_first_step_s": to_first_step if call_times else float("nan"),
            "first_call_s": call_times[0] if call_times else float("nan"),
            "median_call_s": median_call,
            "steps_per_s": fused / median_call if steady else float("nan"),
            "calls": len(call_times),
        },
    }


def record_evaluation(evaluator, workdir, writer, samples, step, *, key, use_ema, name=None, program=None, state=None):
    """Evaluate, write `eval/<name or step_N>.json` (values + protocol) and TensorBoard scalars.
    With `program` and `state`, the game's own measures (`jaxgan.evaluation.evaluate_game`) are included."""
    game = None
    if program is not None:
        game = evaluate_game(evaluator.config, program, state, key=key, use_ema=use_ema, workdir=workdir, step=step)
    evaluation = evaluator.evaluate(samples, step=step, key=key, use_ema=use_ema, game=game)
    if jax.process_index() == 0:
        os.makedirs(os.path.join(workdir, "eval"), exist_ok=True)
        with open(os.path.join(workdir, "eval", f"{name or f'step_{step:08d}'}.json"), "w") as f:
            json.dump(evaluation, f, indent=2)
        if writer is not None:
            writer.write(step, {f"eval/{k}": v["mean"] for k, v in evaluation["summary"].items()})
    return evaluation


def save_samples_figure(config, samples, path, *, step, max_panels=10):
    """2D: one scatter over the modes per seed. Images: an 8x8 grid of the first seed's samples
    (with several seeds, one row of 8 per seed)."""
    from jaxgan.plots import save_image_grid, scatter_grid

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if data.is_image(config.data):
        if samples.shape[0] == 1:
            save_image_grid(samples[0, :64], path, rows=8)
        else:
            save_image_grid(samples[:max_panels, :8].reshape(-1, *samples.shape[2:]), path, rows=min(samples.shape[0], max_panels))
        return
    mixture = MIXTURES[config.data.name]
    panels = [(s, mixture, f"seed {config.seed + i}, step {step}") for i, s in enumerate(samples[:max_panels])]
    scatter_grid(panels, path, columns=min(len(panels), 5))


def _plot_samples(config, workdir, samples, step):
    if jax.process_index() == 0:
        save_samples_figure(config, samples, os.path.join(workdir, "samples", f"step_{step:08d}.png"), step=step)

"""The training loop: feed the compiled program data, checkpoint, log, evaluate, stop on a
signal with a checkpoint, refuse to save a non-finite state. The loop only moves batches,
metrics and checkpoints; the program (`jaxgan.run.program`) holds everything game-specific.
"""

import contextlib
import json
import os
import signal
import statistics
import sys
import time

import jax
import numpy as np
from tqdm.auto import tqdm

from jaxgan import data
from jaxgan.checkpoint import Checkpointer, NonFiniteStateError
from jaxgan.config import validate
from jaxgan.data import MIXTURES
from jaxgan.errors import DataError
from jaxgan.evaluation import Evaluations, eval_key
from jaxgan.files import writable_folder, write_json, write_text
from jaxgan.run.memory import check_fits
from jaxgan.run.program import Program, ProgramSampler, data_init_batch, make_source
from jaxgan.signals import StopFlag
from jaxgan.workdir import (
    WorkdirLock,
    check_config_change,
    describe_holder,
    read_run_config,
    record_config,
    recorded_devices,
    truncate_metrics,
)
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


def _save_config(config, workdir, step, changes, devices):
    """Write config.json and append the change (or, for a new run, the whole config) to the
    history, with the number of devices the run now trains on."""
    if jax.process_index() != 0:
        return
    write_text(os.path.join(workdir, "config.json"), config.to_json(indent=2))
    record_config(workdir, step, _config_json(config), changes, devices=devices, processes=jax.process_count())


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


def train(config, workdir, *, step=None, allow_config_change=False, devices=None, stop=None) -> dict:
    """Train `config` in `workdir`, resuming from its newest intact checkpoint if there is one
    (or from checkpoint `step`; newer ones are then moved aside).

    The workdir is locked for the run (`WorkdirLocked` if another `train` holds it). Resuming
    with a config that differs from the saved one in what it computes raises `ConfigChanged`
    unless `allow_config_change`; every change is recorded in `config_history.jsonl`.

    `devices`: the devices to train on (default: all of every process). A run resumes on any
    device count that divides its batch, and continues as a run on that count would.
    `stop`: a `jaxgan.signals.StopFlag` already recording SIGTERM / SIGINT (the CLI enters one
    before its imports); default: one entered now.

    Returns a dict: final `step`, `evaluation` (metrics per seed, summary over seeds, protocol),
    `samples` (S, N, ...) and `timing` (seconds from this call to the end of the first step,
    the first step's call incl. compile, the median call). Raises
    `NonFiniteError` when a loss or the state turns NaN/inf (nothing is saved past the last
    finite checkpoint), and `Interrupted` after saving when SIGTERM/SIGINT arrives.
    """
    launched = time.perf_counter()
    validate(config)
    writable_folder(workdir, what=f"--workdir {workdir!r}")
    lock = WorkdirLock(workdir) if jax.process_index() == 0 else contextlib.nullcontext()
    with lock, (contextlib.nullcontext(stop) if stop is not None else StopFlag()) as stop:
        if getattr(lock, "stale", None):
            _report(f"took over the lock of a run that is no longer running ({describe_holder(lock.stale)})")
        return _train_locked(config, workdir, step, allow_config_change, launched, devices, stop)


def _train_locked(config, workdir, resume_step, allow_config_change, launched, devices, stop):
    checkpoints = Checkpointer(os.path.join(workdir, "checkpoints"), keep=config.train.keep_checkpoints)
    changes = None
    if checkpoints.latest_step() is not None and os.path.exists(os.path.join(workdir, "config.json")):
        changes = check_config_change(_config_json(read_run_config(workdir)), _config_json(config),
                                      allow=allow_config_change, workdir=workdir)
    program = Program(config, devices)
    source = make_source(config)
    state, data_state = _resume(checkpoints, program.init_state(init_x=data_init_batch(config)), resume_step, _report)
    if data_state is not None:
        source.set_state(data_state)
    step = int(np.asarray(jax.device_get(state.step)).reshape(-1)[0])
    resumed = data_state is not None
    num_devices = jax.device_count() if devices is None else len(devices)
    if jax.process_index() == 0:
        truncate_metrics(os.path.join(workdir, "metrics.jsonl"), step)
        before = recorded_devices(workdir)
        if resumed and before is not None and before != num_devices:
            _report(f"resuming step {step} on {num_devices} device(s); it was trained on {before}")
    _save_config(config, workdir, step, changes if resumed else None, num_devices)
    writer = MetricWriter(workdir, tensorboard=config.train.tensorboard, resumed_at=step if resumed else None)
    if jax.process_index() == 0:
        for name, record in source.records(config.seed).items():  # e.g. the labeled subset a source chose
            write_json(os.path.join(workdir, f"{name}.json"), record, indent=None)
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

    evaluations = Evaluations(config)
    evaluation = None
    batches = Prefetcher(source, fused)
    try:
        while step < t.num_steps:
            if stop.signum is not None:
                save()
                raise Interrupted(stop.signum, step)
            try:
                batch = batches.next()
            except DataError as error:  # met mid-run (a lazily read record): keep what was trained
                save()
                raise DataError(f"{error}; the run stopped at step {step} with a checkpoint: replace or remove "
                                "it and run the same command to resume") from None
            if program.num_seeds == 1:
                batch = jax.tree.map(lambda x: x[0], batch)
            batch = program.place_batch(batch)
            started = time.perf_counter()
            if not call_times and t.memory_check:  # compiles the step: the first call's time includes it
                _check_memory(config, program, state, batch)
            state, metrics = program.step(state, batch)
            metrics = jax.device_get(metrics)
            call_times.append(time.perf_counter() - started)
            if len(call_times) == 1:
                to_first_step = time.perf_counter() - launched
            bad = _first_non_finite(metrics)
            if bad is not None:
                name, index, seed = bad
                where = f" (seed {config.seed + seed})" if seed is not None else ""
                raise NonFiniteError(
                    f"non-finite {name} at step {step + index + 1}{where}; stopping: {last_good()}"
                )
            step += fused
            progress.update(fused)
            if due(t.log_every):
                scalars = {k: float(np.mean(v)) for k, v in metrics.items()}
                writer.write(step, scalars)
                progress.set_postfix({k: f"{scalars[k]:.3f}" for k in ("d_loss", "g_loss")}, refresh=False)
            if due(t.eval_every) or due(t.plot_every):
                samples = program.samples(state, eval_key(config))
                if due(t.eval_every):
                    evaluation = record_evaluation(evaluations, ProgramSampler(program, state), workdir, writer,
                                                   step, key=eval_key(config), use_ema=program.default_use_ema(),
                                                   samples=samples)
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
        evaluation = record_evaluation(evaluations, ProgramSampler(program, state), workdir, None, step,
                                       key=eval_key(config), use_ema=program.default_use_ema(), samples=samples)
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


def evaluation_path(workdir, step, name=None):
    """Where an evaluation's JSON record goes: WORKDIR/eval/<name or step_N>.json."""
    return os.path.join(workdir, "eval", f"{name or f'step_{step:08d}'}.json")


def _check_memory(config, program, state, batch):
    """Compile the step before its first call and stop with `MemoryPlanError` when its memory
    plan does not fit the device (`jaxgan.run.memory.check_fits`)."""
    plan = program.compile_step(state, batch)
    local = program.local_devices()
    multiple = 1 if program.mode == "single" else len(program.devices or jax.devices())
    check_fits(plan, batch=config.data.batch_size, device=local[0], local_devices=len(local), multiple=multiple,
               plan_at=lambda size: program.plan_at(state, batch, size))


def record_evaluation(evaluations, sampler, workdir, writer, step, *, key, use_ema, name=None, samples=None,
                      out=None) -> dict:
    """Evaluate (`evaluation.Evaluations`), write its JSON record (values + protocol) to `out`
    (default `evaluation_path`) and TensorBoard scalars. `samples`: the evaluation's samples when
    drawn already."""
    evaluation = evaluations.evaluate(sampler, key=key, use_ema=use_ema, step=step, workdir=workdir, samples=samples)
    if jax.process_index() == 0:
        write_json(out or evaluation_path(workdir, step, name), evaluation)
        if writer is not None:
            writer.write(step, {f"eval/{k}": v["mean"] for k, v in evaluation["summary"].items()})
    return evaluation


def save_samples_figure(config, samples, path, *, step, max_panels=10) -> None:
    """2D: one scatter over the modes per seed. Images: an 8x8 grid of the first seed's samples
    (with several seeds, one row of 8 per seed)."""
    from jaxgan.plots import save_image_grid, scatter_grid

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if data.is_image(config.data):
        if samples.shape[0] == 1:
            save_image_grid(samples[0, :64], path, rows=8)
        else:
            save_image_grid(
                samples[:max_panels, :8].reshape(-1, *samples.shape[2:]), path, rows=min(samples.shape[0], max_panels)
            )
        return
    mixture = MIXTURES[config.data.name]
    panels = [(s, mixture, f"seed {config.seed + i}, step {step}") for i, s in enumerate(samples[:max_panels])]
    scatter_grid(panels, path, columns=min(len(panels), 5))


def _plot_samples(config, workdir, samples, step):
    if jax.process_index() == 0:
        save_samples_figure(config, samples, os.path.join(workdir, "samples", f"step_{step:08d}.png"), step=step)

"""Compilation and data parallelism: the one place where jit, shardings and donation are applied.

Three forms of the same pure step (`jaxgan.games.make_gan_step` or any game's):
  * `single_device(step)`: `jax.jit` with the state donated.
  * `data_parallel(step, mesh, example_axis=...)`: `jax.jit` with the batch sharded over the
    `("data",)` mesh axis along its example axis and the state replicated (the current JAX idiom;
    XLA inserts the collectives). Works across hosts: feed each process's shard through
    `shard_batch`.
  * `pmap_step(step, example_axis=...)`: `jax.pmap` over local devices for users who want it by
    name. The step must be built with `axis_name=DATA_AXIS` (and BatchNorm layers with
    `axis_name=DATA_AXIS`); the state lives replicated between calls (`replicate`/`unreplicate`).

All three give the same numbers as the single-device step on the same global batch, because
the step derives each example's randomness from its global index.

The jit forms compile with `backend.compiler_options(cpu_convolutions)` (on the CPU backend,
XLA's own Eigen convolutions instead of YNNPACK's) and donate the state where
`backend.choices().donate_state` says so. `jax.pmap` takes no compiler options; its steps use
XLA's defaults.
"""

import atexit
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from jaxgan.backend import choices, compiler_options
from jaxgan.errors import ConfigError

DATA_AXIS = "data"


# Exit code of a process that stops because another process of its multi-process run is lost.
LOST_PROCESS_EXIT = 4
DEFAULT_PEER_TIMEOUT_S = 60.0


def initialize_distributed(coordinator_address=None, num_processes=None, process_id=None, *,
                           peer_timeout_s=DEFAULT_PEER_TIMEOUT_S) -> None:
    """Start JAX's multi-host runtime (`jax.distributed.initialize`); call before any other JAX
    call. With no arguments JAX reads the cluster environment (SLURM, TPU pods, ...).

    Then `watch_processes(peer_timeout_s)`: when another process stops answering (killed, host
    lost), this one exits within about `peer_timeout_s` seconds with a line naming it, rather than
    waiting in a collective until JAX's own heartbeat check aborts it (set to twice as long)."""
    jax.distributed.initialize(
        coordinator_address=coordinator_address, num_processes=num_processes, process_id=process_id,
        heartbeat_timeout_seconds=int(2 * peer_timeout_s + 10),
    )
    watch = watch_processes(peer_timeout_s)
    if watch is not None:  # registered after jax's own exit handler, so it runs before the runtime shuts down
        atexit.register(watch.stop)


def _lost(peers, count, timeout_s, me):
    """Say which processes are lost and leave at once: the runtime's own shutdown would wait for
    them at a barrier and then abort."""
    names = ", ".join(str(p) for p in peers)
    coordinator = " (the coordinator)" if 0 in peers else ""
    print(f"jaxgan: process {names}{coordinator} of {count} stopped answering for {timeout_s:.0f} s (killed, out of "
          f"memory, host lost?); process {me} stops too. The checkpoints are intact: run the same command on every "
          "host to resume", file=sys.stderr, flush=True)
    os._exit(LOST_PROCESS_EXIT)


def wait_for_lost_process(timeout_s, error) -> NoReturn:
    """After a collective failed in a multi-process run (a peer's connection reset): give the
    watcher (`watch_processes`) the time to name the lost process and exit; if it finds none,
    exit `LOST_PROCESS_EXIT` with the error in one line."""
    time.sleep(1.5 * timeout_s)
    print(f"jaxgan: a collective of this multi-process run failed ({str(error).splitlines()[0]}), and no process was "
          f"silent for {timeout_s:.0f} s; stopping. The checkpoints are intact: run the same command on every host "
          "to resume", file=sys.stderr, flush=True)
    os._exit(LOST_PROCESS_EXIT)


_DONE = "done"  # the heartbeat value of a process that has finished: never lost


class PeerWatch:
    """The daemon thread of `watch_processes`. `stop()` (registered with `atexit` by
    `initialize_distributed`) tells the other processes that this one has finished, so the
    ones still working do not take its silence for a loss, and ends the thread."""

    def __init__(self, watch, client, me):
        self._finished = threading.Event()
        self._client, self._me = client, me
        self.thread = threading.Thread(target=watch, args=(self._finished,), name="jaxgan-peers", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self._finished.is_set():
            return
        self._finished.set()
        self.thread.join(timeout=5)
        try:
            self._client.key_value_set(f"jaxgan/alive/{self._me}", _DONE, allow_overwrite=True)
        except Exception:  # the store (process 0) has gone already: nobody is left to tell
            pass


def watch_processes(timeout_s, *, interval_s=None, on_lost=_lost) -> PeerWatch | None:
    """Start a daemon thread that keeps a heartbeat of this process in the distributed runtime's
    key-value store and reads the others'; when one has not advanced for `timeout_s` seconds of
    this process's clock (or the store itself, on process 0, has been unreachable that long),
    `on_lost(peers, count, timeout_s, this process)` is called (default: one line naming them,
    then exit `LOST_PROCESS_EXIT`, even from inside a collective). A process that has finished
    (`PeerWatch.stop`) is never lost, nor is the store once process 0 has finished or this
    process has shut the runtime down (`jax.distributed.shutdown`). No-op in a
    single-process run. Returns the `PeerWatch`."""
    from jax._src import distributed  # the runtime client has no public handle

    client, count, me = distributed.global_state.client, jax.process_count(), jax.process_index()
    if client is None or count == 1:
        return None
    interval_s = interval_s or max(timeout_s / 20, 0.25)

    def watch(finished):
        started = time.monotonic()
        last = {peer: (None, started) for peer in range(count) if peer != me}
        store_reached = started
        beat = 0
        while not finished.is_set():
            beat += 1
            now = time.monotonic()
            try:
                client.key_value_set(f"jaxgan/alive/{me}", str(beat), allow_overwrite=True)
                store_reached = now
            except Exception:  # the store lives in process 0
                if last.get(0, (None,))[0] == _DONE or distributed.global_state.client is not client:
                    return None  # process 0 has finished, or this one has shut its runtime down
                if now - store_reached > timeout_s:
                    return on_lost([0], count, timeout_s, me)
            lost = []
            for peer, (value, since) in last.items():
                try:
                    current = client.key_value_try_get(f"jaxgan/alive/{peer}")
                except Exception:  # not written yet, or the store is gone
                    current = value
                if current != value:
                    last[peer] = (current, now)
                elif current != _DONE and now - since > timeout_s:
                    lost.append(peer)
            if lost:
                return on_lost(lost, count, timeout_s, me)
            finished.wait(interval_s)
        return None

    return PeerWatch(watch, client, me)


def make_mesh(devices=None) -> jax.sharding.Mesh:
    """A 1D `("data",)` mesh over `devices` (default: all devices of all processes)."""
    devices = jax.devices() if devices is None else list(devices)
    return jax.make_mesh(
        (len(devices),), (DATA_AXIS,), axis_types=(jax.sharding.AxisType.Auto,), devices=devices
    )


def batch_sharding(mesh, example_axis) -> jax.sharding.NamedSharding:
    """Sharding that splits an array along `example_axis` over the data axis."""
    return NamedSharding(mesh, P(*([None] * example_axis), DATA_AXIS))


def valid_device_counts(global_batch_size, num_devices) -> list:
    """The device counts nearest `num_devices` (one below, one above, where they exist) that
    divide `global_batch_size`."""
    divisors = [d for d in range(1, global_batch_size + 1) if global_batch_size % d == 0]
    below = [d for d in divisors if d < num_devices]
    above = [d for d in divisors if d > num_devices]
    return below[-1:] + above[:1]


def check_divisible(global_batch_size, num_devices) -> None:
    if global_batch_size % num_devices:
        nearest = " or ".join(str(d) for d in valid_device_counts(global_batch_size, num_devices))
        raise ConfigError(
            f"batch size {global_batch_size} is not divisible by the {num_devices} devices "
            f"of the data-parallel mesh; choose a multiple of the device count, or run on {nearest} devices "
            "(the nearest counts that divide it; `jaxgan train --devices N`)"
        )


def _donated(backend=None):
    return (0,) if choices(backend).donate_state else ()


def single_device(step, *, cpu_convolutions="eigen") -> Callable:
    """`jax.jit(step)` with the state (argument 0) donated (where the backend's choices say so),
    compiled with `backend.compiler_options(cpu_convolutions)`."""
    return jax.jit(step, donate_argnums=_donated(), compiler_options=compiler_options(cpu_convolutions))


def data_parallel(step, mesh, *, example_axis, cpu_convolutions="eigen") -> Callable:
    """`jax.jit` of `step(state, batch)` with the batch sharded along `example_axis` and the state
    and metrics replicated; the state is donated (where the backend's choices say so); compiled with
    `backend.compiler_options(cpu_convolutions)`."""
    replicated = NamedSharding(mesh, P())
    sharded = batch_sharding(mesh, example_axis)

    def step_on_mesh(state, batch):
        with jax.sharding.use_abstract_mesh(mesh.abstract_mesh):  # steps split per-example work on it
            return step(state, batch)

    return jax.jit(
        step_on_mesh,
        in_shardings=(replicated, sharded),
        out_shardings=(replicated, replicated),
        donate_argnums=_donated(mesh.devices.flat[0].platform),
        compiler_options=compiler_options(cpu_convolutions, backend=mesh.devices.flat[0].platform),
    )


def _process_local_to_global(x, sharding):
    """Assemble a global array from this process's data (typed keys via their key data)."""
    if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
        data = _process_local_to_global(jax.random.key_data(x), sharding)
        return jax.random.wrap_key_data(data, impl=jax.random.key_impl(x))
    return jax.make_array_from_process_local_data(sharding, np.asarray(x))


def replicate_state(state, mesh) -> Any:
    """Place a state replicated on every device of `mesh` (every process passes the same state)."""
    sharding = NamedSharding(mesh, P())
    if jax.process_count() == 1:
        return jax.device_put(state, sharding)
    return jax.tree.map(lambda x: _process_local_to_global(x, sharding), state)


def shard_batch(batch, mesh, *, example_axis) -> Any:
    """Place a host batch on the mesh, split along `example_axis`.

    With one process `batch` is the global batch. With several, each process passes its own
    shard (the examples it loaded) and the global array is assembled by
    `jax.make_array_from_process_local_data`.
    """
    sharding = batch_sharding(mesh, example_axis)
    if jax.process_count() == 1:
        return jax.device_put(batch, sharding)
    return jax.tree.map(lambda x: _process_local_to_global(x, sharding), batch)


def replicate(tree, devices=None) -> Any:
    """Stack `tree` along a new leading device axis for `jax.pmap`, copy d on device d (whatever
    device the leaves were on: a restored checkpoint's are committed to the first device)."""
    devices = jax.local_devices() if devices is None else list(devices)
    sharding = NamedSharding(make_mesh(devices), P(DATA_AXIS))
    return jax.tree.map(lambda x: jax.device_put(jnp.broadcast_to(x, (len(devices),) + jnp.shape(x)), sharding), tree)


def unreplicate(tree) -> Any:
    """The copy on the first device of a replicated tree."""
    return jax.tree.map(lambda x: x[0], tree)


def pmap_step(step, *, example_axis, devices=None) -> Callable:
    """`jax.pmap` form: `(replicated_state, global_batch) -> (replicated_state, metrics)`.

    `step` must come from `make_step(..., axis_name=DATA_AXIS)`. The global batch (host or
    device arrays) is split into equal contiguous shards along `example_axis`; device d gets
    examples [d*B/n, (d+1)*B/n). Metrics are returned once (they are already averaged).

    Terms that couple the examples of a batch see only the device's shard under pmap: the batch
    means of the relativistic-average loss, DRAGAN's batch standard deviation, minibatch
    discrimination / stddev layers, and BatchNorm built without `axis_name`. The pmap step then
    differs from the single-device step; `data_parallel` (jit) has no such caveat.
    """
    devices = jax.local_devices() if devices is None else list(devices)
    n = len(devices)
    mapped = jax.pmap(step, axis_name=DATA_AXIS, devices=devices, donate_argnums=_donated(devices[0].platform))

    def split(x):
        size = x.shape[example_axis]
        check_divisible(size, n)
        x = jnp.reshape(x, x.shape[:example_axis] + (n, size // n) + x.shape[example_axis + 1 :])
        return jnp.moveaxis(x, example_axis, 0)

    def run(replicated_state, batch):
        new_state, metrics = mapped(replicated_state, jax.tree.map(split, batch))
        return new_state, unreplicate(metrics)

    return run

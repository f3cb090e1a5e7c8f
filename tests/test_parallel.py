"""Data-parallel steps (jit over a sharded mesh, pmap) equal the single-device step."""

import json
import os
import re
import subprocess
import sys
import textwrap
import time

import jax
import numpy as np
import optax
import pytest
from conftest import (
    max_abs_diff,
    ns_step,
    real_batches,
    run_jit_sharded,
    run_pmap,
    run_single,
    small_state,
    wgan_gp_step,
)

from jaxgan import losses, parallel
from jaxgan.games import Penalty, make_gan_step

SGD = optax.sgd(0.05, momentum=0.9)


def ragan_all_penalties_step(**kwargs):
    penalties = [
        Penalty(name, fn, 0.5)
        for name, fn in [
            ("gp", losses.gradient_penalty),
            ("lp", losses.lipschitz_penalty),
            ("div", losses.divergence_penalty),
            ("dragan", losses.dragan_penalty),
            ("r1", losses.r1_penalty),
            ("r2", losses.r2_penalty),
        ]
    ]
    return make_gan_step(
        d_loss=losses.relativistic_average_discriminator_loss,
        g_loss=losses.relativistic_average_generator_loss,
        penalties=penalties,
        **kwargs,
    )


CASES = {
    # BatchNorm in G (statistics must be global) with a LayerNorm critic, Adam.
    "ns_bn_generator_adam": dict(make=ns_step, g_norm="batch", d_norm="layer", tx=None, n_critic=2),
    # BatchNorm in both players. SGD here: in G, a bias feeding D's BatchNorm has an exactly-zero
    # gradient, which Adam turns into +-lr from rounding noise; SGD does not amplify it.
    "ns_bn_both_sgd": dict(make=ns_step, g_norm="batch", d_norm="batch", tx=SGD, n_critic=2),
    # Gradient penalty: per-example interpolation coefficients must not depend on the split.
    "wgan_gp": dict(make=wgan_gp_step, g_norm="batch", d_norm="none", tx=None, n_critic=3),
    # Batch-coupled terms (RaGAN's batch means, DRAGAN's batch std) and every penalty. Only the
    # jit form promises equality here: under pmap such terms see the device's shard (documented).
    # PacGAN's code: G's BatchNorm per pack slot (global per-slot statistics), simultaneous updates.
    "per_slot_simultaneous": dict(make=lambda **kw: ns_step(generator_slots=2, simultaneous=True, **kw),
                                  g_norm="batch", d_norm="none", tx=None, n_critic=1),
    "ragan_all_penalties": dict(
        make=ragan_all_penalties_step, g_norm="none", d_norm="none", tx=SGD, n_critic=2, forms=("jit_sharded",)
    ),
    # Softmax GAN's softmax spans the whole batch: jit only (under pmap each shard is its own batch).
    # SGD: the softmax is shift-invariant, so D's output bias has an exactly-zero gradient, whose
    # rounding noise Adam turns into +-lr steps (0.0027 apart after 3 steps with Adam).
    "softmax_gan": dict(make=lambda **kw: make_gan_step(d_loss=losses.softmax_discriminator_loss,
                                                        g_loss=losses.softmax_generator_loss, **kw),
                        g_norm="batch", d_norm="none", tx=SGD, n_critic=1, forms=("jit_sharded",)),
    # BGAN's generator loss is a per-example mean: both forms.
    "bgan": dict(make=lambda **kw: make_gan_step(d_loss=losses.minimax_discriminator_loss,
                                                 g_loss=losses.boundary_seeking_generator_loss, **kw),
                 g_norm="batch", d_norm="none", tx=None, n_critic=1),
}


@pytest.mark.parametrize(
    "case, form",
    [(case, form) for case in sorted(CASES) for form in CASES[case].get("forms", ("jit_sharded", "pmap"))],
)
def test_data_parallel_step_equals_single_device(case, form):
    assert jax.device_count() == 4, "conftest sets 4 virtual CPU devices"
    spec = CASES[case]
    batches = real_batches(3, spec["n_critic"], 16)
    kwargs = dict(g_norm=spec["g_norm"], d_norm=spec["d_norm"])
    if spec["tx"] is not None:
        kwargs.update(g_tx=spec["tx"], d_tx=spec["tx"])
    reference, ref_metrics = run_single(spec["make"](n_critic=spec["n_critic"]), small_state(**kwargs), batches)
    if form == "pmap":
        step = spec["make"](n_critic=spec["n_critic"], axis_name=parallel.DATA_AXIS)
        result, metrics = run_pmap(step, small_state(axis_name=parallel.DATA_AXIS, **kwargs), batches)
    else:
        result, metrics = run_jit_sharded(spec["make"](n_critic=spec["n_critic"]), small_state(**kwargs), batches)
    assert int(result.step) == 3
    for field in ("g_params", "d_params", "g_state", "d_state", "ema_params", "g_opt_state", "d_opt_state"):
        assert max_abs_diff(getattr(result, field), getattr(reference, field)) < 1e-5, field
    for name in ref_metrics:
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=1e-5, atol=1e-6)


def _generator_input_rows(step, state, batch, mesh=None):
    """Row counts of the forward dots of G's first layer in the compiled step: the batch rows
    each device computes the generator on."""
    if mesh is None:
        text = jax.jit(step).lower(state, batch).compile().as_text()
    else:
        compiled = parallel.data_parallel(step, mesh, example_axis=1)
        text = compiled.lower(parallel.replicate_state(state, mesh), parallel.shard_batch(batch, mesh, example_axis=1))
        text = text.compile().as_text()
    forward = r"= f32\[(\d+),16\]\{[^}]*\} dot\([^\n]*op_name=\"jit\([^)]*\)/(?:jvp\()?MLPGenerator/Dense_0/"
    return {int(rows) for rows in re.findall(forward, text)}


def test_data_parallel_jit_splits_the_generator_over_devices():
    """Latents are drawn in the step from per-example keys; the data-parallel jit splits them
    like the batch, so each of the 4 devices runs G on 36 / 4 = 9 examples, not all 36."""
    batch = real_batches(1, 1, 36)[0]
    assert _generator_input_rows(ns_step(), small_state(), batch) == {36}
    assert _generator_input_rows(ns_step(), small_state(), batch, parallel.make_mesh()) == {9}


def test_pmap_without_global_batchnorm_differs():
    """Guard against a vacuous equality test: per-device BatchNorm statistics (no axis_name in
    the networks) must give a different result from the single-device step."""
    batches = real_batches(2, 1, 16)
    reference, _ = run_single(ns_step(), small_state(), batches)
    step = ns_step(axis_name=parallel.DATA_AXIS)
    result, _ = run_pmap(step, small_state(), batches)
    assert max_abs_diff(result.g_params, reference.g_params) > 1e-4


def test_indivisible_batch_is_a_clear_error():
    step = parallel.pmap_step(ns_step(axis_name=parallel.DATA_AXIS), example_axis=1)
    with pytest.raises(ValueError, match="batch size 10 is not divisible by the 4 devices"):
        step(parallel.replicate(small_state(axis_name=parallel.DATA_AXIS)), real_batches(1, 1, 10)[0])


_WORKER = textwrap.dedent(
    """
    import os, sys
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    os.environ["JAX_PLATFORMS"] = "cpu"
    sys.path.insert(0, {tests!r})
    import jax
    from jaxgan import parallel
    process_id, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    parallel.initialize_distributed(f"127.0.0.1:{{port}}", 2, process_id)
    import numpy as np
    from conftest import ns_step, real_batches, small_state
    assert jax.process_count() == 2 and jax.device_count() == 4 and jax.local_device_count() == 2
    mesh = parallel.make_mesh()
    step = parallel.data_parallel(ns_step(n_critic=2), mesh, example_axis=1)
    state = parallel.replicate_state(small_state(), mesh)
    for batch in real_batches(3, 2, 16):
        local = {{"x": np.asarray(batch["x"])[:, process_id * 8:(process_id + 1) * 8]}}
        state, metrics = step(state, parallel.shard_batch(local, mesh, example_axis=1))
    params = jax.tree.map(lambda x: np.asarray(x.addressable_data(0)), (state.g_params, state.d_params))
    np.savez(out, *jax.tree.leaves(params), d_loss=np.asarray(metrics["d_loss"].addressable_data(0)))
    jax.distributed.shutdown()
    """
)


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_multi_host_step_equals_single_device(tmp_path):
    """Two processes (2 CPU devices each) under jax.distributed, each feeding its half of the
    global batch through make_array_from_process_local_data, equal one process on it all."""
    script = tmp_path / "worker.py"
    script.write_text(_WORKER.format(tests=os.path.dirname(__file__)))
    port = str(_free_port())
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    procs = [
        subprocess.Popen([sys.executable, str(script), str(i), port, str(tmp_path / f"out{i}.npz")],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-3000:]
    reference, ref_metrics = run_single(ns_step(n_critic=2), small_state(), real_batches(3, 2, 16))
    expected = jax.tree.leaves((reference.g_params, reference.d_params))
    for i in range(2):
        with np.load(tmp_path / f"out{i}.npz") as saved:
            leaves = [saved[f"arr_{j}"] for j in range(len(expected))]
            np.testing.assert_allclose(saved["d_loss"], ref_metrics["d_loss"], rtol=1e-5)
        for got, want in zip(leaves, expected):
            np.testing.assert_allclose(got, np.asarray(want), atol=1e-5)


FINISH_APART = """
import sys, time
from jaxgan.parallel import initialize_distributed
me = int(sys.argv[2])
initialize_distributed(sys.argv[1], 2, me, peer_timeout_s=2)
time.sleep(0 if me == {early} else 7)  # the other finishes first, then is silent for 3.5 peer timeouts
if {shutdown}:  # the runtime shut down by hand, then a slow exit
    import jax
    jax.distributed.shutdown()
    time.sleep(3)
print("finished", me)
"""


@pytest.mark.parametrize("early,shutdown", [(0, False), (1, False), (0, True)],
                         ids=["coordinator_first", "coordinator_last", "runtime_shut_down_then_slow_exit"])
def test_processes_that_finish_apart_are_not_taken_for_lost(early, shutdown):
    """A process that has finished says so (`PeerWatch.stop` at exit): the others, still working,
    neither count its silence nor its store's shutdown as a loss, and every process exits 0 (a
    two-process run once ended in exit 4: process 0's watcher, at its exit, found the runtime shut
    down)."""
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env.update(JAX_PLATFORMS="cpu")
    address = f"127.0.0.1:{_free_port()}"
    script = FINISH_APART.format(early=early, shutdown=shutdown)
    processes = [subprocess.Popen([sys.executable, "-c", script, address, str(i)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    for i, (process, (out, err)) in enumerate(zip(processes, outputs)):
        assert process.returncode == 0, err[-2000:]
        assert f"finished {i}" in out
        assert "stopped answering" not in err


def test_a_killed_process_stops_the_other_within_the_timeout_and_the_run_resumes(tmp_path):
    """Two `jaxgan train --distributed` processes (2 CPU devices each); kill -9 of process 1 after a
    checkpoint: process 0 exits with code 4 within the peer timeout, naming process 1, the
    checkpoints stay intact, the same two commands resume from the newest one, and one process
    then continues the run alone."""
    from test_train import _write_recipe, tiny_config

    from jaxgan.checkpoint import Checkpointer
    from jaxgan.parallel import LOST_PROCESS_EXIT

    config = tiny_config(**{"train.num_steps": 1_000_000, "train.checkpoint_every": 20, "train.log_every": 10,
                            "train.tensorboard": False})
    recipe, workdir = _write_recipe(tmp_path, config), tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env.update(XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")

    def launch(port, *extra):
        return [subprocess.Popen([sys.executable, "-m", "jaxgan.cli", "train", "--config", recipe, "--workdir",
                                  str(workdir), "--distributed", "--coordinator", f"127.0.0.1:{port}",
                                  "--num-processes", "2", "--process-id", str(i), "--peer-timeout", "5", *extra],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for i in range(2)]

    processes = launch(_free_port())
    try:
        deadline = time.time() + 240
        while not (workdir / "checkpoints" / "40").exists() and time.time() < deadline:
            time.sleep(0.2)
        assert (workdir / "checkpoints" / "40").exists(), processes[0].communicate(timeout=60)[1][-3000:]
        processes[1].kill()
        killed = time.time()
        _, err = processes[0].communicate(timeout=60)
        stopped_after = time.time() - killed
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert processes[0].returncode == LOST_PROCESS_EXIT, err[-3000:]
    assert stopped_after < 5 + 10, stopped_after
    assert ("jaxgan: process 1 of 2 stopped answering for 5 s (killed, out of memory, host lost?); process 0 stops "
            "too. The checkpoints are intact: run the same command on every host to resume") in err
    assert "Traceback" not in err
    checkpoints = Checkpointer(str(workdir / "checkpoints"), create=False)
    newest = checkpoints.latest_intact_step()
    checkpoints.close()
    assert newest >= 40
    resumed = launch(_free_port(), f"--config.train.num_steps={newest + 20}")
    outputs = [p.communicate(timeout=300) for p in resumed]
    for process, (_, err) in zip(resumed, outputs):
        assert process.returncode == 0, err[-3000:]
    # ... and continues in one process on 2 devices (the two processes had 4)
    single = subprocess.run([sys.executable, "-m", "jaxgan.cli", "train", "--config", recipe, "--workdir",
                             str(workdir), f"--config.train.num_steps={newest + 40}"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert single.returncode == 0, single.stderr[-3000:]
    assert f"resuming step {newest + 20} on 2 device(s); it was trained on 4" in single.stderr
    history = [json.loads(line) for line in open(workdir / "config_history.jsonl")]
    assert [(entry["step"], entry["processes"], entry["devices"]) for entry in history] == [
        (0, 2, 4), (newest, 2, 4), (newest + 20, 1, 2)]

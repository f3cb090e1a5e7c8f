"""Test set-up: 4 virtual CPU devices, a compilation cache shared by this pytest run's tests and
their subprocesses, and XLA:CPU's LLVM code generation at -O0 (all set before JAX is imported),
and small shared builders."""

import atexit
import os
import shutil
import sys
import tempfile

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4").strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# The suite's programs are tiny and compiled once or twice each, so compiling dominates: LLVM at
# -O0 cuts the suite's wall time by about a fifth. XLA's HLO passes (fusion, SPMD partitioning,
# the layout and algebraic rewrites that decide values) all still run; what is skipped is the
# machine-code optimization of each kernel. Users' programs keep XLA's default; set
# --xla_backend_optimization_level in XLA_FLAGS to test at another level.
if "xla_backend_optimization_level" not in os.environ["XLA_FLAGS"]:
    os.environ["XLA_FLAGS"] += " --xla_backend_optimization_level=0"
# Many tests train, stop and resume the same program: each train() compiles its step afresh, and
# the cache turns the repeats into reads. It starts empty, so every program is compiled once.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="jaxgan-tests-xla-cache-")
    atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")

import jax
import jax.numpy as jnp
import numpy as np
import optax

# Subprocess workers import this file outside pytest (whose pythonpath has the checkout).
_CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _CHECKOUT not in sys.path:
    sys.path.insert(0, _CHECKOUT)
from experiments import datasets_dir  # noqa: E402
from jaxgan import losses, parallel  # noqa: E402
from jaxgan import state as state_lib  # noqa: E402
from jaxgan.data.idx import SPLIT_FILES, where_to_get  # noqa: E402
from jaxgan.games import Penalty, make_gan_step  # noqa: E402
from jaxgan.nets import MLPDiscriminator, MLPGenerator  # noqa: E402

# Optimizers are static fields compared by identity: states meant to share a compiled step or
# to be stacked must share the optimizer objects.
ADAM = optax.adam(1e-3, b1=0.5)


def small_state(
    *, g_norm="batch", d_norm="layer", g_tx=None, d_tx=None, axis_name=None, seed=0, latent=4, averages=False
):
    generator = MLPGenerator(hidden=(16, 16), output_dim=2, norm=g_norm, axis_name=axis_name)
    discriminator = MLPDiscriminator(hidden=(16, 16), norm=d_norm, axis_name=axis_name)
    return state_lib.create(
        generator=generator,
        discriminator=discriminator,
        g_tx=g_tx or ADAM,
        d_tx=d_tx or ADAM,
        latent_shape=(latent,),
        sample_x=jnp.zeros((8, 2)),
        key=seed,
        track_param_averages=averages,
    )


def ns_step(**kwargs):
    return make_gan_step(
        d_loss=losses.minimax_discriminator_loss, g_loss=losses.non_saturating_generator_loss, **kwargs
    )


def wgan_gp_step(**kwargs):
    return make_gan_step(
        d_loss=losses.wasserstein_discriminator_loss,
        g_loss=losses.wasserstein_generator_loss,
        penalties=[Penalty("wgan_gp", losses.gradient_penalty, 10.0)],
        **kwargs,
    )


def real_batches(num, n_critic, batch, seed=0):
    return [{"x": jax.random.normal(jax.random.key(seed * 1000 + i), (n_critic, batch, 2))} for i in range(num)]


def max_abs_diff(a, b):
    """Largest absolute difference between the leaves of two pytrees of equal layout (typed keys
    compared as key data). Static fields (modules, optimizers) are not compared."""

    def unkey(x):
        x = jnp.asarray(x)
        return jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x

    leaves_a, leaves_b = jax.tree.leaves(a), jax.tree.leaves(b)
    assert len(leaves_a) == len(leaves_b), (len(leaves_a), len(leaves_b))
    diffs = [
        float(np.max(np.abs(np.asarray(unkey(x), np.float64) - np.asarray(unkey(y), np.float64)), initial=0.0))
        for x, y in zip(leaves_a, leaves_b)
    ]
    return max(diffs, default=0.0)


SHARED_DATASETS = datasets_dir()


def tiny_evaluation(config):
    """`config` with the end-of-training evaluation every run makes shrunk to 64 samples against 64
    reference images (a recipe's own 10,000 cost a resume test most of its time)."""
    e = config.eval
    e.num_samples, e.batch_size = min(e.num_samples, 64), min(e.batch_size, 32)
    e.num_reference = min(e.num_reference or 64, 64)
    return config


def straight_and_resumed(straight, half, tmp_path):
    """Train `straight` in one go and, in a second workdir, `half` then `straight` (a resume);
    returns both runs' last checkpointed states, restored into `straight`'s program. Both runs'
    end-of-training evaluations are tiny (`tiny_evaluation`): the states do not depend on them."""
    from jaxgan.checkpoint import Checkpointer
    from jaxgan.run import Program, train

    straight, half = tiny_evaluation(straight), tiny_evaluation(half)
    train(straight, str(tmp_path / "straight"))
    train(half, str(tmp_path / "resumed"))
    train(straight, str(tmp_path / "resumed"))
    states = []
    for run in ("straight", "resumed"):
        checkpointer = Checkpointer(str(tmp_path / run / "checkpoints"))
        states.append(checkpointer.restore(Program(straight).init_state())[0])
        checkpointer.close()
    return states


def assert_recipe_rejects(recipe, overrides, message):
    """The recipe module `recipe` (e.g. "experiments.images.began") with the flattened `overrides`
    fails validation with a `ConfigError` containing `message`."""
    import importlib
    import re

    import pytest

    from jaxgan.config import ConfigError, validate

    config = importlib.import_module(recipe).get_config()
    config.data.source, config.data.dir = "idx", "/nowhere"
    config.update_from_flattened_dict(overrides)
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate(config)


def shared_dataset_dir(name):
    """The folder of `name`'s official files under $JAXGAN_DATASETS (default shared/datasets
    beside the checkout), or skip the test saying how to provide them."""
    path = os.path.join(SHARED_DATASETS, name)
    if not os.path.isfile(os.path.join(path, SPLIT_FILES["test"][0])):
        import pytest

        pytest.skip(f"needs the official {name} files, not found in {os.path.abspath(path)}: {where_to_get(name)}")
    return path


def run_single(step, state, batches):
    """The final (host) state and last metrics of `step` over `batches` on one device."""
    compiled = jax.jit(step)
    for batch in batches:
        state, metrics = compiled(state, batch)
    return jax.device_get(state), jax.device_get(metrics)


def run_jit_sharded(step, state, batches):
    """The same under `parallel.data_parallel` on every device (the batch sharded)."""
    mesh = parallel.make_mesh()
    compiled = parallel.data_parallel(step, mesh, example_axis=1)
    state = parallel.replicate_state(state, mesh)
    for batch in batches:
        state, metrics = compiled(state, parallel.shard_batch(batch, mesh, example_axis=1))
    return jax.device_get(state), jax.device_get(metrics)


def run_pmap(step, state, batches):
    """The same under `parallel.pmap_step` (build the step with axis_name=parallel.DATA_AXIS)."""
    compiled = parallel.pmap_step(step, example_axis=1)
    state = parallel.replicate(state)
    for batch in batches:
        state, metrics = compiled(state, batch)
    return jax.device_get(parallel.unreplicate(state)), jax.device_get(metrics)


if "pytest" in sys.modules:  # not in the subprocess workers that import this file
    import pytest

    @pytest.fixture(autouse=True, scope="module")
    def _release_compiled_programs():
        """Drop JAX's in-memory caches of compiled programs after each test module: a worker runs
        hundreds of modules' programs, and kept they grew it past 4 GiB, next to the two-process
        and trainer subprocesses (the compilation cache on disk keeps the repeats cheap)."""
        yield
        jax.clear_caches()

"""The train state is an immutable pytree; the step is pure and does what its options say."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import max_abs_diff, ns_step, real_batches, small_state, wgan_gp_step

from jaxgan import losses, parallel
from jaxgan.games import fuse_steps, generate, make_gan_step


def test_state_is_an_immutable_pytree_with_static_functions():
    state = small_state()
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.step = 3
    leaves, treedef = jax.tree.flatten(state)
    assert all(isinstance(leaf, jax.Array) for leaf in leaves)
    assert not any(callable(leaf) for leaf in leaves)  # apply functions and optimizers are static
    rebuilt = jax.tree.unflatten(treedef, leaves)
    assert rebuilt.generator == state.generator and rebuilt.d_tx is state.d_tx
    assert small_state().generator == state.generator  # equal hyperparameters, equal modules
    assert jnp.issubdtype(state.key.dtype, jax.dtypes.prng_key)
    assert "batch_stats" in state.g_state and state.d_state == {}
    assert max_abs_diff(state.ema_params, state.g_params) == 0.0
    changed = state.replace(step=state.step + 1)
    assert int(changed.step) == 1 and int(state.step) == 0


def test_create_rejects_raw_keys():
    with pytest.raises(TypeError, match="typed key"):
        small_state(seed=jax.random.PRNGKey(0))


def test_step_is_pure():
    step = jax.jit(ns_step(n_critic=2))
    batch = real_batches(1, 2, 8)[0]
    state = small_state()
    out1 = step(state, batch)
    out2 = step(state, batch)
    assert max_abs_diff(out1, out2) == 0.0
    assert int(state.step) == 0  # the input is unchanged
    assert max_abs_diff(out1[0].g_params, state.g_params) > 0


@pytest.mark.parametrize("n_critic", [1, 3, 5])
def test_n_critic_updates_per_generator_update(n_critic):
    state = small_state()
    step = jax.jit(ns_step(n_critic=n_critic))
    for batch in real_batches(2, n_critic, 8):
        state, _ = step(state, batch)
    d_count = optax.tree_utils.tree_get(state.d_opt_state, "count")
    g_count = optax.tree_utils.tree_get(state.g_opt_state, "count")
    assert int(d_count) == 2 * n_critic and int(g_count) == 2 and int(state.step) == 2


def test_each_critic_update_uses_its_own_real_slice():
    """Changing only the last slice changes the result; so does changing the first one."""
    step = jax.jit(ns_step(n_critic=3))
    batch = real_batches(1, 3, 8)[0]["x"]
    base, _ = step(small_state(), {"x": batch})
    for c in (0, 2):
        changed, _ = step(small_state(), {"x": batch.at[c].add(1.0)})
        assert max_abs_diff(base.d_params, changed.d_params) > 1e-6


def test_weight_clipping_bounds_every_critic_parameter():
    state = small_state(d_norm="none", d_tx=optax.rmsprop(5e-3))
    step = jax.jit(
        make_gan_step(
            d_loss=losses.wasserstein_discriminator_loss,
            g_loss=losses.wasserstein_generator_loss,
            n_critic=5,
            clip_bound=0.01,
        )
    )
    assert max(float(jnp.max(jnp.abs(p))) for p in jax.tree.leaves(state.d_params)) > 0.01
    for batch in real_batches(2, 5, 8):
        state, _ = step(state, batch)
    bounds = [float(jnp.max(jnp.abs(p))) for p in jax.tree.leaves(state.d_params)]
    assert max(bounds) <= 0.01 + 1e-9
    assert max(bounds) == pytest.approx(0.01)  # clipping is active, not vacuous


def test_ema_follows_its_formula():
    decay = 0.9
    state = small_state()
    new_state, _ = jax.jit(ns_step(ema_decay=decay))(state, real_batches(1, 1, 8)[0])
    expected = jax.tree.map(lambda e, p: decay * e + (1 - decay) * p, state.ema_params, new_state.g_params)
    assert max_abs_diff(new_state.ema_params, expected) < 1e-7
    no_ema, _ = jax.jit(ns_step())(state, real_batches(1, 1, 8)[0])
    assert max_abs_diff(no_ema.ema_params, no_ema.g_params) == 0.0


def test_ema_rampup_decay_is_stylegan2_adas_and_the_step_applies_it_at_each_update():
    """decay_t = min(decay, 0.5 ** (1 / (rampup t))): t = 1 at rampup 0.05 gives 0.5^20; the
    ramp meets 0.999 where 0.05 t equals its half-life ln 0.5 / ln 0.999 = 692.8 updates."""
    from jaxgan.techniques import EMARampup

    ramp = EMARampup(0.999, 0.05)
    assert float(ramp.at(1)) == pytest.approx(0.5 ** 20, rel=1e-5)
    assert float(ramp.at(1000)) == pytest.approx(0.5 ** (1 / 50), rel=1e-6)
    assert float(ramp.at(13_800)) < 0.999 and float(ramp.at(13_900)) == pytest.approx(0.999)
    step = jax.jit(ns_step(ema_decay=EMARampup(0.9, 0.5)))
    state = small_state()
    ema_params = state.ema_params
    for t, batch in enumerate(real_batches(3, 1, 8), start=1):
        state, _ = step(state, batch)
        decay = min(0.9, 0.5 ** (1 / (0.5 * t)))  # 0.25, 0.5, 0.63
        ema_params = jax.tree.map(lambda e, p: decay * e + (1 - decay) * p, ema_params, state.g_params)
        assert max_abs_diff(state.ema_params, ema_params) < 1e-6
    with pytest.raises(ValueError, match="rampup must be > 0"):
        ns_step(ema_decay=EMARampup(0.9, 0.0))


def test_metrics_report_each_penalty_and_total():
    state = small_state(d_norm="none")
    _, metrics = jax.jit(wgan_gp_step(n_critic=2))(state, real_batches(1, 2, 8)[0])
    assert set(metrics) == {"d_loss", "d_total", "g_loss", "real_logit", "fake_logit", "wgan_gp"}
    np.testing.assert_allclose(metrics["d_total"], metrics["d_loss"] + 10.0 * metrics["wgan_gp"], rtol=1e-5)


def test_fused_steps_equal_consecutive_steps():
    step = ns_step(n_critic=2)
    batches = real_batches(4, 2, 8)
    state = small_state()
    for batch in batches:
        state, _ = jax.jit(step)(state, batch)
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *batches)
    fused_state, metrics = jax.jit(fuse_steps(step))(small_state(), stacked)
    assert metrics["g_loss"].shape == (4,)
    assert max_abs_diff(fused_state, state) < 1e-6


def test_vmapped_seeds_equal_separate_runs():
    step = ns_step()
    seeds = [0, 1, 2]
    states = [small_state(seed=s) for s in seeds]
    batches = [real_batches(1, 1, 8, seed=s)[0] for s in seeds]
    stacked_state = jax.tree.map(lambda *xs: jnp.stack(xs), *states)
    stacked_batch = jax.tree.map(lambda *xs: jnp.stack(xs), *batches)
    out, metrics = jax.jit(jax.vmap(step))(stacked_state, stacked_batch)
    assert metrics["d_loss"].shape == (3,)
    for i, (state, batch) in enumerate(zip(states, batches)):
        single, _ = jax.jit(step)(state, batch)
        assert max_abs_diff(jax.tree.map(lambda x: x[i], out), single) < 1e-6


def test_bad_batch_shape_and_options_are_clear_errors():
    with pytest.raises(ValueError, match=r"n_critic=2.*\(8, 2\)"):
        jax.jit(ns_step(n_critic=2))(small_state(), {"x": jnp.zeros((8, 2))})
    with pytest.raises(ValueError, match="n_critic"):
        ns_step(n_critic=0)
    with pytest.raises(ValueError, match="ema_decay"):
        ns_step(ema_decay=1.0)
    with pytest.raises(ValueError, match="clip_bound"):
        ns_step(clip_bound=-1.0)


def test_generate_is_prefix_stable_and_uses_ema_or_raw():
    state, _ = jax.jit(ns_step(ema_decay=0.5))(small_state(), real_batches(1, 1, 8)[0])
    key = jax.random.key(7)
    many = generate(state, key, 10)
    few = generate(state, key, 4)
    np.testing.assert_allclose(many[:4], few, rtol=1e-6, atol=1e-6)
    assert max_abs_diff(generate(state, key, 4, use_ema=False), few) > 0


def test_single_device_wrapper_donates_state():
    state = small_state()
    leaf = jax.tree.leaves(state.d_params)[0]
    new_state, _ = parallel.single_device(ns_step())(state, real_batches(1, 1, 8)[0])
    assert leaf.is_deleted()
    assert int(new_state.step) == 1


def test_historical_averaging_keeps_running_means_and_adds_the_penalty():
    weight = 0.5
    step = jax.jit(ns_step(historical_averaging=weight))
    state = small_state(averages=True)
    g_history, d_history = [state.g_params], [state.d_params]
    for batch in real_batches(3, 1, 8):
        state, metrics = step(state, batch)
        g_history.append(state.g_params)
        d_history.append(state.d_params)
        np.testing.assert_allclose(
            metrics["d_total"], metrics["d_loss"] + weight * metrics["historical_average"], rtol=1e-5
        )
    mean = lambda trees: jax.tree.map(lambda *xs: sum(xs) / len(xs), *trees)
    assert max_abs_diff(state.param_averages["g"], mean(g_history)) < 1e-6
    assert max_abs_diff(state.param_averages["d"], mean(d_history)) < 1e-6
    assert max_abs_diff(state.param_averages["d"], state.d_params) > 1e-4  # an average, not a copy
    with pytest.raises(ValueError, match="track_param_averages=True"):
        step(small_state(), real_batches(1, 1, 8)[0])

"""Technique layers against hand computations, and spectral normalization wired into training."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import ns_step, real_batches

from jaxgan import state as state_lib
from jaxgan.nets import MinibatchDiscrimination, MinibatchStdDev, MLPDiscriminator, MLPGenerator, Packed, VirtualBatchNorm, pack


def test_minibatch_discrimination_by_hand():
    x = jnp.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    layer = MinibatchDiscrimination(num_kernels=2, kernel_dim=3)
    params = layer.init(jax.random.key(0), x)
    t = np.asarray(params["params"]["T"])
    m = (np.asarray(x) @ t).reshape(3, 2, 3)
    o = np.exp(-np.abs(m[:, None] - m[None]).sum(-1)).sum(1)
    out = layer.apply(params, x)
    np.testing.assert_allclose(out, np.concatenate([np.asarray(x), o], 1), rtol=1e-5)
    identical = layer.apply(params, jnp.ones((5, 2)))
    np.testing.assert_allclose(identical[:, 2:], 5.0, rtol=1e-6)  # a collapsed batch: o = N
    permuted = layer.apply(params, x[::-1])
    np.testing.assert_allclose(permuted, out[::-1], rtol=1e-5)


def test_minibatch_stddev_by_hand():
    x = jnp.arange(16.0).reshape(4, 2, 2) * jnp.array([1.0, 2.0])
    layer = MinibatchStdDev(group_size=2)
    out = layer.apply({}, x)
    assert out.shape == (4, 2, 3)
    groups = np.asarray(x).reshape(2, 2, 2, 2)  # (group member, group, ...)
    per_group = np.sqrt(groups.var(axis=0) + 1e-8).reshape(2, -1).mean(1)
    np.testing.assert_allclose(out[:, 0, 2], np.tile(per_group, 2), rtol=1e-5)
    assert float(jnp.max(jnp.abs(layer.apply({}, jnp.ones((4, 3)))[:, -1]))) < 1e-3
    with pytest.raises(ValueError, match="not divisible"):
        layer.apply({}, jnp.ones((3, 2)))


def test_virtual_batch_norm_uses_reference_and_self_only():
    ref = jax.random.normal(jax.random.key(0), (8, 3)) * 2.0 + 1.0
    xs = jax.random.normal(jax.random.key(1), (4, 3))
    layer = VirtualBatchNorm(reference_size=8)
    params = layer.init(jax.random.key(2), jnp.concatenate([ref, xs]))
    out = layer.apply(params, jnp.concatenate([ref, xs]))
    r, x0 = np.asarray(ref), np.asarray(xs[0])
    mean = (8 * r.mean(0) + x0) / 9
    var = (8 * (r**2).mean(0) + x0**2) / 9 - mean**2
    np.testing.assert_allclose(out[8], (x0 - mean) / np.sqrt(var + 1e-5), rtol=1e-4)
    np.testing.assert_allclose(out[:8], (r - r.mean(0)) / np.sqrt(r.var(0) + 1e-5), rtol=1e-4, atol=1e-5)
    alone = layer.apply(params, jnp.concatenate([ref, xs[:1]]))
    np.testing.assert_allclose(alone[8], out[8], rtol=1e-6)  # independent of the other examples


def test_pack_groups_consecutive_examples_on_the_channel_axis():
    x = jnp.arange(4 * 2 * 2 * 3.0).reshape(4, 2, 2, 3)
    packed = pack(x, 2)
    assert packed.shape == (2, 2, 2, 6)
    np.testing.assert_array_equal(packed[1, 0, 1], np.concatenate([x[2, 0, 1], x[3, 0, 1]]))
    np.testing.assert_array_equal(pack(jnp.arange(6.0).reshape(3, 2), 3), [[0, 1, 2, 3, 4, 5]])
    with pytest.raises(ValueError, match="packing degree 3"):
        pack(x, 3)
    d = Packed(inner=MLPDiscriminator(hidden=(8,)), num_packed=2)
    variables = d.init(jax.random.key(0), jnp.zeros((4, 2)), train=False)
    assert d.apply(variables, jnp.ones((6, 2)), train=False).shape == (3,)


def test_spectral_norm_keeps_largest_singular_value_at_one_during_training():
    generator = MLPGenerator(hidden=(16,))
    discriminator = MLPDiscriminator(hidden=(32, 32), spectral_norm=True)
    state = state_lib.create(
        generator=generator, discriminator=discriminator, g_tx=optax.adam(1e-3), d_tx=optax.adam(1e-2),
        latent_shape=(4,), sample_x=jnp.zeros((8, 2)), key=0,
    )
    assert "batch_stats" in state.d_state  # the power-iteration vectors are part of the state
    step = jax.jit(ns_step())
    for batch in real_batches(30, 1, 16):
        state, _ = step(state, batch)
    stats = state.d_state["batch_stats"]
    found = 0
    for entries in stats.values():
        for key, sigma in entries.items():
            if key.endswith("/kernel/sigma"):
                dense = key.split("/")[0]
                kernel = np.asarray(state.d_params[dense]["kernel"])
                top = np.linalg.svd(kernel / float(sigma), compute_uv=False)[0]
                assert abs(top - 1.0) < 0.05, (dense, top)
                found += 1
    assert found == 3

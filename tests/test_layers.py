"""Technique layers against hand computations, and spectral normalization wired into training."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import ns_step, real_batches

from jaxgan import state as state_lib
from jaxgan.nets import MLPDiscriminator, MLPGenerator
from jaxgan.techniques import MinibatchDiscrimination, MinibatchStdDev, Packed, VirtualBatchNorm, pack


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


def test_maxout_is_the_max_over_consecutive_pieces_of_one_dense_layer():
    """Goodfellow et al. 2013, Eq. 1, with Blocks' LinearMaxout layout: unit i takes the max of
    Dense outputs i*k .. i*k + k - 1."""
    from jaxgan.nets import Maxout

    layer = Maxout(features=3, pieces=4)
    x = jax.random.normal(jax.random.key(1), (5, 2))
    params = layer.init(jax.random.key(0), x)
    kernel = np.asarray(params["params"]["Dense_0"]["kernel"])
    bias = np.asarray(jax.random.normal(jax.random.key(2), (12,)))
    params = {"params": {"Dense_0": {"kernel": kernel, "bias": bias}}}
    z = np.asarray(x) @ kernel + bias  # (5, 12)
    expected = np.stack([z[:, 4 * i : 4 * i + 4].max(axis=1) for i in range(3)], axis=1)
    np.testing.assert_allclose(np.asarray(layer.apply(params, x)), expected, rtol=1e-6, atol=1e-6)
    assert kernel.shape == (2, 12)


def test_pacgan_maxout_critic_has_the_papers_parameter_count():
    """PacGAN's 2D critic (Lin et al. 2018, fjxmlzn/PacGAN config): 3 LinearMaxout layers of 200
    units x 5 pieces, a linear output; packing m = 4 feeds 8 inputs."""
    critic = MLPDiscriminator(hidden=(200, 200, 200), maxout_pieces=5)
    for packing in (1, 4):
        params = critic.init(jax.random.key(0), jnp.zeros((3, 2 * packing)), train=False)["params"]
        count = sum(int(np.prod(p.shape)) for p in jax.tree.leaves(params))
        expected = (2 * packing * 1000 + 1000) + 2 * (200 * 1000 + 1000) + (200 + 1)
        assert count == expected
    with pytest.raises(ValueError, match="maxout_pieces > 0 takes no norm"):
        MLPDiscriminator(hidden=(8,), maxout_pieces=2, norm="layer").init(
            jax.random.key(0), jnp.zeros((2, 2)), train=False
        )


def test_config_builds_the_maxout_critic_and_packs_its_input():
    from jaxgan.config import base_config, validate
    from jaxgan.games import build_models

    config = base_config()
    config.model.update(d_hidden=(200, 200, 200), d_maxout_pieces=5, packing=2)
    generator, critic = build_models(validate(config))
    assert isinstance(critic, Packed) and critic.num_packed == 2 and critic.inner.maxout_pieces == 5
    x = jnp.zeros((4, 2))
    params = critic.init(jax.random.key(0), x, train=False)["params"]
    assert params["inner"]["Maxout_0"]["Dense_0"]["kernel"].shape == (
        4,
        1000,
    )  # 2 packed points of 2 coordinates -> 200 units x 5 pieces


def test_init_std_draws_every_mlp_kernel_from_n_0_std_and_biases_at_zero():
    """PacGAN's and DCGAN's IsotropicGaussian(0.02) init (`model.init_std`), against Flax's LeCun
    normal default (std 1/sqrt(fan_in): 0.05 for 400 inputs, 0.71 for the 2-D latent)."""
    from jaxgan.config import ConfigError, base_config, validate
    from jaxgan.games import build_models

    config = base_config()
    config.model.update(g_hidden=(400, 400), g_norm="batch", d_hidden=(200, 200), d_maxout_pieces=5, init_std=0.02)
    generator, critic = build_models(validate(config))
    g = generator.init(jax.random.key(0), jnp.zeros((2, 2)), train=False)["params"]
    d = critic.init(jax.random.key(1), jnp.zeros((2, 2)), train=False)["params"]
    kernels = [
        g["Dense_1"]["kernel"],
        g["Dense_2"]["kernel"],
        d["Maxout_1"]["Dense_0"]["kernel"],
        d["Dense_0"]["kernel"],
    ]
    for kernel in kernels:
        assert float(jnp.std(kernel)) == pytest.approx(0.02, rel=0.1) and abs(float(jnp.mean(kernel))) < 0.003
    assert float(jnp.max(jnp.abs(d["Maxout_0"]["Dense_0"]["bias"]))) == 0.0
    config.model.init_std = 0.0
    default = build_models(validate(config))[0].init(jax.random.key(0), jnp.zeros((2, 2)), train=False)["params"]
    assert float(jnp.std(default["Dense_1"]["kernel"])) == pytest.approx(1 / 400 ** 0.5, rel=0.1)
    config.model.init_std = -0.1
    with pytest.raises(ConfigError, match=r"model.init_std=-0.1 must be >= 0"):
        validate(config)
    config.model.update(init_std=0.02, name="resnet", d_maxout_pieces=0, g_norm="none", g_hidden=(256, 256, 256),
                        d_hidden=(256, 256, 256))
    config.data.name = "cifar10"
    with pytest.raises(ConfigError, match=r"model.init_std=0.02 is an option of the MLP, DCGAN, Lucic et al. networks "
                                          r"\(model.name in \['mlp', 'dcgan', 'lucic'\]\), not of model.name='resnet'"):
        validate(config)

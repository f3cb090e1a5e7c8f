"""BEGAN (jaxgan.games.began): the autoencoder error and losses in closed form, the control of
k_t and M_global, the paper's networks, the step's metrics against the losses, equality across
device layouts, a bit-exact resume with k_t, and the recipe."""

import importlib
import os
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import (
    assert_recipe_rejects,
    max_abs_diff,
    run_jit_sharded,
    run_pmap,
    run_single,
    shared_dataset_dir,
    straight_and_resumed,
)

from jaxgan import losses, parallel
from jaxgan import state as state_lib
from jaxgan.config import ConfigError, validate
from jaxgan.games import began, make_began_step
from jaxgan.nets import BEGANAutoencoder, BEGANDecoder, LucicAutoencoder
from jaxgan.nets.began import scales
from jaxgan.nets.layers import nearest_upsample


def test_autoencoder_error_is_the_per_example_pixel_mean_of_eta_powers():
    images = jnp.array([[[[1.0], [-1.0]], [[0.5], [0.0]]], [[[0.0], [0.0]], [[0.0], [2.0]]]])  # (2, 2, 2, 1)
    reconstructions = jnp.zeros_like(images)
    np.testing.assert_allclose(losses.autoencoder_error(images, reconstructions), [2.5 / 4, 2.0 / 4])
    np.testing.assert_allclose(losses.autoencoder_error(images, reconstructions, exponent=2), [2.25 / 4, 4.0 / 4])
    with pytest.raises(ValueError, match=r"reconstructions must have the images' shape \(2, 2, 2, 1\)"):
        losses.autoencoder_error(images, reconstructions[:, :1])
    with pytest.raises(ValueError, match="exponent must be 1 or 2"):
        losses.autoencoder_error(images, reconstructions, exponent=3)


def test_boundary_equilibrium_losses_and_their_gradients():
    real, fake, k = jnp.array([0.2, 0.4]), jnp.array([0.5, 0.1]), jnp.asarray(0.25)
    assert float(losses.boundary_equilibrium_discriminator_loss(real, fake, k)) == pytest.approx(0.3 - 0.25 * 0.3)
    assert float(losses.boundary_equilibrium_generator_loss(real, fake)) == pytest.approx(0.3)
    # dL_D/dfake = -k / B per example; k is a constant of the step: no gradient reaches it
    grad_fake, grad_k = jax.grad(losses.boundary_equilibrium_discriminator_loss, argnums=(1, 2))(real, fake, k)
    np.testing.assert_allclose(grad_fake, [-0.125, -0.125])
    assert float(grad_k) == 0.0


@pytest.mark.parametrize("k, real, fake, expected", [
    (0.5, 0.2, 0.05, 0.5 + 0.001 * (0.5 * 0.2 - 0.05)),  # generated too easy to rebuild: k grows
    (0.5, 0.2, 0.3, 0.5 + 0.001 * (0.5 * 0.2 - 0.3)),  # too hard: k shrinks
    (0.0, 0.2, 0.3, 0.0),  # kept in [0, 1]
    (0.99995, 1.0, 0.0, 1.0),
])
def test_equilibrium_update_is_the_proportional_control_kept_in_the_unit_interval(k, real, fake, expected):
    updated = began.equilibrium_update(jnp.float32(k), jnp.float32(real), jnp.float32(fake), gamma=0.5,
                                       lambda_k=0.001)
    assert float(updated) == pytest.approx(expected, abs=1e-7)


def test_convergence_measure_is_the_real_error_plus_the_equilibrium_gap():
    assert float(began.convergence_measure(0.2, 0.3, gamma=0.5)) == pytest.approx(0.2 + 0.2)
    assert float(began.convergence_measure(0.2, 0.1, gamma=0.5)) == pytest.approx(0.2)  # at equilibrium


def test_scales_and_nearest_upsampling():
    assert [scales(s) for s in (28, 32, 64, 8)] == [(7, 3), (8, 3), (8, 4), (8, 1)]
    with pytest.raises(ValueError, match="reach the odd size 15"):
        scales(30)
    x = jax.random.normal(jax.random.key(0), (2, 3, 4, 5))
    np.testing.assert_array_equal(nearest_upsample(x), jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2))


def test_the_papers_networks_grow_the_encoder_linearly_and_keep_the_decoder_at_n():
    d = BEGANAutoencoder(width=4, code=6, repeat=2)
    x = jnp.zeros((2, 28, 28, 1))
    params = d.init(jax.random.key(0), x)["params"]
    encoder = [params["encoder"][f"Conv_{i}"]["kernel"].shape for i in range(8)]
    # first conv n; scale 0: n, n, down to 2n; scale 1: 2n, 2n, down to 3n; scale 2: 3n, 3n
    assert [s[-1] for s in encoder] == [4, 4, 4, 8, 8, 8, 12, 12]
    assert params["encoder"]["Dense_0"]["kernel"].shape == (7 * 7 * 12, 6)
    assert params["decoder"]["Dense_0"]["kernel"].shape == (6, 7 * 7 * 4)
    assert all(params["decoder"][f"Conv_{i}"]["kernel"].shape == (3, 3, 4, 4) for i in range(6))
    assert params["decoder"]["Conv_6"]["kernel"].shape == (3, 3, 4, 1)
    out = d.apply({"params": params}, x)
    assert out["reconstruction"].shape == x.shape and out["code"].shape == (2, 6)
    g = BEGANDecoder(size=28, channels=1, width=4, output="tanh")
    images = g.apply(g.init(jax.random.key(1), jnp.zeros((3, 5))), 3 * jnp.ones((3, 5)))
    assert images.shape == (3, 28, 28, 1) and float(jnp.max(jnp.abs(images))) <= 1.0


# One optimizer object for every state: optimizers are static fields compared by identity.
ADAM = optax.adam(1e-3, b1=0.5)
# Adam's first update is lr * sign(g): where BatchNorm's batch statistics make a gradient nearly
# cancel, rounding decides the sign, so a sharded BatchNorm critic is compared under SGD (equal
# to 1e-8 there; Adam moved such leaves 1.7 lr apart in 3 steps).
SGD = optax.sgd(0.05)


def began_state(discriminator, axis_name=None, k=0.0):
    del axis_name  # the BEGAN decoder has no BatchNorm
    return state_lib.create(generator=BEGANDecoder(size=8, channels=1, width=4, output="tanh"),
                            discriminator=discriminator, g_tx=ADAM, d_tx=ADAM, latent_shape=(5,),
                            sample_x=jnp.zeros((2, 8, 8, 1)), key=0, extras=began.initial_extras(k))


def real_batches(count, batch=8, size=8):
    return [{"x": jnp.tanh(jax.random.normal(jax.random.key(10 + i), (1, batch, size, size, 1)))}
            for i in range(count)]


def test_step_metrics_follow_the_losses_and_k_follows_the_control():
    gamma, lambda_k = 0.5, 0.3
    state = began_state(BEGANAutoencoder(width=4, code=3), k=0.4)
    new, metrics = jax.jit(make_began_step(gamma=gamma, lambda_k=lambda_k))(state, real_batches(1)[0])
    m = {name: float(value) for name, value in metrics.items()}
    assert m["k"] == pytest.approx(0.4)
    assert m["d_loss"] == pytest.approx(m["real_error"] - 0.4 * m["fake_error"], rel=1e-6)
    assert m["balance"] == pytest.approx(gamma * m["real_error"] - m["g_loss"], rel=1e-6)
    assert m["convergence"] == pytest.approx(m["real_error"] + abs(m["balance"]), rel=1e-6)
    assert float(new.extras["k"]) == pytest.approx(np.clip(0.4 + lambda_k * m["balance"], 0, 1), rel=1e-6)
    assert m["fake_error"] != pytest.approx(m["g_loss"])  # z_D and z_G are independent draws (and D moved)


def test_bad_step_arguments_are_rejected():
    for kwargs, message in (({"gamma": 0.0}, "gamma must be in"), ({"lambda_k": -1.0}, "lambda_k must be"),
                            ({"exponent": 3}, "exponent must be 1 or 2")):
        with pytest.raises(ValueError, match=message):
            make_began_step(**kwargs)


@pytest.mark.parametrize("critic", ["began", "lucic_batchnorm"])
@pytest.mark.parametrize("form", ["jit_sharded", "pmap"])
def test_step_is_the_same_on_every_device_layout(form, critic):
    """k_t's control reads batch means: under pmap they are averaged over the devices, so k and
    the parameters (with BatchNorm in the Lucic critic: global statistics) equal the
    single-device step's."""
    size = 28 if critic == "lucic_batchnorm" else 8

    def make_state(axis_name=None):
        if critic == "lucic_batchnorm":
            discriminator = LucicAutoencoder(norm="batch", axis_name=axis_name)
            return state_lib.create(generator=BEGANDecoder(size=28, channels=1, width=4, output="tanh"),
                                    discriminator=discriminator, g_tx=SGD, d_tx=SGD, latent_shape=(5,),
                                    sample_x=jnp.zeros((2, 28, 28, 1)), key=0, extras=began.initial_extras(0.2))
        return began_state(BEGANAutoencoder(width=4, code=3), k=0.2)

    batches = real_batches(3, size=size)
    step = lambda **kw: make_began_step(gamma=0.7, lambda_k=0.05, **kw)
    reference, ref_metrics = run_single(step(), make_state(), batches)
    if form == "pmap":
        result, metrics = run_pmap(step(axis_name=parallel.DATA_AXIS), make_state(parallel.DATA_AXIS), batches)
    else:
        result, metrics = run_jit_sharded(step(), make_state(), batches)
    for field in ("g_params", "d_params", "d_state", "g_opt_state", "d_opt_state", "extras"):
        assert max_abs_diff(getattr(result, field), getattr(reference, field)) < 1e-5, field
    assert float(reference.extras["k"]) != pytest.approx(0.2)  # k moved
    for name in ref_metrics:
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=1e-5, atol=1e-6)


def tiny_recipe(data_dir, **overrides):
    config = importlib.import_module("experiments.images.began").get_config()
    config.data.source, config.data.dir = "idx", data_dir
    config.model.began_width = 4
    config.model.began_code = 8
    config.data.batch_size = 16
    config.train.num_steps = 6
    config.train.checkpoint_every = 3
    config.train.log_every = 1
    config.train.plot_every = 0
    config.train.eval_every = 0
    config.train.progress = False
    config.game.lambda_k = 0.05  # k moves visibly in a few steps
    config.update_from_flattened_dict(overrides)
    return config


def test_recipe_resumes_bit_exactly_with_k(tmp_path):
    data_dir = shared_dataset_dir("mnist")
    states = straight_and_resumed(tiny_recipe(data_dir), tiny_recipe(data_dir, **{"train.num_steps": 3}), tmp_path)
    assert max_abs_diff(states[0], states[1]) == 0.0
    assert 0.0 < float(states[0].extras["k"]) <= 1.0  # k_t is in the checkpoint and moved from k_0 = 0
    with open(os.path.join(tmp_path, "straight", "metrics.jsonl")) as f:
        assert sum('"convergence"' in line for line in f) == 6  # M_global logged every step


@pytest.mark.parametrize("overrides, message", [
    ({"game.gamma": 0.0}, "game.gamma (BEGAN's diversity ratio) must be in (0, 1], got 0.0"),
    ({"game.exponent": 3}, "game.exponent (BEGAN's eta)=3 is not one of [1, 2]"),
    ({"model.name": "dcgan"}, "model.began_width=32 is an option of the BEGAN networks"),
    ({"n_critic": 2}, "n_critic must be 1, got 2"),
    ({"game.margin": 2.0}, "game.margin=2.0 is for game.name in ['ebgan'], not 'began'"),
])
def test_bad_began_configs_are_rejected(overrides, message):
    assert_recipe_rejects("experiments.images.began", overrides, message)


def test_lucic_networks_take_compare_gans_autoencoder():
    from jaxgan import presets
    from jaxgan.run import Program

    config = presets.lucic_networks(importlib.import_module("experiments.images.began").get_config())
    config.data.source, config.data.dir = "idx", shared_dataset_dir("mnist")
    validate(config)
    program = Program(config)
    assert isinstance(program.discriminator, LucicAutoencoder)
    params = program.init_state().d_params
    assert params["Dense_0"]["kernel"].shape == (7 * 7 * 128, 64)  # the 64-d code
    config.model.d_norm = "layer"
    with pytest.raises(ConfigError, match=re.escape("model.d_norm (the BEGAN critic on Lucic et al.'s networks)")):
        validate(config)

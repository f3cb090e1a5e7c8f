"""EBGAN (jaxgan.games.ebgan): its losses in closed form, the autoencoder energy, the step's
metrics against the losses, equality across device layouts, and the recipe."""

import importlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import max_abs_diff, run_jit_sharded, run_pmap, run_single, shared_dataset_dir

from jaxgan import losses, parallel
from jaxgan import state as state_lib
from jaxgan.config import ConfigError, validate
from jaxgan.games import make_ebgan_step
from jaxgan.nets import AutoencoderDiscriminator, MLPGenerator


def test_energy_losses_are_the_papers_equations():
    real, fake = jnp.array([0.2, 0.4]), jnp.array([0.5, 3.0])
    # Eq. 1, the hinge per example: mean(real) + mean(max(0, 1 - fake)) = 0.3 + (0.5 + 0) / 2
    assert float(losses.energy_discriminator_loss(real, fake, margin=1.0)) == pytest.approx(0.55)
    # the hinge of the batch mean (PyTorch-GAN's form) would be 0.3 + max(0, 1 - 1.75) = 0.3
    assert float(losses.energy_generator_loss(real, fake)) == pytest.approx(1.75)  # Eq. 2


def test_pulling_away_term_is_the_mean_squared_cosine_of_distinct_pairs():
    s = np.random.default_rng(0).normal(size=(5, 3))
    expected = np.mean([(s[i] @ s[j] / np.linalg.norm(s[i]) / np.linalg.norm(s[j])) ** 2
                        for i in range(5) for j in range(5) if i != j])
    assert float(losses.pulling_away_term(jnp.asarray(s))) == pytest.approx(expected, rel=1e-5)
    assert float(losses.pulling_away_term(jnp.eye(4))) == pytest.approx(0.0, abs=1e-7)  # orthogonal: 0
    assert float(losses.pulling_away_term(jnp.ones((3, 2)))) == pytest.approx(1.0, rel=1e-6)  # parallel: 1


def test_autoencoder_energy_is_its_mean_squared_reconstruction_error():
    d = AutoencoderDiscriminator(hidden=(8, 3))
    x = jax.random.normal(jax.random.key(0), (4, 2, 3, 1))
    params = d.init(jax.random.key(1), x)["params"]
    out = d.apply({"params": params}, x)
    flat = x.reshape(4, -1)
    h = jax.nn.relu(flat @ params["encoder_0"]["kernel"] + params["encoder_0"]["bias"])
    code = h @ params["encoder_1"]["kernel"] + params["encoder_1"]["bias"]
    h = jax.nn.relu(code @ params["decoder_0"]["kernel"] + params["decoder_0"]["bias"])
    recon = h @ params["decoder_out"]["kernel"] + params["decoder_out"]["bias"]
    np.testing.assert_allclose(out["energy"], np.mean((np.asarray(recon) - np.asarray(flat)) ** 2, axis=1), rtol=1e-5)
    np.testing.assert_allclose(out["embedding"], code, rtol=1e-5, atol=1e-6)


# One optimizer object for every state: optimizers are static fields compared by identity.
EBGAN_ADAM = optax.adam(1e-3, b1=0.5)


def ebgan_state(axis_name=None, tx=EBGAN_ADAM):
    return state_lib.create(generator=MLPGenerator(hidden=(16,), output_dim=6, norm="batch", axis_name=axis_name),
                            discriminator=AutoencoderDiscriminator(hidden=(12, 4)), g_tx=tx, d_tx=tx,
                            latent_shape=(3,), sample_x=jnp.zeros((2, 6)), key=0)


def real_batches(count, batch=16):
    return [{"x": jax.random.normal(jax.random.key(10 + i), (1, batch, 6))} for i in range(count)]


@pytest.mark.parametrize("margin, active", [(1e4, True), (1e-9, False)])
def test_step_metrics_follow_the_hinge(margin, active):
    """A margin above every fake energy makes the hinge m - D(G(z)) for all; a tiny one, 0."""
    _, metrics = jax.jit(make_ebgan_step(margin=margin))(ebgan_state(), real_batches(1)[0])
    expected = metrics["real_energy"] + (margin - metrics["fake_energy"] if active else 0.0)
    np.testing.assert_allclose(metrics["d_loss"], expected, rtol=1e-6)
    np.testing.assert_allclose(metrics["g_total"], metrics["g_loss"] + 0.1 * metrics["pullaway"], rtol=1e-6)
    assert 0.0 < float(metrics["pullaway"]) < 1.0


@pytest.mark.parametrize("form", ["jit_sharded", "pmap"])
def test_step_is_the_same_on_every_device_layout(form):
    """The pulling-away term couples the batch: under pmap it is taken of the gathered batch, so
    the step (BatchNorm in G, global statistics) equals the single-device one."""
    batches = real_batches(3)
    reference, ref_metrics = run_single(make_ebgan_step(), ebgan_state(), batches)
    if form == "pmap":
        result, metrics = run_pmap(make_ebgan_step(axis_name=parallel.DATA_AXIS),
                                   ebgan_state(axis_name=parallel.DATA_AXIS), batches)
    else:
        result, metrics = run_jit_sharded(make_ebgan_step(), ebgan_state(), batches)
    for field in ("g_params", "d_params", "g_state", "g_opt_state", "d_opt_state"):
        assert max_abs_diff(getattr(result, field), getattr(reference, field)) < 1e-5, field
    for name in ref_metrics:
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=1e-5, atol=1e-6)


def test_recipe_validates_builds_and_trains():
    from jaxgan.run import Program, make_source

    config = importlib.import_module("experiments.images.ebgan").get_config()
    config.data.source, config.data.dir = "idx", shared_dataset_dir("mnist")
    validate(config)
    program = Program(config)
    state = program.init_state()
    assert state.d_params["encoder_1"]["kernel"].shape == (256, 64)
    batch = jax.tree.map(lambda a: a[0], make_source(config).next(1))
    before = jax.device_get(state.d_params)
    new, metrics = program.step(state, batch)
    assert all(np.isfinite(float(np.asarray(v).reshape(-1)[0])) for v in metrics.values())
    assert max_abs_diff(new.d_params, before) > 0


@pytest.mark.parametrize("overrides, message", [
    ({"game.margin": 0.0}, "game.margin must be positive"),
    ({"model.name": "dcgan"}, "model.g_hidden=(512, 512) is an option of the MLP networks"),
    ({"penalties.wgan_gp": 10.0}, "is a technique of game.name in ['gan'"),
    ({"game.class_weight": 2.0}, "game.class_weight=2.0 is for game.name in ['acgan', 'aae'], not 'ebgan'"),
])
def test_bad_ebgan_configs_are_rejected(overrides, message):
    config = importlib.import_module("experiments.images.ebgan").get_config()
    config.data.source, config.data.dir = "idx", "/nowhere"
    for key, value in overrides.items():
        group, name = key.split(".")
        config[group][name] = value
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate(config)

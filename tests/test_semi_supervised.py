"""The Improved-GAN protocol's parts: weight normalization with data-dependent initialization,
the bias-corrected average of D and the test error measured with it, the weighted unlabeled
terms, and the study that reports them."""

import os
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import max_abs_diff, shared_dataset_dir
from test_train import with_overrides

from jaxgan import losses, techniques
from jaxgan.config import ConfigError, base_config, validate
from jaxgan.evaluation.labels import classifier_test_error
from jaxgan.nets import AuxiliaryDiscriminator, MLPDiscriminator
from jaxgan.nets.layers import WeightNormDense
from jaxgan.state import create


def test_weight_norm_dense_is_the_closed_form():
    x = jax.random.normal(jax.random.key(0), (7, 5))
    layer = WeightNormDense(3)
    params = layer.init(jax.random.key(1), x)["params"]
    v, g, b = params["kernel"], jnp.array([0.5, 2.0, -1.0]), jnp.array([0.1, 0.2, 0.3])
    params = {"kernel": v, "scale": g, "bias": b}
    want = x @ (v * g / np.linalg.norm(np.asarray(v), axis=0)) + b
    np.testing.assert_allclose(layer.apply({"params": params}, x), want, rtol=1e-5, atol=1e-6)
    # the output does not depend on the scale of v
    scaled = {**params, "kernel": 7.0 * v}
    np.testing.assert_allclose(layer.apply({"params": scaled}, x), want, rtol=1e-5, atol=1e-6)


def test_data_dependent_init_normalizes_each_unit_and_fixed_scales_do_not_move():
    x = 3.0 + 2.0 * jax.random.normal(jax.random.key(0), (500, 20))
    layer = WeightNormDense(8, data_init=True, train_scale=False)
    params = layer.init(jax.random.key(1), x)["params"]
    pre = np.asarray(layer.apply({"params": params}, x))
    np.testing.assert_allclose(pre.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(pre.std(axis=0), 1.0, rtol=1e-4)
    # the scale gets no gradient, so Adam leaves it where the data put it
    grads = jax.grad(lambda p: jnp.sum(jnp.square(layer.apply({"params": p}, x) - 1.0)))(params)
    assert float(jnp.abs(grads["scale"]).max()) == 0.0 and float(jnp.abs(grads["bias"]).max()) > 0
    tx = optax.adam(1e-2, eps=0.0, eps_root=1e-8)
    updates, _ = tx.update(grads, tx.init(params), params)
    np.testing.assert_array_equal(optax.apply_updates(params, updates)["scale"], params["scale"])
    # a constant batch (a checkpoint template's zeros) gives unit scales, not infinities
    template = layer.init(jax.random.key(1), jnp.zeros((4, 20)))["params"]
    np.testing.assert_array_equal(template["scale"], np.ones(8))


def test_mlp_discriminator_in_the_improved_gan_form():
    """Every layer starts normalized on the data (the init pass with noise, as their code); the
    hidden scales are fixed, the head's trains; features are taken before the last noise."""
    body = MLPDiscriminator(hidden=(16, 8), weight_norm_data_init=True, activation="relu", input_noise=0.3,
                            hidden_noise=0.5, features_only=True)
    d = AuxiliaryDiscriminator(body=body, num_classes=4, class_head="salimans", feature_noise=0.5,
                               head_weight_norm_data_init=True)
    x = jax.random.uniform(jax.random.key(0), (256, 6, 6, 1), minval=-1.0, maxval=1.0)
    s = create(generator=MLPDiscriminator(hidden=(4,)), discriminator=d, g_tx=optax.sgd(0.1), d_tx=optax.sgd(0.1),
               latent_shape=(3,), sample_x=x[:2], key=0, init_x=x, d_average=True)
    noise_key = jax.random.fold_in(jax.random.split(jax.random.key(0), 3)[1], 1)
    out = d.apply({"params": s.d_params}, x, train=True, rngs={"noise": noise_key})
    # same key as the init pass: the head's logits are normalized per unit
    np.testing.assert_allclose(np.asarray(out["class_logits"]).std(axis=0), 1.0, rtol=1e-3)
    np.testing.assert_allclose(np.asarray(out["class_logits"]).mean(axis=0), 0.0, atol=1e-3)
    clean = d.apply({"params": s.d_params}, x, train=False)["features"]
    noisy = d.apply({"params": s.d_params}, x, train=True, rngs={"noise": noise_key})["features"]
    assert float(jnp.min(clean)) >= 0.0  # ReLU features, no noise after the last layer
    assert float(jnp.min(noisy)) >= 0.0
    np.testing.assert_array_equal(s.param_averages["d_ema"]["class_head"]["scale"], s.d_params["class_head"]["scale"])


def test_debiased_ema_is_the_corrected_average():
    decay = 0.9
    thetas = [jnp.array([float(t), -2.0 * t]) for t in range(1, 8)]
    average = {"w": jnp.array([123.0, 456.0])}  # whatever it held: the first update replaces it
    raw = np.zeros(2)
    for t, theta in enumerate(thetas, start=1):
        average = techniques.update_debiased_ema(average, {"w": theta}, decay, jnp.asarray(t))
        raw = decay * raw + (1 - decay) * np.asarray(theta)
        np.testing.assert_allclose(average["w"], raw / (1 - decay**t), rtol=1e-5)
    np.testing.assert_allclose(
        techniques.update_debiased_ema({"w": jnp.zeros(2)}, {"w": thetas[0]}, decay, jnp.asarray(1))["w"], thetas[0]
    )


def test_unlabeled_weight_scales_only_the_unlabeled_and_fake_terms():
    key = jax.random.split(jax.random.key(0), 3)
    labeled, unlabeled, fake = (jax.random.normal(k, (6, 4)) for k in key)
    y = jnp.array([0, 1, 2, 3, 0, 1])
    supervised = losses.classification_loss(labeled, y)
    for fn in (losses.salimans_discriminator_loss, losses.k_plus_one_discriminator_loss):
        whole = fn(labeled, y, unlabeled, fake)
        half = fn(labeled, y, unlabeled, fake, unlabeled_weight=0.5)
        sup = supervised if fn is losses.salimans_discriminator_loss else losses.classification_loss(labeled, y)
        np.testing.assert_allclose(half, sup + 0.5 * (whole - sup), rtol=1e-6)


class _Head:
    """A fixed 'discriminator' whose class logits are x @ params["w"] (for the test error)."""

    def apply(self, variables, x, train, rngs=None, method=None):
        return {"class_logits": x @ variables["params"]["w"]}


def test_test_error_uses_the_averaged_discriminator_and_reports_the_raw_one():
    from types import SimpleNamespace

    x = jnp.eye(4)
    y = np.array([0, 1, 2, 3])
    right, wrong = {"w": jnp.eye(4)}, {"w": jnp.eye(4)[::-1]}
    state = SimpleNamespace(discriminator=_Head(), d_params=wrong, d_state={}, param_averages={"d_ema": right})
    values = classifier_test_error(state, x, y, num_classes=4, batch_size=3)
    assert values == {"test_error": 0.0, "test_errors": 0, "test_error_raw": 1.0, "test_errors_raw": 4}
    state = SimpleNamespace(discriminator=_Head(), d_params=right, d_state={}, param_averages={})
    assert classifier_test_error(state, x, y, num_classes=4) == {"test_error": 0.0, "test_errors": 0}


@pytest.mark.parametrize("overrides, message", [
    ({"game.d_average_decay": 1.0}, "game.d_average_decay must be in [0, 1)"),
    ({"game.name": "acgan", "game.d_average_decay": 0.99},
     "game.d_average_decay=0.99 is for game.name in ['semi_supervised', 'ccgan'], not 'acgan'"),
    ({"game.unlabeled_weight": -1.0}, "game.unlabeled_weight is a weight"),
    ({"optimizer.d.eps": 0.0}, "optimizer.d.eps and eps_root must be >= 0 and not both 0"),
    ({"model.d_activation": "gelu"}, "model.d_activation='gelu' is not one of"),
    ({"model.name": "dcgan", "model.d_activation": "tanh"}, "is an option of the MLP networks"),
    ({"model.d_weight_norm_data_init": True, "model.d_spectral_norm": True}, "choose one"),
])
def test_bad_semi_supervised_settings_are_rejected(overrides, message):
    config = base_config()
    config.data.name = "mnist"
    config.game.name = "semi_supervised"
    config.game.semi_supervised_head = "salimans"
    config = with_overrides(config, overrides)
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate(config)


def test_data_init_batch_is_seeded_real_images():
    from experiments.labels.improved_gan_ssl import get_config
    from jaxgan.run import data_init_batch

    config = get_config()
    config.data.source = "idx"
    config.data.dir = shared_dataset_dir("mnist")
    if not os.path.isdir(config.data.dir):
        pytest.skip(f"MNIST files not found in {config.data.dir} (see ../shared/datasets/README)")
    a = data_init_batch(config)
    assert a.shape == (500, 28, 28, 1) and float(a.min()) == -1.0 and float(a.max()) == 1.0
    np.testing.assert_array_equal(a, data_init_batch(config))
    config.seed = 1
    assert max_abs_diff(a, data_init_batch(config)) > 0
    config.model.d_weight_norm_data_init = False
    assert data_init_batch(config) is None

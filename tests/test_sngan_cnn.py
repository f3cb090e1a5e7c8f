"""The SNGAN standard CNN family (`model.name="sngan_cnn"`, Miyato et al. 2018, Table 3): its
layers as the table lists them, spectral normalization that finds each layer's largest singular
value, and the family's options validated by the network registry."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.config import ConfigError, base_config, validate
from jaxgan.games import build_models
from jaxgan.nets.sngan_cnn import SNGANDiscriminator, SNGANGenerator


def cifar_config(**overrides):
    config = base_config()
    config.update_from_flattened_dict({"data.name": "cifar10", "model.name": "sngan_cnn", "model.latent_dim": 128,
                                       "loss": "hinge", **overrides})
    return config


def test_the_networks_have_table_3s_layers():
    generator, critic = build_models(validate(cifar_config()))
    assert isinstance(generator, SNGANGenerator) and isinstance(critic, SNGANDiscriminator)
    g = generator.init(jax.random.key(0), jnp.zeros((2, 128)), train=False)
    d = critic.init(jax.random.key(1), jnp.zeros((2, 32, 32, 3)), train=False)
    convs = [d["params"][f"Conv_{i}"]["kernel"].shape for i in range(7)]
    assert convs == [(3, 3, 3, 64), (4, 4, 64, 64), (3, 3, 64, 128), (4, 4, 128, 128), (3, 3, 128, 256),
                     (4, 4, 256, 256), (3, 3, 256, 512)]
    assert d["params"]["Dense_0"]["kernel"].shape == (4 * 4 * 512, 1)
    assert len(d["batch_stats"]) == 8  # every layer of D spectrally normalized
    assert g["params"]["Dense_0"]["kernel"].shape == (128, 4 * 4 * 512)
    assert g["params"]["Conv_0"]["kernel"].shape == (3, 3, 64, 3)
    images = generator.apply(g, jax.random.normal(jax.random.key(2), (2, 128)), train=False)
    assert images.shape == (2, 32, 32, 3) and float(jnp.max(jnp.abs(images))) <= 1.0
    assert critic.apply(d, images, train=False).shape == (2,)


def test_spectral_normalization_finds_each_layers_largest_singular_value():
    critic = SNGANDiscriminator(width=4)
    x = jax.random.normal(jax.random.key(0), (2, 16, 16, 3))
    variables = critic.init(jax.random.key(1), x, train=False)
    advance = jax.jit(lambda v: critic.apply(v, x, train=True, mutable=["batch_stats"])[1])
    for _ in range(200):  # the power iteration advances once per training call
        variables = {**variables, **advance(variables)}
    stats = {key.split("/")[0]: value for group in variables["batch_stats"].values() for key, value in group.items()
             if key.endswith("sigma")}
    assert sorted(stats) == sorted(variables["params"])
    for name, layer in variables["params"].items():
        kernel = np.asarray(layer["kernel"])
        sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert float(stats[name]) == pytest.approx(sigma, rel=1e-3), name


@pytest.mark.parametrize("overrides, message", [
    ({"data.name": "mnist", "data.source": "idx", "data.dir": "/x"},
     "whose side is a multiple of 8; the data are 28x28"),
    ({"model.d_norm": "batch"}, "model.d_norm='batch' is an option of the MLP, DCGAN, Lucic et al. networks"),
    ({"model.g_width": 0}, "model.g_width=0 must be a positive integer"),
    ({"data.name": "grid"}, "model.name='sngan_cnn' is an image model"),
])
def test_the_familys_options_are_validated(overrides, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate(cifar_config(**overrides))


def test_a_training_step_on_the_family_is_finite():
    from jaxgan.bench import random_batch
    from jaxgan.run import Program

    config = validate(cifar_config(**{"model.g_width": 4, "model.d_width": 4, "data.batch_size": 4}))
    program = Program(config)
    state = program.init_state()
    state, metrics = program.step(state, random_batch(program, config, 4, jax.random.key(0)))
    assert all(np.all(np.isfinite(np.asarray(v))) for v in jax.tree.leaves(metrics)) and int(state.step) == 1

"""The registries and the config built from them: losses and penalties by name with their
hyperparameters settable from a recipe, the games' own config keys, networks by name."""

import re

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import games, losses
from jaxgan.config import ConfigError, base_config, validate
from jaxgan.games.settings import config_losses, config_penalties


def test_hyperparameters_are_the_functions_keyword_arguments():
    assert losses.loss_hyperparameters("least_squares") == {"a": 0.0, "b": 1.0, "c": 1.0}
    assert losses.loss_hyperparameters("non_saturating") == {"label_smoothing": 0.0}
    assert losses.loss_hyperparameters("hinge") == {}
    assert losses.penalty_hyperparameters("wgan_div") == {"k": 2.0, "p": 6.0}
    config = base_config()
    assert dict(config.loss_options.least_squares) == {"a": 0.0, "b": 1.0, "c": 1.0}
    assert set(config.penalty_options) == {"wgan_gp", "wgan_lp", "wgan_div", "dragan"}  # r1, r2 take none


def test_bound_losses_equal_the_functions_called_with_the_options():
    real, fake = jnp.array([0.3, -1.2, 2.0]), jnp.array([-0.5, 0.1, 1.5])
    d_loss, g_loss = losses.adversarial_losses("least_squares", a=-1.0, b=1.0, c=0.0)
    assert float(d_loss(real, fake)) == float(losses.least_squares_discriminator_loss(real, fake, a=-1.0, b=1.0))
    assert float(g_loss(real, fake)) == float(losses.least_squares_generator_loss(real, fake, c=0.0))
    assert float(d_loss(real, fake)) != float(losses.least_squares_discriminator_loss(real, fake))
    with pytest.raises(ValueError, match=r"loss 'hinge' takes no hyperparameter\(s\) \['a'\]"):
        losses.adversarial_losses("hinge", a=1.0)
    with pytest.raises(ValueError, match="unknown penalty 'wgan_xx'"):
        losses.penalty("wgan_xx")


def test_a_recipe_sets_loss_and_penalty_hyperparameters():
    config = base_config()
    config.loss = "least_squares"
    config.loss_options.least_squares.a, config.loss_options.least_squares.c = -1.0, 0.0
    config.penalties.wgan_gp = 10.0
    config.penalty_options.wgan_gp.target = 0.5
    validate(config)
    real, fake = jnp.array([0.3, -1.2]), jnp.array([-0.5, 0.1])
    d_loss, g_loss = config_losses(config)
    np.testing.assert_allclose(d_loss(real, fake), losses.least_squares_discriminator_loss(real, fake, a=-1.0))
    np.testing.assert_allclose(g_loss(real, fake), losses.least_squares_generator_loss(real, fake, c=0.0))
    (penalty,) = config_penalties(config)
    assert penalty.name == "wgan_gp" and penalty.weight == 10.0 and penalty.fn.keywords == {"target": 0.5}


@pytest.mark.parametrize("key, value, message", [
    ("loss_options.least_squares.a", -1.0, "loss_options.least_squares.a is a hyperparameter of loss='least_squares'; "
                                           "this run's loss is 'non_saturating'"),
    ("penalty_options.wgan_div.k", 3.0, "penalty_options.wgan_div.k is a hyperparameter of the 'wgan_div' penalty, "
                                        "whose weight penalties.wgan_div is 0"),
    ("game.conditioning", "concat", "game.conditioning='concat' is for game.name in ['cgan'], not 'gan'"),
    ("translation.l1_weight", 10.0, "translation.l1_weight=10.0 is for game.name in ['pix2pix'], not 'gan'"),
])
def test_options_of_another_loss_penalty_or_game_are_rejected(key, value, message):
    config = base_config()
    config.update_from_flattened_dict({key: value})
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate(config)


def test_the_schema_of_game_keys_is_the_union_of_the_games_defaults():
    config = base_config()
    owned = {path for game in games.GAMES.values() for path in game.defaults}
    schema = {f"game.{k}" for k in config.game if k != "name"} | {f"translation.{k}" for k in config.translation}
    assert schema == owned
    for game in games.GAMES.values():
        for path, default in game.defaults.items():
            group, key = path.split(".")
            assert config[group][key] == default, path


def test_every_game_spec_is_complete_and_named_as_registered():
    from jaxgan.techniques import TECHNIQUES

    model_keys = set(base_config().model)
    for name, game in games.GAMES.items():
        functions = [f for field, f in game._asdict().items() if field not in ("name", "defaults", "model_keys",
                                                                                "techniques")]
        assert game.name == name and all(callable(f) for f in functions), name
        assert set(game.techniques) <= set(TECHNIQUES) and set(game.model_keys) <= model_keys, name
    with pytest.raises(ValueError, match="game.name='no_such_game' is not one of"):
        games.get("no_such_game")


def test_a_dataset_is_one_table_entry(monkeypatch):
    """A new image dataset (here a stand-in KMNIST read from MNIST-layout files) is one entry of
    `data.IMAGE_DATASETS`: the name, shape, classes, feature network and readable sources follow."""
    from jaxgan import data
    from jaxgan.data.images import ImageSpec
    from jaxgan.evaluation import feature_network_name

    monkeypatch.setitem(data.IMAGE_DATASETS, "kmnist", ImageSpec(28, 1, classes=10, idx=True, feature_network="mnist"))
    config = base_config()
    config.update_from_flattened_dict({"data.name": "kmnist", "data.source": "idx", "data.dir": "/somewhere",
                                       "model.name": "dcgan", "game.name": "acgan"})
    validate(config)
    assert data.example_shape(config.data) == (28, 28, 1) and data.num_classes(config.data) == 10
    assert feature_network_name(config) == "mnist"
    monkeypatch.setitem(data.IMAGE_DATASETS, "kmnist", ImageSpec(28, 1))  # unlabeled, not in IDX files
    with pytest.raises(ConfigError, match="data.source='idx' reads the official MNIST-layout files"):
        validate(config)
    config.data.source = "tfds"
    with pytest.raises(ConfigError, match="game.name='acgan' reads class labels; data.name='kmnist' has none"):
        validate(config)

"""CCGAN (jaxgan.games.ccgan): the in-painted fakes (known pixels kept, the hole the generator's),
D's K + 1 loss by hand on them, equality across device layouts, a bit-exact resume and the
recipe's checks."""

import jax
import numpy as np
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
from test_context_encoder import tiny_recipe

from jaxgan import games, masks, parallel
from jaxgan.config import validate
from jaxgan.games.ccgan import HOLE_SALT, inpainted_fakes
from jaxgan.games.steps import NOISE_SALT, apply, critic_keys, example_keys, salted, step_key
from jaxgan.losses import k_plus_one_discriminator_loss
from jaxgan.run import Program

RECIPE = "experiments.labels.ccgan"


def tiny_config(data_dir="/nowhere", **overrides):
    config = tiny_recipe(data_dir, recipe=RECIPE, **{"game.num_labeled": 20, "game.labeled_batch_size": 8,
                                                     **overrides})
    validate(config)
    return config


def batches(config, count, key=0):
    example = games.get("ccgan").example_batch
    return [example(config, jax.random.key(key + i), batch_size=config.data.batch_size, fused=1)
            for i in range(count)]


def test_the_fakes_keep_the_context_and_take_the_hole_from_the_generator():
    config = tiny_config()
    state = Program(config).init_state()
    batch = jax.tree.map(lambda x: x[0, 0], batches(config, 1)[0])
    keys = example_keys(jax.random.key(3), np.arange(8))
    fakes, _, drawn = inpainted_fakes(hole_side=14, hole_fill=-0.7)(state, state.g_params, state.g_state, batch, keys)
    holes = np.asarray(drawn["holes"])
    first = masks.random_square_holes(salted(keys, HOLE_SALT)[0], 1, 28, 14)
    np.testing.assert_array_equal(holes[:1], first)  # each example's hole from its own key
    assert np.all(holes.sum(axis=(1, 2, 3)) == 196)
    real = np.asarray(batch["x"])
    output, _ = apply(state.generator, state.g_params, state.g_state, np.where(holes, -0.7, real), train=True)
    outside = np.broadcast_to(~holes, real.shape)
    np.testing.assert_array_equal(np.asarray(fakes)[outside], real[outside])
    np.testing.assert_allclose(np.asarray(fakes)[~outside], np.asarray(output)[~outside], atol=1e-6)


def test_the_discriminator_loss_is_k_plus_one_on_the_inpainted_images_by_hand():
    config = tiny_config()
    state = Program(config).init_state()
    batch = batches(config, 1)[0]
    _, metrics = jax.jit(games.get("ccgan").step(config))(state, jax.tree.map(lambda x: x[0], batch))
    one = jax.tree.map(lambda x: x[0, 0], batch)
    key = critic_keys(step_key(state), 1)[0]
    keys = example_keys(key, np.arange(8))
    fakes, _, _ = inpainted_fakes(hole_side=14, hole_fill=config.game.hole_fill)(state, state.g_params,
                                                                                  state.g_state, one, keys)
    noise = jax.random.fold_in(key, NOISE_SALT)
    outs, collections = [], state.d_state
    for i, x in enumerate((one["x"], fakes, one["x_labeled"])):
        out, collections = apply(state.discriminator, state.d_params, collections, x, train=True,
                                 noise_key=jax.random.fold_in(noise, i))
        outs.append(out["class_logits"])
    want = k_plus_one_discriminator_loss(outs[2], one["y_labeled"], outs[0], outs[1])
    np.testing.assert_allclose(metrics["d_loss"], want, rtol=1e-5)


@pytest.mark.parametrize("form", ["jit_sharded", "pmap"])
def test_step_is_the_same_on_every_device_layout(form):
    """The holes come from each example's global key: a split batch cuts the same ones."""
    config = tiny_config(**{"model.d_norm": "none"})
    step = lambda axis_name=None: games.get("ccgan").step(config, axis_name)
    data = [jax.tree.map(lambda x: x[0], b) for b in batches(config, 2)]
    reference, ref_metrics = run_single(step(), Program(config).init_state(), data)
    if form == "pmap":
        generator, discriminator = games.build_models(config, parallel.DATA_AXIS)
        state = Program(config).init_state().replace(generator=generator, discriminator=discriminator)
        result, metrics = run_pmap(step(parallel.DATA_AXIS), state, data)
    else:
        result, metrics = run_jit_sharded(step(), Program(config).init_state(), data)
    for field in ("g_params", "g_state", "d_params"):
        assert max_abs_diff(getattr(result, field), getattr(reference, field)) < 1e-5, field
    for name in ref_metrics:
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=1e-5, atol=1e-6)


def test_recipe_resumes_bit_exactly(tmp_path):
    data_dir = shared_dataset_dir("mnist")
    config = lambda **kw: tiny_recipe(data_dir, recipe=RECIPE, **kw)
    states = straight_and_resumed(config(), config(**{"train.num_steps": 2}), tmp_path)
    assert max_abs_diff(states[0], states[1]) == 0.0


@pytest.mark.parametrize("overrides, message", [
    ({"game.hole_side": 28}, "game.hole_side=28 must be an integer in [1, 27] for 28-pixel images"),
    ({"game.g_objective": "feature_matching"}, "game.g_objective must be 'adversarial'"),
    ({"game.hole_fill": -3.0}, "game.hole_fill is the pixel value of the hole"),
    ({"n_critic": 2}, "n_critic must be 1, got 2"),
    ({"game.num_labeled": 15}, "game.num_labeled=15 must be a multiple of game.num_classes=10"),
    ({"model.upsample": "resize"}, "the context encoder's generator uses the paper's"),
])
def test_bad_ccgan_configs_are_rejected(overrides, message):
    assert_recipe_rejects(RECIPE, overrides, message)


def test_the_labels_study_rows_train_with_100_and_1000_labels():
    from experiments.studies import labels_study

    for row, labels in (("ccgan", 100), ("ccgan_1000", 1000)):
        config = labels_study.row_config(row, seeds=1, data_dir="/data")
        assert (config.game.name, config.game.num_labeled, config.data.dir) == ("ccgan", labels, "/data/mnist")
        validate(config)
        assert labels_study.ROWS[row][3] == "test_error"

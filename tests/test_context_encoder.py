"""The context encoder (jaxgan.games.context_encoder): the holes (jaxgan.masks) by hand, the
networks' shapes and pasting, the losses against a hand computation, the L2-only model's
independence of D, equality across device layouts, a bit-exact resume, the evaluator's closed
forms and the recipe's checks."""

import importlib

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

from jaxgan import masks, parallel
from jaxgan import state as state_lib
from jaxgan.config import validate
from jaxgan.evaluation.inpainting import hole_errors
from jaxgan.games import make_context_encoder_step
from jaxgan.games.steps import apply
from jaxgan.nets.context_encoder import ContextEncoderGenerator, RegionDiscriminator, downsamplings, upsamplings

SGD = optax.sgd(0.05)


def test_the_central_block_is_half_the_side_and_its_hole_spares_the_overlap():
    region = masks.center_region(28)
    assert region == masks.Region(7, 14, 28)
    hole = np.asarray(masks.center_hole(28, overlap=1))[..., 0]
    rows, cols = np.nonzero(hole)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (8, 19, 8, 19) and hole.sum() == 144
    assert masks.center_hole(28, overlap=0)[..., 0].sum() == 196  # the whole block: a quarter of the image
    with pytest.raises(ValueError, match="overlap=7 leaves no hole in a 14-pixel central block"):
        masks.center_hole(28, overlap=7)


def test_region_crop_and_paste_are_inverse():
    region = masks.center_region(8)
    images = jnp.arange(2 * 8 * 8, dtype=jnp.float32).reshape(2, 8, 8, 1)
    patch = -jnp.ones((2, 4, 4, 1))
    pasted = region.paste(images, patch)
    np.testing.assert_array_equal(region.crop(pasted), patch)
    outside = np.ones((8, 8), bool)
    outside[2:6, 2:6] = False
    np.testing.assert_array_equal(np.asarray(pasted)[:, outside], np.asarray(images)[:, outside])
    whole = masks.whole_region(8)
    assert whole.crop(images) is images and whole.paste(images, patch) is patch


def test_random_regions_hide_20_to_30_percent_in_smooth_blobs_each_its_own():
    holes = np.asarray(masks.random_region_holes(jax.random.key(0), 256, 28))
    assert holes.shape == (256, 28, 28, 1) and holes.dtype == bool
    hidden = holes.mean(axis=(1, 2, 3))
    assert np.mean((hidden > 0.2) & (hidden < 0.3)) > 0.95
    assert len({h.tobytes() for h in holes}) == 256  # every example its own mask
    # smooth blobs: a hidden pixel's right neighbour is hidden far more often than a random pixel is
    same = np.mean(holes[:, :, 1:] == holes[:, :, :-1])
    assert same > 0.85
    np.testing.assert_array_equal(holes, np.asarray(masks.random_region_holes(jax.random.key(0), 256, 28)))


def test_random_squares_are_squares_of_the_side_anywhere():
    holes = np.asarray(masks.random_square_holes(jax.random.key(1), 500, 28, 14))[..., 0]
    for hole in holes[:20]:
        rows, cols = np.nonzero(hole)
        assert hole.sum() == 196 and rows.max() - rows.min() == 13 and cols.max() - cols.min() == 13
    corners = np.array([np.argwhere(h)[0] for h in holes])
    assert corners.min() == 0 and corners.max() == 14  # every position 0..14 reachable
    with pytest.raises(ValueError, match="a hole of side 30 does not fit a 28-pixel image"):
        masks.random_square_holes(jax.random.key(1), 1, 28, 30)


def test_fill_sets_only_the_hidden_pixels():
    images = jnp.zeros((1, 4, 4, 2))
    hole = jnp.zeros((1, 4, 4, 1), bool).at[0, 1, 2].set(True)
    filled = np.asarray(masks.fill(images, hole, -0.5))
    assert np.all(filled[0, 1, 2] == -0.5) and np.count_nonzero(filled) == 2


@pytest.mark.parametrize("size, side, down, k, m", [(28, 14, 3, 7, 1), (28, 28, 3, 7, 2), (32, 16, 3, 4, 2),
                                                    (64, 32, 4, 4, 3), (128, 64, 5, 4, 4)])
def test_the_networks_scale_as_the_authors_with_the_image(size, side, down, k, m):
    """128-pixel images give the authors' layer counts: 5 downsamplings to 4x4, the 64-pixel
    block decoded from 4x4 by 4 doublings."""
    assert downsamplings(size) == down and upsamplings(side) == (k, m)


@pytest.mark.parametrize("mask", ["center", "random_region"])
def test_the_generator_pastes_its_prediction_into_the_context(mask):
    region = masks.center_region(28) if mask == "center" else masks.whole_region(28)
    generator = ContextEncoderGenerator(region=region, width=4, bottleneck=8)
    x = jax.random.uniform(jax.random.key(0), (3, 28, 28, 1), minval=-1, maxval=1)
    variables = generator.init(jax.random.key(1), x, train=False)
    out = np.asarray(generator.apply(variables, x, train=False))
    assert out.shape == x.shape and np.all(np.abs(out) <= 1)
    if mask == "center":
        keep = np.ones((28, 28), bool)
        keep[7:21, 7:21] = False
        np.testing.assert_array_equal(out[:, keep], np.asarray(x)[:, keep])
    assert not np.allclose(region.crop(out), region.crop(np.asarray(x)))
    logits = RegionDiscriminator(width=4).init_with_output(jax.random.key(2), region.crop(x), train=False)[0]
    assert logits.shape == (3,)


def tiny_state(mask="center", axis_name=None, key=0):
    region = masks.center_region(28) if mask == "center" else masks.whole_region(28)
    generator = ContextEncoderGenerator(region=region, width=4, bottleneck=8, axis_name=axis_name)
    discriminator = RegionDiscriminator(width=4, axis_name=axis_name)
    return state_lib.create(generator=generator, discriminator=discriminator, g_tx=SGD, d_tx=SGD,
                            latent_shape=(28, 28, 1), sample_x=jnp.zeros((1, region.side, region.side, 1)), key=key)


def image_batches(count, batch=8):
    keys = jax.random.split(jax.random.key(7), count)
    return [{"x": jax.random.uniform(k, (1, batch, 28, 28, 1), minval=-1, maxval=1)} for k in keys]


def test_the_losses_are_the_papers_by_hand():
    """Before the update: D's BCE on the block of real and filled images; the L2 over the block
    weighted 1 in the hole and 10 on its border; g_total = 0.999 L2 + 0.001 adversarial."""
    state = tiny_state()
    batch = image_batches(1)[0]
    step = make_context_encoder_step(mask="center", overlap=1, hole_fill=-0.7)
    _, metrics = jax.jit(step)(state, batch)
    real = batch["x"][0]
    hole = masks.center_hole(28, 1)[None]
    masked = jnp.where(hole, -0.7, real)
    fake, _ = apply(state.generator, state.g_params, state.g_state, masked, train=True)
    region = masks.center_region(28)
    d = lambda x: apply(state.discriminator, state.d_params, state.d_state, x, train=True)[0]
    real_logits, fake_logits = d(region.crop(real)), d(region.crop(fake))
    want_d = np.mean(np.logaddexp(0, -np.asarray(real_logits))) + np.mean(np.logaddexp(0, np.asarray(fake_logits)))
    np.testing.assert_allclose(metrics["d_loss"], want_d, rtol=1e-5)
    squared = np.square(np.asarray(region.crop(fake) - region.crop(real)))[..., 0]
    weights = np.full((14, 14), 10.0)
    weights[1:13, 1:13] = 1.0
    np.testing.assert_allclose(metrics["reconstruction"], np.mean(weights * squared), rtol=1e-5)
    np.testing.assert_allclose(metrics["hole_l2"], np.mean(squared[:, 1:13, 1:13]), rtol=1e-5)
    np.testing.assert_allclose(metrics["g_total"], 0.999 * metrics["reconstruction"] + 0.001 * metrics["g_loss"],
                               rtol=1e-6)
    np.testing.assert_allclose(metrics["real_logit"], np.mean(real_logits), rtol=1e-5)


def test_the_l2_only_model_does_not_depend_on_the_discriminator():
    """lambda_adv = 0: G's update is the same whatever D is; with lambda_adv > 0 it is not."""
    batch = image_batches(1)[0]
    other_d = tiny_state(key=5)
    for lambda_adv, same in ((0.0, True), (0.5, False)):
        step = jax.jit(make_context_encoder_step(lambda_adv=lambda_adv))
        a = tiny_state()
        b = a.replace(d_params=other_d.d_params)
        diff = max_abs_diff(step(a, batch)[0].g_params, step(b, batch)[0].g_params)
        assert (diff == 0.0) == same, (lambda_adv, diff)


@pytest.mark.parametrize("form", ["jit_sharded", "pmap"])
@pytest.mark.parametrize("mask", ["center", "random_region"])
def test_step_is_the_same_on_every_device_layout(form, mask):
    """Random regions come from each example's global index: a split batch draws the same holes;
    the losses are means over the global batch."""
    step = lambda **kw: make_context_encoder_step(mask=mask, lambda_adv=0.1, **kw)
    batches = image_batches(2)
    reference, ref_metrics = run_single(step(), tiny_state(mask), batches)
    if form == "pmap":
        result, metrics = run_pmap(step(axis_name=parallel.DATA_AXIS), tiny_state(mask, parallel.DATA_AXIS), batches)
    else:
        result, metrics = run_jit_sharded(step(), tiny_state(mask), batches)
    for field in ("g_params", "g_state", "d_params", "d_state"):
        assert max_abs_diff(getattr(result, field), getattr(reference, field)) < 1e-5, field
    for name in ref_metrics:
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=1e-5, atol=1e-6)


def tiny_recipe(data_dir, recipe="experiments.images.context_encoder", **overrides):
    config = importlib.import_module(recipe).get_config()
    config.data.source, config.data.dir = "idx", data_dir
    config.data.batch_size = 8
    config.model.g_width = config.model.d_width = 4
    config.game.bottleneck = 8
    config.train.num_steps = 4
    config.train.checkpoint_every = 2
    config.train.log_every = 1
    config.train.plot_every = 0
    config.train.eval_every = 0
    config.train.progress = False
    config.update_from_flattened_dict(overrides)
    return config


@pytest.mark.parametrize("mask", ["center", "random_region"])
def test_recipe_resumes_bit_exactly(tmp_path, mask):
    data_dir = shared_dataset_dir("mnist")
    states = straight_and_resumed(tiny_recipe(data_dir, **{"game.mask": mask}),
                                  tiny_recipe(data_dir, **{"game.mask": mask, "train.num_steps": 2}), tmp_path)
    assert max_abs_diff(states[0], states[1]) == 0.0


def test_hole_errors_have_closed_forms():
    images = np.zeros((2, 4, 4, 1))
    holes = np.zeros((2, 4, 4, 1), bool)
    holes[0, :2, :2] = True  # 4 pixels
    holes[1, 0, 0] = True  # 1 pixel
    completed = images.copy()
    completed[0][holes[0]] = 0.2  # 0.1 on the [0, 1] scale
    completed[1][holes[1]] = 0.4  # 0.2
    errors = hole_errors(images, completed, holes)
    assert errors["hole_l1"] == pytest.approx((4 * 0.1 + 0.2) / 5)
    assert errors["hole_l2"] == pytest.approx((4 * 0.01 + 0.04) / 5)
    assert errors["hole_psnr"] == pytest.approx((20.0 + 10 * np.log10(25.0)) / 2)
    with pytest.raises(ValueError, match="every image needs a hidden pixel"):
        hole_errors(images, completed, np.zeros_like(holes))


def test_the_evaluator_scores_a_perfect_fill_as_the_intact_images(tmp_path):
    """A sampler returning the true images: hole errors 0, PSNR 100 dB, the accuracy of the
    intact test images; the mean fill is far worse."""
    from jaxgan.evaluation.context import Context
    from jaxgan.evaluation.inpainting import inpainting_measure
    from jaxgan.games.context_encoder import held_out_images

    config = tiny_recipe(shared_dataset_dir("mnist"), **{"eval.num_samples": 500, "eval.num_reference": 2000})
    validate(config)
    images, holes = held_out_images(config, 500)

    class Sampler:
        num_seeds, prior = 1, None

        def samples(self, key, num, use_ema):
            return np.asarray(images)[None]

    ctx = Context(config=config, sampler=Sampler(), key=jax.random.key(0), use_ema=False, step=7,
                  workdir=str(tmp_path))
    (result,), protocol = inpainting_measure(ctx)
    assert (tmp_path / "samples" / f"inpainting_step_00000007_seed_{config.seed}.png").is_file()
    assert result["hole_l2"] == 0.0 and result["hole_psnr"] == pytest.approx(100.0)
    base = protocol["baseline"]
    assert result["completion_accuracy"] == base["intact_accuracy"] > 0.95
    assert base["fill_fid"] > base["intact_fid"] + 1.0
    assert base["fill_l2"] > 0.05 and base["fill_accuracy"] < base["intact_accuracy"] - 0.2
    assert protocol["hidden_fraction"] == pytest.approx(144 / 784)


def test_held_out_inputs_are_the_test_images_with_their_holes_filled():
    from jaxgan.games.context_encoder import held_out_images, held_out_inputs

    config = tiny_recipe(shared_dataset_dir("mnist"), **{"game.mask": "random_region"})
    images, holes = held_out_images(config, 16)
    inputs = np.asarray(held_out_inputs(config, 16))
    np.testing.assert_array_equal(inputs, np.where(holes, config.game.hole_fill, images))
    again = held_out_images(config, 16)[1]
    np.testing.assert_array_equal(holes, again)  # one set of held-out holes for every run


@pytest.mark.parametrize("overrides, message", [
    ({"game.mask": "square"}, "game.mask='square' is not one of ['center', 'random_region']"),
    ({"game.overlap": 7}, "game.overlap=7 leaves no hole in the 14-pixel central block"),
    ({"game.lambda_rec": 0.0}, "game.lambda_rec must be > 0"),
    ({"game.lambda_adv": -1.0}, "game.lambda_adv is a weight and must be >= 0"),
    ({"game.hole_fill": 2.0}, "game.hole_fill is the pixel value of the hole in the model's range [-1, 1], got 2.0"),
    ({"n_critic": 2}, "n_critic must be 1, got 2"),
    ({"model.upsample": "resize"}, "the context encoder's generator uses the paper's transposed convolutions"),
    ({"data.name": "mnist_edges"}, "takes single images"),
])
def test_bad_context_encoder_configs_are_rejected(overrides, message):
    assert_recipe_rejects("experiments.images.context_encoder", overrides, message)


@pytest.mark.parametrize("game", ["context_encoder", "ccgan"])
def test_a_runs_samples_are_held_out_images_completed_in_their_holes(game):
    """The samples keep every known pixel of the held-out test images and take the hole from the
    generator's output (`Game.held_out_samples`)."""
    from jaxgan import games
    from jaxgan.run import Program

    recipe = "experiments.images.context_encoder" if game == "context_encoder" else "experiments.labels.ccgan"
    config = tiny_recipe(shared_dataset_dir("mnist"), recipe=recipe, **{"eval.num_samples": 12,
                                                                         "eval.batch_size": 6})
    validate(config)
    program = Program(config)
    state = program.init_state()
    samples = program.samples(state, jax.random.key(0))
    spec = games.get(game)
    module = importlib.import_module(f"jaxgan.games.{game}")
    images, holes = (np.asarray(a) for a in module.held_out_images(config, 12))
    raw = program.decode(state, spec.held_out_inputs(config, 12))
    assert samples.shape == (1, 12, 28, 28, 1)
    np.testing.assert_array_equal(samples[0][~np.broadcast_to(holes, images.shape)],
                                  images[~np.broadcast_to(holes, images.shape)])
    np.testing.assert_array_equal(samples[0][np.broadcast_to(holes, images.shape)],
                                  raw[0][np.broadcast_to(holes, images.shape)])


def test_the_labels_study_rows_read_the_data_and_score_the_fills():
    from experiments.studies import labels_study
    from jaxgan.evaluation import selected

    config = labels_study.row_config("context_encoder_fashion_l2", seeds=1, data_dir="/data")
    assert (config.data.name, config.data.dir, config.game.lambda_adv, config.game.hole_fill) == (
        "fashion_mnist", "/data/fashion_mnist", 0.0, -0.428)
    validate(config)
    assert selected(config) == ("fid", "inpainting")
    assert labels_study.ROWS["context_encoder"][3] == "hole_psnr"

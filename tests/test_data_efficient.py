"""The data-efficient techniques (jaxgan.techniques: diffaugment, ada, lecam, consistency,
data_efficient) against hand computations and the authors' code, composed into the GAN step; and
`data.train_size` for images."""

import json
import os
import re

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import max_abs_diff, run_jit_sharded, run_pmap, run_single
from scipy.special import erfinv

from jaxgan import losses, parallel
from jaxgan import state as state_lib
from jaxgan.config import base_config, validate
from jaxgan.data.images import ArrayImages, LimitedImageSource, to_model_range
from jaxgan.errors import ConfigError
from jaxgan.games import make_gan_step
from jaxgan.techniques import AdaSchedule, Augment, Consistency, LeCam, ada, diffaugment, lecam
from jaxgan.techniques.consistency import consistency_gap

REFERENCE = os.path.join(os.path.dirname(__file__), "data", "ada_reference.npz")


def image(seed=0, shape=(8, 8, 1)):
    return jax.random.uniform(jax.random.key(seed), shape, minval=-1, maxval=1)


# --- DiffAugment -------------------------------------------------------------------------------


def test_translation_shifts_with_zero_padding_by_the_drawn_offsets():
    x = image(shape=(8, 8, 2))
    key = jax.random.key(3)
    ky, kx = jax.random.split(key)
    s = int(8 * 0.125 + 0.5)  # the authors' 1/8 of the side: 1 pixel here
    dy, dx = int(jax.random.randint(ky, (), -s, s + 1)), int(jax.random.randint(kx, (), -s, s + 1))
    want = np.zeros((8, 8, 2), np.float32)
    for i in range(8):
        for j in range(8):
            if 0 <= i + dy < 8 and 0 <= j + dx < 8:
                want[i, j] = x[i + dy, j + dx]
    np.testing.assert_array_equal(np.asarray(diffaugment.translation(key, x)), want)
    np.testing.assert_array_equal(np.asarray(diffaugment.shifted(x, 2, -3))[:6, 3:], np.asarray(x)[2:, :5])
    assert float(jnp.abs(diffaugment.shifted(x, 2, -3)[6:]).max()) == 0.0


def test_cutout_zeroes_the_authors_square_clipped_to_the_frame():
    mask = np.asarray(diffaugment.cutout_mask(8, 8, jnp.array(1), jnp.array(6)))
    want = np.ones((8, 8))
    want[0:3, 4:8] = 0  # a 4x4 square at centre (1, 6): rows -1..2, columns 4..7, clipped to the frame
    np.testing.assert_array_equal(mask, want)
    x = image(shape=(28, 28, 1))
    out = np.asarray(diffaugment.cutout(jax.random.key(5), x))
    zeroed = out[..., 0] == 0
    rows, cols = np.where(zeroed.any(axis=1))[0], np.where(zeroed.any(axis=0))[0]
    assert len(rows) <= 14 and len(cols) <= 14 and zeroed.sum() == len(rows) * len(cols) > 0
    np.testing.assert_array_equal(out[~zeroed], np.asarray(x)[~zeroed])


def test_colour_transforms_have_their_closed_forms():
    x, key = image(shape=(4, 4, 3)), jax.random.key(7)
    u = float(jax.random.uniform(key))
    np.testing.assert_allclose(diffaugment.brightness(key, x), x + (u - 0.5), atol=1e-6)
    mean_c = x.mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(diffaugment.saturation(key, x), (x - mean_c) * 2 * u + mean_c, atol=1e-6)
    np.testing.assert_allclose(diffaugment.contrast(key, x), (x - x.mean()) * (u + 0.5) + x.mean(), atol=1e-6)
    gray = image(shape=(4, 4, 1))
    np.testing.assert_allclose(diffaugment.saturation(key, gray), gray, atol=1e-6)  # one channel: no-op


def test_policy_applies_its_transforms_in_order_with_folded_keys():
    x, key = image(shape=(8, 8, 3)), jax.random.key(11)
    want = x
    for i, fn in enumerate([diffaugment.brightness, diffaugment.saturation, diffaugment.contrast,
                            diffaugment.translation, diffaugment.cutout]):
        want = fn(jax.random.fold_in(key, i), want)
    np.testing.assert_array_equal(diffaugment.diff_augment(key, x, "color,translation,cutout"), want)
    np.testing.assert_array_equal(diffaugment.diff_augment(key, x, ""), x)
    with pytest.raises(ValueError, match="unknown augmentation policy 'zoom'"):
        diffaugment.diff_augment(key, x, "color,zoom")


# --- ADA ---------------------------------------------------------------------------------------


def _percentile_parameters(q, ops):
    """The parameters the authors' AugmentPipe uses with `debug_percentile=q`."""
    e = float(erfinv(2 * q - 1))
    full = {"xflip": np.floor(2 * q), "rotate90": np.floor(4 * q), "xint": np.full(2, (2 * q - 1) * 0.125),
            "scale": 2 ** (e * 0.2), "rotate": np.array([(2 * q - 1) * np.pi, 0.0]), "aniso": 2 ** (e * 0.2),
            "xfrac": np.full(2, e * 0.125), "brightness": e * 0.2, "contrast": 2 ** (e * 0.5),
            "lumaflip": np.floor(2 * q), "hue": (2 * q - 1) * np.pi, "saturation": 2 ** e}
    return {k: jnp.asarray(v, jnp.float32) for k, v in full.items() if k in ops}


@pytest.mark.parametrize("pipeline", ["xflip", "rotate90", "xint", "bg", "color"])
@pytest.mark.parametrize("q", [0.3, 0.8])
@pytest.mark.parametrize("kind", ["gray", "rgb"])
def test_ada_transforms_equal_the_authors_augment_pipe(pipeline, q, kind):
    """Reference outputs of NVlabs/stylegan2-ada-pytorch's AugmentPipe (torch, CPU, its reference
    upfirdn2d and grid_sample) at fixed percentiles, made by tests/data/make_ada_reference.py."""
    reference = np.load(REFERENCE)
    x = reference[kind][..., None] if kind == "gray" else np.moveaxis(reference[kind], 0, -1)
    want = np.moveaxis(reference[f"{pipeline}_{q}_{kind}"], 0, -1)
    ops = {"bg": ada.BLIT + ada.GEOM, "color": ada.COLOR}.get(pipeline, (pipeline,))
    params = _percentile_parameters(q, ops)
    if pipeline == "color":
        if kind == "gray":  # hue and saturation act on RGB images only
            params = {k: v for k, v in params.items() if k not in ("hue", "saturation")}
        out = ada.apply_color(jnp.asarray(x), ada.color_matrix(params))
    else:
        out = ada.apply_geometric(jnp.asarray(x), ada.geometric_matrix(params, *x.shape[:2]))
    np.testing.assert_allclose(np.asarray(out), want, atol=5e-6)


def test_ada_at_p_zero_is_the_identity_and_at_p_one_moves_every_image():
    x = image(shape=(12, 12, 3))
    np.testing.assert_allclose(ada.ada_augment(jax.random.key(0), x, jnp.float32(0.0), "bgc"), x, atol=3e-5)
    moved = [float(jnp.abs(ada.ada_augment(jax.random.key(i), x, jnp.float32(1.0), "bgc") - x).max())
             for i in range(4)]
    assert min(moved) > 0.05


def test_ada_p_follows_the_authors_update_rule():
    state = {"p": jnp.float32(0.3), "signs": jnp.float32(0.0), "count": jnp.float32(0.0)}
    for logits in (jnp.array([1.0, 2.0, -1.0, 3.0]), jnp.array([0.5, 0.5, 0.5, -2.0])):
        state = ada.accumulate_signs(state, logits)
    assert float(state["signs"]) == 4.0 and float(state["count"]) == 8.0  # r_t = 0.5
    kwargs = dict(target=0.6, interval=4, images_per_step=64, kimg=500.0)
    assert ada.adjust_p(state, jnp.int32(3), **kwargs)["p"] == state["p"]  # not due
    after = ada.adjust_p(state, jnp.int32(8), **kwargs)
    np.testing.assert_allclose(after["p"], 0.3 - 64 * 4 / 500_000, rtol=1e-6)  # r_t < target: p falls
    assert float(after["signs"]) == float(after["count"]) == 0.0
    up = ada.adjust_p({**state, "signs": jnp.float32(6.0)}, jnp.int32(4), **kwargs)  # r_t = 0.75
    np.testing.assert_allclose(up["p"], 0.3 + 64 * 4 / 500_000, rtol=1e-6)
    floor = ada.adjust_p({**state, "p": jnp.float32(1e-4)}, jnp.int32(4), **kwargs)
    assert float(floor["p"]) == 0.0  # kept >= 0
    assert ada.adjust_p(state, jnp.int32(4), **{**kwargs, "target": 0.0}) is state  # target 0: fixed p


# --- gradients through every augmentation ------------------------------------------------------


@pytest.mark.parametrize("transform", ["color", "translation", "cutout", "flip", "ada_bgc"])
def test_gradients_flow_through_every_augmentation(transform):
    x = image(seed=1, shape=(8, 8, 3))
    weights = image(seed=2, shape=(8, 8, 3))
    key = jax.random.key(4)
    if transform == "ada_bgc":
        fn = lambda v: jnp.sum(weights * ada.ada_augment(key, v, jnp.float32(1.0), "bgc"))
    else:
        fn = lambda v: jnp.sum(weights * diffaugment.diff_augment(key, v, transform))
    grad = jax.grad(fn)(x)
    assert float(jnp.abs(grad).max()) > 0
    direction = image(seed=3, shape=(8, 8, 3))
    eps = 1e-2
    numeric = (fn(x + eps * direction) - fn(x - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(float(jnp.sum(grad * direction)), float(numeric), rtol=2e-3, atol=2e-3)


# --- LeCam -------------------------------------------------------------------------------------


def test_lecam_anchors_and_penalty_match_a_hand_computation():
    anchors = lecam.init_lecam()
    real1, fake1 = jnp.array([1.0, 3.0]), jnp.array([-2.0, 0.0])
    anchors = lecam.update_anchors(anchors, real1, fake1, decay=0.9, start=1)
    assert (float(anchors["real"]), float(anchors["fake"]), float(anchors["updates"])) == (2.0, -1.0, 1.0)
    assert not bool(lecam.lecam_active(anchors, 1))
    real2, fake2 = jnp.array([0.0, 2.0]), jnp.array([1.0, -3.0])
    anchors = lecam.update_anchors(anchors, real2, fake2, decay=0.9, start=1)
    alpha_r, alpha_f = 0.9 * 2.0 + 0.1 * 1.0, 0.9 * -1.0 + 0.1 * -1.0
    np.testing.assert_allclose([anchors["real"], anchors["fake"]], [alpha_r, alpha_f], rtol=1e-6)
    assert bool(lecam.lecam_active(anchors, 1))
    relu = lambda v: np.maximum(v, 0)
    want = np.mean(relu(np.array([0.0, 2.0]) - alpha_f) ** 2) + np.mean(relu(alpha_r - np.array([1.0, -3.0])) ** 2)
    np.testing.assert_allclose(lecam.lecam_penalty(real2, fake2, anchors), want, rtol=1e-6)
    plain = np.mean((np.array([0.0, 2.0]) - alpha_f) ** 2) + np.mean((alpha_r - np.array([1.0, -3.0])) ** 2)
    np.testing.assert_allclose(lecam.lecam_penalty(real2, fake2, anchors, one_sided=False), plain, rtol=1e-6)


# --- composed into the GAN step ----------------------------------------------------------------


class TinyGenerator(nn.Module):
    @nn.compact
    def __call__(self, z, train=False):
        return jnp.tanh(nn.Dense(8 * 8 * 3)(z)).reshape(z.shape[0], 8, 8, 3)


class TinyCritic(nn.Module):
    @nn.compact
    def __call__(self, x, train=False):
        h = nn.leaky_relu(nn.Dense(16)(x.reshape(x.shape[0], -1)), 0.2)
        return nn.Dense(1)(h)[:, 0]


SGD = optax.sgd(0.05)


def tiny_image_state(extras=None):
    return state_lib.create(generator=TinyGenerator(), discriminator=TinyCritic(), g_tx=SGD, d_tx=SGD,
                            latent_shape=(4,), sample_x=jnp.zeros((4, 8, 8, 3)), key=0, extras=extras)


def everything_step(**kwargs):
    return make_gan_step(
        d_loss=losses.minimax_discriminator_loss, g_loss=losses.non_saturating_generator_loss,
        augment=Augment(policy="color,translation,cutout", ada_pipeline="bgc"),
        ada=AdaSchedule(target=0.6, interval=1, kimg=0.05), lecam=LeCam(0.3, 0.9, 1, True),
        consistency=Consistency(real=10.0, fake=10.0, latent_d=5.0, latent_g=0.5), **kwargs)


def image_batches(num, batch=8):
    return [{"x": image(seed=100 + i, shape=(1, batch, 8, 8, 3))} for i in range(num)]


def everything_extras():
    return {"ada": ada.init_ada(0.5), "lecam": lecam.init_lecam()}


@pytest.mark.parametrize("form", ["jit_sharded", "pmap"])
def test_augmented_step_is_the_same_on_one_device_sharded_and_pmapped(form):
    batches = image_batches(3)
    reference, ref_metrics = run_single(everything_step(), tiny_image_state(everything_extras()), batches)
    assert float(reference.extras["ada"]["p"]) != 0.5 and float(reference.extras["lecam"]["updates"]) == 3
    if form == "pmap":
        result, metrics = run_pmap(everything_step(axis_name=parallel.DATA_AXIS),
                                   tiny_image_state(everything_extras()), batches)
    else:
        result, metrics = run_jit_sharded(everything_step(), tiny_image_state(everything_extras()), batches)
    assert max_abs_diff(reference, result) < 2e-5
    np.testing.assert_allclose(metrics["ada_p"], ref_metrics["ada_p"], rtol=1e-6)
    for name in ("lecam", "cr_real", "cr_fake", "zcr_d", "zcr_g", "ada_signs"):
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=2e-4, atol=1e-6)


def test_each_regularizer_adds_its_weight_times_its_term_to_the_critic_loss():
    batch = image_batches(1)[0]
    base = make_gan_step(d_loss=losses.minimax_discriminator_loss, g_loss=losses.non_saturating_generator_loss)
    _, plain = jax.jit(base)(tiny_image_state(), batch)
    step = make_gan_step(d_loss=losses.minimax_discriminator_loss, g_loss=losses.non_saturating_generator_loss,
                         lecam=LeCam(0.3, 0.9, 0, True), consistency=Consistency(real=10.0, fake=2.0, latent_d=5.0,
                                                                                 latent_g=0.5))
    _, m = jax.jit(step)(tiny_image_state({"lecam": lecam.init_lecam()}), batch)
    assert float(m["d_loss"]) == pytest.approx(float(plain["d_loss"]), abs=1e-6)
    # LeCam's start = 0: the first update's anchors are that batch's means, and its term counts at once.
    want = m["d_loss"] + 0.3 * m["lecam"] + 10.0 * m["cr_real"] + 2.0 * m["cr_fake"] + 5.0 * m["zcr_d"]
    np.testing.assert_allclose(m["d_total"], want, rtol=1e-6)
    assert min(float(m[k]) for k in ("lecam", "cr_real", "cr_fake", "zcr_d", "zcr_g")) > 0
    # the consistency term is the mean squared logit gap: ((1 - 0)^2 + (2 - 4)^2) / 2
    assert float(consistency_gap(jnp.array([1.0, 2.0]), jnp.array([0.0, 4.0]))) == 2.5


# --- run configs, resume, validation -----------------------------------------------------------


def _mnist_config(**overrides):
    from test_image_training import image_config

    return image_config(**{"model.d_norm": "none", **overrides})


EVERYTHING = {"techniques.diffaugment": "color,translation,cutout", "techniques.ada.pipeline": "bgc",
              "techniques.ada.interval": 1, "techniques.ada.kimg": 0.05, "techniques.lecam.weight": 0.3,
              "techniques.lecam.start": 1, "techniques.consistency.real": 10.0,
              "techniques.consistency.latent_g": 0.5, "data.train_size": 100}


def test_run_with_ada_and_lecam_resumes_bit_exactly_on_a_fixed_training_subset(tmp_path):
    from test_train import restored_state

    from jaxgan.run import train

    straight = _mnist_config(**EVERYTHING)
    train(straight, str(tmp_path / "straight"))
    train(_mnist_config(**EVERYTHING, **{"train.num_steps": 2}), str(tmp_path / "resumed"))
    train(straight, str(tmp_path / "resumed"))
    a, _ = restored_state(straight, str(tmp_path / "straight"))
    b, _ = restored_state(straight, str(tmp_path / "resumed"))
    assert max_abs_diff(a, b) == 0.0
    step_size = 16 * 1 / 50  # batch 16, interval 1, kimg 0.05: p moves by 0.32 per step, from 0
    assert float(a.extras["ada"]["p"]) / step_size == pytest.approx(round(float(a.extras["ada"]["p"]) / step_size),
                                                                    abs=1e-4)
    assert float(a.extras["lecam"]["updates"]) == 4
    subset = json.load(open(tmp_path / "straight" / "train_subset.json"))
    assert len(subset[0]["indices"]) == 100 and subset == json.load(open(tmp_path / "resumed" / "train_subset.json"))


def test_limited_source_reads_only_its_subset_and_draws_it_per_seed():
    images = ArrayImages(np.arange(50, dtype=np.uint8).reshape(50, 1, 1, 1).repeat(2, 1).repeat(2, 2),
                         origin="ramp")
    source = LimitedImageSource(images, train_size=10, batch_size=4, n_critic=1, seed=3, num_streams=2)
    batches = source.next(10)["x"]  # (2 streams, 10 steps, 1, 4, 2, 2, 1)
    for s in range(2):
        seen = set(np.unique(batches[s]).tolist())
        allowed = set(np.asarray(to_model_range(np.asarray(source.subsets[s], np.uint8))).tolist())
        assert seen == allowed  # 40 draws from 10 images: each epoch reads all of them
    assert list(source.subsets[0]) != list(source.subsets[1])
    again = LimitedImageSource(images, train_size=10, batch_size=4, n_critic=1, seed=3, num_streams=2)
    assert [list(s) for s in again.subsets] == [list(s) for s in source.subsets]
    assert source.records(3)["train_subset"][1] == {"seed": 4, "indices": list(map(int, source.subsets[1]))}


@pytest.mark.parametrize("changes, message", [
    ({"techniques.diffaugment": "color,zoom"}, "techniques.diffaugment: unknown augmentation policy 'zoom'"),
    ({"techniques.consistency.augment": "blur"}, "techniques.consistency.augment: unknown augmentation policy"),
    ({"techniques.ada.pipeline": "bgcfnc"}, "techniques.ada.pipeline='bgcfnc' is not one of"),
    ({"techniques.ada.pipeline": "bgc", "techniques.ada.p": 1.5}, r"techniques.ada.p must be in \[0, 1\], got 1.5"),
    ({"techniques.ada.interval": 0}, "techniques.ada.interval must be a positive integer"),
    ({"techniques.lecam.weight": -1.0}, "techniques.lecam.weight is a weight"),
    ({"techniques.lecam.decay": 1.0}, r"techniques.lecam.decay must be in \[0, 1\)"),
    ({"techniques.consistency.latent_std": 0.0}, "techniques.consistency.latent_std must be > 0"),
])
def test_bad_technique_settings_fail_with_the_key(changes, message):
    config = _mnist_config(**changes)
    with pytest.raises(ConfigError, match=message):
        validate(config)


def test_augmentations_need_images_with_channels_they_fit():
    config = base_config()
    config.techniques.diffaugment = "translation"
    with pytest.raises(ConfigError, match="techniques.diffaugment augments images; this run's data are 2D points"):
        validate(config)
    config = _mnist_config(**{"data.name": "npz", "data.source": "npz", "data.dir": "/x"})
    config.techniques.ada.pipeline = "bgc"
    validate(config)  # an npz's channels are known only when read
    from jaxgan.techniques.data_efficient import validate as validate_group
    with pytest.raises(ConfigError, match=r"takes images with 1 or 3 channels .* got shape \(8, 8, 2\)"):
        validate_group(config.techniques, (8, 8, 2), image=True)


def test_a_game_that_does_not_compose_a_technique_rejects_it():
    config = _mnist_config(**{"game.name": "ebgan", "techniques.lecam.weight": 0.3})
    with pytest.raises(ConfigError, match=r"techniques.lecam.weight=0.3 \(lecam\) is a technique of game.name in "
                                          r"\['gan'\], not of 'ebgan'"):
        validate(config)


# --- recipes and the study ---------------------------------------------------------------------


@pytest.mark.parametrize("recipe, switched", [
    ("sngan_diffaugment", {"diffaugment": {"techniques.diffaugment": "color,translation,cutout"}}),
    ("sngan_ada", {"ada": {"techniques.ada.pipeline": "bgc"}}),
    ("sngan_lecam", {"lecam": {"techniques.lecam.weight": 0.3}}),
    ("sngan_cr", {"consistency": {"techniques.consistency.real": 10.0}}),
    ("sngan_icr", {"consistency": {"techniques.consistency.real": 10.0, "techniques.consistency.fake": 10.0,
                                   "techniques.consistency.latent_d": 5.0, "techniques.consistency.latent_g": 0.5}}),
    ("sngan_ada_lecam_diffaugment", {"diffaugment": {"techniques.diffaugment": "color,translation,cutout"},
                                     "ada": {"techniques.ada.pipeline": "bgc"},
                                     "lecam": {"techniques.lecam.weight": 0.3}}),
])
def test_each_recipe_is_sngan_with_its_techniques_switched_on(recipe, switched):
    from experiments import load_recipe
    from jaxgan.techniques import switched_on

    config = validate(load_recipe(recipe).get_config())
    base = load_recipe("sngan").get_config()
    on = switched_on(config)
    assert {k: v for k, v in on.items() if k in switched} == switched
    assert set(on) - set(switched) == set(switched_on(base)) == {"spectral_norm"}
    assert (config.loss, config.optimizer.d.learning_rate) == (base.loss, base.optimizer.d.learning_rate)


def test_the_data_efficient_study_runs_end_to_end_at_tiny_size(tmp_path):
    from conftest import shared_dataset_dir

    from experiments.studies import data_efficient

    data_dir = os.path.dirname(shared_dataset_dir("mnist"))
    report = data_efficient.main(["--rows", "baseline,combined", "--datasets", "mnist", "--sizes", "100",
                                  "--steps", "2", "--first-eval", "2", "--width", "8", "--num-samples", "100",
                                  "--seeds", "2", "--batch", "16", "--data-dir", data_dir, "--out", str(tmp_path)])
    results = json.load(open(tmp_path / "results.json"))
    for name in ("mnist_100_baseline", "mnist_100_combined"):
        run = results[name]
        assert [e["step"] for e in run["curve"]] == [2] and run["final"]["protocol"]["n_fake"] == 100
        (outputs,) = run["d_outputs"]
        assert outputs["step"] == 2 and all(len(outputs[k]) == 2 for k in ("train", "held_out", "generated"))
        subsets = json.load(open(tmp_path / "runs" / name / "train_subset.json"))
        assert [len(s["indices"]) for s in subsets] == [100, 100] and subsets[0] != subsets[1]
    assert "| mnist | 100 (0.17%) | SNGAN | 2 |" in report
    assert "| mnist | 100 (0.17%) | + ADA + LeCam + DiffAugment | 2 |" in report
    for figure in ("curves.png", "overfitting.png", "grids/mnist_100_combined.png"):
        assert (tmp_path / figure).exists()


def test_the_data_efficient_study_puts_a_recipe_on_lucic_networks_with_its_techniques():
    from experiments.studies import data_efficient

    config = validate(data_efficient.run_config("combined", "mnist", 600, seeds=3, batch=64, data_dir="/d",
                                                networks="lucic"))
    assert (config.model.name, config.model.latent_dim, config.model.d_spectral_norm) == ("lucic", 64, True)
    assert (config.techniques.ada.pipeline, config.techniques.lecam.weight) == ("bgc", 0.3)
    assert (config.data.train_size, config.num_seeds, config.data.dir) == (600, 3, "/d/mnist")
    assert data_efficient.run_name("combined", "mnist", 600, "lucic") == "mnist_600_combined_lucic"


@pytest.mark.parametrize("argv, message", [
    (["--rows", "baseline,no_such_row"], "unknown row 'no_such_row'"),
    (["--sizes", "600,70000"], r"--sizes must be in \[0, 60000\]"),
    (["--sizes", "ten"], "--sizes must be comma-separated integers"),
])
def test_the_data_efficient_study_rejects_bad_arguments(argv, message, capsys):
    from experiments.studies import data_efficient

    with pytest.raises(SystemExit):
        data_efficient.main(argv)
    assert re.search(message, capsys.readouterr().err)


# --- DiffAugment in the labeled games ----------------------------------------------------------


TRANSLATE_AND_CUT = Augment(policy="translation,cutout")


def _labeled_case(game, axis_name=None, augment=TRANSLATE_AND_CUT):
    from test_games import body, game_state, images, labels

    from jaxgan.games import make_acgan_step, make_cgan_step, make_semi_supervised_step
    from jaxgan.latents import Prior
    from jaxgan.nets import AuxiliaryDiscriminator

    prior = Prior(noise_dim=4, num_classes=10)
    head = {"acgan": "separate", "semi_supervised": "salimans", "cgan": "none"}[game]
    d = AuxiliaryDiscriminator(body=body(), num_classes=10, class_head=head,
                               conditioning="concat" if game == "cgan" else "none")
    state = game_state(d, prior, (images(2)[0], labels(2)[0]) if game == "cgan" else images(2)[0])
    common = dict(prior=prior, g_loss=losses.non_saturating_generator_loss, augment=augment, axis_name=axis_name)
    if game == "semi_supervised":
        common.update(head="salimans", g_objective="feature_matching")
        batches = [{"x": images(16, seed=i), "x_labeled": images(8, seed=5 + i), "y_labeled": labels(8, seed=i)}
                   for i in range(2)]
    else:
        common.update(d_loss=losses.minimax_discriminator_loss)
        batches = [{"x": images(16, seed=i), "y": labels(16, seed=i)} for i in range(2)]
    make = {"acgan": make_acgan_step, "cgan": make_cgan_step, "semi_supervised": make_semi_supervised_step}[game]
    return make(**common), state, batches


@pytest.mark.parametrize("game", ["acgan", "cgan", "semi_supervised"])
def test_labeled_games_augment_every_d_input_the_same_on_every_device_layout(game):
    reference, _ = run_single(*_labeled_case(game))
    plain, _ = run_single(*_labeled_case(game, augment=None))
    assert max_abs_diff(reference.d_params, plain.d_params) > 1e-4  # D saw other images
    sharded, _ = run_jit_sharded(*_labeled_case(game))
    assert max_abs_diff(reference, sharded) < 1e-5
    if game != "semi_supervised":  # feature matching's batch means are the device's shard's under pmap
        mapped, _ = run_pmap(*_labeled_case(game, axis_name=parallel.DATA_AXIS))
        assert max_abs_diff(reference, mapped) < 1e-5


def test_labeled_games_take_diffaugment_but_not_adas_adaptive_p():
    with pytest.raises(ValueError, match="the labeled games compose DiffAugment"):
        _labeled_case("acgan", augment=Augment(ada_pipeline="bgc"))
    config = _mnist_config(**{"game.name": "acgan", "techniques.ada.pipeline": "bgc"})
    with pytest.raises(ConfigError, match=r"techniques.ada.pipeline='bgc' \(ada\) is a technique of game.name in "
                                          r"\['gan'\], not of 'acgan'"):
        validate(config)

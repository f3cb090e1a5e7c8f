"""The evaluation interface: evaluators see a run only through a `Sampler`, "auto" is derived from
the registry and the data, and the sliced Wasserstein distance (the metric added through it) is
checked against its definition."""

import jax
import numpy as np
import pytest

from jaxgan import evaluation
from jaxgan.config import ConfigError, base_config, validate
from jaxgan.data import MIXTURES
from jaxgan.evaluation import EVALUATORS, Evaluations, selected
from jaxgan.metrics import mode_coverage, swd


class FixedSampler:
    """A `Sampler` of fixed samples: what an evaluator needs, with no program or train state."""

    def __init__(self, samples):
        self._samples = np.asarray(samples)
        self.num_seeds = self._samples.shape[0]
        self.prior = None

    def samples(self, key, num, use_ema):
        return self._samples[:, :num]

    def decode(self, latents, use_ema):
        raise AssertionError("not used by sample-quality evaluators")

    def seed_states(self):
        raise AssertionError("not used by sample-quality evaluators")


def test_an_evaluator_runs_on_any_sampler_and_records_its_protocol():
    config = validate(base_config())  # grid-25, eval.metrics auto
    centers = np.asarray(MIXTURES["grid"].centers)
    rng = np.random.default_rng(0)
    samples = np.stack([centers[rng.integers(0, 25, 2500)] + 0.01 * rng.normal(size=(2500, 2)),
                        centers[rng.integers(0, 3, 2500)]])  # seed 1 covers 3 modes
    record = Evaluations(config).evaluate(FixedSampler(samples), key=jax.random.key(0), use_ema=False, step=7)
    assert record["per_seed"] == [mode_coverage(s, centers, MIXTURES["grid"].std) for s in samples]
    assert record["per_seed"][1]["modes"] == 3
    assert record["summary"]["modes"]["mean"] == pytest.approx((record["per_seed"][0]["modes"] + 3) / 2)
    protocol = record["protocol"]
    assert protocol["metrics"] == ["modes"] and protocol["n_fake"] == 2500 and protocol["checkpoint_step"] == 7
    assert protocol["modes"] == {"num_modes": 25, "std": 0.05, "high_quality_threshold_std": 3.0}


@pytest.mark.parametrize("overrides, expected", [
    ({}, ("modes",)),
    ({"data.name": "mnist", "data.source": "idx", "data.dir": "/x", "model.name": "dcgan"},
     ("fid", "kid", "pr", "dc", "is")),
    ({"data.name": "cifar10", "model.name": "dcgan"}, ()),  # Inception features but no weights given
    ({"data.name": "stacked_mnist", "data.source": "idx", "data.dir": "/x", "model.name": "dcgan"}, ("modes",)),
    ({"data.name": "mnist", "data.source": "idx", "data.dir": "/x", "model.name": "dcgan", "game.name": "acgan"},
     ("fid", "kid", "pr", "dc", "is", "class_accuracy")),
    ({"data.name": "mnist", "data.source": "idx", "data.dir": "/x", "model.name": "dcgan", "game.name": "acgan",
      "eval.metrics": "swd"}, ("swd", "class_accuracy")),
])
def test_auto_is_derived_from_the_registry_the_data_and_the_game(overrides, expected):
    config = base_config()
    config.update_from_flattened_dict(overrides)
    assert selected(validate(config)) == expected


@pytest.mark.parametrize("overrides, message", [
    ({"eval.metrics": "fid,fad"}, "unknown metric(s) ['fad']"),
    ({"eval.metrics": "swd"}, "'swd' compares image patches; 'grid' is 2D points"),
    ({"eval.metrics": "is", "eval.feature_network": "points"}, "'is' needs class logits"),
])
def test_an_evaluator_that_cannot_apply_is_a_config_error(overrides, message):
    config = base_config()
    config.update_from_flattened_dict(overrides)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        validate(config)


def test_the_cli_help_lists_every_evaluator():
    from jaxgan import cli

    text = cli._metrics_help()
    assert all(f"{name}: " in text for name in EVALUATORS)


def test_laplacian_pyramid_reconstructs_the_images_and_keeps_constants():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(3, 32, 32, 2))
    levels = swd.laplacian_pyramid(images, 3)
    assert [level.shape[1] for level in levels] == [32, 16, 8]
    rebuilt = levels[-1]
    for band in reversed(levels[:-1]):
        rebuilt = band + swd.pyramid_up(rebuilt, band.shape[1:3])
    np.testing.assert_allclose(rebuilt, images, atol=1e-12)
    constant = np.full((1, 28, 28, 1), 0.3)
    np.testing.assert_allclose(swd.pyramid_down(constant), np.full((1, 14, 14, 1), 0.3), atol=1e-12)
    assert swd.resolutions(28) == [28] and swd.resolutions(64) == [64, 32, 16]


def test_sliced_wasserstein_of_a_shifted_set_is_the_mean_projected_shift():
    """Sorting commutes with adding a constant, so for b = a + v every direction d contributes |d.v|
    exactly: SW = mean_d |d.v| over the drawn directions."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 6)).astype(np.float32)
    v = np.array([0.5, -1.0, 0.0, 2.0, 0.0, 0.25], np.float32)
    key = jax.random.key(3)
    directions = np.concatenate([swd.random_directions(k, 6, 128) for k in jax.random.split(key, 4)], axis=1)
    expected = float(np.mean(np.abs(v @ directions)))
    assert swd.sliced_wasserstein(a, a + v, key) == pytest.approx(expected, rel=1e-5)
    assert swd.sliced_wasserstein(a, a, key) == 0.0


def test_swd_ignores_brightness_and_contrast_and_separates_noise_from_digits():
    """Every level is normalized per channel and set, so an affine change of the fakes' values
    leaves the distance unchanged; noise is far from real images and real from real is close."""
    from conftest import shared_dataset_dir

    from jaxgan.data.images import open_images, to_model_range

    test = open_images("mnist", "test", source="idx", path=shared_dataset_dir("mnist"))
    real, other = to_model_range(test.take(np.arange(400))), to_model_range(test.take(np.arange(400, 800)))
    key = jax.random.key(0)
    kwargs = dict(key=key, patches_per_image=16)
    same = swd.sliced_wasserstein_distance(real, other, **kwargs)["swd"]
    assert swd.sliced_wasserstein_distance(real, 0.5 * other - 0.2, **kwargs)["swd"] == pytest.approx(same, rel=1e-4)
    noise = np.asarray(jax.random.uniform(jax.random.key(1), real.shape, minval=-1, maxval=1))
    far = swd.sliced_wasserstein_distance(real, noise, **kwargs)["swd"]
    assert far > 5 * same, (same, far)


def test_swd_evaluator_on_an_image_sampler():
    from conftest import shared_dataset_dir

    config = base_config()
    config.update_from_flattened_dict({"data.name": "mnist", "data.source": "idx",
                                       "data.dir": shared_dataset_dir("mnist"), "model.name": "dcgan",
                                       "eval.metrics": "swd", "eval.num_samples": 64, "eval.num_reference": 64})
    validate(config)
    fakes = np.asarray(jax.random.uniform(jax.random.key(2), (2, 64, 28, 28, 1), minval=-1, maxval=1))
    record = Evaluations(config).evaluate(FixedSampler(fakes), key=jax.random.key(0), use_ema=False)
    assert [sorted(v) for v in record["per_seed"]] == [["swd", "swd_levels"]] * 2
    assert record["protocol"]["sliced_wasserstein_distance"]["images_per_set"] == 64
    assert record["protocol"]["reference"]["n_real"] == 64
    assert all(np.isfinite(v["swd"]) and v["swd"] > 0 for v in record["per_seed"])


def test_compute_metrics_matches_the_evaluators_feature_functions():
    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(300, 5)), rng.normal(size=(300, 5)) + 0.5
    key = jax.random.key(5)
    values = evaluation.compute_metrics("fid,pr,dc", real, fake, key=key)
    from jaxgan.evaluation.samples import FEATURE_METRICS

    manifold = FEATURE_METRICS["pr"].fn(real, fake, key=key, logits=None, settings=evaluation.MetricSettings())
    assert values["precision"] == manifold["precision"] and values["coverage"] == manifold["coverage"]

"""ClusterGAN (jaxgan.games.clustergan) and the clustering measures (jaxgan.metrics.clustering):
the measures against hand-computed values, k-means on separated blobs, the prior, the recovery
terms in closed form, the step's G loss, equality across device layouts, the recipe and its
evaluator, and bad configs."""

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

from jaxgan import losses, parallel
from jaxgan import state as state_lib
from jaxgan.config import validate
from jaxgan.games import Penalty, clustergan, make_clustergan_step
from jaxgan.latents import Prior
from jaxgan.metrics import clustering
from jaxgan.nets import ClusterGANNetworks, MLPDiscriminator, MLPGenerator


def test_clustering_measures_against_hand_computed_values():
    true = np.array([0, 0, 1, 1])
    refined = np.array([0, 0, 1, 2])
    # pred refines true: I = H(true) = ln 2, H(pred) = 1.5 ln 2: NMI = ln 2 / (1.25 ln 2) = 0.8
    assert clustering.normalized_mutual_information(refined, true) == pytest.approx(0.8)
    # pairs: together in both 1, in pred 1, in true 2, of 6: (1 - 1 * 2 / 6) / ((1 + 2) / 2 - 1 / 3) = 4 / 7
    assert clustering.adjusted_rand_index(refined, true) == pytest.approx(4 / 7)
    assert clustering.purity(refined, true) == 1.0  # every cluster is pure
    assert clustering.matched_accuracy(refined, true) == 0.75  # one-to-one: cluster 2 has no class left
    swapped = np.array([1, 1, 0, 0])  # the same partition under other names
    for measure in (clustering.normalized_mutual_information, clustering.adjusted_rand_index, clustering.purity,
                    clustering.matched_accuracy):
        assert measure(swapped, true) == pytest.approx(1.0)
    independent = (np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1]))
    assert clustering.normalized_mutual_information(*independent) == pytest.approx(0.0, abs=1e-12)
    assert clustering.adjusted_rand_index(*independent) == pytest.approx(-0.5)
    assert clustering.purity(np.zeros(4, int), true) == 0.5
    with pytest.raises(ValueError, match="non-negative integer labels, got dtype float"):
        clustering.purity(np.array([0.0, 1.0]), np.array([0, 1]))
    with pytest.raises(ValueError, match="equally long"):
        clustering.purity(np.array([0, 1]), np.array([0, 1, 1]))


def test_kmeans_recovers_separated_blobs_and_is_seeded():
    rng = np.random.default_rng(3)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    truth = np.repeat(np.arange(4), 50)
    points = centers[truth] + rng.normal(scale=0.5, size=(200, 2))
    labels = clustering.kmeans(points, 4, seed=0)
    assert clustering.adjusted_rand_index(labels, truth) == 1.0
    np.testing.assert_array_equal(labels, clustering.kmeans(points, 4, seed=0))
    with pytest.raises(ValueError, match="1 <= k <= N"):
        clustering.kmeans(points, 0)


def test_prior_scales_the_noise_and_puts_the_one_hot_class_first():
    prior = Prior(noise_dim=3, num_classes=4, noise_scale=0.1)
    base = Prior(noise_dim=3, num_classes=4)
    key = jax.random.key(5)
    scaled, plain = prior.sample_latent(key), base.sample_latent(key)
    np.testing.assert_allclose(scaled[4:], 0.1 * plain[4:], rtol=1e-6)
    np.testing.assert_array_equal(scaled[:4], plain[:4])
    assert float(jnp.sum(scaled[:4])) == 1.0 and set(np.asarray(scaled[:4]).tolist()) <= {0.0, 1.0}


def test_recovery_terms_are_the_mean_squared_noise_error_and_the_class_cross_entropy():
    latent = jnp.array([[1.0, 0.0, 0.5, -0.5], [0.0, 1.0, 0.0, 1.0]])
    out = {"logits": jnp.array([[2.0, 0.0], [0.0, 0.0]]), "noise": jnp.array([[0.5, 0.5], [1.0, 1.0]])}
    terms = clustergan.recovery_terms(out, latent, 2)
    # squared errors: (0, 1) and (1, 0): mean 0.5; cross-entropies: log(1 + e^-2) and log 2
    assert float(terms["noise_recovery"]) == pytest.approx(0.5)
    assert float(terms["class_recovery"]) == pytest.approx((np.log1p(np.exp(-2.0)) + np.log(2.0)) / 2, rel=1e-6)


SGD = optax.sgd(0.05)
PRIOR = Prior(noise_dim=3, num_classes=4, noise_scale=0.1)


def clustergan_state(tx=SGD):
    networks = ClusterGANNetworks(generator=MLPGenerator(hidden=(16,), output_dim=6, norm="none"),
                                  encoder=MLPDiscriminator(hidden=(12,), features_only=True), num_classes=4,
                                  noise_dim=3, image_shape=(6,))
    return state_lib.create(generator=networks, discriminator=MLPDiscriminator(hidden=(12,)), g_tx=tx, d_tx=tx,
                            latent_shape=(PRIOR.latent_dim,), sample_x=jnp.zeros((2, 6)), key=0)


def real_batches(count, n_critic=2, batch=16):
    return [{"x": jax.random.normal(jax.random.key(20 + i), (n_critic, batch, 6))} for i in range(count)]


def wgan_gp(**kw):
    return make_clustergan_step(prior=PRIOR, beta_n=10.0, beta_c=2.0, d_loss=losses.wasserstein_discriminator_loss,
                                g_loss=losses.wasserstein_generator_loss, n_critic=2,
                                penalties=(Penalty("wgan_gp", losses.gradient_penalty, 10.0),), **kw)


def test_the_encoder_learns_to_read_the_class_and_noise_of_g():
    """With the adversarial loss zeroed, G and E move by the weighted recovery terms alone: E
    learns to read c and z_n back from G(z)."""
    step = jax.jit(make_clustergan_step(prior=PRIOR, beta_n=10.0, beta_c=2.0,
                                        d_loss=losses.wasserstein_discriminator_loss,
                                        g_loss=lambda real, fake: 0.0 * jnp.mean(fake), n_critic=2))
    state, first = clustergan_state(optax.adam(1e-2)), None
    for batch in real_batches(40):
        state, metrics = step(state, batch)
        first = first or {name: float(value) for name, value in metrics.items()}
    assert float(metrics["class_recovery"]) < 0.5 * first["class_recovery"]
    assert float(metrics["noise_recovery"]) < first["noise_recovery"]


@pytest.mark.parametrize("form", ["jit_sharded", "pmap"])
def test_step_is_the_same_on_every_device_layout(form):
    batches = real_batches(3)
    reference, ref_metrics = run_single(wgan_gp(), clustergan_state(), batches)
    if form == "pmap":
        result, metrics = run_pmap(wgan_gp(axis_name=parallel.DATA_AXIS), clustergan_state(), batches)
    else:
        result, metrics = run_jit_sharded(wgan_gp(), clustergan_state(), batches)
    for field in ("g_params", "d_params", "g_opt_state", "d_opt_state"):
        assert max_abs_diff(getattr(result, field), getattr(reference, field)) < 1e-5, field
    for name in ref_metrics:
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=1e-5, atol=1e-6)


def test_bad_step_arguments_are_rejected():
    with pytest.raises(ValueError, match="num_classes > 0 and no continuous codes"):
        make_clustergan_step(prior=Prior(noise_dim=3), d_loss=losses.minimax_discriminator_loss,
                             g_loss=losses.non_saturating_generator_loss)
    with pytest.raises(ValueError, match="weights >= 0"):
        make_clustergan_step(prior=PRIOR, beta_n=-1.0, d_loss=losses.minimax_discriminator_loss,
                             g_loss=losses.non_saturating_generator_loss)


def tiny_recipe(**overrides):
    config = importlib.import_module("experiments.labels.clustergan").get_config()
    config.data.source, config.data.dir = "idx", shared_dataset_dir("mnist")
    config.update_from_flattened_dict(overrides)
    return config


def test_recipe_builds_the_authors_networks_and_its_evaluator_scores_the_encoder():
    from jaxgan.evaluation import labels
    from jaxgan.run import Program

    config = tiny_recipe()
    validate(config)
    state = Program(config).init_state()
    assert state.g_params["head"]["kernel"].shape == (1024, 40)  # E: D's body, then K + 30 outputs
    assert state.g_params["generator"]["Dense_0"]["kernel"].shape == (40, 1024)
    assert state.latent_shape == (40,)
    rng = np.random.default_rng(0)
    test_x = rng.uniform(-1, 1, size=(60, 28, 28, 1)).astype(np.float32)
    values = labels.encoder_clusters(state, test_x, rng.integers(0, 10, 60), num_classes=10, batch_size=30)
    assert set(values) == {"cluster_purity", "cluster_nmi", "cluster_ari", "argmax_purity",
                           "argmax_matched_accuracy", "argmax_nmi", "argmax_ari", "clusters_used"}
    assert 0.0 <= values["cluster_purity"] <= 1.0 and 1 <= values["clusters_used"] <= 10


def test_recipe_trains_and_resumes_bit_exactly(tmp_path):
    from jaxgan.run import Program

    small = {"train.checkpoint_every": 2, "train.log_every": 1, "train.plot_every": 0, "train.eval_every": 0,
             "train.progress": False, "data.batch_size": 16, "n_critic": 2}
    straight = tiny_recipe(**small, **{"train.num_steps": 4})
    states = straight_and_resumed(straight, tiny_recipe(**small, **{"train.num_steps": 2}), tmp_path)
    assert max_abs_diff(states[0], states[1]) == 0.0
    assert max_abs_diff(states[0].g_params["head"], Program(straight).init_state().g_params["head"]) > 0


@pytest.mark.parametrize("overrides, message", [
    ({"game.num_classes": 1}, "game.num_classes (ClusterGAN's K) must be an integer >= 2, got 1"),
    ({"game.noise_std": 0.0}, "game.noise_std (sigma of z_n) must be positive"),
    ({"game.beta_c": -1.0}, "game.beta_c is a weight and must be >= 0"),
    ({"model.d_norm": "batch"}, "model.d_norm='batch' would give E BatchNorm state"),
    ({"model.packing": 2}, "packing"),
])
def test_bad_clustergan_configs_are_rejected(overrides, message):
    assert_recipe_rejects("experiments.labels.clustergan", overrides, message)

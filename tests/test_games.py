"""Games with labels, codes and autoencoders (CGAN, ACGAN, semi-supervised, InfoGAN, AAE): heads,
priors, the label budget, loss composition against the loss library, determinism, resume."""

import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import max_abs_diff, shared_dataset_dir
from test_train import restored_state, with_overrides

from experiments import load_recipe
from jaxgan import cli, games, losses
from jaxgan import state as state_lib
from jaxgan.config import ConfigError, base_config, validate
from jaxgan.data.images import ArrayImages
from jaxgan.data.labeled import SemiSupervisedSource, choose_labeled_subset
from jaxgan.evaluation.labels import class_grid_latents, code_statistics, digits_found, matched_accuracy
from jaxgan.games import make_aae_step, make_acgan_step, make_cgan_step, make_infogan_step, make_semi_supervised_step
from jaxgan.latents import Prior
from jaxgan.nets import (
    AdversarialAutoencoder,
    AuxiliaryDiscriminator,
    CodeDiscriminators,
    MLPDiscriminator,
    MLPGenerator,
)
from jaxgan.optimizers import phased_optimizer
from jaxgan.run import Program, build_optimizers, train

ADAM = optax.adam(1e-3, b1=0.5)
SHAPE = (6, 6, 1)


def body(**kwargs):
    return MLPDiscriminator(hidden=(16, 16), features_only=True, **kwargs)


def game_state(discriminator, prior, sample_x):
    generator = MLPGenerator(hidden=(16,), output_shape=SHAPE)
    return state_lib.create(generator=generator, discriminator=discriminator, g_tx=ADAM, d_tx=ADAM,
                            latent_shape=(prior.latent_dim,), sample_x=sample_x, key=3)


def images(n, seed=0):
    return jax.random.uniform(jax.random.key(seed), (1, n) + SHAPE, minval=-1, maxval=1)


def labels(n, seed=1):
    return jax.random.randint(jax.random.key(seed), (1, n), 0, 10)


def test_prior_layout_and_class_grid():
    prior = Prior(noise_dim=5, num_classes=10, continuous_codes=2)
    draws = jax.vmap(prior.draw)(jax.random.split(jax.random.key(0), 2000))
    latent = prior.latent(draws)
    assert latent.shape == (2000, 17)
    np.testing.assert_array_equal(np.argmax(latent[:, :10], axis=1), draws["y"])
    assert np.all(np.abs(latent[:, 10:12]) <= 1.0) and abs(float(jnp.mean(latent[:, 10:12]))) < 0.05
    assert abs(float(jnp.std(latent[:, 12:])) - 1.0) < 0.05
    assert set(np.unique(draws["y"]).tolist()) == set(range(10))
    grid = class_grid_latents(prior, jax.random.key(4), 10, 3)  # row k = class k, column j = noise j
    np.testing.assert_array_equal(np.argmax(grid[:, :10], axis=1), np.repeat(np.arange(10), 3))
    np.testing.assert_array_equal(grid[0:3, 10:], grid[27:30, 10:])
    assert not np.allclose(grid[0, 10:], grid[1, 10:])
    # an unconditional prior draws the same noise as the conditional one from the same key
    plain = Prior(noise_dim=5).latent(Prior(noise_dim=5).draw(jax.random.key(9)))
    np.testing.assert_array_equal(plain, prior.draw(jax.random.key(9))["z"])
    # the InfoGAN code's U(-1, 1) noise: variance 1/3, and the same class and codes from a key
    uniform = Prior(noise_dim=5, num_classes=10, continuous_codes=2, noise="uniform")
    drawn = jax.vmap(uniform.draw)(jax.random.split(jax.random.key(0), 2000))
    assert float(jnp.max(jnp.abs(drawn["z"]))) <= 1.0 and abs(float(jnp.var(drawn["z"])) - 1 / 3) < 0.02
    np.testing.assert_array_equal(drawn["y"], draws["y"])
    np.testing.assert_array_equal(drawn["c"], draws["c"])
    with pytest.raises(ValueError, match="Prior noise must be one of"):
        Prior(noise_dim=5, noise="cauchy").draw(jax.random.key(0))


@pytest.mark.parametrize("head", ["k_plus_one", "salimans"])
def test_semi_supervised_head_logit_is_log_odds_of_real(head):
    d = AuxiliaryDiscriminator(body=body(), num_classes=10, class_head=head)
    x = images(7)[0]
    out = d.apply(d.init(jax.random.key(0), x, train=False), x, train=False)
    logits = out["class_logits"]
    assert logits.shape == (7, 11 if head == "k_plus_one" else 10) and out["features"].shape == (7, 16)
    p = jax.nn.softmax(jnp.concatenate([logits, jnp.zeros((7, 1))], 1) if head == "salimans" else logits)
    p_real = jnp.sum(p[:, :10], axis=1)
    np.testing.assert_allclose(jax.nn.sigmoid(out["logit"]), p_real, rtol=1e-5)
    # the step's composition -- BCE on the derived logit plus the supervised cross-entropy (K+1-way
    # for Odena's head, K-way for Salimans') -- is the library's semi-supervised loss
    y = labels(7)[0]
    fake = d.apply(d.init(jax.random.key(0), x, train=False), x[::-1], train=False)
    library = losses.salimans_discriminator_loss if head == "salimans" else losses.k_plus_one_discriminator_loss
    composed = losses.minimax_discriminator_loss(out["logit"], fake["logit"]) + losses.classification_loss(logits, y)
    np.testing.assert_allclose(library(logits, y, logits, fake["class_logits"]), composed, rtol=1e-5)


def test_projection_and_concat_conditioning():
    x, y = images(5)[0], labels(5)[0]
    projection = AuxiliaryDiscriminator(body=body(), num_classes=10, conditioning="projection")
    variables = projection.init(jax.random.key(0), (x, y), train=False)
    out = projection.apply(variables, (x, y), train=False)
    p = variables["params"]
    expected = out["features"] @ p["logit_head"]["kernel"][:, 0] + p["logit_head"]["bias"][0]
    expected = expected + jnp.sum(p["projection"]["embedding"][y] * out["features"], axis=1)
    np.testing.assert_allclose(out["logit"], expected, rtol=1e-5, atol=1e-6)
    other = projection.apply(variables, (x, (y + 1) % 10), train=False)["logit"]
    assert not np.allclose(other, out["logit"])  # the label matters
    concat = AuxiliaryDiscriminator(body=body(), num_classes=10, conditioning="concat")
    variables = concat.init(jax.random.key(0), (x, y), train=False)
    assert variables["params"]["body"]["Dense_0"]["kernel"].shape == (36 + 10, 16)
    with pytest.raises(ValueError, match="integer labels of shape"):
        concat.apply(variables, (x, y.astype(jnp.float32)), train=False)


def test_acgan_step_uses_class_logits_and_is_deterministic():
    prior = Prior(noise_dim=4, num_classes=10)
    d = AuxiliaryDiscriminator(body=body(), num_classes=10, class_head="separate")
    state = game_state(d, prior, images(2)[0])
    step = jax.jit(make_acgan_step(prior=prior, d_loss=losses.minimax_discriminator_loss,
                                   g_loss=losses.non_saturating_generator_loss))
    batch = {"x": images(16), "y": labels(16)}
    new, metrics = step(state, batch)
    out = d.apply({"params": state.d_params}, batch["x"][0], train=False)
    np.testing.assert_allclose(
        metrics["class_real"], losses.classification_loss(out["class_logits"], batch["y"][0]), rtol=1e-5
    )
    np.testing.assert_allclose(metrics["real_logit"], jnp.mean(out["logit"]), rtol=1e-5)
    np.testing.assert_allclose(
        metrics["d_total"], metrics["d_loss"] + metrics["class_real"] + metrics["class_fake"], rtol=1e-5
    )
    again, metrics_again = step(state, batch)
    assert max_abs_diff(new, again) == 0.0 and max_abs_diff(metrics, metrics_again) == 0.0
    with pytest.raises(ValueError, match=r"keys \['x', 'y'\]"):
        step(state, {"x": batch["x"]})
    with pytest.raises(TypeError, match="integer class labels"):
        step(state, {"x": batch["x"], "y": batch["y"].astype(jnp.float32)})


def test_acgan_classifier_on_real_labels_only():
    """classify_fakes=False (StudioGAN's AC): D's total drops the fakes' class term, so its
    gradient is that of adversarial + L_C(real); G's objective is the same as the paper's."""
    prior = Prior(noise_dim=4, num_classes=10)
    d = AuxiliaryDiscriminator(body=body(), num_classes=10, class_head="separate")
    state = game_state(d, prior, images(2)[0])
    batch = {"x": images(16), "y": labels(16)}
    common = dict(prior=prior, d_loss=losses.minimax_discriminator_loss, g_loss=losses.non_saturating_generator_loss)
    both, both_metrics = jax.jit(make_acgan_step(**common))(state, batch)
    real_only, metrics = jax.jit(make_acgan_step(**common, classify_fakes=False))(state, batch)
    np.testing.assert_allclose(metrics["d_total"], metrics["d_loss"] + metrics["class_real"], rtol=1e-6)
    np.testing.assert_allclose(metrics["class_fake"], both_metrics["class_fake"], rtol=1e-6)
    # only the class head's update differs for the step's first D update: the fakes' term moves
    # the class head and the body, never the real/fake head
    d_heads = jax.tree.map(lambda a, b: float(jnp.max(jnp.abs(a - b))), both.d_params, real_only.d_params)
    assert d_heads["class_head"]["kernel"] > 0 and d_heads["logit_head"]["kernel"] == 0.0


@pytest.mark.parametrize("game", ["acgan", "cgan", "semi_supervised"])
def test_joint_discriminator_batches_are_the_same_step(game):
    """One D pass over the concatenated real, fake (and labeled) batches equals one pass per
    batch for a per-example discriminator (no noise here, so the draws do not differ either)."""
    prior = Prior(noise_dim=4, num_classes=10)
    head = {"acgan": "separate", "semi_supervised": "salimans", "cgan": "none"}[game]
    d = AuxiliaryDiscriminator(body=body(), num_classes=10, class_head=head,
                               conditioning="concat" if game == "cgan" else "none")
    example = (images(2)[0], labels(2)[0]) if game == "cgan" else images(2)[0]
    state = game_state(d, prior, example)
    batch = {"x": images(16), "y": labels(16)}
    if game == "semi_supervised":
        batch = {"x": images(16), "x_labeled": images(8, seed=5), "y_labeled": labels(8)}
    make = {"acgan": make_acgan_step, "cgan": make_cgan_step, "semi_supervised": make_semi_supervised_step}[game]
    common = dict(prior=prior, g_loss=losses.non_saturating_generator_loss)
    if game == "semi_supervised":
        common.update(head="salimans", g_objective="feature_matching")
    else:
        common.update(d_loss=losses.minimax_discriminator_loss)
    separate, metrics = jax.jit(make(**common))(state, batch)
    joint, joint_metrics = jax.jit(make(**common, joint_batches=True))(state, batch)
    assert max_abs_diff(separate, joint) < 1e-5 and max_abs_diff(metrics, joint_metrics) < 1e-5
    assert max_abs_diff(separate.d_params, state.d_params) > 1e-4  # it trained


def test_infogan_terms_are_the_code_likelihoods():
    prior = Prior(noise_dim=4, num_classes=3, continuous_codes=2)
    d = AuxiliaryDiscriminator(body=body(), categorical_codes=3, continuous_codes=2)
    state = game_state(d, prior, images(2)[0])
    step = jax.jit(make_infogan_step(prior=prior, d_loss=losses.minimax_discriminator_loss,
                                     g_loss=losses.non_saturating_generator_loss, info_weights=(1.0, 0.5)))
    _, metrics = step(state, {"x": images(32)})
    # at initialization Q is near uniform over 3 values: -log Q ~ log 3; the Gaussian term is at
    # least the unit-variance normalizer log(2 pi)/2 per code
    assert abs(float(metrics["info_categorical"]) - np.log(3)) < 0.3
    assert float(metrics["info_continuous"]) > 2 * 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(metrics["d_total"], metrics["d_loss"] + metrics["info_categorical"]
                               + 0.5 * metrics["info_continuous"], rtol=1e-5)


def test_q_batch_norm_normalizes_q_hidden_layer_and_keeps_real_and_fake_statistics_apart():
    """game.q_norm="batch" (the authors' Q: fc 128 -> BatchNorm -> LeakyReLU): in training Q's output
    is invariant to the scale of its hidden kernel (BatchNorm divides it out); in evaluation, with
    the initial running statistics (mean 0, variance 1), it is the un-normalized layer scaled by
    1 / sqrt(1 + eps). The game's step never runs D on the real and fake batches jointly."""
    x = images(32)[0]
    with_bn = AuxiliaryDiscriminator(body=body(), categorical_codes=3, continuous_codes=2, q_norm="batch")
    variables = with_bn.init(jax.random.key(0), x, train=False)
    assert "bias" not in variables["params"]["q_hidden"] and "q_batch_norm" in variables["batch_stats"]

    def codes(params, train):
        out = with_bn.apply({"params": params, "batch_stats": variables["batch_stats"]}, x, train=train,
                            mutable=["batch_stats"])[0]
        return np.concatenate([out["code_logits"], out["code_mean"]], axis=1)

    scaled = dict(variables["params"])
    scaled["q_hidden"] = {"kernel": 7.0 * variables["params"]["q_hidden"]["kernel"]}
    # (up to BatchNorm's eps of 1e-5 beside small variances)
    np.testing.assert_allclose(codes(scaled, True), codes(variables["params"], True), rtol=5e-3, atol=1e-3)
    assert max_abs_diff(codes(scaled, False), codes(variables["params"], False)) > 1e-2

    plain = AuxiliaryDiscriminator(body=body(), categorical_codes=3, continuous_codes=2)
    plain_params = dict(variables["params"])
    plain_params["q_hidden"] = {"kernel": variables["params"]["q_hidden"]["kernel"] / np.sqrt(1 + 1e-5),
                                "bias": jnp.zeros(128)}
    plain_out = plain.apply({"params": plain_params}, x, train=False)
    np.testing.assert_allclose(codes(variables["params"], False),
                               np.concatenate([plain_out["code_logits"], plain_out["code_mean"]], axis=1),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="q_norm one of"):
        AuxiliaryDiscriminator(body=body(), categorical_codes=3, q_norm="layer").init(jax.random.key(0), x, train=False)

    # an MLP D without BatchNorm would otherwise run real and fake jointly; Q's statistics must not
    # mix them: the configured step is the separate one, and differs from the joint one
    config = with_overrides(base_config(), {"game.name": "infogan", "game.q_norm": "batch",
                                            "game.categorical_codes": 3, "game.continuous_codes": 2,
                                            "model.latent_dim": 4, "loss": "non_saturating"})
    prior = Prior(noise_dim=4, num_classes=3, continuous_codes=2)
    state = game_state(with_bn, prior, x[:2])
    configured, _ = jax.jit(games.get("infogan").step(config))(state, {"x": x[None]})
    options = dict(prior=prior, d_loss=losses.minimax_discriminator_loss, g_loss=losses.non_saturating_generator_loss)
    separate, _ = jax.jit(make_infogan_step(**options))(state, {"x": x[None]})
    joint, _ = jax.jit(make_infogan_step(**options, joint_batches=True))(state, {"x": x[None]})
    assert max_abs_diff(configured, separate) < 1e-6 and max_abs_diff(joint, separate) > 1e-4


def test_aae_step_reconstruction_and_code_discriminators():
    prior = Prior(noise_dim=3, num_classes=10)
    autoencoder = AdversarialAutoencoder(image_shape=SHAPE, code_dim=3, num_classes=10, infer_class=True, hidden=(16,))
    codes = {"style": jnp.zeros((1, 3)), "category": jnp.zeros((1, 10))}
    state = state_lib.create(
        generator=autoencoder,
        discriminator=CodeDiscriminators(hidden=(16,)),
        g_tx=ADAM,
        d_tx=ADAM,
        latent_shape=(13,),
        sample_x=codes,
        key=0,
    )
    assert set(state.g_params) >= {"encoder_layers_0", "decoder_layers_0", "class_out", "style_out"}
    assert set(state.d_params) == {"category", "style"}
    step = jax.jit(make_aae_step(mode="semi_supervised", prior=prior))
    x = images(8)
    batch = {"x": x, "x_labeled": images(4, seed=5), "y_labeled": labels(4)}
    new, metrics = step(state, batch)
    variables = {"params": state.g_params}
    out = autoencoder.apply(variables, x[0], method="encode")
    decoded = autoencoder.apply(variables, jnp.concatenate([jax.nn.softmax(out["class_logits"]), out["style"]], 1))
    np.testing.assert_allclose(metrics["reconstruction"], jnp.mean(jnp.square(decoded - x[0])), rtol=1e-5)
    labeled = autoencoder.apply(variables, batch["x_labeled"][0], method="encode")
    np.testing.assert_allclose(
        metrics["class_labeled"], losses.classification_loss(labeled["class_logits"], batch["y_labeled"][0]), rtol=1e-5
    )
    assert int(new.step) == 1 and max_abs_diff(new.g_params, state.g_params) > 0
    with pytest.raises(ValueError, match="needs a prior with num_classes"):
        make_aae_step(mode="supervised", prior=Prior(noise_dim=3))


def test_aae_phased_step_is_three_sequential_updates():
    """The paper's training (Makhzani Sec. 2, 5): reconstruction, then regularization (D, then the
    encoder against the updated D), then classification, each from the parameters the previous
    phase left, at its own rate. With plain SGD the closed form is three gradient steps."""
    prior = Prior(noise_dim=3, num_classes=10)
    autoencoder = AdversarialAutoencoder(image_shape=SHAPE, code_dim=3, num_classes=10, infer_class=True, hidden=(16,))
    discriminators = CodeDiscriminators(hidden=(16,))
    rates = {"reconstruction": 0.3, "regularization": 0.05, "classification": 0.2}
    g_tx = phased_optimizer({name: optax.sgd(rate) for name, rate in rates.items()})
    codes = {"style": jnp.zeros((1, 3)), "category": jnp.zeros((1, 10))}
    state = state_lib.create(generator=autoencoder, discriminator=discriminators, g_tx=g_tx, d_tx=optax.sgd(0.1),
                             latent_shape=(13,), sample_x=codes, key=0)
    assert set(state.g_opt_state) == set(rates)
    batch = {"x": images(8), "x_labeled": images(4, seed=5), "y_labeled": labels(4)}
    x, x_labeled, y_labeled = batch["x"][0], batch["x_labeled"][0], batch["y_labeled"][0]
    new, metrics = jax.jit(make_aae_step(mode="semi_supervised", prior=prior, adversarial_weight=2.0, class_weight=0.5,
                                         phased=True))(state, batch)

    def encode(p, images_):
        return autoencoder.apply({"params": p}, images_, method="encode")

    def reconstruction(p):
        out = encode(p, x)
        latent = jnp.concatenate([jax.nn.softmax(out["class_logits"]), out["style"]], 1)
        return jnp.mean(jnp.square(autoencoder.apply({"params": p}, latent) - x))

    def adversarial(p):
        out = encode(p, x)
        logits = discriminators.apply(
            {"params": new.d_params},
            {"style": out["style"], "category": jax.nn.softmax(out["class_logits"])},
            train=True,
        )
        return sum(jnp.mean(jax.nn.softplus(-logits[k])) for k in logits)  # -log sigmoid(D)

    def classification(p):
        return losses.classification_loss(encode(p, x_labeled)["class_logits"], y_labeled)

    sgd = lambda p, loss, rate: jax.tree.map(lambda a, g: a - rate * g, p, jax.grad(loss)(p))
    p1 = sgd(state.g_params, reconstruction, rates["reconstruction"])
    p2 = sgd(p1, lambda p: 2.0 * adversarial(p), rates["regularization"])
    p3 = sgd(p2, lambda p: 0.5 * classification(p), rates["classification"])
    assert max_abs_diff(new.g_params, p3) < 1e-5
    assert max_abs_diff(p3, p1) > 1e-3  # the later phases moved the parameters
    np.testing.assert_allclose(metrics["reconstruction"], reconstruction(state.g_params), rtol=1e-5)
    np.testing.assert_allclose(metrics["g_loss"], adversarial(p1), rtol=1e-5)  # unweighted, at the phase's start
    np.testing.assert_allclose(metrics["class_labeled"], classification(p2), rtol=1e-5)
    # D's update saw the codes of the reconstruction-updated encoder: the sequential order
    summed = make_aae_step(mode="semi_supervised", prior=prior)(
        state.replace(g_tx=ADAM, g_opt_state=ADAM.init(state.g_params)), batch
    )[0]
    assert max_abs_diff(summed.d_params, new.d_params) > 1e-6


def test_phased_optimizer_advances_only_the_given_phases():
    params = {"w": jnp.array([1.0, -2.0])}
    tx = phased_optimizer({"a": optax.sgd(0.1, momentum=0.9), "b": optax.sgd(1.0, momentum=0.5)})
    opt_state = tx.init(params)
    grads = {"w": jnp.array([1.0, 1.0])}
    updates, opt_state = tx.update({"a": grads}, opt_state, params)
    np.testing.assert_allclose(updates["w"], [-0.1, -0.1])
    updates, opt_state = tx.update({"a": grads}, opt_state, params)
    np.testing.assert_allclose(updates["w"], [-0.19, -0.19], rtol=1e-6)  # momentum: 0.1 * (1 + 0.9)
    np.testing.assert_allclose(opt_state["b"][0].trace["w"], [0.0, 0.0])  # b's momentum untouched
    updates, _ = tx.update({"a": grads, "b": grads}, opt_state, params)
    np.testing.assert_allclose(updates["w"], [-0.1 * 2.71 - 1.0] * 2, rtol=1e-6)  # the phases' updates summed
    with pytest.raises(ValueError, match=r"keyed by some of the phases \['a', 'b'\], got \['c'\]"):
        tx.update({"c": grads}, opt_state, params)


def test_aae_phased_config_builds_one_optimizer_state_per_phase():
    config = base_config()
    config.game.name, config.model.name = "aae", "mlp"
    config.data.update(name="mnist", source="idx", dir="/nowhere")
    config.game.update(aae_mode="semi_supervised", aae_phases=True, classification_learning_rate=0.05)
    config.optimizer.g.update(name="sgd", learning_rate=0.01, momentum=0.9)
    validate(config)
    phases = games.get("aae").generator_phases(config)
    assert phases == {"reconstruction": 0.01, "regularization": 0.01, "classification": 0.05}
    g_tx, _ = build_optimizers(config)
    opt_state = g_tx.init({"w": jnp.zeros(2)})
    assert set(opt_state) == set(phases)
    updates, _ = g_tx.update({"classification": {"w": jnp.ones(2)}}, opt_state)
    np.testing.assert_allclose(updates["w"], [-0.05, -0.05])


@pytest.mark.parametrize("overrides, message", [
    ({"game.regularization_learning_rate": 1e-3}, "needs game.aae_phases=True"),
    ({"game.aae_phases": True, "game.classification_learning_rate": 1e-3, "game.aae_mode": "supervised"},
     "only the semi_supervised mode has a classification phase"),
    ({"game.aae_phases": True, "game.regularization_learning_rate": -1.0}, "must be >= 0"),
    ({"optimizer.g.momentum": 0.9}, "momentum=0.9 is SGD's; optimizer.g.name is 'adam'"),
    ({"optimizer.d.name": "sgd", "optimizer.d.momentum": 1.0}, r"optimizer.d.momentum must be in \[0, 1\), got 1.0"),
])
def test_aae_phase_options_are_checked(overrides, message):
    config = base_config()
    config.game.name, config.model.name = "aae", "mlp"
    config.data.update(name="mnist", source="idx", dir="/nowhere")
    with pytest.raises(ConfigError, match=message):
        validate(with_overrides(config, overrides))


class CountingImages(ArrayImages):
    """Array images that record every label index read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_reads = []

    def take_labels(self, index):
        self.label_reads.extend(np.asarray(index).reshape(-1).tolist())
        return super().take_labels(index)


def test_labeled_subset_limits_label_reads():
    rng = np.random.default_rng(0)
    data = CountingImages(
        rng.integers(0, 256, (2000, 6, 6, 1), dtype=np.uint8),
        rng.integers(0, 10, 2000).astype(np.int32),
        origin="counting",
    )
    source = SemiSupervisedSource(data, batch_size=50, labeled_batch_size=20, num_labeled=40, num_classes=10, seed=7,
                                  num_streams=2)
    selection_reads = list(data.label_reads)
    for indices, subset_labels, _ in source.subsets:
        assert len(indices) == 40 and np.all(np.bincount(subset_labels, minlength=10) == 4)
        np.testing.assert_array_equal(subset_labels, data.labels[indices])
    assert len(selection_reads) == sum(s[2] for s in source.subsets)
    seen = set()
    for _ in range(30):
        batch = source.next(2)
        assert batch["x_labeled"].shape == (2, 2, 1, 20, 6, 6, 1) and "y" not in batch
        for stream, (indices, subset_labels, _) in enumerate(source.subsets):
            lookup = {data.images[i].tobytes(): label for i, label in zip(indices, subset_labels)}
            for image, label in zip(
                batch["x_labeled"][stream].reshape(-1, 6, 6, 1), batch["y_labeled"][stream].reshape(-1)
            ):
                raw = np.round((image + 1.0) * 127.5).astype(np.uint8)
                assert lookup[raw.tobytes()] == label  # a subset image with its own label
                seen.add((stream, raw.tobytes()))
    assert data.label_reads == selection_reads  # training read no label at all
    assert len(seen) == 80  # every labeled example is used, and nothing else
    # the subset depends on the seed only
    again = choose_labeled_subset(data, num_labeled=40, num_classes=10, seed=7)
    np.testing.assert_array_equal(again[0], source.subsets[0][0])
    with pytest.raises(ValueError, match="multiple of num_classes"):
        choose_labeled_subset(data, num_labeled=45, num_classes=10, seed=0)


def test_matching_and_code_statistics():
    codes = np.repeat(np.arange(4), 25)
    permutation = np.array([2, 0, 3, 1])
    accuracy, matching = matched_accuracy(permutation[codes], codes, 4)
    assert accuracy == 1.0 and matching == permutation.tolist()
    predicted = permutation[codes].copy()
    predicted[:5] = permutation[1]  # 5 of 100 wrong
    assert matched_accuracy(predicted, codes, 4)[0] == 0.95
    # digits found: code values whose matched digit is most of their samples
    assert digits_found([0.95, 0.51, 0.5, 0.2]) == 2 and digits_found([1.0] * 10) == 10
    # closed form: N(m, diag(s^2)) vs N(0, I): FD = |m|^2 + sum (s - 1)^2
    z = np.random.default_rng(0).standard_normal((200_000, 2))
    stats = code_statistics(z * np.array([2.0, 0.5]) + np.array([1.0, -1.0]))
    assert abs(stats["code_frechet"] - (2.0 + 1.0 + 0.25)) < 0.03
    assert abs(stats["code_mean_norm"] - np.sqrt(2)) < 0.01 and abs(stats["code_cov_max_dev"] - 3.0) < 0.05


def game_config(game, **overrides):
    config = base_config()
    config.game.name = game
    config.data.name = "mnist"
    config.data.source = "idx"
    config.data.dir = shared_dataset_dir("mnist")
    config.data.batch_size = 32
    config.model.g_hidden = (32,)
    config.model.d_hidden = (32,)
    config.model.latent_dim = 4
    if game in ("semi_supervised", "aae"):
        config.game.num_labeled = 20
        config.game.labeled_batch_size = 8
    config.train.num_steps = 6
    config.train.checkpoint_every = 3
    config.train.log_every = 3
    config.train.progress = False
    config.eval.num_samples = 200
    config.eval.metrics = "fid"
    config.ema_decay = 0.9
    return with_overrides(config, overrides)


@pytest.mark.parametrize(
    "game, overrides",
    [
        (
            "semi_supervised",
            {"game.g_objective": "feature_matching", "model.d_hidden_noise": 0.5, "model.d_weight_norm": True},
        ),
        ("aae", {"game.aae_mode": "semi_supervised"}),
        (
            "aae",
            {
                "game.aae_mode": "semi_supervised",
                "game.aae_phases": True,
                "optimizer.g.name": "sgd",
                "optimizer.g.momentum": 0.9,
                "optimizer.g.learning_rate": 0.01,
            },
        ),
        ("cgan", {"game.conditioning": "concat"}),
        ("infogan", {"game.q_norm": "batch", "game.continuous_codes": 2}),
    ],
)
def test_games_train_and_resume_exactly(tmp_path, game, overrides):
    """Through the ordinary loop: the labeled subset is recorded, the game's measures are
    reported, and a resumed run (labeled batches and noise included) equals a straight one."""
    straight = game_config(game, **overrides)
    result = train(straight, str(tmp_path / "a"))
    half = game_config(game, **overrides, **{"train.num_steps": 3})
    train(half, str(tmp_path / "b"))
    train(straight, str(tmp_path / "b"))
    a, data_a = restored_state(straight, str(tmp_path / "a"))
    b, data_b = restored_state(straight, str(tmp_path / "b"))
    assert data_a == data_b == {"position": 6}
    assert max_abs_diff(a, b) == 0.0
    values = result["evaluation"]["per_seed"][0]
    if game == "cgan":
        assert 0.0 <= values["class_accuracy"] <= 1.0 and len(values["class_accuracy_per_class"]) == 10
        assert result["evaluation"]["protocol"]["class_accuracy"]["samples_per_class"] == 1000
    elif game == "infogan":  # Q's BatchNorm statistics travel in the checkpoint too
        assert 0.0 <= values["code_class_accuracy"] <= 1.0 and len(values["code_accuracy_per_code"]) == 10
        assert sorted(values["code_to_class"]) == list(range(10))
    else:
        assert values["test_errors"] == round(values["test_error"] * 10_000)
        with open(tmp_path / "a" / "labeled_subset.json") as f:
            subset = json.load(f)
        assert len(subset) == 1 and len(subset[0]["indices"]) == 20 and np.all(np.bincount(subset[0]["labels"]) == 2)


def test_by_class_sampling_cli(tmp_path, capsys):
    config = game_config("acgan", **{"train.num_steps": 2, "train.checkpoint_every": 2})
    train(config, str(tmp_path))
    out = str(tmp_path / "grid.png")
    assert cli.main(["sample", "--workdir", str(tmp_path), "--by-class", "--per-class", "4", "--out", out]) == 0
    saved = np.load(str(tmp_path / "grid.npz"))
    assert saved["samples"].shape == (1, 40, 28, 28, 1)
    np.testing.assert_array_equal(saved["labels"], np.repeat(np.arange(10), 4))
    from PIL import Image

    assert Image.open(out).size == (2 * (4 * 29 + 1), 2 * (10 * 29 + 1))


def test_by_class_needs_a_conditional_model(tmp_path, capsys):
    config = game_config("infogan", **{"game.categorical_codes": 0, "train.num_steps": 1, "train.checkpoint_every": 1})
    train(config, str(tmp_path))
    assert cli.main(["sample", "--workdir", str(tmp_path), "--by-class"]) == 2
    assert "--by-class needs a conditional model" in capsys.readouterr().err


@pytest.mark.parametrize("game, overrides, message", [
    ("cgan", {"data.name": "ring", "data.source": "tfds"}, "is for image datasets"),
    ("acgan", {"data.name": "stacked_mnist"}, "reads class labels"),
    ("semi_supervised", {"game.num_labeled": 25, "game.labeled_batch_size": 5}, "multiple of game.num_classes"),
    ("semi_supervised", {"game.labeled_batch_size": 50}, "exceeds game.num_labeled"),
    ("semi_supervised", {"loss": "hinge"}, "cross-entropy discriminator"),
    ("aae", {"model.name": "dcgan"}, "MLP encoder/decoder"),
    ("acgan", {"game.g_objective": "feature_matching"}, "feature_matching' is for"),
    ("acgan", {"game.num_classes": 7}, "has 10 classes"),
    ("cgan", {"game.classify_fakes": False}, "game.classify_fakes=False is for game.name in ['acgan'], not 'cgan'"),
    ("cgan", {"model.packing": 2}, "model.packing"),
    ("mixup", {}, "game.name='mixup'"),
    ("infogan", {"game.categorical_codes": 0, "game.continuous_codes": 0}, "needs game.categorical_codes"),
    ("infogan", {"game.noise": "gaussian"}, "game.noise='gaussian' is not one of ['normal', 'uniform']"),
    ("cgan", {"game.noise": "uniform"}, "game.noise='uniform' is for game.name in ['infogan', 'cogan'], not 'cgan'"),
])
def test_bad_game_configs_are_rejected(game, overrides, message):
    config = with_overrides(game_config(game), overrides)
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate(config)


@pytest.mark.parametrize("recipe", ["cgan", "acgan", "sgan", "improved_gan_ssl", "infogan", "aae"])
def test_recipes_validate_build_and_take_a_step(recipe):

    config = load_recipe(recipe).get_config()
    config.data.source = "idx"
    config.data.dir = shared_dataset_dir("mnist")
    validate(config)
    program = Program(config)
    state = program.init_state()
    assert state.latent_shape == (program.prior.latent_dim,)
    if recipe == "improved_gan_ssl":  # the Improved-GAN code's MNIST networks and protocol
        body = state.d_params["body"]
        assert [body[f"WeightNormDense_{i}"]["kernel"].shape[1] for i in range(5)] == [1000, 500, 250, 250, 250]
        assert body["WeightNormDense_0"]["scale"].shape == (1000,)
        assert state.d_params["class_head"]["kernel"].shape == (250, 10)  # K logits, fake fixed at 0
        assert set(state.param_averages) == {"d_ema"}
        assert (config.game.unlabeled_weight, config.game.d_average_decay) == (0.5, 0.9999)
        assert config.train.num_steps == 180_000 and config.data.batch_size == config.game.labeled_batch_size == 100
        assert program.generator.activation == "softplus" and program.discriminator.body.activation == "relu"
        assert config.optimizer.d.eps == 0.0 and config.optimizer.d.eps_root == 1e-8
    if recipe == "infogan":  # InfoGAN's MNIST networks (Chen et al. 2016, Table 1) and its code's batch and length
        g, body = state.g_params, state.d_params["body"]
        assert [g[f"Dense_{i}"]["kernel"].shape for i in range(2)] == [(74, 1024), (1024, 7 * 7 * 128)]
        assert body["Dense_0"]["kernel"].shape == (7 * 7 * 128, 1024)
        assert "BatchNorm_1" in state.d_state["batch_stats"]["body"]
        assert state.d_params["q_hidden"]["kernel"].shape == (1024, 128)
        assert "q_batch_norm" in state.d_state["batch_stats"]  # their Q: fc 128 -> BatchNorm -> LeakyReLU
        assert (config.game.categorical_weight, config.game.continuous_weight) == (1.0, 1.0)  # info_reg_coeff
        assert (config.data.batch_size, config.train.num_steps, program.prior.noise) == (128, 5000, "uniform")
    if recipe == "acgan":  # D's classifier on real labels only; width 32 networks
        assert config.game.classify_fakes is False
        assert state.d_params["class_head"]["kernel"].shape[-1] == 10 and config.model.d_width == 32
    # one step of the recipe on a batch of its structure (the semi-supervised one on real images:
    # data-dependent init), and its moving average of D updated
    from jaxgan.bench import random_batch
    from jaxgan.run import data_init_batch, make_source

    state = program.init_state(init_x=data_init_batch(config))
    if recipe == "improved_gan_ssl":
        batch = jax.tree.map(lambda a: a[0], make_source(config).next(1))  # seed 0: (calls, n_critic, B, ...)
    else:
        batch = random_batch(program, config, config.data.batch_size, jax.random.key(0))
    before = jax.device_get(state.d_params)  # the step donates its input state
    new, metrics = program.step(state, batch)
    assert all(np.all(np.isfinite(np.asarray(v))) for v in metrics.values()) and int(np.asarray(new.step)) == 1
    assert max_abs_diff(new.d_params, before) > 0
    if recipe == "improved_gan_ssl":  # after one update the bias-corrected average is the parameters
        assert max_abs_diff(new.param_averages["d_ema"], new.d_params) < 1e-6

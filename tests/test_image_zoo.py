"""The image zoo: Lucic et al. 2018's InfoGAN-style networks (`presets.lucic_networks`) checked
against their layer list, and BatchNorm statistics recomputed for the evaluated generator."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments import load_recipe
from jaxgan import presets
from jaxgan.config import validate
from jaxgan.errors import ConfigError
from jaxgan.games import build_models

# Lucic et al. 2018, App. A (InfoGAN, Chen et al. 2016, App. C.1), 28x28x1 images, z 64-d.
# Linear and convolution layers before BatchNorm carry no bias (BatchNorm's shift replaces it).
# The 7x7x128 projection is batch-normalized per unit, as compare_gan's generator does.
G_LAYERS = [("dense", 64, 1024), ("norm", 1024), ("dense", 1024, 7 * 7 * 128), ("norm", 7 * 7 * 128),
            ("deconv4x4", 128, 64), ("norm", 64), ("deconv4x4+bias", 64, 1)]
D_LAYERS = [("conv4x4+bias", 1, 64), ("conv4x4", 64, 128), ("norm", 128), ("dense", 7 * 7 * 128, 1024), ("norm", 1024),
            ("dense+bias", 1024, 1)]
# With LayerNorm in D (the gradient-penalty recipes; Gulrajani et al. 2017, Sec. 4): every layer
# keeps its bias.
D_LAYERS_LAYER_NORM = [("conv4x4+bias", 1, 64), ("conv4x4+bias", 64, 128), ("norm", 128),
                       ("dense+bias", 7 * 7 * 128, 1024), ("norm", 1024), ("dense+bias", 1024, 1)]


def test_lucic_networks_build_28_pixel_images_only():
    from jaxgan.config import ConfigError

    config = presets.lucic_networks(load_recipe("dcgan").get_config())
    config.data.name = "cifar10"
    with pytest.raises(ConfigError, match="builds 28x28 images; the data are 32x32: use model.name='dcgan'"):
        validate(config)
    config = presets.lucic_networks(load_recipe("dcgan").get_config())
    config.model.g_dense = (512,)  # the DCGAN family's option, which this family fixes
    with pytest.raises(ConfigError, match=r"model.g_dense=\(512,\) is an option of the DCGAN networks"):
        validate(config)


def _count(layers):
    total = 0
    for kind, *sizes in layers:
        if kind == "norm":
            total += 2 * sizes[0]  # scale and shift (BatchNorm or LayerNorm over channels)
            continue
        fan_in, fan_out = sizes
        total += fan_in * fan_out * (16 if kind.startswith(("conv", "deconv")) else 1)
        total += fan_out if kind.endswith("+bias") else 0
    return total


def _size(tree):
    return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(tree))


@pytest.mark.parametrize("recipe, d_layers, d_count", [("dcgan", D_LAYERS, 6_558_017),
                                                      ("wgan_gp", D_LAYERS_LAYER_NORM, 6_559_169)])
def test_lucic_networks_have_the_papers_layers_on_any_recipe(recipe, d_layers, d_count):
    config = validate(presets.lucic_networks(load_recipe(recipe).get_config()))
    assert config.model.name == "lucic" and config.model.latent_dim == 64
    generator, critic = build_models(config)
    g = generator.init(jax.random.key(0), jnp.zeros((2, 64)), train=False)
    d = critic.init(jax.random.key(1), jnp.zeros((2, 28, 28, 1)), train=False)
    assert _size(g["params"]) == _count(G_LAYERS) == 6_634_881
    assert _size(d["params"]) == _count(d_layers) == d_count
    assert g["params"]["Dense_1"]["kernel"].shape == (1024, 7 * 7 * 128)
    assert d["params"]["Dense_0"]["kernel"].shape == (7 * 7 * 128, 1024)
    images = generator.apply(g, jax.random.normal(jax.random.key(2), (2, 64)), train=False)
    assert images.shape == (2, 28, 28, 1)
    assert critic.apply(d, images, train=False).shape == (2,)


@pytest.mark.parametrize("family", ["lucic", "dcgan"])
def test_init_std_starts_every_kernel_from_n_0_002(family):
    """`model.init_std=0.02` (the DCGAN paper's and compare_gan's N(0, 0.02)): every kernel of both
    networks, the transposed and matmul-form convolutions included, has std 0.02 and biases 0;
    at 0 the kernels keep Flax's LeCun normal (std 1/sqrt(fan_in))."""
    config = presets.lucic_networks(load_recipe("dcgan").get_config()) if family == "lucic" else (
        load_recipe("dcgan").get_config())
    config.model.d_conv = "matmul"
    for init_std in (0.02, 0.0):
        config.model.init_std = init_std
        generator, critic = build_models(validate(config))
        size, latent = (28, 64) if family == "lucic" else (28, 100)
        g = generator.init(jax.random.key(0), jnp.zeros((2, latent)), train=False)["params"]
        d = critic.init(jax.random.key(1), jnp.zeros((2, size, size, 1)), train=False)["params"]
        leaves = [(jax.tree_util.keystr(p), np.asarray(x)) for p, x in jax.tree_util.tree_leaves_with_path((g, d))]
        kernels = [(name, x) for name, x in leaves if "kernel" in name]
        assert len(kernels) >= 6  # DCGAN at 28 pixels: dense + 2 deconvs, 2 convs + dense
        for name, x in kernels:
            fan_in = int(np.prod(x.shape[:-1]))
            expected = init_std or 1 / np.sqrt(fan_in)
            if x.size >= 1000:
                assert abs(x.std() / expected - 1) < 0.15, (name, x.std(), expected)
        assert all(not x.any() for name, x in leaves if "bias" in name and "BatchNorm" not in name)


@pytest.mark.parametrize("family", ["lucic", "dcgan"])
def test_g_activation_leaky_relu_is_max_h_0_2h_on_the_same_parameters(family):
    """`model.g_activation="leaky_relu"` (compare_gan's generator): the same parameter tree as
    ReLU's, different images from it, and (Lucic's G, whose second layer is a bias-free dense)
    that layer's output is max(h, 0.2 h) @ kernel of the first BatchNorm's output h."""
    config = presets.lucic_networks(load_recipe("dcgan").get_config()) if family == "lucic" else (
        load_recipe("dcgan").get_config())
    z = jax.random.normal(jax.random.key(3), (16, config.model.latent_dim))
    images, variables = {}, None
    for activation in ("relu", "leaky_relu"):
        config.model.g_activation = activation
        generator, _ = build_models(validate(config))
        variables = variables or generator.init(jax.random.key(0), z, train=False)
        assert jax.tree.structure(generator.init(jax.random.key(0), z, train=False)) == jax.tree.structure(variables)
        out, state = generator.apply(variables, z, train=True, mutable=["batch_stats", "intermediates"],
                                     capture_intermediates=True)
        images[activation] = np.asarray(out)
        if family == "lucic":
            h = np.asarray(state["intermediates"]["BatchNorm_0"]["__call__"][0])
            assert (h < 0).mean() > 0.3
            slope = 0.2 if activation == "leaky_relu" else 0.0
            expected = np.maximum(h, slope * h) @ np.asarray(variables["params"]["Dense_1"]["kernel"])
            got = np.asarray(state["intermediates"]["Dense_1"]["__call__"][0])
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert np.abs(images["relu"] - images["leaky_relu"]).max() > 1e-3
    config.model.g_activation = "swish"
    with pytest.raises(ConfigError, match="swish"):
        validate(config)


def test_g_projection_norm_unit_normalizes_each_projected_unit_over_the_batch():
    """`model.g_projection_norm="unit"` (compare_gan's InfoGAN generator, the Lucic family's
    "auto"): the 7x7x128 projection is batch-normalized per unit, so at init each of its 6,272
    units has mean 0 and variance 1 over the batch; "channel" (DCGAN's) normalizes over batch and
    positions instead, and its units' own batch variances then scatter around 1."""
    config = presets.lucic_networks(load_recipe("dcgan").get_config())
    assert config.model.g_projection_norm == "auto"
    z = jax.random.normal(jax.random.key(3), (64, config.model.latent_dim))
    for setting, norm in (("auto", "unit"), ("unit", "unit"), ("channel", "channel")):
        config.model.g_projection_norm = setting
        generator, _ = build_models(validate(config))
        variables = generator.init(jax.random.key(0), z, train=False)
        _, state = generator.apply(variables, z, train=True, mutable=["batch_stats", "intermediates"],
                                   capture_intermediates=True)
        h = np.asarray(state["intermediates"]["BatchNorm_1"]["__call__"][0], np.float64).reshape(64, -1)
        assert h.shape == (64, 7 * 7 * 128)
        unit_var = h.var(axis=0)
        if norm == "unit":
            np.testing.assert_allclose(h.mean(axis=0), 0, atol=1e-4)
            np.testing.assert_allclose(unit_var, 1, atol=1e-2)
        else:
            per_channel = h.reshape(64, 7, 7, 128)
            np.testing.assert_allclose(per_channel.var(axis=(0, 1, 2)), 1, atol=1e-2)
            assert unit_var.std() > 0.1
    config.model.g_projection_norm = "pixel"
    with pytest.raises(ConfigError, match="pixel"):
        validate(config)


def test_the_zoo_study_runs_end_to_end_at_tiny_size_and_scores_ema_and_raw(tmp_path):
    from conftest import shared_dataset_dir

    from experiments.studies import image_zoo

    data_dir = os.path.dirname(shared_dataset_dir("mnist"))
    report = image_zoo.main(["--rows", "dcgan,wgan_gp", "--networks", "recipe", "--datasets", "mnist",
                             "--steps", "20", "--first-eval", "2", "--width", "8", "--num-samples", "200",
                             "--data-dir", data_dir, "--out", str(tmp_path)])
    results = json.load(open(tmp_path / "results.json"))
    # 20 discriminator updates: 20 generator steps of dcgan, 4 of wgan_gp (n_critic 5).
    assert [e["step"] for e in results["mnist_recipe_dcgan"]["curve"]] == [2, 4, 10, 20]
    assert [e["step"] for e in results["mnist_recipe_wgan_gp"]["curve"]] == [2, 4]
    for name in ("mnist_recipe_dcgan", "mnist_recipe_wgan_gp"):
        final, raw = results[name]["final"], results[name]["raw"]
        assert final["protocol"]["generator"] == "ema" and raw["protocol"]["generator"] == "raw"
        assert raw["step"] == final["step"]
        assert final["summary"]["fid"]["mean"] != raw["summary"]["fid"]["mean"]
        assert final["protocol"]["n_fake"] == 200 and final["protocol"]["n_real"] == 10_000
        assert (tmp_path / "grids" / f"{name}.png").exists()
    assert "| mnist | recipe | DCGAN (NS GAN) | 20 (1) | 20 |" in report and "| 0.999 ramped 0.05 |" in report
    assert "| mnist | recipe | WGAN-GP | 4 (5) | 20 |" in report and "| 20.3 |" in report
    assert (tmp_path / "curves.png").exists() and (tmp_path / "wall_curves.png").exists()
    assert (tmp_path / "grids_mnist.png").exists() and not (tmp_path / "grids_fashion_mnist.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["--rows", "dcgan,no_such_row"], "--rows: unknown ['no_such_row']"),  # a name no row will take
    (["--networks", "infogan"], "--networks: unknown ['infogan']"),
    (["--datasets", "cifar10"], "--datasets: unknown ['cifar10']"),
    (["--steps", "0"], "must be positive"),
])
def test_the_zoo_study_rejects_unknown_rows_networks_and_data(argv, message, capsys):
    from experiments.studies import image_zoo

    with pytest.raises(SystemExit):
        image_zoo.main(argv)
    assert message in capsys.readouterr().err


def _bn_generator_state():
    import optax
    from test_train import tiny_config

    from jaxgan.state import create

    config = validate(tiny_config(**{"model.g_norm": "batch", "ema_decay": 0.9}))
    generator, critic = build_models(config)

    state = create(generator=generator, discriminator=critic, g_tx=optax.sgd(0.1), d_tx=optax.sgd(0.1),
                   latent_shape=(config.model.latent_dim,), sample_x=jnp.zeros((1, 2)), key=jax.random.key(0))
    # EMA weights that differ from the raw ones, as after training
    shifted = jax.tree.map(lambda p: p + 0.3 * jax.random.normal(jax.random.key(5), p.shape), state.g_params)
    return state.replace(ema_params=shifted)


@pytest.mark.parametrize("use_ema", [True, False])
def test_standing_statistics_of_one_batch_make_inference_equal_training_mode(use_ema):
    from jaxgan.games.steps import apply, decode, example_keys, latents, normal_latent, standing_statistics

    state = _bn_generator_state()
    key = jax.random.key(3)
    stats = standing_statistics(state, key, num_batches=1, batch_size=64, use_ema=use_ema)
    inputs = latents(state, example_keys(jax.random.fold_in(key, 0), jnp.arange(64)), normal_latent)
    params = state.ema_params if use_ema else state.g_params
    training_mode = apply(state.generator, params, state.g_state, inputs, train=True)[0]
    standing = decode(state.replace(g_state=stats), inputs, use_ema=use_ema)
    running = decode(state, inputs, use_ema=use_ema)
    np.testing.assert_allclose(standing, training_mode, atol=2e-5)
    assert float(jnp.max(jnp.abs(running - training_mode))) > 0.1  # the kept averages belong elsewhere


def test_standing_statistics_average_the_batches_statistics():
    from jaxgan.games.steps import example_keys, latents, normal_latent, standing_statistics

    state = _bn_generator_state()
    key = jax.random.key(4)
    stats = standing_statistics(state, key, num_batches=3, batch_size=50)["batch_stats"]
    kernel = state.ema_params["Dense_0"]["kernel"]  # the MLP: z -> Dense_0 (no bias) -> BatchNorm_0 -> ...
    first = "BatchNorm_0"
    means, variances = [], []
    for b in range(3):
        z = latents(state, example_keys(jax.random.fold_in(key, b), jnp.arange(50)), normal_latent)
        h = np.asarray(z @ kernel, np.float64)
        means.append(h.mean(axis=0))
        variances.append(h.var(axis=0))
    np.testing.assert_allclose(stats[first]["mean"], np.mean(means, axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(stats[first]["var"], np.mean(variances, axis=0), rtol=1e-4, atol=1e-5)


def test_standing_statistics_leave_a_generator_without_batch_norm_unchanged():
    from jaxgan.games.steps import standing_statistics

    state = _bn_generator_state().replace(g_state={})
    assert standing_statistics(state, jax.random.key(0), num_batches=2, batch_size=8) == {}


def test_a_run_samples_with_standing_statistics_when_asked():
    from test_train import tiny_config

    from jaxgan.games.steps import STANDING_SALT, standing_statistics
    from jaxgan.run import Program

    settings = {"model.g_norm": "batch", "ema_decay": 0.9, "eval.num_samples": 40, "eval.batch_size": 20}
    standing = Program(validate(tiny_config(**settings, **{"eval.bn_statistics": "standing"})))
    running = Program(validate(tiny_config(**settings)))
    state = standing.init_state().replace(ema_params=_bn_generator_state().ema_params)
    key = jax.random.key(9)
    stats = standing_statistics(state, jax.random.fold_in(state.key, STANDING_SALT), num_batches=2, batch_size=20)
    drawn = standing.samples(state, key, 40, use_ema=True)
    np.testing.assert_allclose(drawn, running.samples(state.replace(g_state=stats), key, 40, use_ema=True), atol=1e-6)
    assert float(np.max(np.abs(drawn - running.samples(state, key, 40, use_ema=True)))) > 0.01


def test_standing_statistics_are_refused_where_there_is_no_latent_prior():
    from jaxgan.config import ConfigError

    config = load_recipe("pix2pix").get_config()
    config.eval.bn_statistics = "standing"
    with pytest.raises(ConfigError, match="a translation run .* has none: keep 'running'"):
        validate(config)
    config.eval.bn_statistics = "standings"
    with pytest.raises(ConfigError, match=r"eval.bn_statistics='standings' is not one of \['running', 'standing'\]"):
        validate(config)


def test_every_zoo_row_validates_on_both_networks_and_both_data_sets():
    from experiments.studies import image_zoo

    for row in image_zoo.ROWS:
        for networks in image_zoo.NETWORKS:
            if networks in image_zoo.LUCIC and row in image_zoo.RECIPE_NETWORKS_ONLY:
                with pytest.raises(ValueError, match="trains networks of its own game"):
                    image_zoo.row_config(row, networks, "mnist", seeds=1, batch=64, data_dir="/data")
                continue
            for dataset in image_zoo.DATASETS:
                config = validate(image_zoo.row_config(row, networks, dataset, seeds=1, batch=64, data_dir="/data"))
                assert config.data.batch_size == 64 and config.eval.bn_statistics == "standing"
                assert (config.model.name == "lucic") == (networks in image_zoo.LUCIC), (row, networks)
                assert config.model.g_projection_norm == {"lucic_channel": "channel"}.get(networks, "auto")
    minimax = image_zoo.row_config("dcgan_minimax", "recipe", "mnist", seeds=1, batch=64, data_dir="/data")
    assert minimax.loss == "minimax" and load_recipe("dcgan").get_config().loss == "non_saturating"


def test_game_curves_draw_began_metrics_when_a_run_logged_them(tmp_path):
    from experiments.studies import image_zoo

    run = tmp_path / "runs" / "mnist_lucic_began"
    run.mkdir(parents=True)
    lines = [{"step": 100 * i, "convergence": 0.3 - 0.01 * i, "k": [0.01 * i, 0.02 * i], "g_loss": 0.1}
             for i in range(1, 4)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    image_zoo.game_curves(str(tmp_path), ["mnist_lucic_began", "missing"], str(tmp_path / "curves.png"))
    assert (tmp_path / "curves.png").stat().st_size > 0
    image_zoo.game_curves(str(tmp_path), ["missing"], str(tmp_path / "none.png"))
    assert not (tmp_path / "none.png").exists()

"""BigGAN (Brock et al. 2019): its layers against hand computations, its parameter counts against
the layer list of the authors' 32x32 networks, orthogonal regularization against its closed form,
the truncation trick, standing statistics beside spectral norm, and the recipe end to end."""

import importlib
import json

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
from ml_collections import ConfigDict
from scipy.stats import norm

from jaxgan import optimizers, parallel
from jaxgan.games import make_cgan_step
from jaxgan.games.steps import standing_statistics, truncated_latent
from jaxgan.latents import Prior, normal_noise
from jaxgan.losses import hinge_discriminator_loss, hinge_generator_loss
from jaxgan.losses.regularizers import orthogonal_regularization, orthogonal_regularization_sum, regularized_kernels
from jaxgan.nets.biggan import (
    BigGANDiscriminator,
    BigGANGenerator,
    ConditionalBatchNorm,
    SelfAttention,
)
from jaxgan.nets.heads import AuxiliaryDiscriminator
from jaxgan.nets.layers import doubling_layout
from jaxgan.state import create


def count(params):
    return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(params))


def class_latents(labels, latent_dim, num_classes=10, seed=0):
    z = jax.random.normal(jax.random.key(seed), (len(labels), latent_dim))
    return jnp.concatenate([jax.nn.one_hot(jnp.asarray(labels), num_classes), z], axis=1)


def test_layout_starts_at_4x4_for_32_pixels_and_7x7_for_28():
    assert doubling_layout(32) == (3, 4)  # BigGAN-PyTorch G_arch[32]: resolutions 8, 16, 32
    assert doubling_layout(28) == (2, 7)
    assert doubling_layout(64) == (4, 4)  # G_arch[64]: 8, 16, 32, 64


def test_conditional_batch_norm_is_the_batch_normalized_input_times_1_plus_wg_c_plus_wb_c():
    x = jax.random.normal(jax.random.key(0), (6, 3, 3, 4)) * 2.0 + 1.0
    c = jax.random.normal(jax.random.key(1), (6, 5))
    layer = ConditionalBatchNorm(spectral=False)
    variables = layer.init(jax.random.key(2), x, c, train=False)
    out, _ = layer.apply(variables, x, c, train=True, mutable=["batch_stats"])
    w_gain = variables["params"]["gain"]["Dense_0"]["kernel"]
    w_bias = variables["params"]["bias"]["Dense_0"]["kernel"]
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    expected = (x - mean) / jnp.sqrt(var + 1e-5) * (1 + c @ w_gain)[:, None, None, :] + (c @ w_bias)[:, None, None, :]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert "scale" not in variables["params"].get("BatchNorm_0", {})  # no affine parameters of its own
    plain = ConditionalBatchNorm(spectral=False).init(jax.random.key(2), x, None, train=False)
    assert set(plain["params"]["BatchNorm_0"]) == {"scale", "bias"}


def test_self_attention_starts_as_the_identity_and_matches_a_hand_computation():
    x = jax.random.normal(jax.random.key(0), (2, 4, 4, 16))
    block = SelfAttention(spectral=False)
    variables = block.init(jax.random.key(1), x, train=False)
    np.testing.assert_array_equal(block.apply(variables, x, train=False), x)  # gamma starts at 0
    params = jax.tree.map(lambda p: p, variables["params"])
    params["gamma"] = jnp.asarray(0.7)
    out = block.apply({"params": params}, x, train=False)
    k = {name: np.asarray(params[name]["Conv_0"]["kernel"][0, 0]) for name in ("theta", "phi", "g", "o")}
    xs = np.asarray(x)

    def pool(a):  # 2x2 max pool, (B, 4, 4, C) -> (B, 4, C)
        return a.reshape(2, 2, 2, 2, 2, -1).max(axis=(2, 4)).reshape(2, 4, -1)

    theta = (xs @ k["theta"]).reshape(2, 16, 2)
    phi, g = pool(xs @ k["phi"]), pool(xs @ k["g"])
    logits = np.einsum("bqc,bkc->bqk", theta, phi)
    attention = np.exp(logits - logits.max(-1, keepdims=True))
    attention /= attention.sum(-1, keepdims=True)
    expected = xs + 0.7 * (np.einsum("bqk,bkc->bqc", attention, g).reshape(2, 4, 4, 8) @ k["o"])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    # the gradient reaches gamma at its initial 0 (the block can switch itself on)
    grad = jax.grad(lambda p: jnp.sum(block.apply({"params": p}, x, train=False) ** 2))(variables["params"])
    assert abs(float(grad["gamma"])) > 1e-3


def generator_count(width, latent, shared, classes, channels, blocks, bottom):
    chunk = latent // (blocks + 1)
    condition = shared + chunk
    per_block = 2 * 2 * condition * width + 2 * (9 * width * width + width) + width * width + width
    attention = width * width // 8 * 2 + width * width // 2 * 2 + 1
    return (classes * shared + chunk * bottom * bottom * width + bottom * bottom * width + blocks * per_block
            + attention + 2 * width + 9 * width * channels + channels)


def discriminator_count(width, channels):
    first = 9 * channels * width + width + 9 * width * width + width + channels * width + width
    second = 2 * (9 * width * width + width) + width * width + width
    plain = 2 * (9 * width * width + width)
    attention = width * width // 8 * 2 + width * width // 2 * 2 + 1
    return first + attention + second + 2 * plain + width + 1


@pytest.mark.parametrize("size, channels, latent", [(32, 3, 80), (28, 1, 60)])
def test_the_networks_have_the_layer_lists_parameter_counts(size, channels, latent):
    """The authors' G_arch[32] / D_arch[32] with width W (4 x G_ch), shared embedding 128, one z
    chunk per block and the input layer, attention at half the side; counted by hand."""
    width = 16
    blocks, bottom = doubling_layout(size)
    g = BigGANGenerator(size=size, channels=channels, latent_dim=latent, width=width)
    g_vars = g.init(jax.random.key(0), class_latents(range(4), latent), train=False)
    assert count(g_vars["params"]) == generator_count(width, latent, 128, 10, channels, blocks, bottom)
    first = g_vars["params"]["SNLinear_0"]["Dense_0"]["kernel"]
    assert first.shape == (latent // (blocks + 1), bottom * bottom * width)
    d = BigGANDiscriminator(width=width)
    d_vars = d.init(jax.random.key(1), jnp.zeros((2, size, size, channels)), train=False)
    assert count(d_vars["params"]) == discriminator_count(width, channels)
    image = g.apply(g_vars, class_latents(range(4), latent), train=False)
    assert image.shape == (4, size, size, channels) and float(jnp.max(jnp.abs(image))) <= 1.0


def test_the_hierarchical_latent_feeds_each_chunk_to_one_place():
    """z = [z_0, z_1, z_2] at 28x28: z_0 only enters the input layer, z_2 only the second block's
    BatchNorms; without the hierarchy the whole z enters the input layer."""
    g = BigGANGenerator(size=28, channels=1, latent_dim=60, width=16)
    latents = class_latents([3, 5], 60)
    variables = g.init(jax.random.key(0), latents, train=False)
    jacobian = jax.jacobian(lambda lat: g.apply(variables, lat, train=False).sum(axis=(1, 2, 3)))(latents)
    assert float(jnp.abs(jacobian[0, 1]).max()) == 0.0  # example 0's image ignores example 1's latent
    assert float(jnp.abs(jacobian[0, 0, 10:70]).min()) > 0.0  # every entry of its own z matters
    flat = BigGANGenerator(size=28, channels=1, latent_dim=60, width=16, hierarchical=False)
    flat_vars = flat.init(jax.random.key(0), latents, train=False)
    assert flat_vars["params"]["SNLinear_0"]["Dense_0"]["kernel"].shape[0] == 60
    gain = flat_vars["params"]["GeneratorBlock_0"]["ConditionalBatchNorm_0"]["gain"]["Dense_0"]["kernel"]
    assert gain.shape[0] == 128  # the shared embedding alone


def test_an_unconditional_generator_has_no_embedding_and_plain_batch_norm_without_the_hierarchy():
    z = jax.random.normal(jax.random.key(0), (3, 60))
    g = BigGANGenerator(size=28, channels=1, latent_dim=60, width=16, hierarchical=False)
    params = g.init(jax.random.key(0), z, train=False)["params"]
    assert "shared_embedding" not in params
    assert set(params["GeneratorBlock_0"]["ConditionalBatchNorm_0"]["BatchNorm_0"]) == {"scale", "bias"}


def test_orthogonal_regularization_is_the_off_diagonal_gram_norm_and_its_gradient():
    for shape in [(3, 3, 4, 5), (20, 100), (100, 20)]:
        w = jax.random.normal(jax.random.key(sum(shape)), shape)
        flat = np.asarray(w, np.float64).reshape(-1, shape[-1])
        gram = flat.T @ flat
        off = gram * (1 - np.eye(shape[-1]))
        np.testing.assert_allclose(orthogonal_regularization(w), np.sum(off ** 2), rtol=1e-4)
        np.testing.assert_allclose(jax.grad(orthogonal_regularization)(w).reshape(flat.shape), 4 * flat @ off,
                                   rtol=1e-3, atol=1e-3)
    q = jnp.linalg.qr(jax.random.normal(jax.random.key(0), (10, 4)))[0] * 3.0  # orthogonal columns, any norm
    assert abs(float(orthogonal_regularization(q))) < 1e-3


def test_the_optimizer_adds_beta_times_the_gradient_to_every_kernel_but_the_shared_embedding():
    params = {"shared_embedding": {"kernel": jax.random.normal(jax.random.key(0), (10, 6))},
              "Dense_0": {"kernel": jax.random.normal(jax.random.key(1), (6, 4)), "bias": jnp.ones(4)}}
    assert jax.tree.leaves(regularized_kernels(params)) == [False, True, False]  # Dense bias, kernel; embedding
    opt = ConfigDict(optimizers.defaults(1.0))
    opt.update(name="sgd", orthogonal=0.5)
    tx = optimizers.build_optimizer(opt)
    zeros = jax.tree.map(jnp.zeros_like, params)
    updates, _ = tx.update(zeros, tx.init(params), params)
    expected = -0.5 * jax.grad(orthogonal_regularization)(params["Dense_0"]["kernel"])
    np.testing.assert_allclose(updates["Dense_0"]["kernel"], expected, rtol=1e-5)
    assert float(jnp.abs(updates["shared_embedding"]["kernel"]).max()) == 0.0
    assert float(jnp.abs(updates["Dense_0"]["bias"]).max()) == 0.0
    np.testing.assert_allclose(orthogonal_regularization_sum(params),
                               orthogonal_regularization(params["Dense_0"]["kernel"]))


def test_truncated_noise_stays_in_range_with_the_truncated_normals_distribution():
    t = 0.5
    z = np.asarray(normal_noise(jax.random.key(0), (200_000,), t))
    assert np.abs(z).max() <= t
    inner = (norm.cdf(t / 2) - norm.cdf(-t / 2)) / (norm.cdf(t) - norm.cdf(-t))
    assert abs(np.mean(np.abs(z) <= t / 2) - inner) < 0.005  # 2,000 x the standard error of 0.0011
    prior = Prior(noise_dim=50, num_classes=10, truncation=t)
    draws = jax.vmap(prior.draw)(jax.random.split(jax.random.key(1), 100))
    assert float(jnp.abs(draws["z"]).max()) <= t
    same_labels = jax.vmap(Prior(noise_dim=50, num_classes=10).draw)(jax.random.split(jax.random.key(1), 100))["y"]
    np.testing.assert_array_equal(draws["y"], same_labels)  # truncation changes only z
    assert float(jnp.abs(truncated_latent(t)(jax.random.key(2), (1000,))).max()) <= t
    with pytest.raises(ValueError, match="truncates normal noise"):
        Prior(noise_dim=4, noise="uniform", truncation=t).draw(jax.random.key(0))


def test_standing_statistics_keep_spectral_norms_vectors_and_recompute_batch_norms():
    g = BigGANGenerator(size=28, channels=1, latent_dim=60, width=16)
    d = BigGANDiscriminator(width=16)
    state = create(generator=g, discriminator=d, g_tx=optax.sgd(0.1), d_tx=optax.sgd(0.1), latent_shape=(70,),
                   sample_x=jnp.zeros((2, 28, 28, 1)), key=0)
    prior = Prior(noise_dim=60, num_classes=10)
    standing = standing_statistics(state, jax.random.key(3), num_batches=2, batch_size=32,
                                   sample_latent=prior.sample_latent)
    flat_old = jax.tree_util.tree_flatten_with_path(state.g_state["batch_stats"])[0]
    flat_new = dict(jax.tree_util.tree_flatten_with_path(standing["batch_stats"])[0])
    kinds = set()
    for path, old in flat_old:
        name = path[-1].key
        kind = "bn" if name in ("mean", "var") else "sn"
        kinds.add(kind)
        new = flat_new[path]
        if kind == "sn":
            np.testing.assert_array_equal(new, old)
        else:
            assert jnp.all(jnp.isfinite(new))
    assert kinds == {"bn", "sn"}
    means = [v for p, v in flat_new.items() if p[-1].key == "mean"]
    assert max(float(jnp.abs(m).max()) for m in means) > 0.0  # recomputed from the initial zeros


def test_the_projection_heads_are_spectrally_normalized():
    """A rank-one head's power iteration is exact: logit = <h, k> / ||k|| + b."""
    d = AuxiliaryDiscriminator(body=BigGANDiscriminator(width=8, features_only=True), num_classes=10,
                               conditioning="projection", spectral_norm=True)
    x, y = jax.random.normal(jax.random.key(0), (3, 28, 28, 1)), jnp.array([1, 2, 3])
    variables = d.init(jax.random.key(1), (x, y), train=False)
    params = jax.tree.map(lambda p: p, variables["params"])
    params["projection"]["embedding"] = jnp.zeros_like(params["projection"]["embedding"])
    params["logit_head"]["kernel"] = params["logit_head"]["kernel"] * 50.0
    out = d.apply({**variables, "params": params}, (x, y), train=False)
    kernel = params["logit_head"]["kernel"][:, 0]
    expected = out["features"] @ kernel / jnp.linalg.norm(kernel) + params["logit_head"]["bias"][0]
    np.testing.assert_allclose(out["logit"], expected, rtol=1e-4, atol=1e-4)


def tiny_conditional_pair(axis_name=None, dtype=jnp.float32):
    generator = BigGANGenerator(size=28, channels=1, latent_dim=30, width=8, shared_dim=8, axis_name=axis_name,
                                dtype=dtype)
    discriminator = AuxiliaryDiscriminator(body=BigGANDiscriminator(width=8, features_only=True, dtype=dtype),
                                           num_classes=10, conditioning="projection", spectral_norm=True)
    return generator, discriminator


@pytest.mark.parametrize("form", ["jit_sharded", "pmap"])
def test_the_conditional_step_is_the_same_on_every_device_layout(form):
    """G's BatchNorm reads global statistics under pmap, and spectral norm's power iterations run
    on replicated weights: 4 devices give the one-device step."""
    sgd = optax.sgd(0.05)

    def make_state(axis_name=None):
        generator, discriminator = tiny_conditional_pair(axis_name)
        return create(generator=generator, discriminator=discriminator, g_tx=sgd, d_tx=sgd, latent_shape=(40,),
                      sample_x=(jnp.zeros((1, 28, 28, 1)), jnp.zeros((1,), jnp.int32)), key=0)

    step = lambda **kw: make_cgan_step(prior=Prior(noise_dim=30, num_classes=10), d_loss=hinge_discriminator_loss,
                                       g_loss=hinge_generator_loss, **kw)
    batches = [{"x": jax.random.uniform(jax.random.key(i), (1, 8, 28, 28, 1), minval=-1, maxval=1),
                "y": jax.random.randint(jax.random.key(10 + i), (1, 8), 0, 10)} for i in range(2)]
    reference, ref_metrics = run_single(step(), make_state(), batches)
    if form == "pmap":
        result, metrics = run_pmap(step(axis_name=parallel.DATA_AXIS), make_state(parallel.DATA_AXIS), batches)
    else:
        result, metrics = run_jit_sharded(step(), make_state(), batches)
    for field in ("g_params", "g_state", "d_params", "d_state"):
        assert max_abs_diff(getattr(result, field), getattr(reference, field)) < 1e-4, field
    for name in ref_metrics:
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=1e-4, atol=1e-5)


def test_bfloat16_networks_compute_what_float32_ones_do_to_bf16_precision():
    latents = class_latents(range(8), 30)
    g32, d32 = tiny_conditional_pair()
    g16, d16 = tiny_conditional_pair(dtype=jnp.bfloat16)
    g_vars = g32.init(jax.random.key(0), latents, train=False)
    images = g32.apply(g_vars, latents, train=False)
    images16 = g16.apply(g_vars, latents, train=False)
    assert images16.dtype == jnp.float32 and float(jnp.abs(images16 - images).max()) < 0.05
    labels = jnp.arange(8) % 10
    d_vars = d32.init(jax.random.key(1), (images, labels), train=False)
    logits = d32.apply(d_vars, (images, labels), train=False)["logit"]
    logits16 = d16.apply(d_vars, (images, labels), train=False)["logit"]
    np.testing.assert_allclose(logits16, logits, rtol=0.05, atol=0.05 * float(jnp.abs(logits).max()))


def tiny_recipe(data_dir, **overrides):
    config = importlib.import_module("experiments.labels.biggan").get_config()
    config.data.source, config.data.dir = "idx", data_dir
    config.data.batch_size = 8
    config.model.g_width = 8
    config.model.d_width = 8
    config.model.shared_dim = 8
    config.train.num_steps = 4
    config.train.checkpoint_every = 2
    config.train.log_every = 1
    config.train.plot_every = 0
    config.train.eval_every = 0
    config.train.progress = False
    config.update_from_flattened_dict(overrides)
    return config


def test_recipe_resumes_bit_exactly(tmp_path):
    data_dir = shared_dataset_dir("mnist")
    states = straight_and_resumed(tiny_recipe(data_dir), tiny_recipe(data_dir, **{"train.num_steps": 2}), tmp_path)
    assert max_abs_diff(states[0], states[1]) == 0.0


def test_truncated_sampling_and_the_truncation_curve(tmp_path):
    """`eval.truncation` bounds the latents the program samples from (not training's), and the
    study scores one checkpoint at each t with the truncation in its protocol."""
    from experiments.studies import truncation_curve
    from jaxgan.run import Program

    data_dir = shared_dataset_dir("mnist")
    config = tiny_recipe(data_dir, **{"train.num_steps": 2, "eval.num_samples": 64, "eval.batch_size": 32,
                                      "eval.num_reference": 64, "eval.metrics": "fid,pr"})
    workdir = str(tmp_path / "run")
    from jaxgan.run import train

    train(config, workdir)
    truncated = Program(tiny_recipe(data_dir, **{"eval.truncation": 0.3}))
    assert truncated.prior.truncation == 0.3 and Program(config).prior.truncation == 0.0
    latents = jax.vmap(truncated.prior.sample_latent)(jax.random.split(jax.random.key(0), 50))
    assert float(jnp.abs(latents[:, 10:]).max()) <= 0.3
    assert truncation_curve.main(["--workdir", workdir, "--truncations", "0.5,0"]) == 0
    out = tmp_path / "run" / "truncation"
    records = {t: json.loads((out / f"t_{t}.json").read_text()) for t in ("0.5", "0")}
    assert records["0.5"]["protocol"]["truncation"] == 0.5 and records["0"]["protocol"]["truncation"] == 0.0
    assert records["0.5"]["summary"]["fid"]["mean"] != records["0"]["summary"]["fid"]["mean"]
    assert "class_accuracy" in records["0"]["summary"]
    assert (out / "curve.png").stat().st_size > 0 and "| 0.5 |" in (out / "table.md").read_text()


def test_the_cifar10_recipe_builds_the_authors_32x32_networks():
    """Validated and built without data (CIFAR-10 is not available offline): 3 up-blocks from 4x4,
    z in 4 chunks of 32, 256 channels, the hand count of G_arch[32] / D_arch[32]."""
    from jaxgan.config import validate
    from jaxgan.games.settings import family_networks

    config = importlib.import_module("experiments.labels.biggan_cifar10").get_config()
    validate(config)
    generator, body = family_networks(config)
    g_shapes = jax.eval_shape(lambda: generator.init(jax.random.key(0), jnp.zeros((2, 138)), train=False))
    d_shapes = jax.eval_shape(lambda: body.init(jax.random.key(0), jnp.zeros((2, 32, 32, 3)), train=False))
    assert count(g_shapes["params"]) == generator_count(256, 128, 128, 10, 3, 3, 4)
    assert count(d_shapes["params"]) == discriminator_count(256, 3)
    assert (config.n_critic, config.data.batch_size, config.optimizer.g.orthogonal) == (4, 50, 1e-4)


@pytest.mark.parametrize("overrides, message", [
    ({"model.latent_dim": 64}, "model.latent_dim=64 does not split into 3 equal chunks"),
    ({"model.g_width": 12}, "model.g_width=12 must be a multiple of 8"),
    ({"model.weight_init": "xavier"}, "model.weight_init='xavier' is not one of"),
    ({"optimizer.g.orthogonal": -1.0}, "optimizer.g.orthogonal must be >= 0"),
    ({"eval.truncation": -0.5}, "eval.truncation must be >= 0"),
    ({"model.d_spectral_norm": True}, "model.d_spectral_norm=True is an option of the"),
])
def test_bad_biggan_configs_are_rejected(overrides, message):
    assert_recipe_rejects("experiments.labels.biggan", overrides, message)

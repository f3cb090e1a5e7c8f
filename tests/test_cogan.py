"""CoGAN (jaxgan.games.cogan): the coupled domains and their transforms by hand, the pair agreement,
the paper's networks (parameter counts from the authors' layer list, the sharing), the weight
decay, equality across device layouts, a bit-exact resume, the evaluator and the recipe."""

import importlib

import flax.linen as nn
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

from jaxgan import losses, optimizers, parallel
from jaxgan import state as state_lib
from jaxgan.config import base_config, validate
from jaxgan.data import coupled
from jaxgan.games import make_gan_step
from jaxgan.metrics.pairs import pair_agreement
from jaxgan.nets.cogan import FAMILY, CoupledDiscriminator, CoupledGenerator, shared_parameters
from jaxgan.nets.translation import ConvTranspose3x3Stride2
from jaxgan.plots import tile_images

SGD = optax.sgd(0.05)


def test_edges_are_the_dilation_minus_the_image_and_negatives_the_complement():
    image = np.zeros((1, 5, 5), np.uint8)
    image[0, 2, 2], image[0, 0, 0] = 200, 100
    want = np.zeros((5, 5), np.uint8)
    want[1:4, 1:4] = 200  # the 3x3 dilation of the centre pixel ...
    want[2, 2] = 0  # ... minus the pixel itself
    want[0, 1] = want[1, 0] = 100  # the corner pixel's dilation, clipped at the border
    want[1, 1] = 200
    np.testing.assert_array_equal(coupled.edges(image)[0], want)
    np.testing.assert_array_equal(coupled.negatives(image)[0], 255 - image[0])
    for name, transform in coupled.TRANSFORMS.items():  # the float form is the uint8 one, scaled
        np.testing.assert_allclose(coupled.transform_unit(name, image / 255.0), transform(image) / 255.0, atol=1e-6)


def test_the_two_domains_are_disjoint_halves_and_each_example_stacks_one_of_each():
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 256, (11, 28, 28, 1), dtype=np.uint8)
    labels = np.arange(11)
    pairs = coupled.CoupledDigits("mnist_edges", digits, labels, seed=3, origin="t")
    assert len(pairs) == 5 and pairs.shape == (28, 28, 2)
    assert not set(pairs.a_index) & set(pairs.b_index)  # no digit in both domains
    example = pairs.take([0, 4])
    assert example.shape == (2, 28, 28, 2) and example.dtype == np.uint8
    np.testing.assert_array_equal(example[..., 0], digits[pairs.a_index[[0, 4]], ..., 0])
    np.testing.assert_array_equal(example[..., 1], coupled.edges(digits[pairs.b_index[[0, 4]], ..., 0]))
    np.testing.assert_array_equal(pairs.take_labels([1]), [[pairs.a_index[1], pairs.b_index[1]]])
    again = coupled.CoupledDigits("mnist_edges", digits, labels, seed=3, origin="t")
    np.testing.assert_array_equal(again.take(np.arange(5)), pairs.take(np.arange(5)))


def test_pair_agreement_counts_agreeing_pixels_after_the_transform():
    a = np.zeros((2, 3, 3), np.float32)
    a[:, 1, 1] = 1.0
    true_b = coupled.transform_unit("mnist_negatives", a)
    np.testing.assert_array_equal(pair_agreement(lambda x: 1.0 - x, a, true_b), [1.0, 1.0])
    wrong = true_b.copy()
    wrong[0, 0, :] = 0.2  # three pixels of pair 0 on the wrong side of 0.5
    np.testing.assert_allclose(pair_agreement(lambda x: 1.0 - x, a, wrong), [6 / 9, 1.0])
    with pytest.raises(ValueError, match=r"pairs of images \(N, H, W\) of one shape"):
        pair_agreement(lambda x: x, a, a[:1])


@pytest.mark.parametrize("form", ["phases", "dilated"])
def test_the_stride_2_transposed_convolution_is_pytorchs_with_padding_1(form):
    """The generator's 3x3 stride-2 layers: the SAME layer without its first row and column."""
    x = jax.random.normal(jax.random.key(0), (2, 4, 4, 3))
    layer = ConvTranspose3x3Stride2(5, form=form)
    params = layer.init(jax.random.key(1), x)
    reference = nn.ConvTranspose(5, (3, 3), (2, 2), padding=((1, 1), (1, 1)))  # (n - 1) * 2 - 2 + 3 = 2n - 1
    cropped = layer.apply(params, x)[:, 1:, 1:]
    np.testing.assert_allclose(cropped, reference.apply(params, x), atol=1e-5)
    assert cropped.shape == (2, 7, 7, 5)


def test_the_papers_networks_have_the_authors_parameter_counts_and_share_their_layers():
    """Counts from the layer list of the authors' code (make_mnist.edge.cogan_net.py, run with
    g_neurons 1024,512,256,128,1 / kernels 4,3,3,3,6 and d_neurons 20,50,500 / kernels 5,5)."""
    z, pairs = jnp.zeros((2, 100)), jnp.zeros((2, 28, 28, 2))
    g_vars = CoupledGenerator().init(jax.random.key(0), z, train=False)
    d_vars = CoupledDiscriminator().init(jax.random.key(0), pairs, train=False)
    g_shared, d_shared = shared_parameters(g_vars["params"]), shared_parameters(d_vars["params"])
    assert {k: v for k, v in g_shared.items() if k.startswith("layer")} == {
        "layer0": 100 * 4 * 4 * 1024 + 4 * 4 * 1024, "layer1": 9 * 1024 * 512 + 512, "layer2": 9 * 512 * 256 + 256,
        "layer3": 9 * 256 * 128 + 128}
    assert {k for k in g_vars["params"] if k not in g_shared} == {"out_a", "out_b"}  # only the last layer is per domain
    assert sum(x.size for x in jax.tree.leaves(g_vars["params"]["out_a"])) == 6 * 6 * 128 + 1
    assert d_shared == {"layer1": 25 * 20 * 50 + 50, "layer2": 4 * 4 * 50 * 500 + 500, "layer3": 501, "prelu": 500}
    assert {k for k in d_vars["params"] if k not in d_shared} == {"layer0_a", "layer0_b"}
    assert CoupledGenerator().apply(g_vars, z, train=False).shape == (2, 28, 28, 2)
    assert CoupledDiscriminator().apply(d_vars, pairs, train=False).shape == (4,)
    independent = CoupledDiscriminator(shared=0).init(jax.random.key(0), pairs, train=False)["params"]
    assert shared_parameters(independent) == {}
    model = base_config().model
    model.name = "cogan"  # the family's defaults build the paper's widths
    generator, _ = FAMILY.build(model, (28, 28, 2), image=True, features_only=False, axis_name=None, penalized=False)
    assert generator.widths == (1024, 512, 256, 128) and generator.shared == 4


def tiny_nets(shared_g=4, shared_d=3, axis_name=None):
    return (CoupledGenerator(shared=shared_g, widths=(8, 6, 4, 4), axis_name=axis_name),
            CoupledDiscriminator(shared=shared_d, features=(3, 4, 6)))


def test_sharing_makes_the_pair_differ_only_by_the_last_layers():
    """With every hidden layer shared and the two output layers given equal weights, the two
    domains' images are equal for every z; with independent hidden layers they are not. D_A
    reads only channel 0 and D_B only channel 1."""
    z = jax.random.normal(jax.random.key(0), (3, 100))
    for shared, equal in ((4, True), (0, False)):
        generator = tiny_nets(shared_g=shared)[0]
        params = generator.init(jax.random.key(1), z, train=False)
        params["params"]["out_b"] = params["params"]["out_a"]
        pairs = generator.apply(params, z, train=False)
        assert np.allclose(pairs[..., 0], pairs[..., 1], atol=1e-6) == equal
    discriminator = tiny_nets()[1]
    x = jax.random.uniform(jax.random.key(2), (3, 28, 28, 2), minval=-1, maxval=1)
    d_params = discriminator.init(jax.random.key(3), x, train=False)
    logits = discriminator.apply(d_params, x, train=False)
    changed_b = discriminator.apply(d_params, x.at[..., 1].set(0.0), train=False)
    np.testing.assert_array_equal(logits[:3], changed_b[:3])
    assert not np.allclose(logits[3:], changed_b[3:])


def test_weight_decay_adds_w_theta_to_the_gradient_of_kernels_only():
    opt = base_config().optimizer.g
    opt.name, opt.learning_rate, opt.weight_decay = "sgd", 0.1, 0.5
    tx = optimizers.build_optimizer(opt)
    params = {"dense": {"kernel": jnp.full((2, 2), 2.0), "bias": jnp.full((2,), 2.0)}}
    grads = jax.tree.map(jnp.ones_like, params)
    updates, _ = tx.update(grads, tx.init(params), params)
    np.testing.assert_allclose(updates["dense"]["kernel"], -0.1 * (1.0 + 0.5 * 2.0))
    np.testing.assert_allclose(updates["dense"]["bias"], -0.1 * 1.0)


def coupled_batches(num, batch=4, seed=0):
    return [{"x": jax.random.uniform(jax.random.key(seed + i), (1, batch, 28, 28, 2), minval=-1, maxval=1)}
            for i in range(num)]


@pytest.mark.parametrize("form", ["jit_sharded", "pmap"])
def test_step_is_the_same_on_every_device_layout(form):
    """D's logits are A's then B's: under a split batch the losses' means are still the global
    ones, and G's BatchNorm reads global statistics under pmap."""

    def make_state(axis_name=None):
        generator, discriminator = tiny_nets(axis_name=axis_name)
        return state_lib.create(generator=generator, discriminator=discriminator, g_tx=SGD, d_tx=SGD,
                                latent_shape=(100,), sample_x=jnp.zeros((2, 28, 28, 2)), key=0)

    step = lambda **kw: make_gan_step(d_loss=losses.minimax_discriminator_loss,
                                      g_loss=losses.non_saturating_generator_loss, **kw)
    batches = coupled_batches(2)
    reference, ref_metrics = run_single(step(), make_state(), batches)
    if form == "pmap":
        result, metrics = run_pmap(step(axis_name=parallel.DATA_AXIS), make_state(parallel.DATA_AXIS), batches)
    else:
        result, metrics = run_jit_sharded(step(), make_state(), batches)
    for field in ("g_params", "g_state", "d_params"):
        assert max_abs_diff(getattr(result, field), getattr(reference, field)) < 1e-5, field
    for name in ref_metrics:
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=1e-5, atol=1e-6)


def tiny_recipe(data_dir, **overrides):
    config = importlib.import_module("experiments.images.cogan").get_config()
    config.data.source, config.data.dir = "idx", data_dir
    config.data.batch_size = 8
    config.model.cogan_width = 4  # hidden widths 32, 16, 8, 4
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


def test_the_evaluator_scores_true_pairs_at_one_and_unrelated_pairs_at_chance():
    """A sampler that returns true pairs (test digits and their edges) scores agreement 1 and
    true_pairs 1; its shuffled pairs, and the data's unrelated pairs, score the chance level."""
    from jaxgan import data
    from jaxgan.evaluation.context import Context
    from jaxgan.evaluation.coupled import pair_agreement_measure

    config = tiny_recipe(shared_dataset_dir("mnist"))
    validate(config)
    test = data.open_split(config.data, "test")
    digits = test.domain("a", np.arange(2000)).astype(np.float32) / 255.0
    true_pairs = np.stack([digits, coupled.transform_unit("mnist_edges", digits)], axis=-1) * 2.0 - 1.0

    class Sampler:
        num_seeds, prior = 1, None

        def samples(self, key, num, use_ema):
            return true_pairs[None]

    ctx = Context(config=config, sampler=Sampler(), key=jax.random.key(0), use_ema=False)
    (result,), protocol = pair_agreement_measure(ctx)
    assert result["pair_agreement"] == pytest.approx(1.0) and result["true_pairs"] == 1.0
    chance = protocol["reference"]["unrelated_agreement"]
    assert 0.7 < chance < 0.95 and result["shuffled_agreement"] == pytest.approx(chance, abs=0.02)
    assert result["fid_a"] < 20.0 and result["fid_b"] < 20.0  # test images against the test split


def test_a_coupled_pair_is_drawn_side_by_side():
    pair = np.stack([np.full((2, 2), -1.0), np.full((2, 2), 1.0)], axis=-1)[None]
    mosaic = tile_images(pair, rows=1)
    np.testing.assert_array_equal(mosaic[1:3, 1:5], [[0, 0, 255, 255]] * 2)


@pytest.mark.parametrize("overrides, message", [
    ({"data.name": "mnist"}, "model.name='cogan' builds coupled 28x28 pairs (28, 28, 2)"),
    ({"data.name": "mnist", "model.name": "lucic"},
     "data.name must be one of ['mnist_edges', 'mnist_negatives'], got 'mnist'"),
    ({"model.name": "lucic"}, "model.name must be 'cogan', got 'lucic'"),
    ({"model.cogan_shared_g": 5}, "model.cogan_shared_g"),
    ({"model.upsample": "resize"}, "CoGAN's generator uses the paper's transposed convolutions"),
    ({"optimizer.d.weight_decay": -1.0}, "optimizer.d.weight_decay must be >= 0"),
    ({"eval.metrics": "fid"}, "'pair_agreement' reports each domain's FID (fid_a, fid_b)"),
])
def test_bad_cogan_configs_are_rejected(overrides, message):
    assert_recipe_rejects("experiments.images.cogan", overrides, message)


def test_the_labels_study_rows_read_the_mnist_files_and_score_pairs():
    from experiments.studies import labels_study

    config = labels_study.row_config("cogan_negatives", seeds=1, data_dir="/data")
    assert (config.data.name, config.data.dir, config.eval.metrics) == ("mnist_negatives", "/data/mnist", "auto")
    validate(config)
    assert labels_study.ROWS["cogan_edges"][3] == "pair_agreement" and labels_study.FULL_STEPS["cogan_edges"] == 50_000

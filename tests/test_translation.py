"""Image-to-image translation: U-Net / ResNet / PatchGAN shapes and receptive field, the history
pool, Pix2Pix and CycleGAN terms against hand computation, the offline tasks, exact resume with
the pool, equality across devices, the `translate` command and configuration errors."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import max_abs_diff, shared_dataset_dir
from PIL import Image
from test_train import restored_state, with_overrides

from experiments import load_recipe
from jaxgan import backend, cli, parallel
from jaxgan import state as state_lib
from jaxgan.config import ConfigError, base_config, validate
from jaxgan.data.images import ArrayImages
from jaxgan.data.translation import TranslationSource, edge_map, open_translation, pad_to
from jaxgan.evaluation.translation import mean_abs_error, psnr
from jaxgan.games import apply, make_cyclegan_step, make_pix2pix_step
from jaxgan.nets import CycleGenerators, DomainDiscriminators, PatchGAN, ResNetTranslator, UNetGenerator
from jaxgan.nets.translation import patchgan_layers, receptive_field
from jaxgan.optimizers import learning_rate
from jaxgan.run import train
from jaxgan.techniques import init_pool, query_pool

ADAM = optax.adam(1e-3, b1=0.5)


def init(module, x):
    """Variables of `module`, initialized as `state.create` does it (compiled, unoptimized)."""
    return jax.jit(lambda x: module.init(jax.random.key(0), x, train=False),
                   compiler_options=backend.init_compiler_options())(x)


@pytest.mark.parametrize("size, depth, channels", [(16, 4, 1), (32, 5, 3), (64, 3, 1), (256, 8, 3)])
def test_unet_shapes(size, depth, channels):
    net = UNetGenerator(channels=channels, width=2, depth=depth)
    x = jnp.zeros((2, size, size, 1))
    variables = init(net, x)
    out = net.apply(variables, x, train=False)
    assert out.shape == (2, size, size, channels)
    # encoder widths 1, 2, 4, 8, 8, ... x width: the innermost conv has min(2^(depth-1), 8) x width
    assert variables["params"][f"Conv_{depth - 1}"]["kernel"].shape[-1] == 2 * min(2 ** (depth - 1), 8)
    with pytest.raises(ValueError, match="divisible by"):
        net.apply(variables, jnp.zeros((1, size + 2 ** (depth - 1), size, 1)), train=False)


def test_unet_skips_and_dropout_noise():
    net = UNetGenerator(channels=1, width=4, depth=3, norm="none", dropout=0.5)
    x = jax.random.normal(jax.random.key(1), (2, 8, 8, 1))
    variables = init(net, x)
    # skips: the decoder layers after the first see [upsampled, encoder activation] channels
    kernels = [variables["params"][f"ConvTranspose4x4Stride2_{i}"]["kernel"] for i in range(3)]
    assert [k.shape[-2] for k in kernels] == [16, 8 + 8, 4 + 4]
    a = net.apply(variables, x, train=True, rngs={"noise": jax.random.key(2)})
    b = net.apply(variables, x, train=True, rngs={"noise": jax.random.key(2)})
    c = net.apply(variables, x, train=True, rngs={"noise": jax.random.key(3)})
    np.testing.assert_array_equal(a, b)
    assert float(jnp.max(jnp.abs(a - c))) > 1e-4  # dropout is the noise
    np.testing.assert_array_equal(net.apply(variables, x, train=False), net.apply(variables, x, train=False))


@pytest.mark.parametrize("size, blocks", [(32, 6), (64, 9), (20, 2)])
def test_resnet_translator_shapes(size, blocks):
    net = ResNetTranslator(channels=3, width=4, num_blocks=blocks)
    x = jnp.ones((1, size, size, 1))
    variables = init(net, x)
    assert net.apply(variables, x, train=False).shape == (1, size, size, 3)
    assert sum(name.startswith("ResidualBlock") for name in variables["params"]) == blocks
    with pytest.raises(ValueError, match="divisible by 4"):
        net.apply(variables, jnp.ones((1, size + 2, size, 1)), train=False)


def test_reflection_padding_keeps_borders_alive():
    """A residual block pads by reflection: a constant image stays constant up to its borders
    (zero padding would change the border pixels)."""
    from jaxgan.nets.translation import ResidualBlock

    block = ResidualBlock(norm="none")
    x = jnp.full((1, 8, 8, 4), 0.3)
    out = block.apply(block.init(jax.random.key(0), x, train=False), x, train=False)
    assert float(jnp.max(jnp.abs(out - out[0, 4, 4]))) < 1e-6
    assert float(jnp.max(jnp.abs(out - x))) > 1e-3  # and the block does something


def test_patchgan_receptive_field_is_70_for_the_default_depth():
    assert [receptive_field(patchgan_layers(n)) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]
    net = PatchGAN(width=2, num_layers=3, norm="none")
    assert net.num_layers == PatchGAN().num_layers == 3
    x = jnp.zeros((1, 256, 256, 1))
    variables = init(net, x)
    assert net.apply(variables, x, train=False).shape == (1, 30, 30, 1)  # the paper's 30 x 30 patches
    # Empirically: the input pixels that can change one central logit form a 70 x 70 square.
    x = jax.random.normal(jax.random.key(0), (1, 160, 160, 1))
    logits = net.apply(variables, x, train=False)
    i, j = logits.shape[1] // 2, logits.shape[2] // 2
    grad = jax.grad(lambda v: net.apply(variables, v, train=False)[0, i, j, 0])(x)
    rows, cols = np.nonzero(np.abs(np.asarray(grad[0, :, :, 0])) > 0)
    assert rows.max() - rows.min() + 1 == 70 and cols.max() - cols.min() + 1 == 70


def test_patchgan_conditions_on_the_pair():
    net = PatchGAN(width=2, num_layers=1, norm="none")
    source, image = jnp.ones((2, 16, 16, 1)), jnp.zeros((2, 16, 16, 3))
    variables = init(net, (source, image))
    assert variables["params"]["Conv_0"]["kernel"].shape[2] == 4  # 1 + 3 input channels
    np.testing.assert_array_equal(net.apply(variables, (source, image), train=False),
                                  net.apply(variables, jnp.concatenate([source, image], -1), train=False))


def _batch(n, value_offset=0.0):
    return jnp.arange(n, dtype=jnp.float32)[:, None, None, None] + value_offset + jnp.zeros((n, 2, 2, 1))


def test_history_pool_fills_then_mixes_stored_and_new_images():
    query = jax.jit(query_pool)
    pool = init_pool(4, (2, 2, 1))
    first = _batch(3)
    out, pool = query(pool, first, jax.random.key(0))
    np.testing.assert_array_equal(out, first)  # filling: returned as they are
    assert int(pool["count"]) == 3
    np.testing.assert_array_equal(pool["images"][:3], first)
    swapped = 0
    total = 0
    for t in range(1, 200):
        new = _batch(3, value_offset=10.0 * t)
        before = {float(v) for v in np.asarray(pool["images"][: int(pool["count"]), 0, 0, 0])}
        out, pool = query(pool, new, jax.random.key(t))
        stored = {float(v) for v in np.asarray(pool["images"][:, 0, 0, 0])}
        for k in range(3):
            value = float(out[k, 0, 0, 0])
            if value != float(new[k, 0, 0, 0]):
                swapped += 1
                assert value in before | {float(new[i, 0, 0, 0]) for i in range(k)}  # an image from the history
                assert float(new[k, 0, 0, 0]) in stored or any(
                    float(out[m, 0, 0, 0]) == float(new[k, 0, 0, 0]) for m in range(k + 1, 3)
                )
            total += 1
        assert int(pool["count"]) == 4
    total -= 1  # the very first image of t = 1 filled the last slot
    # once full, each image is replaced by a stored one with probability 1/2
    assert abs(swapped / total - 0.5) < 4 * np.sqrt(0.25 / total)


def test_history_pool_is_deterministic_under_its_key_and_size_zero_passes_through():
    pool = init_pool(3, (2, 2, 1))
    _, pool = query_pool(pool, _batch(3), jax.random.key(0))
    new = _batch(6, value_offset=100.0)
    a = query_pool(pool, new, jax.random.key(5))
    b = query_pool(pool, new, jax.random.key(5))
    assert max_abs_diff(a, b) == 0.0
    outs = [np.asarray(query_pool(pool, new, jax.random.key(k))[0]) for k in range(6)]
    assert any(not np.array_equal(outs[0], o) for o in outs[1:])
    empty = init_pool(0, (2, 2, 1))
    out, same = query_pool(empty, new, jax.random.key(0))
    np.testing.assert_array_equal(out, new)
    with pytest.raises(ValueError, match="pool holds images of shape"):
        query_pool(pool, jnp.zeros((2, 3, 3, 1)), jax.random.key(0))


def cycle_state(pool_size=2, norm="instance"):
    translator = lambda: ResNetTranslator(channels=1, width=4, num_blocks=1, norm=norm)
    patch = lambda: PatchGAN(width=4, num_layers=1, norm=norm)
    x = jnp.zeros((1, 16, 16, 1))
    return state_lib.create(generator=CycleGenerators(translator(), translator()),
                            discriminator=DomainDiscriminators(patch(), patch()), g_tx=ADAM, d_tx=ADAM,
                            latent_shape=(16, 16, 1), sample_x={"a": x, "b": x}, key=1,
                            extras={"a": init_pool(pool_size, (16, 16, 1)), "b": init_pool(pool_size, (16, 16, 1))})


def pair_batch(n, keys=("a", "b")):
    return {
        k: jax.random.uniform(jax.random.key(i + 7), (1, n, 16, 16, 1), minval=-1, maxval=1) for i, k in enumerate(keys)
    }


def test_cyclegan_terms_match_hand_computation():
    state = cycle_state(pool_size=8)
    batch = pair_batch(3)
    a, b = batch["a"][0], batch["b"][0]
    _, metrics = jax.jit(make_cyclegan_step(cycle_weight=10.0, identity_weight=5.0))(state, batch)
    run = lambda x, method=None: np.asarray(
        apply(state.generator, state.g_params, {}, x, train=True, method=method)[0], np.float64
    )
    fake_b, fake_a = run(a), run(b, "b_to_a")
    cycle = np.mean(np.abs(run(jnp.asarray(fake_b), "b_to_a") - np.asarray(a))) + np.mean(
        np.abs(run(jnp.asarray(fake_a)) - np.asarray(b))
    )
    identity = np.mean(np.abs(run(b) - np.asarray(b))) + np.mean(np.abs(run(a, "b_to_a") - np.asarray(a)))
    logits = state.discriminator.apply(
        {"params": state.d_params}, {"a": jnp.asarray(fake_a), "b": jnp.asarray(fake_b)}, train=True
    )
    adversarial = sum(np.mean(np.square(np.asarray(logits[k], np.float64) - 1.0)) for k in ("a", "b"))
    np.testing.assert_allclose(metrics["cycle"], cycle, rtol=1e-5)
    np.testing.assert_allclose(metrics["identity"], identity, rtol=1e-5)
    np.testing.assert_allclose(metrics["g_loss"], adversarial, rtol=1e-5)
    np.testing.assert_allclose(metrics["g_total"], adversarial + 10 * cycle + 5 * identity, rtol=1e-5)
    # D on the pooled fakes: the pool was empty, so it sees exactly G(a) and F(b)
    real = state.discriminator.apply({"params": state.d_params}, {"a": a, "b": b}, train=True)
    d_a = 0.5 * np.mean(np.square(np.asarray(real["a"]) - 1)) + 0.5 * np.mean(np.square(np.asarray(logits["a"])))
    np.testing.assert_allclose(metrics["d_a"], d_a, rtol=1e-5)
    _, no_identity = jax.jit(make_cyclegan_step(identity_weight=0.0))(state, batch)
    assert "identity" not in no_identity
    np.testing.assert_allclose(no_identity["g_total"], adversarial + 10 * cycle, rtol=1e-5)


def test_cyclegan_step_carries_the_pools():
    state = cycle_state(pool_size=4)
    step = jax.jit(make_cyclegan_step())
    state, _ = step(state, pair_batch(3))
    assert int(state.extras["a"]["count"]) == 3 and int(state.extras["b"]["count"]) == 3
    state, _ = step(state, pair_batch(3))
    assert int(state.extras["a"]["count"]) == 4
    assert float(jnp.min(jnp.sum(jnp.abs(state.extras["b"]["images"]), axis=(1, 2, 3)))) > 0  # all slots hold fakes


def test_pix2pix_terms_match_hand_computation():
    unet = UNetGenerator(channels=1, width=4, depth=2, norm="none", dropout=0.0)
    patch = PatchGAN(width=4, num_layers=1, norm="none")
    x = jnp.zeros((1, 16, 16, 1))
    state = state_lib.create(generator=unet, discriminator=patch, g_tx=ADAM, d_tx=ADAM, latent_shape=(16, 16, 1),
                             sample_x=(x, x), key=2)
    batch = pair_batch(4, ("source", "target"))
    source, target = batch["source"][0], batch["target"][0]
    new, metrics = jax.jit(make_pix2pix_step(l1_weight=100.0))(state, batch)
    fake = unet.apply({"params": state.g_params}, source, train=True)
    np.testing.assert_allclose(metrics["l1"], np.mean(np.abs(np.asarray(fake) - np.asarray(target))), rtol=1e-5)
    real_logits = np.asarray(patch.apply({"params": state.d_params}, (source, target), train=False), np.float64)
    fake_logits = np.asarray(patch.apply({"params": state.d_params}, (source, fake), train=False), np.float64)
    softplus = lambda v: np.log1p(np.exp(-np.abs(v))) + np.maximum(v, 0)
    bce = np.mean(softplus(-real_logits)) + np.mean(softplus(fake_logits))
    np.testing.assert_allclose(metrics["d_loss"], bce, rtol=1e-5)
    # G is judged by the updated D, on the same fake
    updated = np.asarray(patch.apply({"params": new.d_params}, (source, fake), train=False), np.float64)
    np.testing.assert_allclose(metrics["g_loss"], np.mean(softplus(-updated)), rtol=1e-5)
    np.testing.assert_allclose(metrics["g_total"], metrics["g_loss"] + 100 * metrics["l1"], rtol=1e-5)
    # the vjp route gives the same generator gradient as differentiating the whole objective
    def objective(params):
        image = unet.apply({"params": params}, source, train=True)
        logits = patch.apply({"params": new.d_params}, (source, image), train=False)
        return jnp.mean(jax.nn.softplus(-logits)) + 100 * jnp.mean(jnp.abs(target - image))
    grads = jax.grad(objective)(state.g_params)
    expected, _ = ADAM.update(grads, state.g_opt_state, state.g_params)
    assert max_abs_diff(new.g_params, optax.apply_updates(state.g_params, expected)) < 1e-6


def test_cyclegan_step_is_equal_under_pmap_and_on_one_device():
    state = cycle_state(pool_size=3)
    batch = pair_batch(4)
    step = make_cyclegan_step()
    single = jax.jit(step)
    pmapped = parallel.pmap_step(make_cyclegan_step(axis_name=parallel.DATA_AXIS), example_axis=1)
    a = state
    b = parallel.replicate(state)
    for _ in range(2):  # the second step swaps images through the full pool
        a, _ = single(a, batch)
        b, _ = pmapped(b, batch)
    b = parallel.unreplicate(b)
    assert max_abs_diff(a.extras, b.extras) < 1e-5
    # Adam (lr 1e-3) scales tiny gradients up to the learning rate, so summation-order rounding
    # reaches ~1e-5 after two steps; a wrong pool or gradient differs by ~1e-3.
    assert max_abs_diff(a, b) < 1e-4


def test_edge_map_by_hand_and_paired_batches_align():
    square = np.zeros((1, 8, 8, 1), np.uint8)
    square[0, 2:6, 2:6] = 255
    expected = np.zeros((8, 8), np.uint8)
    expected[1:7, 1:7] = 255
    expected[3:5, 3:5] = 0  # dilation minus erosion: a ring two pixels wide
    np.testing.assert_array_equal(edge_map(square)[0, :, :, 0], expected)
    assert pad_to(np.zeros((2, 28, 28, 1), np.uint8)).shape == (2, 32, 32, 1)
    targets = ArrayImages(pad_to((np.arange(40 * 28 * 28) % 251).astype(np.uint8).reshape(40, 28, 28, 1)), origin="t")
    from jaxgan.data.translation import LazyPairs

    pairs = LazyPairs(targets.images, edge_map, origin="toy")
    source = TranslationSource(pairs.side("source"), pairs.side("target"), paired=True, batch_size=8, seed=3)
    batch = source.next(2)
    assert sorted(batch) == ["source", "target"] and batch["source"].shape == (1, 2, 1, 8, 32, 32, 1)
    target_uint8 = np.round((batch["target"] + 1) * 127.5).astype(np.uint8).reshape(-1, 32, 32, 1)
    np.testing.assert_array_equal(batch["source"].reshape(-1, 32, 32, 1), edge_map(target_uint8) / 127.5 - 1.0)
    unpaired = TranslationSource(pairs.side("target"), pairs.side("target"), paired=False, batch_size=8, seed=3).next(1)
    assert sorted(unpaired) == ["a", "b"] and not np.array_equal(unpaired["a"], unpaired["b"])


def test_offline_tasks_are_deterministic():
    directory = os.path.dirname(shared_dataset_dir("mnist"))
    shared_dataset_dir("fashion_mnist")
    first = open_translation("edges2mnist", "test", source="idx", directory=directory)
    again = open_translation("edges2mnist", "test", source="idx", directory=directory)
    index = np.arange(0, 10_000, 997)
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x.take(index), y.take(index))
    assert first[0].shape == first[1].shape == (32, 32, 1)
    assert set(np.unique(first[0].take(index)).tolist()) == {0, 255}
    a, b = open_translation("mnist2fashion", "train", source="idx", directory=directory)
    assert len(a) == len(b) == 60_000 and not np.array_equal(a.take([0]), b.take([0]))


def test_psnr_and_l1_by_hand():
    target = np.zeros((2, 4, 4, 1))  # pixel 0.5
    prediction = np.ones((2, 4, 4, 1))  # pixel 1.0
    assert mean_abs_error(target, prediction) == pytest.approx(0.5)
    assert psnr(target, prediction) == pytest.approx(10 * np.log10(4.0))
    assert psnr(target, target) == pytest.approx(100.0)


def test_linear_decay_schedule():
    opt = base_config().optimizer.g
    opt.schedule, opt.learning_rate, opt.decay_start = "linear_decay", 2e-4, 0.5
    rate = learning_rate(opt, 100)
    np.testing.assert_allclose([rate(0), rate(50), rate(75), rate(100)], [2e-4, 2e-4, 1e-4, 0.0], atol=1e-12)


def test_the_critics_schedule_runs_over_its_n_critic_updates_per_step():
    """With n_critic = 5 the critic makes 5 updates per step: its linear decay must end at update
    5 * num_steps, not at num_steps (when it would stop learning a fifth of the way in)."""
    from jaxgan.run import build_optimizers

    config = base_config()
    config.n_critic, config.train.num_steps = 5, 100
    for side in ("g", "d"):
        opt = config.optimizer[side]
        opt.name, opt.schedule, opt.learning_rate, opt.decay_start = "sgd", "linear_decay", 1.0, 0.0
    g_tx, d_tx = build_optimizers(config)
    params = {"w": jnp.zeros(())}

    def rate_at(tx, count):
        state = tx.init(params)
        state = jax.tree.map(lambda leaf: jnp.asarray(count, leaf.dtype) if leaf.dtype == jnp.int32 else leaf, state)
        return -float(tx.update({"w": jnp.ones(())}, state, params)[0]["w"])

    assert [rate_at(g_tx, k) for k in (0, 50, 100)] == pytest.approx([1.0, 0.5, 0.0])
    assert [rate_at(d_tx, k) for k in (0, 100, 250, 500)] == pytest.approx([1.0, 0.8, 0.5, 0.0])


def translation_config(game, **overrides):
    directory = os.path.dirname(shared_dataset_dir("mnist"))
    shared_dataset_dir("fashion_mnist")
    config = base_config()
    config.game.name = game
    config.data.name = "edges2mnist" if game == "pix2pix" else "mnist2fashion"
    config.data.source, config.data.dir, config.data.batch_size = "idx", directory, 4
    config.loss = "non_saturating" if game == "pix2pix" else "least_squares"
    config.model.g_width = config.model.d_width = 4
    config.translation.resnet_blocks = 1
    config.translation.patch_layers = 1
    if game == "cyclegan":
        config.translation.pool_size = 5
    config.train.num_steps, config.train.checkpoint_every, config.train.log_every = 6, 3, 3
    config.train.progress = False
    config.eval.batch_size = 250
    return with_overrides(config, overrides)


@pytest.mark.parametrize("game, overrides", [
    ("pix2pix", {}),
    ("cyclegan", {"optimizer.g.schedule": "linear_decay", "optimizer.d.schedule": "linear_decay"}),
])
def test_translation_trains_resumes_exactly_and_translates(tmp_path, capsys, game, overrides):
    straight = translation_config(game, **overrides)
    result = train(straight, str(tmp_path / "a"))
    train(translation_config(game, **overrides, **{"train.num_steps": 3}), str(tmp_path / "b"))
    # With a linear-decay schedule a longer run is a config change that needs consent (the decay
    # is spread over train.num_steps); at these sizes it leaves the first 3 learning rates as they were.
    train(straight, str(tmp_path / "b"), allow_config_change="optimizer.g.schedule" in overrides)
    a, data_a = restored_state(straight, str(tmp_path / "a"))
    b, data_b = restored_state(straight, str(tmp_path / "b"))
    assert data_a == data_b == {"position": 6}
    assert max_abs_diff(a, b) == 0.0
    values = result["evaluation"]["per_seed"][0]
    if game == "cyclegan":
        assert int(a.extras["a"]["count"]) == 5  # 24 fakes went through a pool of 5: it swapped
        assert set(values) >= {"cycle_l1_a", "cycle_l1_b", "domain_accuracy_a", "domain_accuracy_b"}
        assert values["domain_classifier_accuracy"] > 0.95  # digits vs clothes: the classifier works
    else:
        assert values["identity_psnr"] < 12 and 0 <= values["class_accuracy"] <= 1
        assert values["target_class_accuracy"] > 0.95  # the shipped classifier reads padded digits
    assert os.path.exists(tmp_path / "a" / "samples" / "translations_step_00000006_seed_0.png")
    # translate: three 28 x 28 images (resized to 32), equal to the generator applied directly
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for k in range(3):
        Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(folder / f"x{k}.png")
    Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(folder / "small.png")
    capsys.readouterr()
    assert cli.main(["translate", "--checkpoint", str(tmp_path / "a"), "--input", str(folder)]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["translated"] == 4 and report["checkpoint_step"] == 6
    x = np.asarray(Image.open(folder / "x1.png"), np.float32)[None, :, :, None] / 127.5 - 1.0
    expected = np.asarray(apply(a.generator, a.g_params, a.g_state, jnp.asarray(x), train=False)[0])[0, :, :, 0]
    written = np.asarray(Image.open(report["output"] + "/x1.png"), np.float32) / 127.5 - 1.0
    assert np.max(np.abs(written - expected)) <= 1 / 127.5 + 1e-6
    assert np.asarray(Image.open(report["output"] + "/small.png")).shape == (32, 32)
    step_dir = str(tmp_path / "a" / "checkpoints" / "3")
    direction = "b2a" if game == "cyclegan" else "a2b"
    assert cli.main(["translate", "--checkpoint", step_dir, "--input", str(folder), "--direction", direction,
                     "--output", str(tmp_path / "out3")]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["checkpoint_step"] == 3
    if game == "pix2pix":
        assert (
            cli.main(["translate", "--checkpoint", str(tmp_path / "a"), "--input", str(folder), "--direction", "b2a"])
            == 2
        )
        assert "b2a needs a cyclegan run" in capsys.readouterr().err
        (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n and then not a PNG")
        assert cli.main(["translate", "--checkpoint", str(tmp_path / "a"), "--input", str(folder)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "Traceback" not in err
        assert f"{folder / 'broken.png'} is not a readable image (UnidentifiedImageError" in err


def test_translate_refuses_other_runs_and_bad_input(tmp_path, capsys):
    from test_train import tiny_config

    train(tiny_config(**{"train.num_steps": 2, "train.checkpoint_every": 2}), str(tmp_path / "gan"))
    (tmp_path / "empty").mkdir()
    assert cli.main(["translate", "--checkpoint", str(tmp_path / "gan"), "--input", str(tmp_path / "empty")]) == 2
    assert "translate needs game pix2pix or cyclegan" in capsys.readouterr().err


@pytest.mark.parametrize("game, overrides, message", [
    ("pix2pix", {"data.name": "mnist2fashion"}, "learns from aligned pairs"),
    ("cyclegan", {"loss": "non_saturating"}, "defined with loss='least_squares'"),
    ("pix2pix", {"translation.unet_depth": 6}, "not divisible by 64"),
    ("pix2pix", {"n_critic": 2}, "n_critic must be 1"),
    ("pix2pix", {"eval.metrics": "fid"}, "eval.metrics must be 'auto'"),
    ("cyclegan", {"penalties.wgan_gp": 10.0}, r"\(gradient_penalties\) is a technique of game.name in \['gan',"),
    ("cyclegan", {"translation.pool_size": -1}, "translation.pool_size"),
    ("cyclegan", {"translation.norm": "group"}, "translation.norm"),
    ("cyclegan", {"optimizer.g.schedule": "cosine"}, "optimizer.g.schedule"),
    ("cyclegan", {"optimizer.d.decay_start": 1.5}, "decay_start"),
    ("pix2pix", {"data.name": "cycle_gan/horse2zebra"}, "is unpaired"),
    ("cyclegan", {"data.name": "cycle_gan/horse2zebra"}, "data.source must be 'tfds'"),
    ("pix2pix", {"data.name": "mnist", "data.dir": "x/mnist"}, "needs translation data"),
    ("gan", {"model.name": "dcgan"}, "is translation data"),
])
def test_translation_config_errors_are_clear(game, overrides, message):
    config = base_config()
    config.game.name = game
    config.data.name = "edges2mnist" if game == "pix2pix" else "mnist2fashion"
    config.data.source, config.data.dir = "idx", "somewhere"
    config.loss = "least_squares" if game == "cyclegan" else "non_saturating"
    with pytest.raises(ConfigError, match=message):
        validate(with_overrides(config, overrides))


def test_tfds_cycle_gan_sets_are_read_per_domain_and_resized():
    """TFDS `cycle_gan/*` with TFDS's mock data (random records of the real feature shapes; nothing
    is downloaded): trainA / trainB as domains A / B, resized to `image_size`, batched in [-1, 1]."""
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=6):
        a, b = open_translation("cycle_gan/horse2zebra", "train", source="tfds", image_size=64)
        assert a.origin.endswith("trainA") and b.origin.endswith("trainB")
        assert a.take([0, 3]).shape == (2, 64, 64, 3) and b.take([1]).shape == (1, 64, 64, 3)
        batch = TranslationSource(a, b, paired=False, batch_size=2, seed=0).next(1)
        assert batch["a"].shape == batch["b"].shape == (1, 1, 1, 2, 64, 64, 3)
        assert -1.0 <= min(batch["a"].min(), batch["b"].min()) and max(batch["a"].max(), batch["b"].max()) <= 1.0


@pytest.mark.parametrize("kernel_size", [3, 4, 5])
def test_phase_decomposed_transposed_convolution_equals_flax(kernel_size):
    import flax.linen as nn

    from jaxgan.nets.dcgan import conv_transpose_stride2

    layer = nn.ConvTranspose(5, (kernel_size, kernel_size), (2, 2), padding="SAME", use_bias=False)
    x = jax.random.normal(jax.random.key(0), (2, 6, 7, 3))
    variables = layer.init(jax.random.key(1), x)
    np.testing.assert_allclose(conv_transpose_stride2(x, variables["params"]["kernel"]), layer.apply(variables, x),
                               atol=1e-5)


@pytest.mark.parametrize("recipe", ["pix2pix", "cyclegan"])
def test_recipes_validate_build_and_keep_the_papers_settings(recipe):

    from jaxgan.games import get

    config = validate(load_recipe(recipe).get_config())
    game = get(config.game.name)
    generator, discriminator = game.models(config)
    assert config.optimizer.g.learning_rate == config.optimizer.d.learning_rate == 2e-4
    assert config.optimizer.g.b1 == 0.5 and config.data.batch_size == 1
    if recipe == "pix2pix":
        assert isinstance(generator, UNetGenerator) and generator.depth == 5 and generator.dropout == 0.5
        assert discriminator.num_layers == 3 and config.translation.l1_weight == 100.0
    else:
        assert isinstance(generator.a_to_b_net, ResNetTranslator) and generator.a_to_b_net.norm == "instance"
        assert (config.translation.cycle_weight, config.translation.identity_weight) == (10.0, 5.0)
        assert game.extras(config)["a"]["images"].shape == (50, 32, 32, 1)
        assert config.optimizer.d.schedule == "linear_decay" and config.optimizer.d.decay_start == 0.5


def test_cli_loads_a_copy_of_a_recipe_from_any_folder(tmp_path):
    """A recipe imports only jaxgan (its shared defaults are `jaxgan.presets`): a copy of
    experiments/translation/cyclegan.py in a folder of its own loads from the `jaxgan` script, whose
    sys.path does not hold the repository."""
    import shutil
    import subprocess
    import sys

    recipe = str(tmp_path / "my_cyclegan.py")
    shutil.copy(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments", "translation",
                             "cyclegan.py"), recipe)
    code = ("import sys; sys.path = [p for p in sys.path if p not in ('', '.')]; from jaxgan import cli; "
            f"c = cli._parse_train_config(['--config', {recipe!r}, '--config.translation.pool_size=7']); "
            "print(c.game.name, c.translation.pool_size)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["cyclegan", "7"]

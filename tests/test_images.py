"""Image data: sources (npz, folder, IDX, TFDS prepared offline), the sharded resumable
ImageSource, and the DCGAN / SNGAN networks."""

import os
import socket

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import shared_dataset_dir

from jaxgan.data.images import ArrayImages, ImageSource, load_folder, load_npz, open_images
from jaxgan.nets import DCGANDiscriminator, DCGANGenerator, ResNetDiscriminator, ResNetGenerator
from jaxgan.nets.dcgan import UPSAMPLING, depth_to_space

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _images(n=50, shape=(6, 6, 1)):
    return ArrayImages(np.arange(n * np.prod(shape)).reshape(n, *shape).astype(np.uint8) % 251,
                       np.arange(n) % 10, origin="test")


def test_batches_have_shape_dtype_range_and_visit_each_example_once_per_epoch():
    source = ImageSource(_images(), batch_size=10, n_critic=1, seed=3)
    batch = source.next(5)["x"]
    assert batch.shape == (1, 5, 1, 10, 6, 6, 1) and batch.dtype == np.float32
    assert batch.min() >= -1.0 and batch.max() <= 1.0
    epoch = source.indices(0, 0, 5).reshape(-1)
    assert sorted(epoch.tolist()) == list(range(50))  # 5 batches of 10 = one epoch, a permutation
    assert not np.array_equal(epoch, source.indices(0, 5, 5).reshape(-1))  # next epoch reshuffled


def test_deterministic_per_seed_and_different_across_seeds_and_streams():
    a = ImageSource(_images(), batch_size=8, seed=1, num_streams=2).next(3)["x"]
    b = ImageSource(_images(), batch_size=8, seed=1, num_streams=2).next(3)["x"]
    c = ImageSource(_images(), batch_size=8, seed=2, num_streams=2).next(3)["x"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a[0], a[1])


def test_process_shards_differ_and_their_union_is_the_single_process_batch():
    whole = ImageSource(_images(), batch_size=8, n_critic=2, seed=0).next(2)["x"]
    shards = [ImageSource(_images(), batch_size=8, n_critic=2, seed=0, process_index=p, process_count=2).next(2)["x"]
              for p in range(2)]
    assert shards[0].shape == (1, 2, 2, 4, 6, 6, 1) and not np.array_equal(shards[0], shards[1])
    np.testing.assert_array_equal(np.concatenate(shards, axis=3), whole)


def test_resume_continues_at_the_same_position():
    source = ImageSource(_images(), batch_size=8, seed=5)
    source.next(4)
    state = source.get_state()
    expected = source.next(3)["x"]
    resumed = ImageSource(_images(), batch_size=8, seed=5)
    resumed.set_state(state)
    np.testing.assert_array_equal(resumed.next(3)["x"], expected)


def test_labels_follow_their_images():
    images = _images()
    batch = ImageSource(images, batch_size=10, seed=0, with_labels=True).next(1)
    raw = np.round((batch["x"][0, 0, 0] + 1.0) * 127.5).astype(np.uint8)
    first_pixel = images.images[:, 0, 0, 0]
    for image, label in zip(raw, batch["y"][0, 0, 0]):
        index = int(np.flatnonzero(first_pixel == image[0, 0, 0])[0])
        assert label == index % 10


def test_npz_and_folder_sources_and_their_errors(tmp_path):
    from PIL import Image

    images = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    np.savez(tmp_path / "data.npz", images=images, labels=np.arange(4))
    loaded = load_npz(str(tmp_path / "data.npz"))
    np.testing.assert_array_equal(loaded.take([2, 0]), images[[2, 0]])
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:02d}.png")
    np.testing.assert_array_equal(load_folder(str(folder)).take(np.arange(4)), images)

    np.savez(tmp_path / "floats.npz", images=images.astype(np.float32))
    with pytest.raises(ValueError, match="must be uint8.*float32"):
        load_npz(str(tmp_path / "floats.npz"))
    np.savez(tmp_path / "noimages.npz", x=images)
    with pytest.raises(ValueError, match="named 'images'"):
        load_npz(str(tmp_path / "noimages.npz"))
    np.savez(tmp_path / "flat.npz", images=images.reshape(4, -1)[:, :, None, None, None])
    with pytest.raises(ValueError, match=r"expected images \(N, H, W, 1 or 3\)"):
        load_npz(str(tmp_path / "flat.npz"))
    Image.fromarray(np.zeros((5, 5, 3), np.uint8)).save(folder / "zz.png")
    with pytest.raises(ValueError, match="zz.png is .5, 5, 3."):
        load_folder(str(folder))
    with pytest.raises(ValueError, match="unknown image dataset 'imagenet'"):
        open_images("imagenet", "train", source="tfds", path=None)
    with pytest.raises(ValueError, match="fewer than one batch"):
        ImageSource(_images(n=5), batch_size=8)


def test_idx_source_reads_the_official_files():
    images = open_images("fashion_mnist", "test", source="idx", path=shared_dataset_dir("fashion_mnist"))
    assert len(images) == 10_000 and images.shape == (28, 28, 1)
    assert images.take([0]).dtype == np.uint8 and images.take_labels([0])[0] == 9  # ankle boot


def _block_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_tfds_prepare_offline_then_read_without_network(tmp_path, monkeypatch):
    """`jaxgan data prepare mnist --from DIR` builds TFDS's own mnist from the official files with
    every socket blocked; reading it back (tfds.data_source) gives the same images as the files."""
    pytest.importorskip("tensorflow", reason="preparing TFDS datasets needs the 'prepare' extra (tensorflow-cpu)")
    manual = shared_dataset_dir("mnist")
    _block_network(monkeypatch)
    from jaxgan import cli

    assert cli.main(["data", "prepare", "mnist", "--data-dir", str(tmp_path), "--from", manual]) == 0
    tfds_test = open_images("mnist", "test", source="tfds", path=str(tmp_path))
    idx_test = open_images("mnist", "test", source="idx", path=manual)
    assert len(tfds_test) == len(idx_test) == 10_000 and tfds_test.shape == (28, 28, 1)
    everything = np.arange(10_000)
    tfds_images, idx_images = tfds_test.take(everything), idx_test.take(everything)
    # TFDS stores records in its own order: compare the sets of (image, label) pairs
    key = lambda images, labels: sorted(hash(image.tobytes()) * 10 + int(l) for image, l in zip(images, labels))
    assert key(tfds_images, tfds_test.take_labels(everything)) == key(idx_images, idx_test.take_labels(everything))
    batch = ImageSource(tfds_test, batch_size=16, seed=0).next(1)["x"]
    assert batch.shape == (1, 1, 1, 16, 28, 28, 1)

    # the documented launch, on the prepared data, still offline (a tiny width and 2 steps)
    workdir = tmp_path / "run"
    assert (
        cli.main(
            [
                "train",
                "--config",
                os.path.join(ROOT, "experiments", "images", "dcgan.py"),
                "--config.data.name=mnist",
                f"--config.data.dir={tmp_path}",
                "--config.model.g_width=4",
                "--config.model.d_width=4",
                "--config.data.batch_size=16",
                "--config.train.num_steps=2",
                "--config.eval.num_samples=50",
                "--config.eval.num_reference=100",
                "--config.eval.batch_size=50",
                "--config.train.progress=False",
                "--workdir",
                str(workdir),
            ]
        )
        == 0
    )
    assert os.path.exists(workdir / "samples" / "step_00000002.png")


def test_unprepared_tfds_dataset_names_the_prepare_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="jaxgan data prepare fashion_mnist"):
        open_images("fashion_mnist", "train", source="tfds", path=str(tmp_path))


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3), (64, 3)])
@pytest.mark.parametrize("upsample", UPSAMPLING)
def test_dcgan_output_shapes(size, channels, upsample):
    g = DCGANGenerator(size=size, channels=channels, width=4, upsample=upsample)
    d = DCGANDiscriminator(size=size, width=4, norm="batch")
    z = jnp.ones((3, 10))
    x = jax.eval_shape(lambda: g.init_with_output(jax.random.key(0), z, train=False)[0])
    assert x.shape == (3, size, size, channels)
    logits = jax.eval_shape(lambda: d.init_with_output(jax.random.key(0), jnp.zeros(x.shape), train=False)[0])
    assert logits.shape == (3,)


def test_dcgan_generator_range_and_critic_without_batchnorm():
    g = DCGANGenerator(size=28, channels=1, width=4)
    x, _ = g.init_with_output(jax.random.key(0), jax.random.normal(jax.random.key(1), (4, 10)), train=False)
    assert float(jnp.max(jnp.abs(x))) <= 1.0
    for norm in ("layer", "none"):
        variables = DCGANDiscriminator(size=28, width=4, norm=norm).init(jax.random.key(0), x, train=False)
        assert "batch_stats" not in variables
    with pytest.raises(ValueError, match=r"expected images \(B, 28, 28, C\), got shape \(4, 32, 32, 1\)"):
        DCGANDiscriminator(size=28).init(jax.random.key(0), jnp.zeros((4, 32, 32, 1)), train=False)
    with pytest.raises(ValueError, match="DCGAN image size must be one of"):
        DCGANGenerator(size=48).init(jax.random.key(0), jnp.zeros((1, 4)), train=False)


def test_dcgan_dense_layers_are_infogans_fully_connected_layers():
    """`dense` adds FC layers (InfoGAN's MNIST networks, Chen et al. 2016, Table 1): G's go before
    the projection to 7x7 maps (no bias: BatchNorm follows), D's after the flattened convolutions;
    D's features are LeakyReLU(norm(flatten(conv) @ W + b))."""
    g = DCGANGenerator(size=28, channels=1, width=4, dense=(12, 6))
    z = jax.random.normal(jax.random.key(1), (5, 3))
    x, g_vars = g.init_with_output(jax.random.key(0), z, train=False)
    assert x.shape == (5, 28, 28, 1)
    kernels = [g_vars["params"][f"Dense_{i}"]["kernel"].shape for i in range(3)]
    assert kernels == [(3, 12), (12, 6), (6, 7 * 7 * 16)] and "bias" not in g_vars["params"]["Dense_0"]
    assert set(g_vars["batch_stats"]) == {f"BatchNorm_{i}" for i in range(4)}  # 2 dense + 7x7 map + one upsampling

    body = DCGANDiscriminator(size=28, width=4, norm="none", dense=(9,), features_only=True)
    params = body.init(jax.random.key(2), x, train=False)["params"]
    no_dense = DCGANDiscriminator(size=28, width=4, norm="none", features_only=True)
    convolved = no_dense.apply({"params": {k: v for k, v in params.items() if k.startswith("Conv")}}, x, train=False)
    expected = jax.nn.leaky_relu(convolved @ params["Dense_0"]["kernel"] + params["Dense_0"]["bias"], 0.2)
    np.testing.assert_allclose(body.apply({"params": params}, x, train=False), expected, rtol=1e-5, atol=1e-6)
    batch_normed = DCGANDiscriminator(size=28, width=4, norm="batch", dense=(9,)).init(jax.random.key(2), x,
                                                                                       train=False)
    assert set(batch_normed["batch_stats"]) == {"BatchNorm_0", "BatchNorm_1"}  # conv 2 and the FC layer
    assert "bias" not in batch_normed["params"]["Dense_0"]
    assert batch_normed["params"]["Dense_1"]["kernel"].shape == (9, 1)


def test_depth_to_space_places_channel_blocks_as_pixels():
    x = jnp.arange(8.0).reshape(1, 1, 2, 4)  # two pixels, 4 channels each -> two 2x2 blocks
    out = depth_to_space(x)
    np.testing.assert_array_equal(out[0, :, :, 0], [[0, 1, 4, 5], [2, 3, 6, 7]])


def test_sngan_resnet_shapes():
    g = ResNetGenerator(channels=3, width=8)
    d = ResNetDiscriminator(width=8)
    x = jax.eval_shape(lambda: g.init_with_output(jax.random.key(0), jnp.ones((2, 128)), train=False)[0])
    assert x.shape == (2, 32, 32, 3)
    logits = jax.eval_shape(lambda: d.init_with_output(jax.random.key(0), jnp.zeros(x.shape), train=False)[0])
    assert logits.shape == (2,)


@pytest.mark.parametrize("model", ["dcgan", "resnet"])
def test_spectral_norm_keeps_normalized_weights_at_unit_norm_after_training(model):
    from jaxgan import losses
    from jaxgan import state as state_lib
    from jaxgan.games import make_gan_step

    if model == "dcgan":
        g, d, shape = (
            DCGANGenerator(size=28, channels=1, width=4),
            DCGANDiscriminator(size=28, width=8, norm="none", spectral_norm=True),
            (28, 28, 1),
        )
    else:
        g, d, shape = ResNetGenerator(channels=3, width=8), ResNetDiscriminator(width=8), (32, 32, 3)
    import optax

    tx = optax.adam(2e-3, b1=0.5)
    state = state_lib.create(generator=g, discriminator=d, g_tx=tx, d_tx=tx, latent_shape=(8,),
                             sample_x=jnp.zeros((4,) + shape), key=0)
    step = jax.jit(make_gan_step(d_loss=losses.hinge_discriminator_loss, g_loss=losses.hinge_generator_loss))
    for i in range(25):
        real = jax.random.uniform(jax.random.key(i), (1, 16) + shape, minval=-1, maxval=1)
        state, _ = step(state, {"x": real})
    from flax.traverse_util import flatten_dict

    params = flatten_dict(state.d_params)
    stats = flatten_dict(state.d_state)
    sigmas = {k: v for k, v in stats.items() if k[-1].endswith("/kernel/sigma")}
    assert len(sigmas) == (3 if model == "dcgan" else 11)
    for path, sigma in sigmas.items():
        # batch_stats (..., 'batch_stats', ..., 'SpectralNorm_k', 'Conv_0/kernel/sigma') holds the
        # estimate for params (..., 'Conv_0', 'kernel')
        parent = tuple(p for p in path[:-2] if p != "batch_stats")
        kernel = np.asarray(params[parent + (path[-1].split("/")[0], "kernel")])
        largest = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]) / float(sigma), compute_uv=False)[0]
        assert abs(largest - 1.0) <= 0.05, (path, largest)


def test_phase_decomposed_transpose_equals_conv_transpose():
    import flax.linen as nn

    from jaxgan.nets.dcgan import ConvTranspose4x4Stride2

    x = jax.random.normal(jax.random.key(0), (2, 5, 7, 3))
    layer = ConvTranspose4x4Stride2(4)
    variables = layer.init(jax.random.key(1), x)
    reference = nn.ConvTranspose(4, (4, 4), (2, 2), padding="SAME")
    np.testing.assert_allclose(layer.apply(variables, x), reference.apply(variables, x), rtol=1e-5, atol=1e-5)
    grad = lambda module: jax.grad(lambda v: jnp.sum(jnp.sin(module.apply(v, x))))(variables)
    np.testing.assert_allclose(
        grad(layer)["params"]["kernel"], grad(reference)["params"]["kernel"], rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("height, width", [(8, 8), (7, 7), (5, 6), (1, 1), (28, 28)])
def test_matmul_convolution_equals_nn_conv_to_second_order(height, width):
    import flax.linen as nn

    from jaxgan.nets.conv import Conv4x4Stride2

    x = jax.random.normal(jax.random.key(0), (2, height, width, 3))
    layer, reference = Conv4x4Stride2(5), nn.Conv(5, (4, 4), (2, 2), padding="SAME")
    variables = layer.init(jax.random.key(1), x)
    np.testing.assert_allclose(layer.apply(variables, x), reference.apply(variables, x), rtol=1e-5, atol=1e-5)

    def penalty_gradient(module):  # d/dtheta of ||d D / dx||^2: what a gradient penalty needs
        input_grad = lambda v: jax.grad(lambda x: jnp.sum(jnp.tanh(module.apply(v, x))))(x)
        return jax.grad(lambda v: jnp.sum(input_grad(v) ** 2))(variables)["params"]

    got, want = penalty_gradient(layer), penalty_gradient(reference)
    for name in ("kernel", "bias"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-4, atol=1e-5)


def test_matmul_critic_has_the_xla_critics_parameters_and_outputs():
    x = jax.random.uniform(jax.random.key(0), (4, 28, 28, 1), minval=-1, maxval=1)
    xla = DCGANDiscriminator(size=28, width=8, norm="layer")
    matmul = DCGANDiscriminator(size=28, width=8, norm="layer", conv="matmul")
    variables = xla.init(jax.random.key(1), x, train=True)
    shapes = lambda tree: jax.tree.map(jnp.shape, tree)
    assert shapes(matmul.init(jax.random.key(1), x, train=True)) == shapes(variables)
    np.testing.assert_allclose(
        matmul.apply(variables, x, train=True), xla.apply(variables, x, train=True), rtol=1e-5, atol=1e-5
    )
    with pytest.raises(ValueError, match="'fft'"):
        DCGANDiscriminator(size=28, width=8, conv="fft").init(jax.random.key(1), x, train=True)


def test_critic_convolution_is_matmul_exactly_when_a_gradient_penalty_is_on():
    from experiments.images import dcgan, wgan, wgan_gp
    from jaxgan.config import ConfigError, validate
    from jaxgan.games import build_models

    def critic_convolution(config):
        return build_models(validate(config))[1].conv

    assert critic_convolution(dcgan.get_config()) == "xla" and critic_convolution(wgan.get_config()) == "xla"
    config = wgan_gp.get_config()
    assert critic_convolution(config) == "matmul"
    config.model.d_conv = "xla"
    assert critic_convolution(config) == "xla"
    config.model.d_conv = "winograd"
    with pytest.raises(ConfigError, match="model.d_conv.*'winograd'"):
        validate(config)


def test_bfloat16_compute_keeps_float32_parameters_and_outputs():
    g = DCGANGenerator(size=28, channels=1, width=4, dtype=jnp.bfloat16)
    d = DCGANDiscriminator(size=28, width=4, norm="batch", dtype=jnp.bfloat16)
    z = jax.random.normal(jax.random.key(0), (4, 8))
    g_vars = g.init(jax.random.key(1), z, train=False)
    x = g.apply(g_vars, z, train=False)
    d_vars = d.init(jax.random.key(2), x, train=False)
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves((g_vars["params"], d_vars["params"])))
    assert x.dtype == jnp.float32 and d.apply(d_vars, x, train=False).dtype == jnp.float32
    full = DCGANGenerator(size=28, channels=1, width=4).apply(g_vars, z, train=False)
    assert 0 < float(jnp.max(jnp.abs(x - full))) < 0.05  # bf16 rounding, not a different network


def test_tfds_sources_fit_every_named_dataset_to_its_size():
    """With TFDS's mock data (random records of each dataset's real feature shapes; nothing is read
    or downloaded): CIFAR-10 stays 32x32x3, CelebA's 218x178 photos are center-cropped and resized
    to 64x64, and batches come out in [-1, 1]."""
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=12):
        cifar = open_images("cifar10", "train", source="tfds", path=None)
        assert cifar.take([0, 5]).shape == (2, 32, 32, 3) and cifar.take_labels([0, 5]).dtype == np.int32
        celeb = open_images("celeb_a", "train", source="tfds", path=None)
        batch = ImageSource(celeb, batch_size=4, seed=0).next(1)["x"]
        assert batch.shape == (1, 1, 1, 4, 64, 64, 3) and -1.0 <= batch.min() and batch.max() <= 1.0
        with pytest.raises(ValueError, match="has no labels"):
            celeb.take_labels([0])

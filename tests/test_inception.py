"""FID Inception-v3: architecture size, weight conversion layout, npz loading and its errors.
Nothing is downloaded: the weights here are synthetic."""

import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan.metrics import inception


def _torch_state_dict(flat, rng):
    """Random weights under pytorch-fid's names and layouts, for every variable of our network."""
    out = {"AuxLogits.fc.weight": np.zeros((1000, 768), np.float32)}
    for name, shape in flat.items():
        collection, *path, leaf = name.split("/")
        torch_path = ".".join(path)
        if path == ["fc"]:
            out[f"fc.{'weight' if leaf == 'kernel' else 'bias'}"] = rng.normal(
                size=shape[::-1] if leaf == "kernel" else shape
            )
        elif leaf == "kernel":
            h, w, i, o = shape
            out[f"{torch_path}.weight"] = rng.normal(size=(o, i, h, w)) * 0.1
        else:
            torch_leaf = {"scale": "weight", "bias": "bias", "mean": "running_mean", "var": "running_var"}[leaf]
            value = rng.uniform(0.5, 1.5, size=shape) if leaf in ("scale", "var") else rng.normal(size=shape) * 0.1
            out[f"{torch_path}.{torch_leaf}"] = value
            if leaf == "var":
                out[f"{torch_path}.num_batches_tracked"] = np.array(7)
    return {k: np.asarray(v, np.float32) if v.dtype.kind == "f" else v for k, v in out.items()}


def _reference_basic_conv(x, weight, gamma, beta, mean, var, padding):
    """NumPy conv (torch layout OIHW, stride 1) + BatchNorm(eps 1e-3) + ReLU, NHWC in and out."""
    (ph, pw) = padding
    x = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    o, i, kh, kw = weight.shape
    h, w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    out = np.zeros((x.shape[0], h, w, o))
    for dy in range(kh):
        for dx in range(kw):
            out += x[:, dy : dy + h, dx : dx + w, :] @ weight[:, :, dy, dx].T
    return np.maximum((out - mean) / np.sqrt(var + 1e-3) * gamma + beta, 0.0)


def test_architecture_has_the_fid_graphs_parameter_count():
    # torchvision's Inception3 without the auxiliary head has 23,834,568 parameters with 1000
    # classes; the FID graph's 1008-way classifier adds 8 * 2049.
    shapes = jax.eval_shape(lambda: inception.init_variables(jax.random.key(0)))
    assert sum(int(np.prod(x.shape)) for x in jax.tree.leaves(shapes["params"])) == 23_834_568 + 8 * 2049


def test_converted_asymmetric_kernel_matches_a_numpy_convolution():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(5, 3, 1, 7)).astype(np.float32)  # torch (O, I, H, W) for a 1x7 conv
    gamma, beta = rng.uniform(0.5, 1.5, 5), rng.normal(size=5)
    mean, var = rng.normal(size=5), rng.uniform(0.5, 1.5, 5)
    state = {"b.conv.weight": weight, "b.bn.weight": gamma, "b.bn.bias": beta, "b.bn.running_mean": mean,
             "b.bn.running_var": var, "b.bn.num_batches_tracked": np.array(3)}
    flat = inception.convert_torch_state_dict(state)
    variables = flax.traverse_util.unflatten_dict({k: jnp.asarray(v) for k, v in flat.items()}, sep="/")
    x = rng.normal(size=(2, 9, 11, 3)).astype(np.float32)
    ours = inception.BasicConv(5, (1, 7), padding=(0, 3)).apply(
        {"params": variables["params"]["b"], "batch_stats": variables["batch_stats"]["b"]}, x)
    np.testing.assert_allclose(
        ours, _reference_basic_conv(x, weight, gamma, beta, mean, var, (0, 3)), rtol=1e-4, atol=1e-4
    )


def test_average_pool_branch_excludes_padding():
    x = jnp.arange(16.0).reshape(1, 4, 4, 1)
    pooled = inception._avg_pool_3x3(x)
    assert float(pooled[0, 0, 0, 0]) == pytest.approx(np.mean([0, 1, 4, 5]))  # 4 real cells, not 9


def test_synthetic_pytorch_weights_convert_load_and_run(tmp_path):
    shapes = jax.eval_shape(lambda: inception.init_variables(jax.random.key(0)))
    flat_shapes = {k: v.shape for k, v in flax.traverse_util.flatten_dict(shapes, sep="/").items()}
    state = _torch_state_dict(flat_shapes, np.random.default_rng(1))
    path = tmp_path / "fid_inception.npz"
    np.savez(path, **inception.convert_torch_state_dict(state))
    variables = inception.load_variables(str(path))
    fc = np.asarray(variables["params"]["fc"]["kernel"])
    np.testing.assert_array_equal(fc, state["fc.weight"].T)

    model = inception.FIDInceptionV3(resize="none")
    images = jnp.asarray(np.random.default_rng(2).uniform(-1, 1, (2, 75, 75, 1)), jnp.float32)
    logits, features = jax.jit(model.apply)(variables, images)
    assert logits.shape == (2, inception.NUM_LOGITS) and features.shape == (2, inception.FEATURE_DIM)
    assert np.all(np.isfinite(features)) and np.all(np.asarray(features) >= 0)  # mean of ReLU outputs
    # a grey image and its RGB copy are the same input
    rgb = jnp.repeat(images, 3, axis=-1)
    np.testing.assert_allclose(jax.jit(model.apply)(variables, rgb)[1], features, rtol=1e-5, atol=1e-5)


def test_bilinear_resize_is_half_pixel_without_antialiasing():
    x = jnp.asarray(np.random.default_rng(3).uniform(-1, 1, (1, 28, 28, 3)), jnp.float32)
    resized = inception._to_network_input(x, "bilinear")
    assert resized.shape == (1, 299, 299, 3)
    # align_corners=False: output pixel i samples input coordinate (i + 0.5) * 28 / 299 - 0.5
    i = 150
    src = (i + 0.5) * 28 / 299 - 0.5
    lo, frac = int(np.floor(src)), src - np.floor(src)
    row = (1 - frac) * x[0, lo] + frac * x[0, lo + 1]
    col_src = (10 + 0.5) * 28 / 299 - 0.5
    clo, cfrac = int(np.floor(col_src)), col_src - np.floor(col_src)
    expected = (1 - cfrac) * row[clo] + cfrac * row[clo + 1]
    np.testing.assert_allclose(resized[0, i, 10], expected, rtol=1e-5, atol=1e-6)


def test_bad_weight_files_and_inputs_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="convert"):
        inception.load_variables(str(tmp_path / "absent.npz"))
    np.savez(tmp_path / "wrong.npz", **{"params/fc/kernel": np.zeros((2048, 1000), np.float32)})
    with pytest.raises(ValueError, match="missing"):
        inception.load_variables(str(tmp_path / "wrong.npz"))
    with pytest.raises(ValueError, match="unexpected tensor 'head.weight'"):
        inception.convert_torch_state_dict({"head.weight": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="resize must be one of"):
        inception._to_network_input(jnp.zeros((1, 80, 80, 3)), "bicubic")
    with pytest.raises(ValueError, match="at least 75x75"):
        inception._to_network_input(jnp.zeros((1, 28, 28, 1)), "none")
    with pytest.raises(ValueError, match=r"got shape \(28, 28\)"):
        inception._to_network_input(jnp.zeros((28, 28)), "bilinear")


def test_misshapen_array_is_named(tmp_path):
    shapes = jax.eval_shape(lambda: inception.init_variables(jax.random.key(0)))
    flat = {k: np.zeros(v.shape, np.float32) for k, v in flax.traverse_util.flatten_dict(shapes, sep="/").items()}
    flat["params/fc/kernel"] = np.zeros((2048, 1000), np.float32)
    np.savez(tmp_path / "bad.npz", **flat)
    with pytest.raises(ValueError, match=r"params/fc/kernel has shape \(2048, 1000\), expected \(2048, 1008\)"):
        inception.load_variables(str(tmp_path / "bad.npz"))

"""Inception-v3 as used for FID (Heusel et al. 2017; TensorFlow's 2015-12-05 graph as ported by
pytorch-fid), in Flax: pool3 features (2048) and the graph's 1008 logits (Inception Score).

It differs from torchvision's Inception-v3 where the TF graph did: the average-pool branches of
the A, C and E blocks exclude padding from their mean (`count_include_pad=False`), the last E
block max-pools in its pool branch, and the classifier has 1008 outputs. BatchNorm uses
epsilon 1e-3 and its running statistics only.

Weights are never downloaded. The user supplies an `.npz` of plain arrays (no pickle) whose keys
are the flattened variable paths (`params/Conv2d_1a_3x3/conv/kernel`,
`batch_stats/Mixed_5b/branch_pool/bn/mean`, ...). Users with torch convert the public pytorch-fid
file (`pt_inception-2015-12-05-6726825d.pth`) once:

    python -m jaxgan.metrics.inception convert pt_inception-2015-12-05-6726825d.pth fid_inception.npz

Input: images (B, H, W, C) in [-1, 1], C = 1 (repeated to RGB) or 3. `resize="bilinear"`
resizes to 299x299 as pytorch-fid does (`F.interpolate(..., mode="bilinear",
align_corners=False)`, no antialiasing); `resize="none"` feeds the images as they are (at least
75x75).
"""

import argparse
import os
import sys

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.files import save_npz

FEATURE_DIM = 2048
NUM_LOGITS = 1008
INPUT_SIZE = 299
MIN_SIZE = 75
RESIZE_METHODS = ("bilinear", "none")
PYTORCH_FID_WEIGHTS = "pt_inception-2015-12-05-6726825d.pth"


class BasicConv(nn.Module):
    """conv (no bias) -> BatchNorm(eps 1e-3, running statistics) -> ReLU."""

    features: int
    kernel: tuple
    strides: int = 1
    padding: tuple = (0, 0)

    @nn.compact
    def __call__(self, x):
        pad = [(p, p) for p in self.padding]
        x = nn.Conv(self.features, self.kernel, self.strides, padding=pad, use_bias=False, name="conv")(x)
        return nn.relu(nn.BatchNorm(use_running_average=True, epsilon=1e-3, name="bn")(x))


def _avg_pool_3x3(x):
    return nn.avg_pool(x, (3, 3), (1, 1), padding=((1, 1), (1, 1)), count_include_pad=False)


def _max_pool_3x3_s2(x):
    return nn.max_pool(x, (3, 3), (2, 2))


class InceptionA(nn.Module):
    pool_features: int

    @nn.compact
    def __call__(self, x):
        b1 = BasicConv(64, (1, 1), name="branch1x1")(x)
        b5 = BasicConv(48, (1, 1), name="branch5x5_1")(x)
        b5 = BasicConv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(b5)
        b3 = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
        b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
        b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
        bp = BasicConv(self.pool_features, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
        return jnp.concatenate([b1, b5, b3, bp], axis=-1)


class InceptionB(nn.Module):
    @nn.compact
    def __call__(self, x):
        b3 = BasicConv(384, (3, 3), strides=2, name="branch3x3")(x)
        bd = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
        bd = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
        bd = BasicConv(96, (3, 3), strides=2, name="branch3x3dbl_3")(bd)
        return jnp.concatenate([b3, bd, _max_pool_3x3_s2(x)], axis=-1)


class InceptionC(nn.Module):
    channels_7x7: int

    @nn.compact
    def __call__(self, x):
        c = self.channels_7x7
        row, col = dict(kernel=(1, 7), padding=(0, 3)), dict(kernel=(7, 1), padding=(3, 0))
        b1 = BasicConv(192, (1, 1), name="branch1x1")(x)
        b7 = BasicConv(c, (1, 1), name="branch7x7_1")(x)
        b7 = BasicConv(c, **row, name="branch7x7_2")(b7)
        b7 = BasicConv(192, **col, name="branch7x7_3")(b7)
        bd = BasicConv(c, (1, 1), name="branch7x7dbl_1")(x)
        bd = BasicConv(c, **col, name="branch7x7dbl_2")(bd)
        bd = BasicConv(c, **row, name="branch7x7dbl_3")(bd)
        bd = BasicConv(c, **col, name="branch7x7dbl_4")(bd)
        bd = BasicConv(192, **row, name="branch7x7dbl_5")(bd)
        bp = BasicConv(192, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
        return jnp.concatenate([b1, b7, bd, bp], axis=-1)


class InceptionD(nn.Module):
    @nn.compact
    def __call__(self, x):
        b3 = BasicConv(192, (1, 1), name="branch3x3_1")(x)
        b3 = BasicConv(320, (3, 3), strides=2, name="branch3x3_2")(b3)
        b7 = BasicConv(192, (1, 1), name="branch7x7x3_1")(x)
        b7 = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
        b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
        b7 = BasicConv(192, (3, 3), strides=2, name="branch7x7x3_4")(b7)
        return jnp.concatenate([b3, b7, _max_pool_3x3_s2(x)], axis=-1)


class InceptionE(nn.Module):
    """`max_pool_branch`: the FID graph's last block max-pools (not averages) in its pool branch."""

    max_pool_branch: bool = False

    @nn.compact
    def __call__(self, x):
        def split(h, prefix):
            a = BasicConv(384, (1, 3), padding=(0, 1), name=f"{prefix}a")(h)
            b = BasicConv(384, (3, 1), padding=(1, 0), name=f"{prefix}b")(h)
            return jnp.concatenate([a, b], axis=-1)

        b1 = BasicConv(320, (1, 1), name="branch1x1")(x)
        b3 = split(BasicConv(384, (1, 1), name="branch3x3_1")(x), "branch3x3_2")
        bd = BasicConv(448, (1, 1), name="branch3x3dbl_1")(x)
        bd = split(BasicConv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd), "branch3x3dbl_3")
        pooled = nn.max_pool(x, (3, 3), (1, 1), padding=((1, 1), (1, 1))) if self.max_pool_branch else _avg_pool_3x3(x)
        bp = BasicConv(192, (1, 1), name="branch_pool")(pooled)
        return jnp.concatenate([b1, b3, bd, bp], axis=-1)


def _to_network_input(images, resize):
    if resize not in RESIZE_METHODS:
        raise ValueError(f"resize must be one of {RESIZE_METHODS}, got {resize!r}")
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"expected images (B, H, W, 1 or 3) in [-1, 1], got shape {images.shape}")
    x = jnp.asarray(images, jnp.float32)
    if x.shape[-1] == 1:
        x = jnp.repeat(x, 3, axis=-1)
    if resize == "bilinear":
        x = jax.image.resize(x, (x.shape[0], INPUT_SIZE, INPUT_SIZE, 3), "bilinear", antialias=False)
    elif min(x.shape[1:3]) < MIN_SIZE:
        raise ValueError(f"resize='none' needs images of at least {MIN_SIZE}x{MIN_SIZE}, got {x.shape[1:3]}")
    return x


class FIDInceptionV3(nn.Module):
    """images (B, H, W, 1|3) in [-1, 1] -> (logits (B, 1008), pool3 features (B, 2048))."""

    resize: str = "bilinear"

    @nn.compact
    def __call__(self, images):
        x = _to_network_input(images, self.resize)
        x = BasicConv(32, (3, 3), strides=2, name="Conv2d_1a_3x3")(x)
        x = BasicConv(32, (3, 3), name="Conv2d_2a_3x3")(x)
        x = BasicConv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3")(x)
        x = _max_pool_3x3_s2(x)
        x = BasicConv(80, (1, 1), name="Conv2d_3b_1x1")(x)
        x = BasicConv(192, (3, 3), name="Conv2d_4a_3x3")(x)
        x = _max_pool_3x3_s2(x)
        for name, pool_features in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
            x = InceptionA(pool_features, name=name)(x)
        x = InceptionB(name="Mixed_6a")(x)
        for name, channels in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
            x = InceptionC(channels, name=name)(x)
        x = InceptionD(name="Mixed_7a")(x)
        x = InceptionE(name="Mixed_7b")(x)
        x = InceptionE(max_pool_branch=True, name="Mixed_7c")(x)
        features = jnp.mean(x, axis=(1, 2))
        return nn.Dense(NUM_LOGITS, name="fc")(features), features


def init_variables(key, resize="none"):
    """Randomly initialised variables with the real network's structure (for tests and shapes)."""
    size = INPUT_SIZE if resize == "bilinear" else MIN_SIZE
    return jax.jit(FIDInceptionV3(resize=resize).init)(key, jnp.zeros((1, size, size, 3)))


def save_variables(variables, path):
    """Write variables as an `.npz` of arrays keyed by their flattened paths."""
    flat = flax.traverse_util.flatten_dict(jax.device_get(flax.core.unfreeze(variables)), sep="/")
    save_npz(path, **{k: np.asarray(v, np.float32) for k, v in flat.items()})


def _expected_shapes():
    shapes = jax.eval_shape(lambda: init_variables(jax.random.key(0)))
    return {k: v.shape for k, v in flax.traverse_util.flatten_dict(shapes, sep="/").items()}


def load_variables(path):
    """Variables from an `.npz` (allow_pickle=False), checked key by key and shape by shape
    against the architecture; a missing, extra or misshapen array is an error naming it."""
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"no Inception weights at {path!r}; convert the pytorch-fid file with "
            f"`python -m jaxgan.metrics.inception convert {PYTORCH_FID_WEIGHTS} OUT.npz` (needs torch)"
        )
    expected = _expected_shapes()
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ValueError(
            f"{path}: not FID Inception-v3 weights; missing {missing[:5]} "
            f"({len(missing)}), unexpected {extra[:5]} ({len(extra)})"
        )
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ValueError(f"{path}: {name} has shape {arrays[name].shape}, expected {shape}")
    return flax.traverse_util.unflatten_dict({k: jnp.asarray(v, jnp.float32) for k, v in arrays.items()}, sep="/")


def convert_torch_state_dict(state_dict):
    """pytorch-fid / torchvision Inception3 state dict (name -> NumPy array) -> our flat npz dict.

    conv weights (O, I, H, W) become kernels (H, W, I, O); the fc weight (O, I) becomes (I, O);
    BatchNorm weight/bias/running_mean/running_var become scale/bias/mean/var. `AuxLogits.*` and
    `num_batches_tracked` are dropped (the FID graph has no auxiliary head in use).
    """
    out = {}
    for name, value in state_dict.items():
        value = np.asarray(value, np.float32)
        parts = name.split(".")
        if parts[0] == "AuxLogits" or parts[-1] == "num_batches_tracked":
            continue
        path, leaf = "/".join(parts[:-1]), parts[-1]
        if parts[0] == "fc":
            out[f"params/fc/{'kernel' if leaf == 'weight' else 'bias'}"] = value.T if leaf == "weight" else value
        elif parts[-2] == "conv" and leaf == "weight":
            out[f"params/{path}/kernel"] = value.transpose(2, 3, 1, 0)
        elif parts[-2] == "bn":
            collection, key = {
                "weight": ("params", "scale"),
                "bias": ("params", "bias"),
                "running_mean": ("batch_stats", "mean"),
                "running_var": ("batch_stats", "var"),
            }[leaf]
            out[f"{collection}/{path}/{key}"] = value
        else:
            raise ValueError(f"unexpected tensor {name!r} {value.shape} in the Inception state dict")
    return out


def convert_pytorch_fid(pth_path, npz_path):
    """Convert the pytorch-fid weight file to our `.npz` (needs torch; reads with weights_only)."""
    try:
        import torch
    except ImportError as error:
        raise SystemExit("converting the pytorch-fid weights needs torch: pip install torch") from error
    state_dict = torch.load(pth_path, map_location="cpu", weights_only=True)
    flat = convert_torch_state_dict({k: v.numpy() for k, v in state_dict.items()})
    save_npz(npz_path, **flat)
    load_variables(npz_path)  # verifies names and shapes
    return npz_path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m jaxgan.metrics.inception", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    convert = commands.add_parser("convert", help="convert the pytorch-fid .pth weights to .npz")
    convert.add_argument("pth")
    convert.add_argument("npz")
    args = parser.parse_args(argv)
    print(convert_pytorch_fid(args.pth, args.npz))
    return 0


if __name__ == "__main__":
    sys.exit(main())

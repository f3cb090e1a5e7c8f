"""Adaptive discriminator augmentation (Karras et al. 2020, "Training Generative Adversarial
Networks with Limited Data", NeurIPS; code: NVlabs/stylegan2-ada-pytorch, training/augment.py
and training_loop.py): every image D sees goes through a pipeline of transforms, each applied
with probability p (times its multiplier), p tuned during training from the overfitting heuristic
r_t = E[sign(D(x_real))] (Sec. 3, Eq. 1 r_t): every `interval` steps p moves by
sign(r_t - target) * (images shown in the interval) / (kimg * 1000), and is kept >= 0, so p can go
from 0 to 1 in `kimg` thousand real images (the authors' target 0.6, interval 4, kimg 500).

The pipelines (App. B; the authors' `augpipe_specs`):

    blit   x-flip, 90-degree rotations, integer translation (up to 1/8 of the side)
    geom   isotropic scaling (log2 std 0.2), arbitrary rotation (before and after the
           anisotropic scaling, each with probability 1 - sqrt(1 - p)), anisotropic scaling
           (log2 std 0.2), fractional translation (std 1/8 of the side)
    color  brightness (std 0.2), contrast (log2 std 0.5), luma flip, hue rotation (full circle),
           saturation (log2 std 1); hue and saturation only on RGB images
    bg, bgc  the unions

The geometric transforms are composed into one 3x3 matrix and executed as the authors' code does:
reflect padding, 2x upsampling with the sym6 wavelet filter, bilinear sampling, sym6 downsampling
(the padding is always the largest the authors' margin computation allows, one side minus one
pixel, so that shapes are static; the samples it adds are never read). The colour transforms are a
4x4 matrix (luma axis (1, 1, 1) / sqrt(3)); on a one-channel image, its rows' mean, as theirs.
Image filtering, additive noise and cutout (the 'f', 'n', 'c' of 'bgcfnc') are not included.

Config: `techniques.ada` = {pipeline, p (the start, or the fixed p when target is 0), target,
interval, kimg}. p and the sign statistics are in `state.extras["ada"]`, so a resume is exact.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

BLIT = ("xflip", "rotate90", "xint")
GEOM = ("scale", "rotate", "aniso", "xfrac")
COLOR = ("brightness", "contrast", "lumaflip", "hue", "saturation")
PIPELINES = {"blit": BLIT, "geom": GEOM, "color": COLOR, "bg": BLIT + GEOM, "bgc": BLIT + GEOM + COLOR}
# The authors' AugmentPipe defaults.
XINT_MAX, SCALE_STD, ROTATE_MAX, ANISO_STD, XFRAC_STD = 0.125, 0.2, 1.0, 0.2, 0.125
BRIGHTNESS_STD, CONTRAST_STD, HUE_MAX, SATURATION_STD = 0.2, 0.5, 1.0, 1.0
SYM6 = np.array([0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633,
                 0.4910559419267466, 0.787641141030194, 0.3379294217276218, -0.07263752278646252,
                 -0.021060292512300564, 0.04472490177066578, 0.0017677118642428036, -0.007800708325034148])
SYM6 = SYM6 / SYM6.sum()  # upfirdn2d.setup_filter's normalization
FILTER_PAD = len(SYM6) // 4  # the authors' Hz_pad


def _translate(tx, ty):
    return jnp.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def _scale(sx, sy):
    return jnp.array([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])


def _rotate(theta):
    c, s = jnp.cos(theta), jnp.sin(theta)
    return jnp.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def draw_geometric(key: jax.Array, p: jax.Array, ops: tuple[str, ...]) -> dict:
    """The geometric parameters of one image: each op of `ops` drawn as the authors' code draws it
    and kept with probability p (else its identity value). Two rotations, before and after the
    anisotropic scaling, each with probability 1 - sqrt(1 - p), so that one happens with p."""
    keys = iter(jax.random.split(key, 24))
    rand = lambda: jax.random.uniform(next(keys))
    normal = lambda: jax.random.normal(next(keys))
    chosen = lambda value, identity, prob=p: jnp.where(rand() < prob, value, identity)
    p_rot = 1 - jnp.sqrt(jnp.clip(1 - p, 0, 1))
    draws = {
        "xflip": lambda: chosen(jnp.floor(rand() * 2), 0.0),
        "rotate90": lambda: chosen(jnp.floor(rand() * 4), 0.0),
        "xint": lambda: chosen(jnp.stack([rand(), rand()]) * 2 - 1, jnp.zeros(2)) * XINT_MAX,
        "scale": lambda: chosen(jnp.exp2(normal() * SCALE_STD), 1.0),
        "rotate": lambda: jnp.stack([chosen((rand() * 2 - 1) * jnp.pi * ROTATE_MAX, 0.0, p_rot) for _ in range(2)]),
        "aniso": lambda: chosen(jnp.exp2(normal() * ANISO_STD), 1.0),
        "xfrac": lambda: chosen(jnp.stack([normal(), normal()]), jnp.zeros(2)) * XFRAC_STD,
    }
    return {op: draws[op]() for op in BLIT + GEOM if op in ops}


def geometric_matrix(params: dict, height: int, width: int) -> jax.Array:
    """G_inv (output pixel -> input pixel, centred pixel coordinates) of `draw_geometric`'s
    parameters, composed in the authors' order: x-flip, 90-degree rotation, integer translation,
    isotropic scaling, rotation, anisotropic scaling, rotation, fractional translation."""
    g = jnp.eye(3)
    if "xflip" in params:
        g = g @ _scale(1 / (1 - 2 * params["xflip"]), 1.0)
    if "rotate90" in params:
        g = g @ _rotate(jnp.pi / 2 * params["rotate90"])  # their rotate2d_inv(-pi / 2 * i)
    if "xint" in params:
        g = g @ _translate(-jnp.round(params["xint"][0] * width), -jnp.round(params["xint"][1] * height))
    if "scale" in params:
        g = g @ _scale(1 / params["scale"], 1 / params["scale"])
    if "rotate" in params:
        g = g @ _rotate(params["rotate"][0])  # their rotate2d_inv(-theta)
    if "aniso" in params:
        g = g @ _scale(1 / params["aniso"], params["aniso"])
    if "rotate" in params:
        g = g @ _rotate(params["rotate"][1])
    if "xfrac" in params:
        g = g @ _translate(-params["xfrac"][0] * width, -params["xfrac"][1] * height)
    return g


def _filter_1d(x: jax.Array, taps: np.ndarray, axis: int) -> jax.Array:
    """Valid cross-correlation of `x` with `taps` along `axis`."""
    length = x.shape[axis] - len(taps) + 1
    return sum(float(t) * jax.lax.slice_in_dim(x, k, k + length, axis=axis) for k, t in enumerate(taps))


def _upsample2(x: jax.Array, axis: int) -> jax.Array:
    """upfirdn2d.upsample2d along one axis: zeros inserted, padded (6, 5), convolved with sym6 * 2."""
    shape = list(x.shape)
    shape[axis] *= 2
    up = jnp.zeros(shape, x.dtype)
    index = [slice(None)] * x.ndim
    index[axis] = slice(0, None, 2)
    up = up.at[tuple(index)].set(x)
    pad = [(0, 0)] * x.ndim
    pad[axis] = ((len(SYM6) + 1) // 2, (len(SYM6) - 2) // 2)
    return _filter_1d(jnp.pad(up, pad), SYM6[::-1] * 2, axis)


def _downsample2(x: jax.Array, axis: int, crop: int) -> jax.Array:
    """upfirdn2d.downsample2d along one axis with padding -crop and flip_filter=True."""
    trim = crop - (len(SYM6) - 1) // 2
    x = jax.lax.slice_in_dim(x, trim, x.shape[axis] - trim, axis=axis)
    filtered = _filter_1d(x, SYM6, axis)
    index = [slice(None)] * x.ndim
    index[axis] = slice(0, None, 2)
    return filtered[tuple(index)]


def _bilinear(image: jax.Array, iy: jax.Array, ix: jax.Array) -> jax.Array:
    """grid_sample (bilinear, zeros outside) of image (H, W, C) at pixel coordinates (iy, ix)."""
    height, width = image.shape[:2]
    y0, x0 = jnp.floor(iy), jnp.floor(ix)
    out = 0.0
    for dy in (0, 1):
        for dx in (0, 1):
            y, x = y0 + dy, x0 + dx
            weight = (1 - jnp.abs(iy - y)) * (1 - jnp.abs(ix - x))
            inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
            pixel = image[jnp.clip(y, 0, height - 1).astype(jnp.int32), jnp.clip(x, 0, width - 1).astype(jnp.int32)]
            out = out + jnp.where(inside, weight, 0.0)[..., None] * pixel
    return out


def apply_geometric(image: jax.Array, g_inv: jax.Array) -> jax.Array:
    """Execute G_inv on one image (H, W, C) as the authors' AugmentPipe does."""
    height, width = image.shape[:2]
    pad_y, pad_x = height - 1, width - 1
    padded = jnp.pad(image, ((pad_y, pad_y), (pad_x, pad_x), (0, 0)), mode="reflect")
    up = _upsample2(_upsample2(padded, 0), 1)
    g = _scale(2, 2) @ g_inv @ _scale(0.5, 0.5)
    g = _translate(-0.5, -0.5) @ g @ _translate(0.5, 0.5)
    out_h, out_w = (height + FILTER_PAD * 2) * 2, (width + FILTER_PAD * 2) * 2
    # affine_grid(align_corners=False) -> G -> grid_sample(align_corners=False), in pixel units.
    g = _scale(2 / up.shape[1], 2 / up.shape[0]) @ g @ _scale(out_w / 2, out_h / 2)
    yn = (2 * jnp.arange(out_h) + 1) / out_h - 1
    xn = (2 * jnp.arange(out_w) + 1) / out_w - 1
    gx = g[0, 0] * xn[None, :] + g[0, 1] * yn[:, None] + g[0, 2]
    gy = g[1, 0] * xn[None, :] + g[1, 1] * yn[:, None] + g[1, 2]
    sampled = _bilinear(up, ((gy + 1) * up.shape[0] - 1) / 2, ((gx + 1) * up.shape[1] - 1) / 2)
    return _downsample2(_downsample2(sampled, 0, FILTER_PAD * 2), 1, FILTER_PAD * 2)


def draw_color(key: jax.Array, p: jax.Array, ops: tuple[str, ...], channels: int) -> dict:
    """The colour parameters of one image, each op kept with probability p; hue and saturation
    only on RGB images (the authors' code)."""
    keys = iter(jax.random.split(key, 12))
    rand = lambda: jax.random.uniform(next(keys))
    normal = lambda: jax.random.normal(next(keys))
    chosen = lambda value, identity: jnp.where(rand() < p, value, identity)
    draws = {
        "brightness": lambda: chosen(normal() * BRIGHTNESS_STD, 0.0),
        "contrast": lambda: chosen(jnp.exp2(normal() * CONTRAST_STD), 1.0),
        "lumaflip": lambda: chosen(jnp.floor(rand() * 2), 0.0),
        "hue": lambda: chosen((rand() * 2 - 1) * jnp.pi * HUE_MAX, 0.0),
        "saturation": lambda: chosen(jnp.exp2(normal() * SATURATION_STD), 1.0),
    }
    rgb_only = ("hue", "saturation")
    return {op: draws[op]() for op in COLOR if op in ops and (channels > 1 or op not in rgb_only)}


def color_matrix(params: dict) -> jax.Array:
    """The 4x4 colour transform C (colour_out = C @ colour_in) of `draw_color`'s parameters, in the
    authors' order: brightness, contrast, luma flip, hue rotation, saturation."""
    eye = jnp.eye(4)
    luma = jnp.array([1.0, 1.0, 1.0, 0.0]) / math.sqrt(3)
    c = eye
    if "brightness" in params:
        c = eye.at[:3, 3].set(params["brightness"]) @ c
    if "contrast" in params:
        s = params["contrast"]
        c = jnp.diag(jnp.stack([s, s, s, jnp.ones_like(s)])) @ c
    if "lumaflip" in params:
        c = (eye - 2 * jnp.outer(luma, luma) * params["lumaflip"]) @ c
    if "hue" in params:
        c = _rotate3d(luma[:3], params["hue"]) @ c
    if "saturation" in params:
        c = (jnp.outer(luma, luma) + (eye - jnp.outer(luma, luma)) * params["saturation"]) @ c
    return c


def _rotate3d(v, theta):
    vx, vy, vz = v
    s, c = jnp.sin(theta), jnp.cos(theta)
    cc = 1 - c
    return jnp.array([
        [vx * vx * cc + c, vx * vy * cc - vz * s, vx * vz * cc + vy * s, 0.0],
        [vy * vx * cc + vz * s, vy * vy * cc + c, vy * vz * cc - vx * s, 0.0],
        [vz * vx * cc - vy * s, vz * vy * cc + vx * s, vz * vz * cc + c, 0.0],
        [0.0, 0.0, 0.0, 1.0]])


def apply_color(image: jax.Array, c: jax.Array) -> jax.Array:
    """colour_out = C @ (colour_in, 1) on an RGB image; on a one-channel image the mean of C's
    three colour rows (the authors' code)."""
    if image.shape[-1] == 3:
        return image @ c[:3, :3].T + c[:3, 3]
    if image.shape[-1] == 1:
        row = c[:3].mean(axis=0)
        return image * row[:3].sum() + row[3]
    raise ValueError(f"ADA's colour transforms take RGB (3 channels) or L (1 channel) images, got {image.shape[-1]} "
                     "channels")


def ada_augment(key: jax.Array, image: jax.Array, p: jax.Array, pipeline: str) -> jax.Array:
    """One image (H, W, C) through ADA's `pipeline` (a name of `PIPELINES`) at probability p."""
    ops = PIPELINES[pipeline]
    height, width, channels = image.shape
    geometric_key, color_key = jax.random.split(key)
    if any(op in ops for op in BLIT + GEOM):
        image = apply_geometric(image, geometric_matrix(draw_geometric(geometric_key, p, ops), height, width))
    if any(op in ops for op in COLOR):
        image = apply_color(image, color_matrix(draw_color(color_key, p, ops, channels)))
    return image


def init_ada(p: float) -> dict:
    """ADA's state in `state.extras["ada"]`: p, and the sum and count of sign(D(real)) since the
    last adjustment."""
    return {"p": jnp.asarray(p, jnp.float32), "signs": jnp.zeros((), jnp.float32), "count": jnp.zeros((), jnp.float32)}


def accumulate_signs(ada: dict, real_logits: jax.Array, axis_name: str | None = None) -> dict:
    """Add one critic update's sign(D(real)) to the statistic (summed over the pmap axis
    `axis_name` when given, so every device holds the global statistic)."""
    flat = jax.lax.stop_gradient(real_logits).reshape(-1)
    signs, count = jnp.sign(flat).sum(), jnp.asarray(flat.shape[0], jnp.float32)
    if axis_name is not None:
        signs, count = jax.lax.psum((signs, count), axis_name)
    return {**ada, "signs": ada["signs"] + signs, "count": ada["count"] + count}


def adjust_p(ada: dict, step: jax.Array, *, target: float, interval: int, images_per_step: int, kimg: float) -> dict:
    """After generator step `step` (1-based): every `interval` steps, p <- max(0, p + sign(r_t -
    target) * images_per_step * interval / (kimg * 1000)) with r_t the mean sign since the last
    adjustment, and the statistic restarts (the authors' training_loop.py). target 0: p is fixed."""
    if not target:
        return ada
    due = step % interval == 0
    r_t = ada["signs"] / jnp.maximum(ada["count"], 1.0)
    moved = jnp.maximum(ada["p"] + jnp.sign(r_t - target) * images_per_step * interval / (kimg * 1000), 0.0)
    zero = jnp.zeros((), jnp.float32)
    return {"p": jnp.where(due, moved, ada["p"]), "signs": jnp.where(due, zero, ada["signs"]),
            "count": jnp.where(due, zero, ada["count"])}

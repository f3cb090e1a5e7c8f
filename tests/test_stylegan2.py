"""StyleGAN2 (Karras et al. 2020): the modulated convolution against per-example convolutions,
demodulation's unit variance, the resampling filters against the authors' upfirdn2d, the
equalized learning rate, minibatch standard deviation, the path length penalty against a hand
Jacobian, lazy R1's gradient, the truncation trick, parameter counts against the layer list, the
step on every device layout, and the recipe end to end."""

import importlib
import json
import math

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
from jax import lax

from jaxgan import parallel
from jaxgan.games import make_stylegan2_step
from jaxgan.games.stylegan2 import initial_extras, lazy_adam, mix_styles
from jaxgan.losses import minimax_discriminator_loss, non_saturating_generator_loss, r1_penalty
from jaxgan.losses.regularizers import path_length_mean, path_length_penalty, path_lengths
from jaxgan.nets.stylegan2 import (
    EqualConv,
    EqualDense,
    StyleGAN2Discriminator,
    StyleGAN2Generator,
    channels_at,
    convolve,
    downsample,
    modulated_conv,
    num_ws,
    resolutions,
    upsample,
)
from jaxgan.state import create
from jaxgan.techniques import MinibatchStdDev

CONV = ("NHWC", "HWIO", "NHWC")


def upfirdn(x, *, up=1, down=1, pad=(0, 0), gain=1.0):
    """The authors' upfirdn2d in NumPy, written from its definition: insert up - 1 zeros after
    each pixel, pad, convolve with the normalized [1, 3, 3, 1] outer product times gain, keep
    every down-th pixel."""
    x = np.asarray(x, np.float64)
    b, h, w, c = x.shape
    z = np.zeros((b, h * up, w * up, c))
    z[:, ::up, ::up] = x
    z = np.pad(z, ((0, 0), pad, pad, (0, 0)))
    f = np.outer([1, 3, 3, 1], [1, 3, 3, 1]).astype(np.float64)
    f = f / f.sum() * gain
    out_h, out_w = z.shape[1] - 3, z.shape[2] - 3
    y = np.zeros((b, out_h, out_w, c))
    for i in range(4):
        for j in range(4):
            y += f[3 - i, 3 - j] * z[:, i:i + out_h, j:j + out_w]
    return y[:, ::down, ::down]


def transposed_full(x, kernel):
    """out[2h + 2 - i, 2w + 2 - j] += x[h, w] kernel[i, j], of size 2H + 1: the stride-2 transposed
    convolution (as XLA's input-dilated convolution with padding 2), in NumPy."""
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    b, h, w, _ = x.shape
    out = np.zeros((b, 2 * h + 1, 2 * w + 1, kernel.shape[-1]))
    for i in range(3):
        for j in range(3):
            out[:, 2 - i:2 - i + 2 * h:2, 2 - j:2 - j + 2 * w:2] += x @ kernel[i, j]
    return out


def test_resampling_follows_the_authors_upfirdn2d():
    x = jax.random.normal(jax.random.key(0), (2, 7, 7, 3))
    np.testing.assert_allclose(upsample(x), upfirdn(x, up=2, pad=(2, 1), gain=4.0), atol=1e-5)
    np.testing.assert_allclose(downsample(jnp.tile(x, (1, 2, 2, 1))),
                               upfirdn(np.tile(x, (1, 2, 2, 1)), down=2, pad=(1, 1)), atol=1e-5)
    kernel = jax.random.normal(jax.random.key(1), (3, 3, 3, 4))
    # conv2d_resample, up=2: the transposed convolution, then the filter padded by 1, gain 4.
    np.testing.assert_allclose(convolve(x, kernel, up=True), upfirdn(transposed_full(x, kernel), pad=(1, 1), gain=4.0),
                               atol=1e-4)
    # down=2: the filter padded by 2, then a stride-2 3x3 convolution.
    x14 = jax.random.normal(jax.random.key(2), (2, 14, 14, 3))
    filtered = upfirdn(x14, pad=(2, 2))
    expected = lax.conv_general_dilated(jnp.asarray(filtered, jnp.float32), kernel, (2, 2), "VALID",
                                        dimension_numbers=CONV)
    np.testing.assert_allclose(convolve(x14, kernel, down=True), expected, atol=1e-4)
    assert convolve(x, kernel, up=True).shape == (2, 14, 14, 4) and upsample(jnp.ones((1, 4, 4, 1))).shape[1] == 8
    # A constant map stays constant away from the border (the gains make up for the zeros).
    np.testing.assert_allclose(upsample(jnp.ones((1, 8, 8, 1)))[0, 3:-3, 3:-3, 0], 1.0, rtol=1e-6)


def test_a_modulated_convolution_is_a_per_example_convolution_with_the_modulated_weights():
    x = jax.random.normal(jax.random.key(0), (3, 6, 6, 4))
    weight = jax.random.normal(jax.random.key(1), (3, 3, 4, 5))
    styles = jax.random.uniform(jax.random.key(2), (3, 4), minval=0.5, maxval=2.0)
    for demodulate in (True, False):
        for up in (False, True):
            out = modulated_conv(x, weight, styles, demodulate=demodulate, up=up)
            for b in range(3):
                w = weight * styles[b][None, None, :, None]
                if demodulate:
                    w = w / jnp.sqrt(jnp.sum(jnp.square(w), axis=(0, 1, 2)) + 1e-8)
                expected = convolve(x[b:b + 1], w, up=up)
                np.testing.assert_allclose(out[b:b + 1], expected, rtol=1e-4, atol=1e-4)


def test_demodulation_gives_unit_output_variance_for_unit_variance_inputs():
    """Var(y_j) = sum_{i,k} w''_{ijk}^2 for i.i.d. unit-variance inputs: exactly 1 after
    demodulation (up to the 1e-8), whatever the styles; checked in closed form and on 4,096 draws
    per example at the interior pixels (no padding)."""
    weight = jax.random.normal(jax.random.key(1), (3, 3, 8, 6))
    styles = jnp.stack([jnp.full((8,), 0.1), jax.random.uniform(jax.random.key(2), (8,), minval=0.2, maxval=5.0)])
    modulated = weight[None] * styles[:, None, None, :, None]
    energy = jnp.sum(jnp.square(modulated), axis=(1, 2, 3))
    np.testing.assert_allclose(energy / (energy + 1e-8), 1.0, rtol=1e-6)
    x = jax.random.normal(jax.random.key(3), (2, 4096, 3, 8))  # 4096 rows of 3 pixels: the middle one is interior
    y = modulated_conv(x, weight, styles)[:, 1:-1, 1, :]
    np.testing.assert_allclose(jnp.var(y, axis=1), 1.0, atol=0.07)
    undemodulated = modulated_conv(x, weight, styles, demodulate=False)[:, 1:-1, 1, :]
    np.testing.assert_allclose(jnp.var(undemodulated, axis=1), energy, rtol=0.08)  # sum (s w)^2: the styles' scale


def test_equalized_learning_rate_scales_at_run_time():
    """A dense layer stores N(0, 1) / lr_multiplier weights and uses them times lr_multiplier /
    sqrt(fan_in) (its bias times lr_multiplier), so Adam's step on the stored weight moves the used
    weight by lr * lr_multiplier / sqrt(fan_in); a convolution uses weight / sqrt(k k C_in)."""
    x = jax.random.normal(jax.random.key(0), (5, 16))
    layer = EqualDense(3, lr_multiplier=0.01, bias_init=0.5)
    params = layer.init(jax.random.key(1), x)["params"]
    assert abs(float(jnp.std(params["weight"])) - 100.0) < 20.0  # N(0, 1) / 0.01
    expected = x @ (params["weight"] * 0.01 / 4.0) + params["bias"] * 0.01
    np.testing.assert_allclose(layer.apply({"params": params}, x), expected, rtol=1e-5)
    np.testing.assert_allclose(params["bias"], 0.5)
    gradient = jax.grad(lambda p: jnp.sum(layer.apply({"params": p}, x)))(params)["weight"]
    np.testing.assert_allclose(gradient, jnp.broadcast_to(x.sum(0)[:, None] * 0.01 / 4.0, (16, 3)), rtol=1e-5)
    act = EqualDense(3, activation=True)
    p = act.init(jax.random.key(1), x)["params"]
    pre = x @ p["weight"] / 4.0 + p["bias"]
    np.testing.assert_allclose(act.apply({"params": p}, x), jnp.where(pre > 0, pre, 0.2 * pre) * math.sqrt(2),
                               rtol=1e-5)
    images = jax.random.normal(jax.random.key(2), (2, 5, 5, 4))
    conv = EqualConv(6, activation=False)
    cp = conv.init(jax.random.key(3), images)["params"]
    expected = lax.conv_general_dilated(images, cp["weight"] / 6.0, (1, 1), "SAME", dimension_numbers=CONV)
    np.testing.assert_allclose(conv.apply({"params": cp}, images), expected, rtol=1e-4, atol=1e-5)


def test_minibatch_std_groups_examples_strided_as_the_authors_reshape():
    """StyleGAN2's epilogue uses `techniques.MinibatchStdDev`: group j of a batch of 8 in groups of 4 is
    examples j and j + 2, j + 4, j + 6 (the authors' reshape(G, -1, ...))."""
    x = jax.random.normal(jax.random.key(0), (8, 3, 3, 4))
    out = MinibatchStdDev(group_size=4).apply({}, x)
    xs = np.asarray(x)
    for b in range(8):
        np.testing.assert_allclose(out[b, :, :, 4], np.mean(np.sqrt(xs[b % 2::2].var(axis=0) + 1e-8)), rtol=1e-5)


def test_path_lengths_against_a_hand_jacobian():
    """g(w) = tanh(w A) on each example (ws of 2 copies, summed): J_w^T y by hand."""
    a = jax.random.normal(jax.random.key(0), (3, 12)) / 2
    ws = jax.random.normal(jax.random.key(1), (4, 2, 3))
    synthesis = lambda w: jnp.tanh(jnp.sum(w, axis=1) @ a).reshape(-1, 2, 2, 3)
    noise = jax.random.normal(jax.random.key(2), (4, 2, 2, 3))
    lengths = path_lengths(synthesis, ws, noise)
    pre = np.asarray(jnp.sum(ws, axis=1) @ a, np.float64)
    y = np.asarray(noise, np.float64).reshape(4, 12)
    expected = []
    for b in range(4):
        jacobian = (1 - np.tanh(pre[b]) ** 2)[:, None] * np.asarray(a, np.float64).T  # d out / d (sum of ws), (12, 3)
        per_copy = jacobian.T @ y[b]  # each copy of w gets the same gradient
        expected.append(np.sqrt(np.mean([np.sum(per_copy**2)] * 2)))
    np.testing.assert_allclose(lengths, expected, rtol=1e-5)
    mean = path_length_mean(jnp.float32(1.0), lengths, 0.01)
    np.testing.assert_allclose(mean, 1.0 + 0.01 * (np.mean(expected) - 1.0), rtol=1e-6)
    np.testing.assert_allclose(path_length_penalty(lengths, mean), np.mean((np.array(expected) - float(mean)) ** 2),
                               rtol=1e-5)


def test_truncation_moves_w_toward_the_tracked_mean_by_exactly_psi():
    generator = StyleGAN2Generator(size=8, channels=1, w_dim=8, mapping_layers=2, channel_base=64, channel_max=8)
    z = jax.random.normal(jax.random.key(0), (5, 8))
    variables = generator.init(jax.random.key(1), z, train=False)
    ws, tracked = generator.apply(variables, z, train=True, method="mapping", mutable=["tracked"])
    w_avg = tracked["tracked"]["mapping_network"]["w_avg"]
    np.testing.assert_allclose(w_avg, 0.005 * jnp.mean(ws[:, 0], axis=0), rtol=1e-5)  # lerp from 0, beta 0.995
    variables = {**variables, **tracked}
    truncated = generator.clone(truncation_psi=0.7).apply(variables, z, train=False, method="mapping")
    np.testing.assert_allclose(truncated - w_avg, 0.7 * (ws - w_avg), rtol=1e-5, atol=1e-6)
    assert num_ws(8) == ws.shape[1] == 4
    untracked, state = generator.apply(variables, z, train=True, method=lambda m, z, train: m.mapping(
        z, train=train, track=False), mutable=["tracked"])
    np.testing.assert_array_equal(state["tracked"]["mapping_network"]["w_avg"], w_avg)  # style mixing's second z


def test_style_mixing_takes_the_copies_from_one_cutoff_on():
    ws, other = jnp.zeros((3, 8, 2)), jnp.ones((3, 8, 2))
    mixed = [mix_styles(ws, other, jax.random.key(s), 1.0) for s in range(30)]
    cutoffs = {int(8 - m[0, :, 0].sum()) for m in mixed}
    assert cutoffs <= set(range(1, 8)) and len(cutoffs) > 3
    for m in mixed:
        k = int(8 - m[0, :, 0].sum())
        np.testing.assert_array_equal(m[:, :k], 0.0)
        np.testing.assert_array_equal(m[:, k:], 1.0)
    np.testing.assert_array_equal(mix_styles(ws, other, jax.random.key(0), 0.0), ws)


def generator_count(size, img, z, w, layers, base, cap):
    """Parameters of the StyleGAN2 generator from its layer list."""
    mapping = (z * w + w) + (layers - 1) * (w * w + w)
    ch = [channels_at(r, base, cap) for r in resolutions(size)]
    synthesis_layer = lambda c, f: (w * c + c) + 9 * c * f + 1 + f
    to_rgb = lambda c: (w * c + c) + c * img + img
    total = resolutions(size)[0] ** 2 * ch[0] + synthesis_layer(ch[0], ch[0]) + to_rgb(ch[0])
    for previous, current in zip(ch, ch[1:], strict=False):
        total += synthesis_layer(previous, current) + synthesis_layer(current, current) + to_rgb(current)
    return mapping + total


def discriminator_count(size, img, base, cap, residual=True):
    """Parameters of the StyleGAN2 discriminator from its layer list."""
    levels = resolutions(size)[::-1]
    ch = lambda r: channels_at(r, base, cap)
    total = img * ch(levels[0]) + ch(levels[0])
    for r in levels[:-1]:
        total += 9 * ch(r) ** 2 + ch(r) + 9 * ch(r) * ch(r // 2) + ch(r // 2) + (ch(r) * ch(r // 2) if residual else 0)
    c, b = ch(levels[-1]), levels[-1]
    return total + (9 * (c + 1) * c + c) + (b * b * c * c + c) + (c + 1)


def count(tree):
    return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(tree))


@pytest.mark.parametrize("size, img, z, w, layers, base, cap", [(28, 1, 16, 16, 2, 256, 32), (32, 3, 8, 8, 1, 128, 16)])
def test_the_networks_have_the_layer_lists_parameter_counts(size, img, z, w, layers, base, cap):
    generator = StyleGAN2Generator(size=size, channels=img, w_dim=w, mapping_layers=layers, channel_base=base,
                                   channel_max=cap)
    variables = generator.init(jax.random.key(0), jnp.zeros((2, z)), train=False)
    assert count(variables["params"]) == generator_count(size, img, z, w, layers, base, cap)
    images = generator.apply(variables, jax.random.normal(jax.random.key(1), (2, z)), train=False)
    assert images.shape == (2, size, size, img)
    for residual in (True, False):
        critic = StyleGAN2Discriminator(channel_base=base, channel_max=cap, mbstd_group_size=2,
                                        architecture="resnet" if residual else "orig")
        params = critic.init(jax.random.key(2), images, train=False)["params"]
        assert count(params) == discriminator_count(size, img, base, cap, residual)
    assert resolutions(28) == [7, 14, 28] and resolutions(32) == [4, 8, 16, 32] and channels_at(28, 1024, 128) == 32


def tiny_networks(axis_name=None):
    generator = StyleGAN2Generator(size=8, channels=1, w_dim=8, mapping_layers=2, channel_base=64, channel_max=8,
                                   axis_name=axis_name)
    critic = StyleGAN2Discriminator(channel_base=64, channel_max=8, mbstd_group_size=2)
    return generator, critic


def tiny_state(d_tx=None, mbstd=2, axis_name=None):
    generator, critic = tiny_networks(axis_name)
    critic = critic.clone(mbstd_group_size=mbstd)
    return create(generator=generator, discriminator=critic, g_tx=optax.adam(1e-3), d_tx=d_tx or optax.adam(1e-3),
                  latent_shape=(8,), sample_x=jnp.zeros((2, 8, 8, 1)), key=jax.random.key(0),
                  extras=initial_extras())


def batches(count, batch=8):
    return [{"x": jnp.tanh(jax.random.normal(jax.random.key(30 + i), (1, batch, 8, 8, 1)))} for i in range(count)]


def step_of(**overrides):
    kwargs = dict(d_loss=minimax_discriminator_loss, g_loss=non_saturating_generator_loss, r1_gamma=1.0,
                  r1_interval=2, pl_weight=2.0, pl_interval=2, style_mixing=0.9, ema_decay=0.9)
    return make_stylegan2_step(**{**kwargs, **overrides})


def test_lazy_r1_is_gamma_times_interval_over_2_times_the_r1_gradient_on_its_steps():
    """With SGD at rate 1 for D, a step with R1 on (gamma, interval 4) minus the same step with it
    off moves D by -gamma * interval / 2 * grad E||grad_x D||^2 at D's parameters after its main
    update, on steps 0 and 4, and not at all on steps 1-3."""
    gamma, interval = 0.3, 4
    on = jax.jit(step_of(r1_gamma=gamma, r1_interval=interval, pl_weight=0.0))
    off = jax.jit(step_of(r1_gamma=0.0, r1_interval=interval, pl_weight=0.0))
    state = tiny_state(d_tx=optax.sgd(1.0))
    for t, batch in enumerate(batches(5)):
        with_r1, _ = on(state, batch)
        without, _ = off(state, batch)
        real = batch["x"][0]
        critic = lambda p, x: without.discriminator.apply({"params": p}, x, train=True)
        squared_norms = lambda p: jnp.mean(jnp.sum(jnp.square(jax.grad(lambda x: jnp.sum(critic(p, x)))(real)),
                                                   axis=(1, 2, 3)))
        expected = jax.tree.map(lambda p, g: p - gamma * interval / 2 * g, without.d_params,
                                jax.grad(squared_norms)(without.d_params))
        if t % interval == 0:
            assert max_abs_diff(with_r1.d_params, expected) < 1e-5
            assert max_abs_diff(with_r1.d_params, without.d_params) > 1e-4
            penalty = r1_penalty(lambda x: critic(without.d_params, x), real, None, key=jax.random.key(0))
            np.testing.assert_allclose(with_r1.extras["r1"], penalty, rtol=1e-5)
        else:
            assert max_abs_diff(with_r1.d_params, without.d_params) == 0.0
        state = with_r1


def test_path_length_regularization_runs_every_interval_and_tracks_its_mean():
    step = jax.jit(step_of(pl_interval=2, r1_interval=3))
    state = tiny_state()
    seen = []
    for batch in batches(5):
        state, metrics = step(state, batch)
        seen.append((float(state.extras["pl_mean"]), float(state.extras["r1"]), float(metrics["path_length"])))
    pl_means = [s[0] for s in seen]
    assert pl_means[0] > 0 and pl_means[1] == pl_means[0] and pl_means[2] != pl_means[1]
    assert pl_means[3] == pl_means[2] and pl_means[4] != pl_means[3]
    np.testing.assert_allclose(pl_means[0], 0.01 * seen[0][2], rtol=1e-5)  # lerp from 0 toward the batch mean
    r1s = [s[1] for s in seen]
    assert r1s[0] > 0 and r1s[1] == r1s[2] == r1s[0] and r1s[3] != r1s[2] and r1s[4] == r1s[3]
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(state.g_params))


def test_lazy_adam_keeps_interval_plus_1_updates_as_far_as_interval():
    lr, b1, b2 = lazy_adam(0.0025, 0.0, 0.99, 16)
    c = 16 / 17
    assert (lr, b1, b2) == pytest.approx((0.0025 * c, 0.0, 0.99**c))
    assert lazy_adam(0.002, 0.5, 0.99, 0) == (0.002, 0.5, 0.99)


@pytest.mark.parametrize("form", ["jit_sharded", pytest.param("pmap", marks=pytest.mark.slow)])
def test_the_step_is_the_same_on_every_device_layout(form):
    """Every draw is per example (latents, style mixing's second z, the noise inputs, the path
    length noise), and w_avg tracks the global batch's mean w. The minibatch standard deviation
    groups examples within a device under pmap (as the authors' per-GPU groups), so the pmap form
    is checked with groups of 1."""
    step = lambda **kw: step_of(r1_interval=2, pl_interval=2, **kw)
    mbstd = 1 if form == "pmap" else 4
    reference, ref_metrics = run_single(step(), tiny_state(mbstd=mbstd), batches(3))
    if form == "pmap":
        result, metrics = run_pmap(step(axis_name=parallel.DATA_AXIS),
                                   tiny_state(mbstd=mbstd, axis_name=parallel.DATA_AXIS), batches(3))
    else:
        result, metrics = run_jit_sharded(step(), tiny_state(mbstd=mbstd), batches(3))
    for field in ("g_params", "d_params", "g_state", "ema_params", "g_opt_state", "d_opt_state", "extras"):
        assert max_abs_diff(getattr(result, field), getattr(reference, field)) < 2e-5, field
    for name in ref_metrics:
        np.testing.assert_allclose(metrics[name], ref_metrics[name], rtol=2e-5, atol=2e-6)


def tiny_recipe(data_dir, **overrides):
    config = importlib.import_module("experiments.images.stylegan2").get_config()
    config.data.source, config.data.dir = "idx", data_dir
    config.data.batch_size = 8
    config.model.latent_dim = 8
    config.model.w_dim = 8
    config.model.channel_base = 64
    config.model.channel_max = 8
    config.game.r1_interval = 2
    config.game.pl_interval = 2
    config.train.num_steps = 4
    config.train.checkpoint_every = 2
    config.train.log_every = 1
    config.train.plot_every = 0
    config.train.eval_every = 0
    config.train.progress = False
    config.update_from_flattened_dict(overrides)
    return config


def test_recipe_resumes_bit_exactly_with_seeds_vmapped_in_bfloat16_and_psi_truncates(tmp_path):
    """Two seeds vmapped, bf16 networks, a resume at step 3 of 4 (between lazy phases): bit-exact,
    with the lazy state (pl_mean, last R1) and w_avg in the checkpoint; psi = 0 sends every z to w_avg."""
    from jaxgan.run import Program

    data_dir = shared_dataset_dir("mnist")
    options = {"num_seeds": 2, "model.dtype": "bfloat16"}
    states = straight_and_resumed(tiny_recipe(data_dir, **options),
                                  tiny_recipe(data_dir, **options, **{"train.num_steps": 3}), tmp_path)
    assert max_abs_diff(states[0], states[1]) == 0.0
    state = states[0]
    assert state.extras["pl_mean"].shape == (2,) and float(jnp.min(state.extras["pl_mean"])) > 0
    assert float(jnp.min(state.extras["r1"])) > 0
    assert float(jnp.abs(state.g_state["tracked"]["mapping_network"]["w_avg"]).sum(axis=1).min()) > 0
    plain = Program(tiny_recipe(data_dir, **options)).samples(state, jax.random.key(0), num=16)
    at_mean = Program(tiny_recipe(data_dir, **options, **{"eval.truncation_psi": 0.0})).samples(
        state, jax.random.key(0), num=16)
    assert plain.shape == at_mean.shape == (2, 16, 28, 28, 1)
    assert float(np.std(at_mean, axis=1).max()) < 1e-3 < float(np.std(plain, axis=1).mean())
    from experiments.studies import truncation_curve

    assert truncation_curve.main(["--workdir", str(tmp_path / "straight"), "--psi", "0,1"]) == 0
    out = tmp_path / "straight" / "truncation"
    records = {p: json.loads((out / f"psi_{p}.json").read_text()) for p in ("0", "1")}
    assert records["0"]["protocol"]["truncation_psi"] == 0.0 and records["1"]["protocol"]["truncation_psi"] == 1.0
    assert records["0"]["summary"]["fid"]["mean"] != records["1"]["summary"]["fid"]["mean"]
    assert "| none |" in (out / "table_psi.md").read_text() and (out / "curve_psi.png").stat().st_size > 0


def test_the_accelerator_recipes_build_the_authors_configurations():
    """CIFAR-10 (the authors' cifar configuration) and FFHQ 1024 (config F), validated and built as
    shapes; their parameter counts follow the layer list."""
    from jaxgan.config import validate
    from jaxgan.games.settings import family_networks

    cifar = importlib.import_module("experiments.images.stylegan2_cifar10").get_config()
    validate(cifar)
    generator, critic = family_networks(cifar)
    g = jax.eval_shape(lambda: generator.init(jax.random.key(0), jnp.zeros((2, 512)), train=False))
    d = jax.eval_shape(lambda: critic.init(jax.random.key(0), jnp.zeros((32, 32, 32, 3)), train=False))
    assert count(g["params"]) == generator_count(32, 3, 512, 512, 2, 32768, 512)
    assert count(d["params"]) == discriminator_count(32, 3, 32768, 512, residual=False)
    assert (cifar.game.pl_weight, cifar.game.style_mixing, cifar.model.mbstd_group_size) == (0.0, 0.0, 32)
    ffhq = importlib.import_module("experiments.images.stylegan2_ffhq").get_config()
    ffhq.data.dir = "/nowhere"
    validate(ffhq)
    from jaxgan.nets.registry import build_networks

    generator, critic = build_networks(ffhq.model, (1024, 1024, 3), image=True)
    g = jax.eval_shape(lambda: generator.init(jax.random.key(0), jnp.zeros((1, 512)), train=False))
    d = jax.eval_shape(lambda: critic.init(jax.random.key(0), jnp.zeros((4, 1024, 1024, 3)), train=False))
    assert count(g["params"]) == generator_count(1024, 3, 512, 512, 8, 32768, 512)
    assert count(d["params"]) == discriminator_count(1024, 3, 32768, 512)
    assert num_ws(1024) == 18  # the paper's 18 style inputs at 1024x1024


@pytest.mark.parametrize("overrides, message", [
    ({"model.name": "dcgan"}, "model.channel_base=1024 is an option of the StyleGAN2 networks"),
    ({"game.style_mixing": 1.5}, "game.style_mixing is a probability in [0, 1], got 1.5"),
    ({"game.r1_interval": 0}, "game.r1_interval must be a positive integer, got 0"),
    ({"game.pl_batch_shrink": 3}, "data.batch_size=32 is not divisible by game.pl_batch_shrink=3"),
    ({"model.mbstd_group_size": 5}, "model.mbstd_group_size=5 (the minibatch standard deviation's groups)"),
    ({"model.channel_base": 1000}, "model.channel_base=1000 must be a power of two"),
    ({"eval.truncation_psi": -1.0}, "eval.truncation_psi must be >= 0 (1 = none), got -1.0"),
    ({"n_critic": 2}, "n_critic must be 1, got 2"),
])
def test_bad_stylegan2_configs_are_rejected(overrides, message):
    assert_recipe_rejects("experiments.images.stylegan2", overrides, message)


def test_psi_is_refused_for_networks_without_a_tracked_w():
    assert_recipe_rejects("experiments.images.dcgan", {"eval.truncation_psi": 0.7},
                          "eval.truncation_psi=0.7 moves w toward the mean w")

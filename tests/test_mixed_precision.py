"""Mixed precision (`model.dtype=bfloat16`): bf16 computation with float32 parameters, optimizer,
losses and penalty norms, for every network family; finite and close to float32 through a
gradient penalty, and no NaN from a zero gradient."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import max_abs_diff

from jaxgan import losses
from jaxgan.nets import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    PatchGAN,
    ResNetDiscriminator,
    ResNetGenerator,
    ResNetTranslator,
    UNetGenerator,
)

NETWORKS = {
    # name: (module builder taking dtype, input)
    "mlp_generator": (lambda d: MLPGenerator(hidden=(32, 32), output_dim=2, norm="batch", dtype=d), (4, 8)),
    "mlp_discriminator": (lambda d: MLPDiscriminator(hidden=(32, 32), norm="layer", dtype=d), (4, 2)),
    "dcgan_generator": (lambda d: DCGANGenerator(size=32, channels=3, width=4, dtype=d), (4, 8)),
    "dcgan_discriminator": (lambda d: DCGANDiscriminator(size=32, width=4, norm="layer", dtype=d), (4, 32, 32, 3)),
    "resnet_generator": (lambda d: ResNetGenerator(channels=3, width=8, dtype=d), (4, 16)),
    "resnet_discriminator": (lambda d: ResNetDiscriminator(width=8, dtype=d), (4, 32, 32, 3)),
    "unet": (lambda d: UNetGenerator(channels=1, width=4, depth=3, dropout=0.0, dtype=d), (4, 16, 16, 1)),
    "resnet_translator": (lambda d: ResNetTranslator(channels=1, width=4, num_blocks=1, dtype=d), (4, 16, 16, 1)),
    "patchgan": (lambda d: PatchGAN(width=4, num_layers=2, dtype=d), (4, 32, 32, 1)),
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_bfloat16_networks_compute_in_bf16_with_float32_parameters_and_outputs(name):
    build, shape = NETWORKS[name]
    x = jax.random.uniform(jax.random.key(0), shape, minval=-1, maxval=1)
    full, half = build(jnp.float32), build(jnp.bfloat16)
    variables = full.init(jax.random.key(1), x, train=False)
    assert max_abs_diff(variables, half.init(jax.random.key(1), x, train=False)) == 0.0  # one parameter tree
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves(variables))
    apply = lambda module: jax.jit(lambda v, x: module.apply(v, x, train=False))
    out_full, out_half = apply(full)(variables, x), apply(half)(variables, x)
    assert out_half.dtype == jnp.float32 and out_half.shape == out_full.shape
    # bf16 rounding (8 bits of mantissa), not another network: relative error between 1e-4 and 5e-2.
    error = float(jnp.linalg.norm(out_half - out_full) / jnp.linalg.norm(out_full))
    assert 1e-4 < error < 5e-2, error
    # The matrix products and convolutions themselves run in bf16.
    hlo = apply(half).lower(variables, x).as_text()
    assert any(op in line and "bf16" in line for line in hlo.splitlines() for op in ("dot_general", "convolution"))


class _ZeroCritic:
    """A critic whose input gradient is exactly zero everywhere (a flat region)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, x):
        return jnp.sum(x.astype(self.dtype) * jnp.zeros((), self.dtype), axis=tuple(range(1, x.ndim))) + 0.5


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
def test_gradient_penalties_at_a_zero_gradient_are_finite_with_finite_gradients(dtype):
    real = jax.random.uniform(jax.random.key(0), (8, 4, 4, 1), minval=-1)
    fake = jax.random.uniform(jax.random.key(1), (8, 4, 4, 1), minval=-1)
    key = jax.random.key(2)
    critic = _ZeroCritic(dtype)
    # ||g|| = sqrt(0 + 1e-12) = 1e-6: GP = (1e-6 - 1)^2, LP = 0 exactly.
    assert float(losses.gradient_penalty(critic, real, fake, key=key)) == pytest.approx((1e-6 - 1.0) ** 2, rel=1e-6)
    assert float(losses.lipschitz_penalty(critic, real, fake, key=key)) == 0.0
    for penalty in (losses.gradient_penalty, losses.lipschitz_penalty, losses.dragan_penalty,
                    losses.divergence_penalty, losses.r1_penalty):
        # d penalty / d (a scale of the critic): flows through the norm's own gradient at g = 0.
        scaled = lambda s: penalty(lambda x: s * critic(x), real, fake, key=key)
        value, grad = jax.value_and_grad(scaled)(jnp.float32(1.0))
        assert np.isfinite(float(value)) and np.isfinite(float(grad)), penalty.__name__


def test_penalty_norm_is_summed_in_float32_for_a_bf16_critic():
    """A bf16 critic's input gradient is rounded to bf16, but its square sum over a 28x28 image is
    float32: the penalty equals the float32 sum of the same bf16 gradient to float32 rounding."""
    x = jax.random.uniform(jax.random.key(0), (4, 28, 28, 1), minval=-1)
    w = jax.random.normal(jax.random.key(1), (28, 28, 1)) * 0.05
    critic = lambda v: jnp.sum((v.astype(jnp.bfloat16) * w.astype(jnp.bfloat16)), axis=(1, 2, 3))
    grads = jax.grad(lambda v: jnp.sum(critic(v).astype(jnp.float32)))(x).reshape(4, -1)
    want = np.mean((np.sqrt(np.sum(np.asarray(grads, np.float64) ** 2, axis=1) + 1e-12) - 1.0) ** 2)
    got = losses.gradient_penalty(critic, x, x, key=jax.random.key(2))  # interpolates of x and x are x
    assert got.dtype == jnp.float32
    assert float(got) == pytest.approx(want, rel=1e-5)


def _one_wgan_gp_step(dtype, d_conv):
    from experiments.images import wgan_gp
    from jaxgan.run import Program

    config = wgan_gp.get_config()
    config.model.g_width = config.model.d_width = 8
    config.data.batch_size, config.n_critic = 16, 2
    config.model.dtype, config.model.d_conv = dtype, d_conv
    config.train.parallel = "single"
    program = Program(config)
    state = program.init_state()
    start = jax.tree.map(jnp.copy, state.d_params)  # the step donates `state`
    batch = {"x": jax.random.uniform(jax.random.key(0), (1, 2, 16, 28, 28, 1), minval=-1, maxval=1)}
    new_state, metrics = program.step(state, batch)
    return start, new_state, jax.tree.map(lambda m: float(m[0]), metrics)


@pytest.mark.parametrize("d_conv", ["xla", "matmul"])
def test_bfloat16_wgan_gp_step_is_finite_and_close_to_float32(d_conv):
    """One WGAN-GP step (2 critic updates with the penalty, one G update) in bf16 against float32
    from the same initial state. Stated tolerance: every loss within 2% of its float32 value (or
    0.02 absolute), the critic's parameter update within 25% (relative L2) of float32's (Adam's
    first steps move every parameter by about the learning rate, whatever the gradient's size, so
    bf16 rounding of small gradients shows in the update direction)."""
    start, full, m_full = _one_wgan_gp_step("float32", d_conv)
    _, half, m_half = _one_wgan_gp_step("bfloat16", d_conv)
    assert all(np.isfinite(v) for v in m_half.values())
    floats = [leaf for leaf in jax.tree.leaves((half.g_params, half.d_params, half.d_opt_state, half.ema_params))
              if jnp.issubdtype(leaf.dtype, jnp.floating)]
    assert floats and all(leaf.dtype == jnp.float32 for leaf in floats)
    for name in ("d_loss", "wgan_gp", "d_total", "g_loss"):
        assert abs(m_half[name] - m_full[name]) <= max(0.02 * abs(m_full[name]), 0.02), (
            name,
            m_half[name],
            m_full[name],
        )
    # The critic's update (two Adam steps) in bf16 against float32's: relative L2 error 0.096 measured.
    update = lambda params: jnp.concatenate(
        [(p - s).ravel() for p, s in zip(jax.tree.leaves(params), jax.tree.leaves(start))]
    )
    relative = float(
        jnp.linalg.norm(update(half.d_params) - update(full.d_params)) / jnp.linalg.norm(update(full.d_params))
    )
    assert relative <= 0.25, relative

"""The losses and penalties against closed forms and hand-computed values."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxgan import losses, techniques

LOG2 = math.log(2.0)


def test_minimax_discriminator_loss_at_half_is_two_log_two():
    zeros = jnp.zeros(7)
    np.testing.assert_allclose(losses.minimax_discriminator_loss(zeros, zeros), 2 * LOG2, rtol=1e-6)


def test_losses_against_hand_computed_values():
    real = jnp.array([2.0, -1.0, 0.5])
    fake = jnp.array([-3.0, 0.0, 1.5])
    sig = lambda t: 1 / (1 + np.exp(-t))
    r, f = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    d_expected = -np.mean(np.log(sig(r))) - np.mean(np.log(1 - sig(f)))
    np.testing.assert_allclose(losses.minimax_discriminator_loss(real, fake), d_expected, rtol=1e-6)
    np.testing.assert_allclose(losses.minimax_generator_loss(real, fake), np.mean(np.log(1 - sig(f))), rtol=1e-6)
    np.testing.assert_allclose(losses.non_saturating_generator_loss(real, fake), -np.mean(np.log(sig(f))), rtol=1e-6)
    np.testing.assert_allclose(losses.wasserstein_discriminator_loss(real, fake), f.mean() - r.mean(), rtol=1e-6)
    np.testing.assert_allclose(losses.wasserstein_generator_loss(real, fake), -f.mean(), rtol=1e-6)


def test_minimax_generator_gradient_saturates_and_non_saturating_does_not():
    """d/dl log(1 - sigmoid(l)) = -sigmoid(l) -> 0 as D rejects fakes (l -> -inf)."""
    confident_reject = jnp.array([-12.0])
    g_minimax = jax.grad(lambda l: losses.minimax_generator_loss(None, l))(confident_reject)
    g_ns = jax.grad(lambda l: losses.non_saturating_generator_loss(None, l))(confident_reject)
    assert abs(float(g_minimax[0])) < 1e-5
    np.testing.assert_allclose(g_ns, [-1.0], rtol=1e-4)


def test_losses_are_stable_at_extreme_logits():
    extreme = jnp.array([-1e4, 1e4])
    for loss in (
        losses.minimax_discriminator_loss,
        losses.minimax_generator_loss,
        losses.non_saturating_generator_loss,
    ):
        value, grad = jax.value_and_grad(lambda l: loss(l, l))(extreme)
        assert np.isfinite(value) and np.all(np.isfinite(grad)), loss.__name__


def test_logits_of_shape_b1_accepted_and_bad_shapes_rejected():
    x = jnp.arange(4.0)
    assert losses.non_saturating_generator_loss(None, x[:, None]) == losses.non_saturating_generator_loss(None, x)
    with pytest.raises(ValueError, match=r"\(B,\) or \(B, 1\).*\(2, 2\)"):
        losses.minimax_discriminator_loss(jnp.zeros((2, 2)), jnp.zeros((2, 2)))


@pytest.mark.parametrize(
    "loss",
    [
        losses.minimax_discriminator_loss,
        losses.minimax_generator_loss,
        losses.non_saturating_generator_loss,
        losses.wasserstein_discriminator_loss,
        losses.wasserstein_generator_loss,
    ],
)
def test_loss_gradients_match_finite_differences(loss):
    real = jnp.array([0.3, -1.2, 2.0], jnp.float64) if jax.config.jax_enable_x64 else jnp.array([0.3, -1.2, 2.0])
    fake = jnp.array([1.1, 0.0, -0.7])
    check_grads(loss, (real, fake), order=2, modes=["rev"], atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("w", [[3.0, 4.0], [0.3, -0.4], [1.0, 0.0], [0.0, 0.0]])
def test_gradient_penalty_of_linear_critic_is_closed_form(w):
    w = jnp.array(w)
    real = jax.random.normal(jax.random.key(1), (16, 2))
    fake = jax.random.normal(jax.random.key(2), (16, 2))
    gp = losses.gradient_penalty(lambda x: x @ w, real, fake, key=jax.random.key(0))
    np.testing.assert_allclose(gp, (float(jnp.linalg.norm(w)) - 1.0) ** 2, rtol=1e-6, atol=1e-6)


def test_gradient_penalty_uses_per_example_interpolation_and_flattened_norm():
    """Critic f(x) = 0.5 ||x||^2 on image-shaped inputs: grad = x_hat, so the penalty is
    mean_i (||x_hat_i|| - 1)^2 with x_hat_i = eps_i x_i + (1 - eps_i) x~_i, eps_i from key i."""
    real = jax.random.normal(jax.random.key(1), (6, 3, 3, 2))
    fake = jax.random.normal(jax.random.key(2), (6, 3, 3, 2))
    keys = jax.random.split(jax.random.key(5), 6)
    critic = lambda x: 0.5 * jnp.sum(jnp.square(x), axis=(1, 2, 3))
    gp = losses.gradient_penalty(critic, real, fake, key=keys)
    eps = np.array([float(jax.random.uniform(k, ())) for k in keys])
    assert len(set(np.round(eps, 6))) == 6  # one coefficient per example
    x_hat = eps[:, None, None, None] * np.asarray(real) + (1 - eps[:, None, None, None]) * np.asarray(fake)
    norms = np.linalg.norm(x_hat.reshape(6, -1), axis=1)
    np.testing.assert_allclose(gp, np.mean((norms - 1.0) ** 2), rtol=1e-5)
    # One key is split into per-example keys: the same numbers as passing the split keys.
    np.testing.assert_allclose(losses.gradient_penalty(critic, real, fake, key=jax.random.key(5)), gp, rtol=1e-6)


def test_gradient_penalty_target_norm():
    w = jnp.array([3.0, 4.0])
    x = jnp.ones((4, 2))
    gp = losses.gradient_penalty(lambda v: v @ w, x, -x, key=jax.random.key(0), target=2.0)
    np.testing.assert_allclose(gp, 9.0, rtol=1e-6)


def test_gradient_penalty_second_order_gradients():
    """The penalty is differentiated w.r.t. critic parameters in training (double backward)."""
    real = jax.random.normal(jax.random.key(1), (5, 2))
    fake = jax.random.normal(jax.random.key(2), (5, 2))

    def penalty_of(w):
        critic = lambda x: jnp.tanh(x @ w[:2]) * w[2] + jnp.sum(x**2, axis=1) * w[3]
        return losses.gradient_penalty(critic, real, fake, key=jax.random.key(3))

    check_grads(penalty_of, (jnp.array([0.7, -0.2, 1.5, 0.3]),), order=2, modes=["rev"], atol=5e-2, rtol=5e-2)


def test_gradient_penalty_rejects_bad_keys_and_shapes():
    critic = lambda x: x[:, 0]
    x = jnp.zeros((4, 2))
    with pytest.raises(TypeError, match="typed PRNG key"):
        losses.gradient_penalty(critic, x, x, key=jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match=r"4 per-example keys.*\(3,\)"):
        losses.gradient_penalty(critic, x, x, key=jax.random.split(jax.random.key(0), 3))
    with pytest.raises(ValueError, match="differ in shape"):
        losses.gradient_penalty(critic, x, jnp.zeros((4, 3)), key=jax.random.key(0))


def test_clip_weights_bounds_every_parameter():
    params = {"a": jnp.array([-3.0, 0.005, 2.0]), "b": {"c": jnp.array([[0.02, -0.001]])}}
    clipped = techniques.clip_weights(params, bound=0.01)
    for leaf in jax.tree.leaves(clipped):
        assert float(jnp.max(jnp.abs(leaf))) <= 0.01
    np.testing.assert_array_equal(clipped["a"], np.float32([-0.01, 0.005, 0.01]))
    with pytest.raises(ValueError, match="positive"):
        techniques.clip_weights(params, bound=0.0)


# TF-GAN's published vectors (tensorflow_gan/python/losses/losses_impl_test.py).
TFGAN_REAL = jnp.array([-5.0, 1.4, 12.5, 2.7])
TFGAN_FAKE = jnp.array([10.0, 4.4, -5.5, 3.6])


def test_tfgan_reference_vectors():
    # modified_generator_loss == our non-saturating loss
    np.testing.assert_allclose(losses.non_saturating_generator_loss(TFGAN_REAL, TFGAN_FAKE), 1.38582, atol=1e-5)
    # minimax_discriminator_loss with TF-GAN's default label_smoothing=0.25 (real target 0.875)
    np.testing.assert_allclose(
        losses.minimax_discriminator_loss(TFGAN_REAL, TFGAN_FAKE, label_smoothing=0.125), 6.19637, atol=1e-5
    )
    # TF-GAN's minimax_generator_loss is -d_loss(ones_like(fake), fake): ours plus the constant
    # real-side term evaluated at logit 1, softplus(-1) = log(1 + e^-1).
    np.testing.assert_allclose(
        losses.minimax_generator_loss(TFGAN_REAL, TFGAN_FAKE) - math.log1p(math.exp(-1.0)), -4.82408, atol=1e-5
    )
    np.testing.assert_allclose(losses.wasserstein_generator_loss(TFGAN_REAL, TFGAN_FAKE), -3.125, atol=1e-6)
    np.testing.assert_allclose(losses.wasserstein_discriminator_loss(TFGAN_REAL, TFGAN_FAKE), 0.225, atol=1e-6)
    # wasserstein_gradient_penalty with critic 2 * x on one 4-dim example: (||2 * 1|| - 1)^2 = 9
    gp = losses.gradient_penalty(
        lambda x: jnp.sum(2.0 * x, axis=1),
        jnp.array([[-12.3, 23.2, 16.3, -43.2]]),
        jnp.array([[3.1, 2.3, -12.3, 32.1]]),
        key=jax.random.key(0),
    )
    np.testing.assert_allclose(gp, 9.0, atol=1e-5)


def test_label_smoothing_is_one_sided_and_validated():
    zeros = jnp.zeros(3)
    smoothed = losses.minimax_discriminator_loss(zeros, zeros + 5.0, label_smoothing=0.1)
    np.testing.assert_allclose(smoothed, losses.minimax_discriminator_loss(zeros, zeros + 5.0), rtol=1e-6)  # 0.1 * 0
    real = jnp.array([2.0])
    np.testing.assert_allclose(
        losses.minimax_discriminator_loss(real, jnp.array([-30.0]), label_smoothing=0.1),
        math.log1p(math.exp(-2.0)) + 0.2, rtol=1e-5,
    )
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        losses.minimax_discriminator_loss(zeros, zeros, label_smoothing=1.0)


def test_tfgan_least_squares_and_hinge_vectors():
    np.testing.assert_allclose(losses.least_squares_generator_loss(TFGAN_REAL, TFGAN_FAKE), 17.69625, atol=1e-4)
    np.testing.assert_allclose(losses.least_squares_discriminator_loss(TFGAN_REAL, TFGAN_FAKE), 41.73375, atol=1e-4)
    np.testing.assert_allclose(losses.hinge_discriminator_loss(TFGAN_REAL, TFGAN_FAKE), 6.75, atol=1e-5)
    np.testing.assert_allclose(losses.hinge_generator_loss(TFGAN_REAL, TFGAN_FAKE), -3.125, atol=1e-5)


def test_least_squares_at_targets_and_hinge_at_margins():
    a, b, c = -1.0, 1.0, 0.0
    np.testing.assert_allclose(
        losses.least_squares_discriminator_loss(jnp.full(3, b), jnp.full(3, a), a=a, b=b), 0.0, atol=1e-7
    )
    np.testing.assert_allclose(losses.least_squares_generator_loss(None, jnp.full(3, c), c=c), 0.0, atol=1e-7)
    np.testing.assert_allclose(
        losses.least_squares_discriminator_loss(jnp.full(2, 3.0), jnp.full(2, 2.0)), 0.5 * 4 + 0.5 * 4
    )
    assert float(losses.hinge_discriminator_loss(jnp.array([1.0, 4.0]), jnp.array([-1.0, -3.0]))) == 0.0
    np.testing.assert_allclose(losses.hinge_discriminator_loss(jnp.zeros(2), jnp.zeros(2)), 2.0)
    np.testing.assert_allclose(losses.hinge_discriminator_loss(jnp.array([0.5]), jnp.array([-0.25])), 0.5 + 0.75)


def test_relativistic_losses_against_hand_computed_vectors():
    r = np.array([2.0, -1.0, 0.5])
    f = np.array([-3.0, 0.0, 1.5])
    softplus = lambda t: np.log1p(np.exp(t))
    pairs = {
        losses.relativistic_discriminator_loss: np.mean(softplus(-(r - f))),
        losses.relativistic_generator_loss: np.mean(softplus(-(f - r))),
        losses.relativistic_average_discriminator_loss: np.mean(softplus(-(r - f.mean())))
        + np.mean(softplus(f - r.mean())),
        losses.relativistic_average_generator_loss: np.mean(softplus(-(f - r.mean())))
        + np.mean(softplus(r - f.mean())),
    }
    for loss, expected in pairs.items():
        np.testing.assert_allclose(loss(jnp.asarray(r), jnp.asarray(f)), expected, rtol=1e-6, err_msg=loss.__name__)
    # Equal critics: every relativistic loss is log 2 per term.
    np.testing.assert_allclose(losses.relativistic_discriminator_loss(jnp.ones(4), jnp.ones(4)), LOG2, rtol=1e-6)
    np.testing.assert_allclose(
        losses.relativistic_average_generator_loss(jnp.ones(4), jnp.ones(4)), 2 * LOG2, rtol=1e-6
    )
    with pytest.raises(ValueError, match="pair real and fake"):
        losses.relativistic_discriminator_loss(jnp.ones(3), jnp.ones(4))


@pytest.mark.parametrize(
    "loss",
    [
        losses.least_squares_discriminator_loss,
        losses.least_squares_generator_loss,
        losses.hinge_discriminator_loss,
        losses.relativistic_discriminator_loss,
        losses.relativistic_generator_loss,
        losses.relativistic_average_discriminator_loss,
        losses.relativistic_average_generator_loss,
        losses.boundary_seeking_generator_loss,
        losses.softmax_discriminator_loss,
        losses.softmax_generator_loss,
    ],
)
def test_more_loss_gradients_match_finite_differences(loss):
    check_grads(
        loss, (jnp.array([0.3, -1.2, 2.0]), jnp.array([1.1, 0.05, -0.7])), order=2, modes=["rev"], atol=1e-2, rtol=1e-2
    )


def test_boundary_seeking_loss_is_half_the_squared_log_ratio():
    """Hjelm et al. 2018: 1/2 (log D - log(1 - D))^2 from probabilities equals the logit form;
    the gradient w.r.t. a logit is the logit, and it stays finite where D saturates."""
    fake = np.array([2.0, -0.5, 0.0, -6.0])
    p = 1 / (1 + np.exp(-fake))
    np.testing.assert_allclose(losses.boundary_seeking_generator_loss(None, jnp.asarray(fake)),
                               np.mean(0.5 * (np.log(p) - np.log(1 - p)) ** 2), rtol=1e-6)
    grad = jax.grad(lambda l: losses.boundary_seeking_generator_loss(None, l))(jnp.asarray(fake))
    np.testing.assert_allclose(grad, fake / fake.size, rtol=1e-6)
    value, grad = jax.value_and_grad(lambda l: losses.boundary_seeking_generator_loss(None, l))(jnp.array([-1e4, 40.0]))
    assert np.isfinite(value) and np.all(np.isfinite(grad))


def _softmax_gan_reference(real, fake):
    """Lin 2017's L_D and L_G, in float64 with energies E = -logit: (L_D, L_G)."""
    energies = -np.concatenate([real, fake])
    log_z = np.log(np.sum(np.exp(-energies)))
    return np.sum(-real) / real.size + log_z, np.sum(energies) / energies.size + log_z


def test_softmax_gan_losses_against_the_paper_and_their_extremes():
    real, fake = np.array([1.5, -0.3, 0.8]), np.array([-2.0, 0.4, 0.1, -1.0])  # |B+| != |B-| too
    d_expected, g_expected = _softmax_gan_reference(real, fake)
    np.testing.assert_allclose(losses.softmax_discriminator_loss(real, fake), d_expected, rtol=1e-6)
    np.testing.assert_allclose(losses.softmax_generator_loss(real, fake), g_expected, rtol=1e-6)
    # Equal logits: both are ln |B|. Generated logits -> -inf with equal real ones: L_D -> ln |B+|.
    np.testing.assert_allclose(losses.softmax_discriminator_loss(jnp.ones(4), jnp.ones(4)), math.log(8), rtol=1e-6)
    np.testing.assert_allclose(losses.softmax_generator_loss(jnp.ones(4), jnp.ones(4)), math.log(8), rtol=1e-6)
    np.testing.assert_allclose(losses.softmax_discriminator_loss(jnp.zeros(4), jnp.full(4, -1e4)), math.log(4),
                               rtol=1e-6)
    # The gradients are softmax minus the targets (1/|B+| on real for D, 1/|B| everywhere for G).
    both = np.concatenate([real, fake])
    softmax = np.exp(both - both.max()) / np.sum(np.exp(both - both.max()))
    d_real, d_fake = jax.grad(losses.softmax_discriminator_loss, argnums=(0, 1))(jnp.asarray(real), jnp.asarray(fake))
    np.testing.assert_allclose(np.concatenate([d_real, d_fake]),
                               softmax - np.concatenate([np.full(3, 1 / 3), np.zeros(4)]), atol=1e-6)
    g_real, g_fake = jax.grad(losses.softmax_generator_loss, argnums=(0, 1))(jnp.asarray(real), jnp.asarray(fake))
    np.testing.assert_allclose(np.concatenate([g_real, g_fake]), softmax - 1 / 7, atol=1e-6)


def test_softmax_gan_losses_are_finite_where_a_direct_sum_of_exponentials_overflows():
    real, fake = jnp.array([100.0, 95.0]), jnp.array([-100.0, 90.0])
    with np.errstate(over="ignore"):  # what a direct sum does
        assert not np.isfinite(np.log(np.sum(np.exp(np.asarray(jnp.concatenate([real, fake]), np.float32)))))
    for loss in (losses.softmax_discriminator_loss, losses.softmax_generator_loss):
        value, grads = jax.value_and_grad(loss, argnums=(0, 1))(real, fake)
        d_expected, g_expected = _softmax_gan_reference(np.asarray(real, np.float64), np.asarray(fake, np.float64))
        expected = d_expected if loss is losses.softmax_discriminator_loss else g_expected
        np.testing.assert_allclose(value, expected, rtol=1e-5)
        assert all(np.all(np.isfinite(g)) for g in grads)


def _linear(w):
    return lambda x: x.reshape(x.shape[0], -1) @ w


def test_lipschitz_penalty_is_one_sided():
    real = jax.random.normal(jax.random.key(1), (8, 2))
    fake = jax.random.normal(jax.random.key(2), (8, 2))
    key = jax.random.key(0)
    assert float(losses.lipschitz_penalty(_linear(jnp.array([0.3, 0.4])), real, fake, key=key)) == 0.0
    np.testing.assert_allclose(
        losses.lipschitz_penalty(_linear(jnp.array([3.0, 4.0])), real, fake, key=key), 16.0, rtol=1e-6
    )


def test_divergence_penalty_of_quadratic_critic():
    """f(x) = c ||x||^2: grad = 2 c x, so k/2 (mean (2c||x_r||)^p + mean (2c||x_f||)^p)."""
    c, k, p = 0.3, 2.0, 6.0
    real = jax.random.normal(jax.random.key(1), (5, 3))
    fake = jax.random.normal(jax.random.key(2), (5, 3))
    critic = lambda x: c * jnp.sum(x**2, axis=1)
    expected = 0.5 * k * (
        np.mean((2 * c * np.linalg.norm(real, axis=1)) ** p) + np.mean((2 * c * np.linalg.norm(fake, axis=1)) ** p)
    )
    np.testing.assert_allclose(
        losses.divergence_penalty(critic, real, fake, key=jax.random.key(0)), expected, rtol=1e-5
    )
    np.testing.assert_allclose(
        losses.divergence_penalty(critic, real, fake, key=jax.random.key(0), k=1.0, p=2.0),
        0.5
        * (np.mean((2 * c * np.linalg.norm(real, axis=1)) ** 2) + np.mean((2 * c * np.linalg.norm(fake, axis=1)) ** 2)),
        rtol=1e-5,
    )


def test_r1_r2_of_quadratic_critic():
    """f(x) = 1/2 x^T A x: grad = A x, so R1 = 1/2 mean ||A x_real||^2 (R2 likewise on fakes)."""
    a = jnp.array([[2.0, 0.5], [0.5, -1.0]])
    real = jax.random.normal(jax.random.key(1), (6, 2))
    fake = jax.random.normal(jax.random.key(2), (6, 2))
    critic = lambda x: 0.5 * jnp.einsum("bi,ij,bj->b", x, a, x)
    key = jax.random.key(0)
    np.testing.assert_allclose(
        losses.r1_penalty(critic, real, fake, key=key), 0.5 * np.mean(np.sum(np.square(real @ a), 1)), rtol=1e-5
    )
    np.testing.assert_allclose(
        losses.r2_penalty(critic, real, fake, key=key), 0.5 * np.mean(np.sum(np.square(fake @ a), 1)), rtol=1e-5
    )


def test_dragan_penalty_of_linear_critic_and_perturbation():
    w = jnp.array([3.0, 4.0, 0.0])
    real = jax.random.normal(jax.random.key(1), (8, 3))
    key = jax.random.key(0)
    np.testing.assert_allclose(losses.dragan_penalty(_linear(w), real, None, key=key), 16.0, rtol=1e-6)
    # Gradient evaluated at x + std * sigma * noise: with f = 0.5 ||x||^2 the gradient is the point.
    critic = lambda x: 0.5 * jnp.sum(x**2, axis=1)
    keys = jax.random.split(key, 8)
    noise = np.stack([np.asarray(jax.random.normal(k, (3,))) for k in keys])
    points = np.asarray(real) + 0.5 * float(jnp.std(real)) * noise
    expected = np.mean((np.linalg.norm(points, axis=1) - 1.0) ** 2)
    np.testing.assert_allclose(losses.dragan_penalty(critic, real, None, key=keys), expected, rtol=1e-5)


def test_dragan_authors_perturbation_is_a_one_sided_push_interpolated_per_example():
    # The authors' code: x + alpha * std * sigma * u, u ~ U[0, 1)^d, alpha ~ U[0, 1) per example;
    # with f = 0.5 ||x||^2 the gradient is the point itself.
    real = jax.random.normal(jax.random.key(1), (8, 3))
    keys = jax.random.split(jax.random.key(0), 8)
    critic = lambda x: 0.5 * jnp.sum(x**2, axis=1)
    pushes = []
    for k in keys:
        noise_key, alpha_key = jax.random.split(k)
        pushes.append(float(jax.random.uniform(alpha_key, ())) * np.asarray(jax.random.uniform(noise_key, (3,))))
    points = np.asarray(real) + 0.5 * float(jnp.std(real)) * np.stack(pushes)
    expected = np.mean((np.linalg.norm(points, axis=1) - 1.0) ** 2)
    got = losses.dragan_penalty(critic, real, None, key=keys, perturbation="uniform_interpolated")
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert np.all(np.stack(pushes) >= 0)  # one-sided, unlike the paper's Gaussian
    with pytest.raises(ValueError, match="'laplace'.*gaussian"):
        losses.dragan_penalty(critic, real, None, key=keys, perturbation="laplace")


@pytest.mark.parametrize(
    "penalty",
    [
        losses.gradient_penalty,
        losses.lipschitz_penalty,
        losses.divergence_penalty,
        losses.dragan_penalty,
        losses.r1_penalty,
        losses.r2_penalty,
    ],
)
def test_penalties_second_order_gradients_and_jit_vmap(penalty):
    real = jax.random.normal(jax.random.key(1), (5, 2))
    fake = jax.random.normal(jax.random.key(2), (5, 2))

    def penalty_of(w, real=real, fake=fake):
        critic = lambda x: jnp.tanh(x @ w[:2]) * w[2] + jnp.sum(x**2, axis=1) * w[3]
        return penalty(critic, real, fake, key=jax.random.key(3))

    w = jnp.array([0.7, -0.2, 1.5, 0.3])
    check_grads(penalty_of, (w,), order=2, modes=["rev"], atol=5e-2, rtol=5e-2)
    np.testing.assert_allclose(jax.jit(penalty_of)(w), penalty_of(w), rtol=1e-5)
    stacked = jax.vmap(lambda r, f: penalty_of(w, r, f))(jnp.stack([real, fake]), jnp.stack([fake, real]))
    np.testing.assert_allclose(stacked[0], penalty_of(w), rtol=1e-5)


ALL_ADVERSARIAL = [
    losses.minimax_discriminator_loss, losses.minimax_generator_loss, losses.non_saturating_generator_loss,
    losses.wasserstein_discriminator_loss, losses.wasserstein_generator_loss,
    losses.least_squares_discriminator_loss, losses.least_squares_generator_loss,
    losses.hinge_discriminator_loss, losses.hinge_generator_loss,
    losses.relativistic_discriminator_loss, losses.relativistic_generator_loss,
    losses.relativistic_average_discriminator_loss, losses.relativistic_average_generator_loss,
    losses.boundary_seeking_generator_loss, losses.softmax_discriminator_loss, losses.softmax_generator_loss,
]


def test_every_registered_adversarial_loss_is_checked_here():
    assert {fn for pair in losses.ADVERSARIAL.values() for fn in pair} == set(ALL_ADVERSARIAL)


@pytest.mark.parametrize("loss", ALL_ADVERSARIAL, ids=lambda f: f.__name__)
def test_every_adversarial_loss_is_unchanged_under_jit_and_vmap(loss):
    real = jax.random.normal(jax.random.key(1), (3, 6))
    fake = jax.random.normal(jax.random.key(2), (3, 6))
    eager = np.array([float(loss(r, f)) for r, f in zip(real, fake)])
    np.testing.assert_allclose(jax.vmap(loss)(real, fake), eager, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jax.jit(jax.vmap(loss))(real, fake), eager, rtol=1e-5, atol=1e-6)
    check_grads(loss, (real[0], fake[0]), order=1, modes=["rev"], atol=1e-2, rtol=1e-2)

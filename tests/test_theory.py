"""Theory tools against closed forms: D*, KL, JS, and the saturating minimax gradient."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgan import losses, theory

GRID = jnp.linspace(-30.0, 30.0, 20001)


def _log_n(mean, std):
    return theory.gaussian_log_density(GRID, mean, std)


@pytest.mark.parametrize("m1, s1, m2, s2", [(0.0, 1.0, 1.0, 1.0), (0.5, 0.7, -1.0, 2.0), (0.0, 1.0, 0.0, 1.0)])
def test_kl_closed_form_matches_quadrature(m1, s1, m2, s2):
    closed = theory.kl_gaussians(m1, s1, m2, s2)
    np.testing.assert_allclose(theory.kl_divergence(_log_n(m1, s1), _log_n(m2, s2), GRID), closed, atol=1e-6)
    if (m1, s1) == (0.0, 1.0) and m2 == 1.0:
        np.testing.assert_allclose(closed, 0.5, rtol=1e-6)  # (m1 - m2)^2 / 2


def test_js_limits_and_symmetry():
    assert abs(float(theory.js_divergence(_log_n(0, 1), _log_n(0, 1), GRID))) < 1e-9
    np.testing.assert_allclose(theory.js_divergence(_log_n(0, 0.5), _log_n(20, 0.5), GRID), math.log(2), rtol=1e-6)
    a = theory.js_divergence(_log_n(0, 1), _log_n(1.3, 0.6), GRID)
    b = theory.js_divergence(_log_n(1.3, 0.6), _log_n(0, 1), GRID)
    np.testing.assert_allclose(a, b, rtol=1e-9)
    assert 0 < float(a) < math.log(2)


@pytest.mark.parametrize("shift", [0.3, 1.0, 2.5])
def test_optimal_discriminator_gives_minus_two_log_two_plus_two_js(shift):
    """V(D*, G) = E_r log D* + E_g log(1 - D*) = -2 log 2 + 2 JS (Goodfellow et al. 2014, Thm. 1);
    our discriminator loss is -V, evaluated here by quadrature on the logits of D*."""
    log_r, log_g = _log_n(0.0, 1.0), _log_n(shift, 1.0)
    logit = theory.optimal_discriminator_logit(log_r, log_g)
    value = theory.expectation(log_r, jax.nn.log_sigmoid(logit), GRID) + theory.expectation(
        log_g, jax.nn.log_sigmoid(-logit), GRID
    )
    js = theory.js_divergence(log_r, log_g, GRID)
    np.testing.assert_allclose(value, -2 * math.log(2) + 2 * js, atol=1e-6)
    d_star = theory.optimal_discriminator(jnp.exp(log_r), jnp.exp(log_g))
    np.testing.assert_allclose(jnp.where(jnp.abs(GRID) < 5, d_star - jax.nn.sigmoid(logit), 0.0), 0.0, atol=1e-6)


def test_discriminator_loss_at_optimum_equals_two_log_two_minus_two_js():
    """Monte-Carlo check of the same identity through the library's loss on logits."""
    shift = 1.5
    real = jax.random.normal(jax.random.key(0), (200_000,))
    fake = shift + jax.random.normal(jax.random.key(1), (200_000,))
    logit = lambda x: theory.optimal_discriminator_logit(
        theory.gaussian_log_density(x, 0, 1), theory.gaussian_log_density(x, shift, 1)
    )
    loss = losses.minimax_discriminator_loss(logit(real), logit(fake))
    js = theory.js_divergence(_log_n(0, 1), _log_n(shift, 1), GRID)
    np.testing.assert_allclose(loss, 2 * math.log(2) - 2 * js, atol=1e-2)


def test_minimax_gradient_vanishes_while_wasserstein_stays_constant():
    near = theory.shifted_generator_objectives(jnp.float32(0.5), std=0.5)
    far = theory.shifted_generator_objectives(jnp.float32(6.0), std=0.5)
    assert abs(float(far["minimax"])) < 1e-8 and abs(float(far["minimax_grad"])) < 1e-6
    assert float(near["minimax_grad"]) > 0.1
    assert float(near["wasserstein_grad"]) == float(far["wasserstein_grad"]) == 1.0
    np.testing.assert_allclose(far["js"], math.log(2), rtol=1e-5)
    # Non-saturating with equal variances: -log D*(x) ~ (2 x theta - theta^2) / (2 s^2) on the fakes,
    # whose mean is theta^2 / (2 s^2) = 72 at theta = 6, s = 0.5, with gradient theta / s^2 = 24.
    np.testing.assert_allclose(far["non_saturating"], 72.0, rtol=1e-3)
    np.testing.assert_allclose(far["non_saturating_grad"], 24.0, rtol=1e-3)


def _adaptive_reference(theta, std):
    """The four generator terms of `shifted_generator_objectives` by SciPy's adaptive quadrature
    in float64, over x ~ N(theta, std^2), told where D*'s step (x = theta / 2) and the mean are."""
    from scipy import integrate, special

    slope, offset = theta / std**2, theta**2 / (2 * std**2)
    logit = lambda x: offset - slope * x  # logit D*(x) = log p_r(x) - log p_g(x)
    density = lambda x: np.exp(-0.5 * ((x - theta) / std) ** 2) / (std * np.sqrt(2 * np.pi))
    low, high = min(0.0, theta / 2) - 12 * std, max(0.0, theta) + 12 * std

    def expect(f):
        return integrate.quad(lambda x: density(x) * f(x), low, high, points=[theta / 2, theta], limit=500,
                              epsabs=0.0, epsrel=1e-10)[0]

    return {"minimax": expect(lambda x: -np.logaddexp(0.0, logit(x))),
            "minimax_grad": expect(lambda x: slope * special.expit(logit(x))),
            "non_saturating": expect(lambda x: np.logaddexp(0.0, -logit(x))),
            "non_saturating_grad": expect(lambda x: slope * special.expit(-logit(x)))}


@pytest.mark.parametrize("std", [0.5, 1.0])
@pytest.mark.parametrize("ratio", [0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 16.0])
def test_shifted_objectives_match_adaptive_quadrature_far_into_the_tail(ratio, std):
    """theta / s up to 16: D*'s step sits 8 standard deviations from the generator's mean, where a
    64-node Gauss-Hermite rule was 25% off the minimax gradient (3.90e-14 for 3.116e-14)."""
    theta = ratio * std
    got = theory.shifted_generator_objectives(jnp.float32(theta), std=std)
    for name, expected in _adaptive_reference(theta, std).items():
        assert float(got[name]) == pytest.approx(expected, rel=1e-5), name


def test_readme_numbers_of_the_minimax_gradient():
    at4, at8 = (theory.shifted_generator_objectives(jnp.float32(t), std=0.5) for t in (4.0, 8.0))
    assert float(at4["minimax"]) == pytest.approx(-9.35e-5, rel=1e-3)
    assert float(at4["minimax_grad"]) == pytest.approx(7.86e-4, rel=1e-3)
    assert float(at8["minimax_grad"]) == pytest.approx(3.116e-14, rel=1e-3)

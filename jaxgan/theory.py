"""Theory tools: optimal discriminators, divergences between known distributions, and the
generator's loss and gradient under each objective as a generator is shifted off the data.

Goodfellow et al. 2014, Prop. 1 and Thm. 1: for a fixed G the optimal discriminator is
D*(x) = p_r(x) / (p_r(x) + p_g(x)), and V(D*, G) = -2 log 2 + 2 JS(p_r || p_g).
Arjovsky & Bottou 2017 (Thm. 2.4-2.5): when the supports barely overlap, the minimax generator
loss saturates (JS -> log 2) and its gradient vanishes; the non-saturating loss keeps a gradient
but it is driven by KL(p_g || p_r) - 2 JS. Arjovsky et al. 2017: W1 grows linearly with the shift.
All functions are pure JAX (differentiable); 1D quadrature on an explicit grid.
"""

import jax
import jax.numpy as jnp
import numpy as np


def optimal_discriminator(p_real, p_fake) -> jax.Array:
    """D*(x) = p_r(x) / (p_r(x) + p_g(x)) from density values (arrays of equal shape)."""
    return p_real / (p_real + p_fake)


def optimal_discriminator_logit(log_p_real, log_p_fake) -> jax.Array:
    """logit D*(x) = log p_r(x) - log p_g(x): the stable form, from log-densities."""
    return log_p_real - log_p_fake


def gaussian_log_density(x, mean, std) -> jax.Array:
    """log N(x; mean, std^2), elementwise (1D)."""
    return -0.5 * jnp.square((x - mean) / std) - jnp.log(std) - 0.5 * jnp.log(2 * jnp.pi)


def kl_gaussians(mean1, std1, mean2, std2) -> jax.Array:
    """KL(N(m1, s1^2) || N(m2, s2^2)) = log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2.
    Broadcasts, so diagonal multivariate Gaussians are `jnp.sum(kl_gaussians(...))`."""
    return jnp.log(std2 / std1) + (jnp.square(std1) + jnp.square(mean1 - mean2)) / (2 * jnp.square(std2)) - 0.5


def _trapezoid(values, grid):
    return jnp.sum(0.5 * (values[1:] + values[:-1]) * jnp.diff(grid))


def expectation(log_p, values, grid) -> jax.Array:
    """E_p[f] = integral p f by the trapezoid rule, from log p and f evaluated on `grid`."""
    p = jnp.exp(log_p)
    return _trapezoid(jnp.where(p > 0, p * values, 0.0), grid)


def kl_divergence(log_p, log_q, grid) -> jax.Array:
    """KL(p || q) = integral p log(p / q) by the trapezoid rule on `grid`, from log-densities
    evaluated on the grid. Terms where p underflows to 0 contribute 0."""
    p = jnp.exp(log_p)
    integrand = jnp.where(p > 0, p * (log_p - log_q), 0.0)
    return _trapezoid(integrand, grid)


def js_divergence(log_p, log_q, grid) -> jax.Array:
    """JS(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2, in nats (at most log 2)."""
    log_m = jnp.logaddexp(log_p, log_q) - jnp.log(2.0)
    return 0.5 * kl_divergence(log_p, log_m, grid) + 0.5 * kl_divergence(log_q, log_m, grid)


def normal_expectation_rule(breakpoints, *, reach=12.0, panels=8, nodes=16) -> tuple[jax.Array, jax.Array]:
    """(z, w): nodes and weights with sum(w * f(z)) ~= E_{z ~ N(0, 1)} f(z) for an f that is smooth
    except at `breakpoints` (e.g. a steep sigmoid's step).

    Composite Gauss-Legendre with `panels` panels of `nodes` nodes on each piece of
    [min - reach, max + reach] split at 0 and at the breakpoints, the normal density folded into
    the weights. A single Gauss-Hermite rule does not resolve a step that lies far in the normal's
    tail (its outer nodes are sparse): the integral there is dominated by the step's
    neighbourhood. Breakpoints may be traced values; the rule is differentiable in them.
    """
    unit, unit_weights = (jnp.asarray(a) for a in np.polynomial.legendre.leggauss(nodes))
    cuts = jnp.sort(jnp.concatenate([jnp.zeros(1), jnp.atleast_1d(jnp.asarray(breakpoints, jnp.float32))]))
    edges = jnp.concatenate([cuts[:1] - reach, cuts, cuts[-1:] + reach])
    starts, ends = edges[:-1], edges[1:]  # pieces (zero-length ones get zero weight)
    fractions = jnp.arange(panels + 1) / panels
    panel_edges = starts[:, None] + (ends - starts)[:, None] * fractions  # (pieces, panels + 1)
    left, right = panel_edges[:, :-1].ravel(), panel_edges[:, 1:].ravel()
    half = 0.5 * (right - left)
    z = (0.5 * (left + right))[:, None] + half[:, None] * unit
    density = jnp.exp(-0.5 * jnp.square(z)) / jnp.sqrt(2 * jnp.pi)
    return z.ravel(), (half[:, None] * unit_weights * density).ravel()


def shifted_generator_objectives(shift, *, std=1.0) -> dict:
    """Generator losses and their gradients w.r.t. a shift theta of p_g = N(theta, s^2) away from
    p_r = N(0, s^2), each against its optimal adversary, which is held fixed when differentiating
    (the alternating-optimization view: G sees D's current function).

    Returns a dict of scalars:
      minimax, minimax_grad:    E_z[log(1 - D*(G(z)))]      (Goodfellow Eq. 1; saturates at 0 =
                                the value where V(D*, G) = -2 log 2 + 2 log 2)
      non_saturating, ..._grad: -E_z[log D*(G(z))]
      wasserstein, ..._grad:    W1 = E_r f* - E_g f* with f*(x) = -sign(theta) x, i.e. |theta|;
                                the generator minimizes -E_g f*, whose gradient is sign(theta)
      js:                       JS(p_r || p_g) by quadrature.
    Here logit D*(x) = (theta^2 - 2 theta x) / (2 s^2): D* steps from 1 to 0 at x = theta / 2, ever
    more steeply as theta / s grows, i.e. at z = -theta / (2 s) for samples G(z) = theta + s z.
    Expectations over z ~ N(0, 1) use `normal_expectation_rule` split at that step (tested
    against adaptive quadrature up to theta / s = 16).
    """
    frozen = jax.lax.stop_gradient(shift)
    nodes, weights = normal_expectation_rule(-frozen / (2 * std))

    def d_logit(x):  # logit of D* for the current (frozen) generator
        return optimal_discriminator_logit(gaussian_log_density(x, 0.0, std), gaussian_log_density(x, frozen, std))

    def expect(fn):
        return lambda theta: jnp.sum(weights * fn(theta + std * nodes))

    minimax = expect(lambda x: -jax.nn.softplus(d_logit(x)))  # log(1 - sigmoid(l)) = -softplus(l)
    non_saturating = expect(lambda x: jax.nn.softplus(-d_logit(x)))  # -log sigmoid(l)
    critic_slope = -jnp.sign(frozen)  # the 1-Lipschitz critic that is larger on the data side
    wasserstein_gen = lambda theta: -critic_slope * theta  # -E_g f*(x) = -slope * theta
    grid = jnp.linspace(-12 * std + jnp.minimum(0.0, frozen), 12 * std + jnp.maximum(0.0, frozen), 4001)
    js = js_divergence(gaussian_log_density(grid, 0.0, std), gaussian_log_density(grid, frozen, std), grid)
    return {
        "minimax": minimax(shift),
        "minimax_grad": jax.grad(minimax)(shift),
        "non_saturating": non_saturating(shift),
        "non_saturating_grad": jax.grad(non_saturating)(shift),
        "wasserstein": jnp.abs(shift),
        "wasserstein_grad": jax.grad(wasserstein_gen)(shift),
        "js": js,
    }

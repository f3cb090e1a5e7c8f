"""Penalties on the critic.

A penalty is `penalty(critic, real, fake, *, key, **hyperparameters) -> scalar`, where
`critic` maps a batch (B, ...) to logits (B,). Randomness is drawn per example from `key`,
which is either one typed key (split into B keys here) or a vector of B per-example keys. The
step factory passes per-example keys derived from each example's global index, so a
data-parallel step draws exactly the numbers a single-device step draws.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

Critic = Callable[[jax.Array], jax.Array]
"""A critic as a function: a batch (B, ...) -> logits (B,)."""


def example_keys(key, batch_size) -> jax.Array:
    """B per-example keys from `key`: one typed key (split) or already a (B,) vector of keys."""
    if not jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        raise TypeError(
            f"expected a typed PRNG key from jax.random.key(...), got dtype {key.dtype}; "
            "raw uint32 keys from jax.random.PRNGKey are not accepted"
        )
    if key.shape == ():
        return jax.random.split(key, batch_size)
    if key.shape != (batch_size,):
        raise ValueError(f"expected one key or {batch_size} per-example keys, got key shape {key.shape}")
    return key


def _squared_gradient_norms(critic, x):
    """||d critic(x_i) / d x_i||_2^2 for each example i, over the whole flattened example: (B,).

    One `jax.grad` of sum_i critic(x_i): exact per-example gradients when the critic treats
    examples independently (no BatchNorm). The squares and their sum are computed in float32
    whatever the critic's compute dtype (a bf16 critic's gradient has 8 bits of mantissa; its
    sum over a 784-3072-pixel example in bf16 would lose the penalty's signal).
    """
    grads = jax.grad(lambda inputs: jnp.sum(critic(inputs).astype(jnp.float32)))(x)
    grads = grads.reshape(x.shape[0], -1).astype(jnp.float32)
    return jnp.sum(jnp.square(grads), axis=1)


# Added under the square root: the norm's own gradient g / ||g|| is finite (zero) at g = 0 rather
# than 0/0 = NaN, which a critic with a flat region (or a bf16 gradient that underflows) reaches.
NORM_EPSILON = 1e-12


def _gradient_norms(critic, x):
    """Per-example gradient norms in float32, sqrt(sum g^2 + NORM_EPSILON)."""
    return jnp.sqrt(_squared_gradient_norms(critic, x) + NORM_EPSILON)


def _check_pair(real, fake):
    if real.shape != fake.shape:
        raise ValueError(f"real and fake batches differ in shape: {real.shape} vs {fake.shape}")


def _interpolates(real, fake, key):
    """x_hat_i = eps_i x_i + (1 - eps_i) x~_i with eps_i ~ U[0, 1] from example i's key."""
    _check_pair(real, fake)
    keys = example_keys(key, real.shape[0])
    eps = jax.vmap(lambda k: jax.random.uniform(k, (), dtype=real.dtype))(keys)
    eps = eps.reshape((-1,) + (1,) * (real.ndim - 1))
    return eps * real + (1.0 - eps) * fake


def gradient_penalty(critic: Critic, real: jax.Array, fake: jax.Array, *, key: jax.Array, target=1.0) -> jax.Array:
    """Two-sided gradient penalty of WGAN-GP (Gulrajani et al. 2017, Eq. 3 and Algorithm 1).

    x_hat_i = eps_i x_i + (1 - eps_i) x~_i with eps_i ~ U[0, 1] drawn per example;
    GP = E_i[(||grad_x f(x_hat_i)||_2 - target)^2], the norm taken over the whole flattened
    example. The per-example gradient is `jax.grad` of sum_i f(x_hat_i), exact when the critic
    treats examples independently (no BatchNorm in the critic; use LayerNorm or none).
    Multiply by lambda = 10 (the paper's value) in the step factory.

    Shapes: real, fake (B, ...) of equal shape; returns a scalar.
    Example (linear critic f(x) = w.x gives exactly (||w|| - 1)^2):
      >>> w = jnp.array([3.0, 4.0])
      >>> gradient_penalty(lambda x: x @ w, jnp.ones((8, 2)), jnp.zeros((8, 2)),
      ...                  key=jax.random.key(0))  # (5 - 1)^2
      Array(16., dtype=float32)
    """
    norms = _gradient_norms(critic, _interpolates(real, fake, key))
    return jnp.mean(jnp.square(norms - target))


def lipschitz_penalty(critic: Critic, real: jax.Array, fake: jax.Array, *, key: jax.Array, target=1.0) -> jax.Array:
    """One-sided penalty of WGAN-LP (Petzka et al. 2018, Eq. 8): E[max(0, ||grad f(x_hat)|| - 1)^2]
    at the same per-example interpolates as WGAN-GP. Zero wherever the critic is 1-Lipschitz, so
    it does not push gradients *up* to norm 1 as the two-sided penalty does.
    Multiply by lambda (the paper uses 5 and 10) in the step factory.
    """
    norms = _gradient_norms(critic, _interpolates(real, fake, key))
    return jnp.mean(jnp.square(jax.nn.relu(norms - target)))


def divergence_penalty(critic: Critic, real: jax.Array, fake: jax.Array, *, key: jax.Array, k=2.0, p=6.0) -> jax.Array:
    """WGAN-div penalty (Wu et al. 2018, Eq. 14 / Algorithm 1, k = 2, p = 6):
    k E_{x ~ P_u}[||grad f(x)||^p] with P_u the equal mixture of the real and fake batches, i.e.
    k/2 (E_real ||grad f||^p + E_fake ||grad f||^p). It is the whole regularizer: its weight in
    the step factory is 1. `key` is unused (no random draw), kept for the common signature.
    """
    del key
    _check_pair(real, fake)
    half_p = p / 2.0  # ||g||^p = (sum g^2)^(p/2): no square root, smooth at g = 0
    on_real = jnp.mean(_squared_gradient_norms(critic, real) ** half_p)
    on_fake = jnp.mean(_squared_gradient_norms(critic, fake) ** half_p)
    return 0.5 * k * (on_real + on_fake)


DRAGAN_PERTURBATIONS = ("gaussian", "uniform_interpolated")


def dragan_penalty(critic: Critic, real: jax.Array, fake: jax.Array, *, key: jax.Array, std=0.5,
                   target=1.0, perturbation="gaussian") -> jax.Array:
    """DRAGAN penalty (Kodali et al. 2017, Eq. 1 / Algorithm 1): E[(||grad D(x_hat)|| - k)^2] at
    points x_hat near the real data, with sigma the standard deviation of the real batch (the
    paper's c, scaled to the data as in the authors' code). Multiply by lambda = 10. `fake` is
    unused. `perturbation` chooses the points:

    - "gaussian" (the paper's Eq. 1): x_hat = x + delta, delta ~ N(0, (std * sigma)^2 I) per example.
    - "uniform_interpolated" (the authors' released code, and compare_gan's and PyTorch-GAN's
      copies of it): x_p = x + std * sigma * u with u ~ U[0, 1)^d (a one-sided push, mean
      std * sigma / 2 per pixel), and x_hat = x + alpha (x_p - x), alpha ~ U[0, 1) per example.
    """
    del fake
    if perturbation not in DRAGAN_PERTURBATIONS:
        raise ValueError(f"unknown DRAGAN perturbation {perturbation!r}; expected one of {DRAGAN_PERTURBATIONS}")
    keys = example_keys(key, real.shape[0])
    scale = std * jax.lax.stop_gradient(jnp.std(real))
    if perturbation == "gaussian":
        noise = jax.vmap(lambda k: jax.random.normal(k, real.shape[1:], real.dtype))(keys)
    else:
        def push(k):
            noise_key, alpha_key = jax.random.split(k)
            return jax.random.uniform(alpha_key, (), real.dtype) * jax.random.uniform(noise_key, real.shape[1:],
                                                                                       real.dtype)
        noise = jax.vmap(push)(keys)
    return jnp.mean(jnp.square(_gradient_norms(critic, real + scale * noise) - target))


def r1_penalty(critic: Critic, real: jax.Array, fake: jax.Array, *, key: jax.Array) -> jax.Array:
    """R1 (Mescheder et al. 2018, Eq. 9): 1/2 E_real[||grad D(x)||^2]; weight gamma gives the
    paper's gamma/2 factor. `fake` and `key` are unused."""
    del fake, key
    return 0.5 * jnp.mean(_squared_gradient_norms(critic, real))


def r2_penalty(critic: Critic, real: jax.Array, fake: jax.Array, *, key: jax.Array) -> jax.Array:
    """R2 (Mescheder et al. 2018, Eq. 10): 1/2 E_fake[||grad D(x~)||^2]. `real`, `key` unused."""
    del real, key
    return 0.5 * jnp.mean(_squared_gradient_norms(critic, fake))

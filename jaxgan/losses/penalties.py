"""Penalties on the critic and parameter transforms.

A penalty is `penalty(critic, real, fake, *, key, **hyperparameters) -> scalar`, where
`critic` maps a batch (B, ...) to logits (B,). Randomness is drawn per example from `key`,
which is either one typed key (split into B keys here) or a vector of B per-example keys. The
step factory passes per-example keys derived from each example's global index, so a
data-parallel step draws exactly the numbers a single-device step draws.
"""

import jax
import jax.numpy as jnp


def example_keys(key, batch_size):
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


def _per_example_critic_gradients(critic, x):
    """d critic(x_i) / d x_i for each example i, flattened to (B, prod(x.shape[1:]))."""
    grads = jax.grad(lambda inputs: jnp.sum(critic(inputs)))(x)
    return grads.reshape(x.shape[0], -1)


def gradient_penalty(critic, real, fake, *, key, target=1.0):
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
    if real.shape != fake.shape:
        raise ValueError(f"real and fake batches differ in shape: {real.shape} vs {fake.shape}")
    keys = example_keys(key, real.shape[0])
    eps = jax.vmap(lambda k: jax.random.uniform(k, (), dtype=real.dtype))(keys)
    eps = eps.reshape((-1,) + (1,) * (real.ndim - 1))
    interpolates = eps * real + (1.0 - eps) * fake
    grads = _per_example_critic_gradients(critic, interpolates)
    # sqrt(sum g^2 + tiny) keeps the gradient of the norm finite where g = 0.
    norms = jnp.sqrt(jnp.sum(jnp.square(grads), axis=1) + 1e-12)
    return jnp.mean(jnp.square(norms - target))


def clip_weights(params, *, bound):
    """Clip every parameter to [-bound, bound] (WGAN, Arjovsky et al. 2017, Algorithm 1, c = 0.01).

    Applied to the critic's parameters after each critic update; returns a new pytree.
    """
    if not bound > 0:
        raise ValueError(f"clip bound must be positive, got {bound}")
    return jax.tree.map(lambda p: jnp.clip(p, -bound, bound), params)

"""Regularizers that are not critic penalties: of a network's parameters (orthogonal
regularization, applied by the optimizers: `jaxgan.optimizers`, `optimizer.<player>.orthogonal`)
and of the generator's Jacobian (StyleGAN2's path length regularization, in `games.stylegan2`)."""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

# Parameters the orthogonal regularization leaves alone: BigGAN's shared class embedding ("Don't
# ortho reg shared, it makes no sense", the authors' train_fns.py); any module so named.
UNREGULARIZED_MODULES = ("shared_embedding",)


def orthogonal_regularization(kernel: jax.Array) -> jax.Array:
    """||W^T W * (1 - I)||_F^2 for a kernel W whose last axis indexes the filters, the others
    flattened into each filter (BigGAN, Brock et al. 2019, Sec. 3.1: the off-diagonal Gram entries
    of the filters, their norms left free). Computed from the smaller Gram matrix:
    ||W^T W||_F^2 = ||W W^T||_F^2, minus the squared filter norms on the diagonal.

    Its gradient is 4 W (W^T W * (1 - I)). The authors' code (BigGAN-PyTorch `utils.ortho`) adds
    2 s W (W^T W * (1 - I)) to the gradient, the gradient of (s / 2) times this term: their
    strength s = 1e-4 is beta = 5e-5 here.
    """
    w = jnp.reshape(kernel, (-1, kernel.shape[-1])).astype(jnp.float32)
    gram = w @ w.T if w.shape[0] < w.shape[1] else w.T @ w
    squared_norms = jnp.sum(jnp.square(w), axis=0)
    return jnp.sum(jnp.square(gram)) - jnp.sum(jnp.square(squared_norms))


def regularized_kernels(params: Any) -> Any:
    """True for the parameters `orthogonal_regularization` applies to: kernels of 2 or more axes
    outside `UNREGULARIZED_MODULES`."""
    def regularized(path, p):
        names = {getattr(entry, "key", None) for entry in path}
        return jnp.ndim(p) >= 2 and not names & set(UNREGULARIZED_MODULES)

    return jax.tree_util.tree_map_with_path(regularized, params)


def orthogonal_regularization_sum(params: Any) -> jax.Array:
    """The sum of `orthogonal_regularization` over `regularized_kernels(params)`."""
    mask = regularized_kernels(params)
    terms = [orthogonal_regularization(p) for p, on in zip(jax.tree.leaves(params), jax.tree.leaves(mask)) if on]
    return sum(terms, jnp.zeros((), jnp.float32))


def path_lengths(synthesis: Callable[[jax.Array], jax.Array], ws: jax.Array, noise: jax.Array) -> jax.Array:
    """Per-example path lengths of StyleGAN2's regularizer (Karras et al. 2020, Sec. 3.2, Eq. 4):
    ||J_w^T y||_2 with J_w the Jacobian of the image g(w) and y = `noise`, an image of N(0, 1)
    pixels divided by sqrt(H W) (the authors' code), computed as one vector-Jacobian product of
    the batch. `ws` (B, num_ws, w_dim) holds a copy of w per layer; as in the authors' code the
    squared gradient is summed over w_dim and averaged over the copies before the square root.
    `synthesis` must treat examples independently (StyleGAN2's does)."""
    _, pullback = jax.vjp(synthesis, ws)
    (gradient,) = pullback(noise.astype(jnp.float32))
    return jnp.sqrt(jnp.mean(jnp.sum(jnp.square(gradient.astype(jnp.float32)), axis=2), axis=1))


def path_length_mean(previous: jax.Array, lengths: jax.Array, decay: float) -> jax.Array:
    """The running mean `a` of StyleGAN2's path length penalty: previous + decay (mean(lengths) -
    previous) (the authors' `pl_mean.lerp(pl_lengths.mean(), pl_decay)`, decay 0.01)."""
    return previous + decay * (jnp.mean(lengths) - previous)


def path_length_penalty(lengths: jax.Array, target: jax.Array) -> jax.Array:
    """E[(||J_w^T y||_2 - a)^2] (Karras et al. 2020, Eq. 4) with `a` the running mean, held fixed
    (`path_length_mean`, updated before the penalty as in the authors' code)."""
    return jnp.mean(jnp.square(lengths - jax.lax.stop_gradient(target)))

"""Weight clipping (Arjovsky et al. 2017, "Wasserstein GAN", Algorithm 1): the critic's
parameters are clipped to [-c, c] after each critic update, a crude Lipschitz constraint.

Config: `clip_bound` = c (0 = off; the paper: 0.01).
"""

from typing import Any

import jax
import jax.numpy as jnp


def clip_weights(params, *, bound: float) -> Any:
    """Every parameter clipped to [-bound, bound]; returns a new pytree."""
    if not bound > 0:
        raise ValueError(f"clip bound must be positive, got {bound}")
    return jax.tree.map(lambda p: jnp.clip(p, -bound, bound), params)

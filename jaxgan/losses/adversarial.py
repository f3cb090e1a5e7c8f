"""Adversarial losses on logits: `loss(real_logits, fake_logits) -> scalar` (batch mean).

D(x) = sigmoid(logit(x)). Identities used for stability:
  log D(x)     = log_sigmoid(logit)   = -softplus(-logit)
  log(1 - D(x)) = log_sigmoid(-logit) = -softplus(logit)
"""

import jax
import jax.numpy as jnp


def _flat(logits):
    """(B,) or (B, 1) logits as (B,); anything else is an error naming the shape."""
    logits = jnp.asarray(logits)
    if logits.ndim == 2 and logits.shape[1] == 1:
        return logits[:, 0]
    if logits.ndim != 1:
        raise ValueError(f"expected logits of shape (B,) or (B, 1), got {logits.shape}")
    return logits


def minimax_discriminator_loss(real_logits, fake_logits, *, label_smoothing=0.0):
    """Discriminator side of the GAN value function (Goodfellow et al. 2014, Eq. 1).

    L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]
        = mean(softplus(-real_logits)) + mean(softplus(fake_logits)).

    At D = 1/2 everywhere it equals 2 log 2; with the optimal discriminator it equals
    2 log 2 - 2 JS(p_r || p_g). Shared by the minimax and non-saturating games.

    `label_smoothing` = s gives one-sided label smoothing (Salimans et al. 2016, Sec. 3.4): the
    real target becomes 1 - s (their alpha = 0.9 is s = 0.1), fake targets stay 0, so the real
    term is the cross-entropy softplus(-l) + s * l. (TF-GAN's `label_smoothing=0.25` moves the
    real target to 1 - 0.25 / 2 = 0.875, i.e. s = 0.125 here.)

    Example:
      >>> float(minimax_discriminator_loss(jnp.zeros(4), jnp.zeros(4)))  # 2 log 2
      1.386...
    """
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    real, fake = _flat(real_logits), _flat(fake_logits)
    real_term = jax.nn.softplus(-real) + label_smoothing * real
    return jnp.mean(real_term) + jnp.mean(jax.nn.softplus(fake))


def minimax_generator_loss(real_logits, fake_logits):
    """The true, saturating minimax generator loss (Goodfellow et al. 2014, Eq. 1).

    L_G = E_z[log(1 - D(G(z)))] = -mean(softplus(fake_logits)), minimized by G.

    Its gradient w.r.t. the logit is -sigmoid(logit), which vanishes when D confidently
    rejects the fakes (logit -> -inf): the saturation that motivated the non-saturating loss.
    (PyTorch-GAN, StudioGAN and Mimicry label the non-saturating loss "minimax".)
    `real_logits` is unused.

    Example:
      >>> float(minimax_generator_loss(None, jnp.zeros(4)))  # log(1/2)
      -0.693...
    """
    del real_logits
    return -jnp.mean(jax.nn.softplus(_flat(fake_logits)))


def non_saturating_generator_loss(real_logits, fake_logits):
    """The non-saturating generator loss (Goodfellow et al. 2014, Sec. 3).

    L_G = -E_z[log D(G(z))] = mean(softplus(-fake_logits)). `real_logits` is unused.

    Example:
      >>> float(non_saturating_generator_loss(None, jnp.zeros(4)))  # log 2
      0.693...
    """
    del real_logits
    return jnp.mean(jax.nn.softplus(-_flat(fake_logits)))


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """Critic loss of WGAN (Arjovsky et al. 2017, Eq. 3 / Algorithm 1).

    L_D = E_z[f(G(z))] - E_x[f(x)]; the critic output f is linear (no sigmoid). Its negation
    estimates the Wasserstein-1 distance when f is 1-Lipschitz (clipping or a penalty).

    Example:
      >>> float(wasserstein_discriminator_loss(jnp.array([2.0]), jnp.array([0.5])))
      -1.5
    """
    return jnp.mean(_flat(fake_logits)) - jnp.mean(_flat(real_logits))


def wasserstein_generator_loss(real_logits, fake_logits):
    """Generator loss of WGAN (Arjovsky et al. 2017, Algorithm 1): L_G = -E_z[f(G(z))].

    `real_logits` is unused.
    """
    del real_logits
    return -jnp.mean(_flat(fake_logits))

"""Adversarial losses on logits: `loss(real_logits, fake_logits) -> scalar` (batch mean).

D(x) = sigmoid(logit(x)). Identities used for stability:
  log D(x)     = log_sigmoid(logit)   = -softplus(-logit)
  log(1 - D(x)) = log_sigmoid(-logit) = -softplus(logit)
"""

import jax
import jax.numpy as jnp
from jax import lax


def _flat(logits):
    """(B,) or (B, 1) logits as (B,); anything else is an error naming the shape."""
    logits = jnp.asarray(logits)
    if logits.ndim == 2 and logits.shape[1] == 1:
        return logits[:, 0]
    if logits.ndim != 1:
        raise ValueError(f"expected logits of shape (B,) or (B, 1), got {logits.shape}")
    return logits


def minimax_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array, *, label_smoothing=0.0) -> jax.Array:
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


def minimax_generator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
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


def non_saturating_generator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """The non-saturating generator loss (Goodfellow et al. 2014, Sec. 3).

    L_G = -E_z[log D(G(z))] = mean(softplus(-fake_logits)). `real_logits` is unused.

    Example:
      >>> float(non_saturating_generator_loss(None, jnp.zeros(4)))  # log 2
      0.693...
    """
    del real_logits
    return jnp.mean(jax.nn.softplus(-_flat(fake_logits)))


def wasserstein_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """Critic loss of WGAN (Arjovsky et al. 2017, Eq. 3 / Algorithm 1).

    L_D = E_z[f(G(z))] - E_x[f(x)]; the critic output f is linear (no sigmoid). Its negation
    estimates the Wasserstein-1 distance when f is 1-Lipschitz (clipping or a penalty).

    Example:
      >>> float(wasserstein_discriminator_loss(jnp.array([2.0]), jnp.array([0.5])))
      -1.5
    """
    return jnp.mean(_flat(fake_logits)) - jnp.mean(_flat(real_logits))


def wasserstein_generator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """Generator loss of WGAN (Arjovsky et al. 2017, Algorithm 1): L_G = -E_z[f(G(z))].

    `real_logits` is unused.
    """
    del real_logits
    return -jnp.mean(_flat(fake_logits))


def least_squares_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array, *, a=0.0, b=1.0) -> jax.Array:
    """LSGAN discriminator loss (Mao et al. 2017, Eq. 2): targets b for real, a for fake.

    L_D = 1/2 E_x[(D(x) - b)^2] + 1/2 E_z[(D(G(z)) - a)^2], on the raw (linear) outputs.
    The paper's choices: (a, b, c) = (-1, 1, 0) (Eq. 8, Pearson chi^2) or (0, 1, 1) (Eq. 9).

    Example (TF-GAN's vector, a = 0, b = 1):
      >>> least_squares_discriminator_loss(jnp.array([-5.0, 1.4, 12.5, 2.7]), jnp.array([10.0, 4.4, -5.5, 3.6]))
      Array(41.73375, dtype=float32)
    """
    real, fake = _flat(real_logits), _flat(fake_logits)
    return 0.5 * jnp.mean(jnp.square(real - b)) + 0.5 * jnp.mean(jnp.square(fake - a))


def least_squares_generator_loss(real_logits: jax.Array, fake_logits: jax.Array, *, c=1.0) -> jax.Array:
    """LSGAN generator loss (Mao et al. 2017, Eq. 2): L_G = 1/2 E_z[(D(G(z)) - c)^2].

    `real_logits` is unused.
    """
    del real_logits
    return 0.5 * jnp.mean(jnp.square(_flat(fake_logits) - c))


def hinge_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """Hinge discriminator loss (Lim & Ye 2017; Miyato et al. 2018, Eq. 16).

    L_D = E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]; zero once real logits are >= 1 and
    fake logits <= -1.
    """
    real, fake = _flat(real_logits), _flat(fake_logits)
    return jnp.mean(jax.nn.relu(1.0 - real)) + jnp.mean(jax.nn.relu(1.0 + fake))


def hinge_generator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """Hinge-GAN generator loss (Miyato et al. 2018, Eq. 17): L_G = -E_z[D(G(z))]. Same value as
    the Wasserstein generator loss; named separately so recipes read as the papers do."""
    return wasserstein_generator_loss(real_logits, fake_logits)


def _paired(real_logits, fake_logits):
    real, fake = _flat(real_logits), _flat(fake_logits)
    if real.shape != fake.shape:
        raise ValueError(
            f"relativistic losses pair real and fake examples: shapes {real.shape} and {fake.shape} differ"
        )
    return real, fake


def relativistic_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """RSGAN discriminator loss (Jolicoeur-Martineau 2018, Eq. for RSGAN, Sec. 4.1):
    L_D = -E_{(x, z)}[log sigmoid(C(x) - C(G(z)))] = mean(softplus(-(real - fake))),
    real and fake examples paired by position."""
    real, fake = _paired(real_logits, fake_logits)
    return jnp.mean(jax.nn.softplus(fake - real))


def relativistic_generator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """RSGAN generator loss: L_G = -E[log sigmoid(C(G(z)) - C(x))] = mean(softplus(real - fake))."""
    real, fake = _paired(real_logits, fake_logits)
    return jnp.mean(jax.nn.softplus(real - fake))


def relativistic_average_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """RaGAN discriminator loss (Jolicoeur-Martineau 2018, Sec. 4.2):
    L_D = -E_x[log sigmoid(C(x) - E C(G(z)))] - E_z[log(1 - sigmoid(C(G(z)) - E C(x)))]
        = mean(softplus(-(real - mean(fake)))) + mean(softplus(fake - mean(real)))."""
    real, fake = _flat(real_logits), _flat(fake_logits)
    return jnp.mean(jax.nn.softplus(jnp.mean(fake) - real)) + jnp.mean(jax.nn.softplus(fake - jnp.mean(real)))


def relativistic_average_generator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """RaGAN generator loss: the discriminator loss with the roles of real and fake swapped,
    L_G = mean(softplus(-(fake - mean(real)))) + mean(softplus(real - mean(fake)))."""
    real, fake = _flat(real_logits), _flat(fake_logits)
    return jnp.mean(jax.nn.softplus(jnp.mean(real) - fake)) + jnp.mean(jax.nn.softplus(real - jnp.mean(fake)))


def boundary_seeking_generator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """The boundary-seeking generator loss for continuous data (BGAN, Hjelm et al. 2018, ICLR,
    arXiv:1702.08431: its objective for continuous variables):

    L_G = E_z[1/2 (log D(G(z)) - log(1 - D(G(z))))^2] = mean(fake_logits^2) / 2,

    since log D - log(1 - D) is the logit. G is pulled to D's decision boundary (D = 1/2, logit 0)
    from either side: the gradient w.r.t. a logit is the logit itself, which does not vanish
    where D confidently rejects the fakes (the minimax loss's saturation). D keeps the minimax
    loss (`minimax_discriminator_loss`). `real_logits` is unused. PyTorch-GAN's bgan.py computes
    it from D's sigmoid output, log(p) - log(1 - p), which is inf once p rounds to 0 or 1 in
    float32 (|logit| > about 17); from the logit it is finite everywhere.

    Example:
      >>> float(boundary_seeking_generator_loss(None, jnp.array([2.0, -2.0])))  # (4 + 4) / 2 / 2
      2.0
    """
    del real_logits
    return 0.5 * jnp.mean(jnp.square(_flat(fake_logits)))


def _softmax_gan_terms(real_logits, fake_logits):
    real, fake = _flat(real_logits), _flat(fake_logits)
    both = jnp.concatenate([real, fake])
    return real, both, jax.nn.logsumexp(both)


def softmax_discriminator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """Softmax GAN's discriminator loss (Lin 2017, "Softmax GAN", arXiv:1704.06191). D's output is an energy,
    here E(x) = -logit(x); over the whole batch B = B+ (real) U B- (generated) the softmax
    p(x) = exp(-E(x)) / Z_B, Z_B = sum_{x in B} exp(-E(x)), is fitted by cross-entropy to a target
    that puts 1/|B+| on every real example and 0 on the generated ones:

    L_D = sum_{x in B+} E(x) / |B+| + ln Z_B = -mean(real) + logsumexp([real, fake]).

    Its least value, ln |B+|, is reached as the generated logits go to -inf with equal real ones;
    equal logits everywhere give ln |B|. ln Z_B is a logsumexp (PyTorch-GAN's softmax_gan.py sums
    exp(-E) directly, which overflows float32 once a logit passes about 88). The softmax couples
    the batch: it is exact under jit over a sharded batch; under pmap each device sees its shard
    (as RaGAN's batch means)."""
    real, _, log_partition = _softmax_gan_terms(real_logits, fake_logits)
    return -jnp.mean(real) + log_partition


def softmax_generator_loss(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
    """Softmax GAN's generator loss (Lin 2017, its L_G): the same softmax over B fitted to the
    uniform target 1/|B| on every real and generated example,

    L_G = sum_{x in B} E(x) / |B| + ln Z_B = -mean([real, fake]) + logsumexp([real, fake]),

    least (ln |B|) when D gives every example of the batch the same energy. Its gradient w.r.t.
    a logit is softmax - 1/|B|: G raises the generated logits that fall below the batch's
    softmax share. PyTorch-GAN's softmax_gan.py calls the D loss's backward pass without
    detaching the generated images, so its G update follows grad(L_D + L_G), not grad L_G."""
    _, both, log_partition = _softmax_gan_terms(real_logits, fake_logits)
    return -jnp.mean(both) + log_partition


def energy_discriminator_loss(real_energy: jax.Array, fake_energy: jax.Array, *, margin=1.0) -> jax.Array:
    """EBGAN's discriminator loss (Zhao et al. 2017, Eq. 1): E[D(x)] + E[max(0, m - D(G(z)))],
    with energies D >= 0 (an autoencoder's reconstruction error) and margin m > 0. The hinge is
    per example, as in the paper's L_D(x, z); PyTorch-GAN's ebgan.py takes it of the batch-mean
    energy instead, which lets a few high-energy fakes hide the rest."""
    return jnp.mean(_flat(real_energy)) + jnp.mean(jax.nn.relu(margin - _flat(fake_energy)))


def energy_generator_loss(real_energy: jax.Array, fake_energy: jax.Array) -> jax.Array:
    """EBGAN's generator loss (Zhao et al. 2017, Eq. 2): E[D(G(z))]."""
    del real_energy
    return jnp.mean(_flat(fake_energy))


def autoencoder_error(images: jax.Array, reconstructions: jax.Array, *, exponent: float = 1) -> jax.Array:
    """BEGAN's autoencoder loss of each example (Berthelot et al. 2017, arXiv:1703.10717),
    L(v) = |v - D(v)|^eta, pixel-wise: the mean over pixels and channels of |v - D(v)|^eta, (B,).
    eta = 1 (the L1 loss, the paper's) or 2. The mean over pixels, rather than the sum, keeps the
    scale (and so gamma and lambda_k) independent of the image size."""
    if images.shape != reconstructions.shape:
        raise ValueError(f"reconstructions must have the images' shape {images.shape}, got {reconstructions.shape}")
    if exponent not in (1, 2):
        raise ValueError(f"exponent must be 1 or 2 (BEGAN's eta), got {exponent!r}")
    error = jnp.abs(images.astype(jnp.float32) - reconstructions.astype(jnp.float32))
    error = error if exponent == 1 else jnp.square(error)
    return jnp.mean(error.reshape(error.shape[0], -1), axis=1)


def boundary_equilibrium_discriminator_loss(real_error: jax.Array, fake_error: jax.Array, k: jax.Array) -> jax.Array:
    """BEGAN's discriminator loss (Berthelot et al. 2017, arXiv:1703.10717): L_D = L(x) - k_t L(G(z_D)),
    of per-example autoencoder errors (`autoencoder_error`) and the equilibrium weight k_t in
    [0, 1] (a constant of the step: no gradient flows into it)."""
    return jnp.mean(_flat(real_error)) - lax.stop_gradient(k) * jnp.mean(_flat(fake_error))


def boundary_equilibrium_generator_loss(real_error: jax.Array, fake_error: jax.Array) -> jax.Array:
    """BEGAN's generator loss (Berthelot et al. 2017, arXiv:1703.10717): L_G = L(G(z_G))."""
    del real_error
    return jnp.mean(_flat(fake_error))

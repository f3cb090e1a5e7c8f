"""Consistency regularization of the discriminator:

  CR   (Zhang et al. 2020, "Consistency Regularization for Generative Adversarial Networks",
       ICLR, Eq. 1-2): lambda ||D(x) - D(T(x))||^2 on real images, T an x-flip and a translation
       (their CIFAR-10 setting; lambda = 10).
  bCR  (Zhao et al. 2021, "Improved Consistency Regularization for GANs", AAAI, Sec. 3.1,
       Algorithm 1): CR on real images with lambda_real and on generated ones with lambda_fake
       (both 10).
  zCR  (ibid., Sec. 3.2, Algorithm 2): for D, lambda_dis ||D(G(z)) - D(G(z + dz))||^2; for G,
       -lambda_gen ||G(z) - G(z + dz)||^2 (G is pushed to react to its latent), dz ~ N(0,
       sigma^2 I); lambda_dis = 5, lambda_gen = 0.5, sigma = 0.03.

D(.) is the logit. The squared distances are means over the batch (of the squared logit gaps)
and, for G's images, over the elements as well (StudioGAN's `MSELoss`; the paper writes the norm
without saying how it is normalized). The augmented images compare with the images D is trained
on (after DiffAugment / ADA when those are on), as the DiffAugment authors' CR code does.

Config: `techniques.consistency` = {real, fake, latent_d, latent_g (the lambdas; 0 = off),
latent_std, augment (the policy T, `diffaugment.POLICIES`, default "flip,translation")}.
"""

import jax
import jax.numpy as jnp


def consistency_gap(logits: jax.Array, augmented_logits: jax.Array) -> jax.Array:
    """mean((D(x) - D(T(x)))^2): the CR / bCR / zCR term of D, unweighted."""
    return jnp.mean(jnp.square(logits - augmented_logits))


def latent_perturbation(keys: jax.Array, z: jax.Array, std: float) -> jax.Array:
    """z + dz, dz ~ N(0, std^2 I) (zCR's T(z)); example i's dz from `keys[i]`."""
    return z + std * jax.vmap(lambda k: jax.random.normal(k, z.shape[1:], z.dtype))(keys)


def generator_diversity(images: jax.Array, perturbed_images: jax.Array) -> jax.Array:
    """zCR's generator term before its weight and sign: mean((G(z) - G(z + dz))^2)."""
    return jnp.mean(jnp.square(images - perturbed_images))

"""Pix2Pix (Isola et al. 2017): image-to-image translation from aligned pairs, a conditional GAN
on (source, image) pairs with an L1 term.

The generator slot holds the translator (`nets.UNetGenerator`), the discriminator slot
`nets.PatchGAN` on (source, image) pairs. Batches: {"source": (1, B, H, W, C),
"target": (1, B, H, W, C)}, aligned pairs.
"""

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan import data
from jaxgan.games.settings import ema_settings
from jaxgan.games.spec import Step
from jaxgan.games.steps import NOISE_SALT, apply, mean_over_devices, player_update, step_key
from jaxgan.games.translation import (
    BATCH_KEYS,
    TRANSLATION_DEFAULTS,
    check_image_batch,
    patch_discriminator,
    patches,
    translation_game,
    translator,
)
from jaxgan.losses import l1_loss, minimax_discriminator_loss, non_saturating_generator_loss
from jaxgan.techniques import ema


def make_pix2pix_step(*, l1_weight: float = 100.0, d_scale: float = 0.5, ema_decay: float | None = None,
                      axis_name: str | None = None) -> Step:
    """A Pix2Pix step (Isola et al. 2017, Eq. 1-4): conditional GAN with an L1 term.

    1. fake = G(x) (dropout on, the generator's noise).
    2. D, on (source, image) pairs, minimizes d_scale * BCE(D(x, y) real, D(x, G(x)) fake);
       d_scale = 1/2 is the paper's ("we divide the objective by 2 while optimizing D", Sec. 3.3).
    3. G minimizes -log D(x, G(x)) (the non-saturating form, Sec. 3.3) + l1_weight * |y - G(x)|
       (Eq. 3-4, lambda = 100), against the updated D. G's forward pass of step 1 is reused
       through `jax.vjp`, so G runs forward once per step.

    Metrics: `d_loss` (BCE, unscaled), `g_loss` (adversarial), `l1`, `g_total`, `real_logit`,
    `fake_logit` (patch means).
    """
    if l1_weight < 0:
        raise ValueError(f"l1_weight must be >= 0, got {l1_weight}")

    def step(state, batch):
        check_image_batch("pix2pix", batch, BATCH_KEYS["pix2pix"])
        source, target = batch["source"][0], batch["target"][0]
        noise = jax.random.fold_in(step_key(state), NOISE_SALT)

        def translate(params):
            return apply(state.generator, params, state.g_state, source, train=True,
                          noise_key=jax.random.fold_in(noise, 0))

        fake, pullback, g_state = jax.vjp(translate, state.g_params, has_aux=True)
        fake_input = lax.stop_gradient(fake)

        def d_loss_fn(params):
            real_logits, d_state = apply(state.discriminator, params, state.d_state, (source, target), train=True)
            fake_logits, d_state = apply(state.discriminator, params, d_state, (source, fake_input), train=True)
            loss = minimax_discriminator_loss(patches(real_logits), patches(fake_logits))
            return d_scale * loss, (loss, d_state, jnp.mean(real_logits), jnp.mean(fake_logits))

        (_, (d_value, d_state, real_mean, fake_mean)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
            state.d_params
        )
        d_value, real_mean, fake_mean = mean_over_devices((d_value, real_mean, fake_mean), axis_name)
        d_params, d_opt_state = player_update(state.d_tx, d_grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)

        def g_loss_fn(image):
            logits, _ = apply(state.discriminator, d_params, d_state, (source, image), train=True)
            adversarial = non_saturating_generator_loss(None, patches(logits))
            l1 = l1_loss(target, image)
            return adversarial + l1_weight * l1, (adversarial, l1)

        (g_total, (adversarial, l1)), image_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(fake)
        (g_grads,) = pullback(image_grads)
        g_total, adversarial, l1 = mean_over_devices((g_total, adversarial, l1), axis_name)
        g_params, g_opt_state = player_update(state.g_tx, g_grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        state = state.replace(
            step=state.step + 1, g_params=g_params, g_state=g_state, g_opt_state=g_opt_state, d_params=d_params,
            d_state=d_state, d_opt_state=d_opt_state,
            ema_params=ema(ema_decay, state.ema_params, g_params, state.step + 1))
        return state, {"d_loss": d_value, "g_loss": adversarial, "l1": l1, "g_total": g_total,
                       "real_logit": real_mean, "fake_logit": fake_mean}

    return step


def _zeros(config):
    return tuple(jnp.zeros((1,) + shape, jnp.float32) for shape in data.translation_shapes(config.data))


GAME = translation_game(
    "pix2pix", defaults={**TRANSLATION_DEFAULTS, "translation.l1_weight": 100.0},
    models=lambda config, axis_name=None: (translator(config, data.translation_shapes(config.data)[1][-1], axis_name),
                                           patch_discriminator(config, axis_name)),
    step=lambda config, axis_name=None: make_pix2pix_step(l1_weight=config.translation.l1_weight,
                                                          ema_decay=ema_settings(config), axis_name=axis_name),
    discriminator_example=_zeros, evaluator="paired_translation")

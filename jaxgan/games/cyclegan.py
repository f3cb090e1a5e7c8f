"""CycleGAN (Zhu et al. 2017): unpaired image-to-image translation with two generators, two
discriminators, cycle-consistency and identity terms, and a history pool of generated images
(`jaxgan.techniques.image_pool`).

The generator slot holds `nets.CycleGenerators` (both directions), the discriminator slot
`nets.DomainDiscriminators`. The history pools are the game's extra state (`state.extras`), so
they are checkpointed and a resumed run continues bit for bit. Batches: {"a": (1, B, H, W, C),
"b": (1, B, H, W, C)}, unaligned.
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
from jaxgan.losses import (
    cycle_consistency_loss,
    identity_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
)
from jaxgan.nets.translation import CycleGenerators, DomainDiscriminators
from jaxgan.techniques import ema, init_pool, query_pool

_POOL = 2


def _gather_batch(x, axis_name):
    """The global batch under pmap (all devices see the same pool query), else x."""
    return x if axis_name is None else lax.all_gather(x, axis_name, tiled=True)


def _local_slice(x, batch_size, axis_name):
    if axis_name is None:
        return x
    return lax.dynamic_slice_in_dim(x, lax.axis_index(axis_name) * batch_size, batch_size)


def make_cyclegan_step(*, cycle_weight: float = 10.0, identity_weight: float = 5.0, ema_decay: float | None = None,
                       axis_name: str | None = None) -> Step:
    """A CycleGAN step (Zhu et al. 2017, Eq. 1-3, Sec. 4 and 5.2), G: A -> B, F: B -> A.

    1. G and F minimize, against the current D_A and D_B,
         E[(D_B(G(a)) - 1)^2] + E[(D_A(F(b)) - 1)^2]                      (LSGAN, Sec. 4)
         + cycle_weight * (|F(G(a)) - a| + |G(F(b)) - b|)                   (Eq. 2, lambda = 10)
         + identity_weight * (|G(b) - b| + |F(a) - a|)                      (Sec. 5.2)
       The paper's identity weight is 0.5 lambda = 5; 0 skips the identity passes.
    2. The fakes G(a), F(b) of step 1 go through the history pools (`query_pool`, 50 images per
       domain, `state.extras["a"]` for F(b), `["b"]` for G(a)); then D_A and D_B each minimize
       1/2 E[(D(real) - 1)^2] + 1/2 E[D(pooled fake)^2] (Sec. 4: the objective divided by 2).

    Metrics: `d_loss` (D_A + D_B), `d_a`, `d_b`, `g_loss` (both adversarial terms), `cycle`,
    `identity`, `g_total`.
    """
    if cycle_weight < 0 or identity_weight < 0:
        raise ValueError(f"cycle_weight and identity_weight must be >= 0, got {cycle_weight}, {identity_weight}")

    def step(state, batch):
        check_image_batch("cyclegan", batch, BATCH_KEYS["cyclegan"])
        real_a, real_b = batch["a"][0], batch["b"][0]
        key = step_key(state)
        noise = jax.random.fold_in(key, NOISE_SALT)

        def g_loss_fn(params):
            collections = state.g_state

            def run(x, method, salt):
                nonlocal collections
                out, collections = apply(state.generator, params, collections, x, train=True, method=method,
                                          noise_key=jax.random.fold_in(noise, salt))
                return out

            fake_b, fake_a = run(real_a, None, 0), run(real_b, "b_to_a", 1)
            cycled_a, cycled_b = run(fake_b, "b_to_a", 2), run(fake_a, None, 3)
            logits, _ = apply(state.discriminator, state.d_params, state.d_state, {"a": fake_a, "b": fake_b},
                               train=True)
            # Zhu et al. train G on E[(D(G(x)) - 1)^2]; the library's LSGAN G loss carries Mao's 1/2.
            adversarial = 2.0 * (least_squares_generator_loss(None, patches(logits["a"])) +
                                 least_squares_generator_loss(None, patches(logits["b"])))
            cycle = cycle_consistency_loss(real_a, cycled_a, real_b, cycled_b)
            total = adversarial + cycle_weight * cycle
            terms = {"g_loss": adversarial, "cycle": cycle}
            if identity_weight:
                terms["identity"] = identity_loss(real_b, run(real_b, None, 4)) + identity_loss(
                    real_a, run(real_a, "b_to_a", 5)
                )
                total = total + identity_weight * terms["identity"]
            terms["g_total"] = total
            return total, (terms, fake_a, fake_b, collections)

        (_, (terms, fake_a, fake_b, g_state)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state.g_params)
        terms = mean_over_devices(terms, axis_name)
        g_params, g_opt_state = player_update(state.g_tx, g_grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)

        pool_key = jax.random.fold_in(key, _POOL)
        batch_size = real_a.shape[0]
        pooled, pools = {}, {}
        for i, (name, fake) in enumerate((("a", fake_a), ("b", fake_b))):
            everyone = _gather_batch(lax.stop_gradient(fake), axis_name)
            drawn, pools[name] = query_pool(state.extras[name], everyone, jax.random.fold_in(pool_key, i))
            pooled[name] = _local_slice(drawn, batch_size, axis_name)

        def d_loss_fn(params):
            real_logits, d_state = apply(
                state.discriminator, params, state.d_state, {"a": real_a, "b": real_b}, train=True
            )
            fake_logits, d_state = apply(state.discriminator, params, d_state, pooled, train=True)
            losses = {name: least_squares_discriminator_loss(patches(real_logits[name]), patches(fake_logits[name]))
                      for name in ("a", "b")}
            return losses["a"] + losses["b"], (losses, d_state)

        (d_value, (d_terms, d_state)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(state.d_params)
        d_value, d_terms = mean_over_devices((d_value, d_terms), axis_name)
        d_params, d_opt_state = player_update(state.d_tx, d_grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)
        state = state.replace(
            step=state.step + 1,
            g_params=g_params,
            g_state=g_state,
            g_opt_state=g_opt_state,
            d_params=d_params,
            d_state=d_state,
            d_opt_state=d_opt_state,
            extras=pools,
            ema_params=ema(ema_decay, state.ema_params, g_params, state.step + 1),
        )
        return state, {"d_loss": d_value, "d_a": d_terms["a"], "d_b": d_terms["b"], **terms}

    return step


def _models(config, axis_name=None):
    source_shape, target_shape = data.translation_shapes(config.data)
    return (CycleGenerators(translator(config, target_shape[-1], axis_name),
                            translator(config, source_shape[-1], axis_name)),
            DomainDiscriminators(patch_discriminator(config, axis_name), patch_discriminator(config, axis_name)))


def _pools(config):
    """CycleGAN's two history pools (`init_pool`), the game's extra state."""
    a_shape, b_shape = data.translation_shapes(config.data)
    size = config.translation.pool_size
    return {"a": init_pool(size, a_shape), "b": init_pool(size, b_shape)}


def _example(config):
    a, b = (jnp.zeros((1,) + shape, jnp.float32) for shape in data.translation_shapes(config.data))
    return {"a": a, "b": b}


GAME = translation_game(
    "cyclegan",
    defaults={**TRANSLATION_DEFAULTS, "translation.cycle_weight": 10.0, "translation.identity_weight": 5.0,
              "translation.pool_size": 50},
    models=_models,
    step=lambda config, axis_name=None: make_cyclegan_step(
        cycle_weight=config.translation.cycle_weight, identity_weight=config.translation.identity_weight,
        ema_decay=ema_settings(config), axis_name=axis_name),
    discriminator_example=_example, extras=_pools, evaluator="cycle_translation")

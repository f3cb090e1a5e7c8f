"""Image-to-image translation games: Pix2Pix (`make_pix2pix_step`) and CycleGAN
(`make_cyclegan_step`), and CycleGAN's history pool of generated images (`init_pool`,
`query_pool`).

The steps keep `jaxgan.steps.make_step`'s contract: `step(state, batch) -> (state, metrics)`,
pure, written for one global batch, randomness from `fold_in(state.key, state.step)`. The
generator slot holds the translator (`nets.UNetGenerator`, or `nets.CycleGenerators` with both
directions), the discriminator slot `nets.PatchGAN` (on (source, image) pairs) or
`nets.DomainDiscriminators`. The history pools live in `state.pools`, so they are checkpointed
and a resumed run continues bit for bit.

Batches (leading axis: one critic update):
  pix2pix:  {"source": (1, B, H, W, C), "target": (1, B, H, W, C)}, aligned pairs
  cyclegan: {"a": (1, B, H, W, C), "b": (1, B, H, W, C)}, unaligned
"""

import jax
import jax.numpy as jnp
import optax
from jax import lax

from jaxgan.losses import (cycle_consistency_loss, identity_loss, l1_loss, least_squares_discriminator_loss,
                           least_squares_generator_loss, minimax_discriminator_loss, non_saturating_generator_loss)
from jaxgan.games import _ema
from jaxgan.steps import NOISE_SALT, _apply, _mean_over_devices

GAMES = ("pix2pix", "cyclegan")
BATCH_KEYS = {"pix2pix": ("source", "target"), "cyclegan": ("a", "b")}
_G_NOISE, _POOL = 0, 2


def init_pool(size, image_shape, dtype=jnp.float32):
    """An empty history pool for `size` images of `image_shape`:
    {"images": zeros (size, *image_shape), "count": int32 number stored (<= size)}."""
    return {"images": jnp.zeros((int(size),) + tuple(image_shape), dtype), "count": jnp.zeros((), jnp.int32)}


def query_pool(pool, images, key):
    """Shrivastava et al. 2017 (Sec. 2.3), as used by CycleGAN (Zhu et al. 2017, Sec. 4): the
    images the discriminator sees, drawn from a history of generated images.

    Images are taken one by one, in batch order. While the pool holds fewer than `size` images,
    an image is stored and returned as it is. Once it is full, with probability 1/2 the image
    is returned as it is; otherwise a stored image chosen uniformly is returned and the new image
    takes its place. Image i uses `fold_in(key, i)`: a coin (`bernoulli`) and a slot
    (`randint`). A pool of size 0 returns the images unchanged.

    Returns (images for D (B, ...), updated pool). Pure and deterministic under `key`.
    """
    size = pool["images"].shape[0]
    if size == 0:
        return images, pool
    if images.shape[1:] != pool["images"].shape[1:]:
        raise ValueError(f"pool holds images of shape {pool['images'].shape[1:]}, got a batch of {images.shape[1:]}")

    def one(carry, inputs):
        stored, count = carry
        image, index = inputs
        coin_key, slot_key = jax.random.split(jax.random.fold_in(key, index))
        filling = count < size
        swap = jnp.logical_and(~filling, jax.random.bernoulli(coin_key, 0.5))
        slot = jnp.where(filling, count, jax.random.randint(slot_key, (), 0, size))
        old = stored[slot]
        stored = jnp.where(filling | swap, stored.at[slot].set(image), stored)
        returned = jnp.where(swap, old, image)
        return (stored, count + filling.astype(jnp.int32)), returned

    (stored, count), returned = lax.scan(one, (pool["images"], pool["count"]), (images, jnp.arange(images.shape[0])))
    return returned, {"images": stored, "count": count}


def _patches(logits):
    """Patch logits (B, h, w, 1) -> (B * h * w,): every patch is one example of the loss, whose mean
    over the batch is then the mean over images and patches (Isola et al. 2017, Sec. 3.2.2)."""
    return logits.reshape(-1)


def _gather_batch(x, axis_name):
    """The global batch under pmap (all devices see the same pool query), else x."""
    return x if axis_name is None else lax.all_gather(x, axis_name, tiled=True)


def _local_slice(x, batch_size, axis_name):
    if axis_name is None:
        return x
    return lax.dynamic_slice_in_dim(x, lax.axis_index(axis_name) * batch_size, batch_size)


def _check_batch(game, batch):
    want = BATCH_KEYS[game]
    if sorted(batch) != sorted(want):
        raise ValueError(f"game {game!r} takes a batch with keys {list(want)}, got {sorted(batch)}")
    shapes = {name: batch[name].shape for name in want}
    for name, shape in shapes.items():
        if len(shape) != 5 or shape[0] != 1:
            raise ValueError(f"batch[{name!r}] must be (1, B, H, W, C) (one critic update of NHWC images), got {shape}")
    if game == "pix2pix" and shapes["source"][:4] != shapes["target"][:4]:
        raise ValueError(f"pix2pix pairs: source {shapes['source']} and target {shapes['target']} must match in B, H, W")


def _update(tx, grads, opt_state, params):
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state


def make_pix2pix_step(*, l1_weight=100.0, d_scale=0.5, ema_decay=None, axis_name=None):
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
        _check_batch("pix2pix", batch)
        source, target = batch["source"][0], batch["target"][0]
        step_key = jax.random.fold_in(state.key, state.step)
        noise = jax.random.fold_in(step_key, NOISE_SALT)

        def translate(params):
            return _apply(state.generator, params, state.g_state, source, train=True,
                          noise_key=jax.random.fold_in(noise, _G_NOISE))

        fake, pullback, g_state = jax.vjp(translate, state.g_params, has_aux=True)
        fake_input = lax.stop_gradient(fake)

        def d_loss_fn(params):
            real_logits, d_state = _apply(state.discriminator, params, state.d_state, (source, target), train=True)
            fake_logits, d_state = _apply(state.discriminator, params, d_state, (source, fake_input), train=True)
            loss = minimax_discriminator_loss(_patches(real_logits), _patches(fake_logits))
            return d_scale * loss, (loss, d_state, jnp.mean(real_logits), jnp.mean(fake_logits))

        (_, (d_value, d_state, real_mean, fake_mean)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(state.d_params)
        d_grads, d_value, real_mean, fake_mean = _mean_over_devices((d_grads, d_value, real_mean, fake_mean), axis_name)
        d_params, d_opt_state = _update(state.d_tx, d_grads, state.d_opt_state, state.d_params)

        def g_loss_fn(image):
            logits, _ = _apply(state.discriminator, d_params, d_state, (source, image), train=True)
            adversarial = non_saturating_generator_loss(None, _patches(logits))
            l1 = l1_loss(target, image)
            return adversarial + l1_weight * l1, (adversarial, l1)

        (g_total, (adversarial, l1)), image_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(fake)
        (g_grads,) = pullback(image_grads)
        g_grads, g_total, adversarial, l1 = _mean_over_devices((g_grads, g_total, adversarial, l1), axis_name)
        g_params, g_opt_state = _update(state.g_tx, g_grads, state.g_opt_state, state.g_params)
        state = state.replace(
            step=state.step + 1, g_params=g_params, g_state=g_state, g_opt_state=g_opt_state, d_params=d_params,
            d_state=d_state, d_opt_state=d_opt_state, ema_params=_ema(ema_decay, state.ema_params, g_params))
        return state, {"d_loss": d_value, "g_loss": adversarial, "l1": l1, "g_total": g_total,
                       "real_logit": real_mean, "fake_logit": fake_mean}

    return step


def make_cyclegan_step(*, cycle_weight=10.0, identity_weight=5.0, ema_decay=None, axis_name=None):
    """A CycleGAN step (Zhu et al. 2017, Eq. 1-3, Sec. 4 and 5.2), G: A -> B, F: B -> A.

    1. G and F minimize, against the current D_A and D_B,
         E[(D_B(G(a)) - 1)^2] + E[(D_A(F(b)) - 1)^2]                      (LSGAN, Sec. 4)
         + cycle_weight * (|F(G(a)) - a| + |G(F(b)) - b|)                   (Eq. 2, lambda = 10)
         + identity_weight * (|G(b) - b| + |F(a) - a|)                      (Sec. 5.2)
       The paper's identity weight is 0.5 lambda = 5; 0 skips the identity passes.
    2. The fakes G(a), F(b) of step 1 go through the history pools (`query_pool`, 50 images per
       domain, `state.pools["a"]` for F(b), `["b"]` for G(a)); then D_A and D_B each minimize
       1/2 E[(D(real) - 1)^2] + 1/2 E[D(pooled fake)^2] (Sec. 4: the objective divided by 2).

    Metrics: `d_loss` (D_A + D_B), `d_a`, `d_b`, `g_loss` (both adversarial terms), `cycle`,
    `identity`, `g_total`.
    """
    if cycle_weight < 0 or identity_weight < 0:
        raise ValueError(f"cycle_weight and identity_weight must be >= 0, got {cycle_weight}, {identity_weight}")

    def step(state, batch):
        _check_batch("cyclegan", batch)
        real_a, real_b = batch["a"][0], batch["b"][0]
        step_key = jax.random.fold_in(state.key, state.step)
        noise = jax.random.fold_in(step_key, NOISE_SALT)

        def g_loss_fn(params):
            collections = state.g_state

            def run(x, method, salt):
                nonlocal collections
                out, collections = _apply(state.generator, params, collections, x, train=True, method=method,
                                          noise_key=jax.random.fold_in(noise, salt))
                return out

            fake_b, fake_a = run(real_a, None, 0), run(real_b, "b_to_a", 1)
            cycled_a, cycled_b = run(fake_b, "b_to_a", 2), run(fake_a, None, 3)
            logits, _ = _apply(state.discriminator, state.d_params, state.d_state, {"a": fake_a, "b": fake_b},
                               train=True)
            # Zhu et al. train G on E[(D(G(x)) - 1)^2]; the library's LSGAN G loss carries Mao's 1/2.
            adversarial = 2.0 * (least_squares_generator_loss(None, _patches(logits["a"])) +
                                 least_squares_generator_loss(None, _patches(logits["b"])))
            cycle = cycle_consistency_loss(real_a, cycled_a, real_b, cycled_b)
            total = adversarial + cycle_weight * cycle
            terms = {"g_loss": adversarial, "cycle": cycle}
            if identity_weight:
                terms["identity"] = identity_loss(real_b, run(real_b, None, 4)) + identity_loss(real_a, run(real_a, "b_to_a", 5))
                total = total + identity_weight * terms["identity"]
            terms["g_total"] = total
            return total, (terms, fake_a, fake_b, collections)

        (_, (terms, fake_a, fake_b, g_state)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state.g_params)
        g_grads, terms = _mean_over_devices((g_grads, terms), axis_name)
        g_params, g_opt_state = _update(state.g_tx, g_grads, state.g_opt_state, state.g_params)

        pool_key = jax.random.fold_in(step_key, _POOL)
        batch_size = real_a.shape[0]
        pooled, pools = {}, {}
        for i, (name, fake) in enumerate((("a", fake_a), ("b", fake_b))):
            everyone = _gather_batch(lax.stop_gradient(fake), axis_name)
            drawn, pools[name] = query_pool(state.pools[name], everyone, jax.random.fold_in(pool_key, i))
            pooled[name] = _local_slice(drawn, batch_size, axis_name)

        def d_loss_fn(params):
            real_logits, d_state = _apply(state.discriminator, params, state.d_state, {"a": real_a, "b": real_b}, train=True)
            fake_logits, d_state = _apply(state.discriminator, params, d_state, pooled, train=True)
            losses = {name: least_squares_discriminator_loss(_patches(real_logits[name]), _patches(fake_logits[name]))
                      for name in ("a", "b")}
            return losses["a"] + losses["b"], (losses, d_state)

        (d_value, (d_terms, d_state)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(state.d_params)
        d_grads, d_value, d_terms = _mean_over_devices((d_grads, d_value, d_terms), axis_name)
        d_params, d_opt_state = _update(state.d_tx, d_grads, state.d_opt_state, state.d_params)
        state = state.replace(
            step=state.step + 1, g_params=g_params, g_state=g_state, g_opt_state=g_opt_state, d_params=d_params,
            d_state=d_state, d_opt_state=d_opt_state, pools=pools, ema_params=_ema(ema_decay, state.ema_params, g_params))
        return state, {"d_loss": d_value, "d_a": d_terms["a"], "d_b": d_terms["b"], **terms}

    return step

"""The step factory: losses, penalties and training options composed into one pure step.

`make_step(...)` returns `step(state, batch) -> (state, metrics)` where
`batch = {"x": real}` with `real` of shape (n_critic, B, ...): critic update c uses `real[c]`.
The step is written for one (global) batch with no collectives; `jaxgan.parallel` compiles it
(single device, jit over a sharded mesh, or pmap). Only the pmap form needs collectives, and
passes `axis_name` for them.

Randomness: everything step t draws comes from `fold_in(state.key, t)`; each example's latent
vector and penalty draws come from a key folded with the example's *global* index, so how the
batch is split over devices does not change a single number.
"""

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax
from jax.sharding import PartitionSpec as P

from jaxgan.backend import choices
from jaxgan.losses.auxiliary import historical_average_penalty, update_running_average
from jaxgan.losses.penalties import clip_weights
from jaxgan.parallel import DATA_AXIS

_CRITIC, _GENERATOR = 0, 1
# Noise layers (e.g. Gaussian noise in D) draw from fold_in(update key, NOISE_SALT): disjoint from
# the per-example keys, which are folds of the same key with example indices < 2**31.
NOISE_SALT = 2**31 - 1


class Penalty(NamedTuple):
    """A weighted critic penalty: adds `weight * fn(critic, real, fake, key=...)` to the D loss."""

    name: str
    fn: Callable
    weight: float


def normal_latent(key, shape):
    """The standard normal prior, z ~ N(0, I)."""
    return jax.random.normal(key, shape)


def _apply(module, params, collections, inputs, *, train, noise_key=None, method=None):
    """Run a network; returns (outputs, updated collections). Collections are updated only when
    training and when the network has any. `noise_key` feeds the `noise` RNG stream (noise
    layers draw from it only while training)."""
    variables = {"params": params, **collections}
    rngs = {"noise": noise_key} if noise_key is not None else None
    if train and collections:
        out, updated = module.apply(variables, inputs, train=True, mutable=list(collections), rngs=rngs, method=method)
        return out, dict(updated)
    return module.apply(variables, inputs, train=train, rngs=rngs, method=method), collections


def _global_indices(batch_size, axis_name):
    """Global indices of the local examples: offset by the device position under pmap; under a
    data-parallel jit (`parallel.data_parallel`) split over the data axis like the batch, so that
    what is computed per example from them (latents, fakes, the generator's passes) is split too
    rather than replicated on every device."""
    if axis_name is not None:
        return lax.axis_index(axis_name) * batch_size + jnp.arange(batch_size)
    mesh = jax.sharding.get_abstract_mesh()
    if DATA_AXIS in mesh.axis_names and batch_size % mesh.shape[DATA_AXIS] == 0:
        return jax.lax.with_sharding_constraint(jnp.arange(batch_size), P(DATA_AXIS))
    return jnp.arange(batch_size)


def _example_keys(key, indices):
    return jax.vmap(lambda i: jax.random.fold_in(key, i))(indices)


def _mean_over_devices(tree, axis_name):
    return tree if axis_name is None else lax.pmean(tree, axis_name)


def _latents(state, keys, sample_latent):
    return jax.vmap(lambda k: sample_latent(jax.random.fold_in(k, 0), state.latent_shape))(keys)


def make_step(
    *,
    d_loss,
    g_loss,
    penalties=(),
    n_critic=1,
    clip_bound=None,
    ema_decay=None,
    historical_averaging=None,
    sample_latent=normal_latent,
    axis_name=None,
):
    """Compose a GAN training step.

    Args:
      d_loss, g_loss: adversarial losses `loss(real_logits, fake_logits) -> scalar`
        (`jaxgan.losses`).
      penalties: `Penalty(name, fn, weight)` terms added to the critic loss, each
        `fn(critic, real, fake, key=per_example_keys)`.
      n_critic: critic updates per generator update (WGAN: 5), run by `scan_or_unroll` inside the
        step; the batch carries one real slice per critic update.
      clip_bound: if set, clip every critic parameter to [-c, c] after each critic update (WGAN).
      ema_decay: if set, `ema <- decay * ema + (1 - decay) * g_params` after each G update.
      historical_averaging: if set, a weight w: each player's loss gets
        w * ||theta - mean of its past theta||^2 (Salimans et al. 2016, Sec. 3.3); the state
        must come from `create(..., track_param_averages=True)`.
      sample_latent: `sample_latent(key, shape) -> z`, the prior (default N(0, I)).
      axis_name: only for `jax.pmap`: the mapped axis; gradients, metrics and example indices
        are then global. Use `jaxgan.parallel.pmap_step`, which sets it.

    Returns:
      `step(state, batch) -> (state, metrics)`, pure. Metrics (scalars): `d_loss` (adversarial
      part, averaged over critic updates), one entry per penalty (unweighted), `d_total`,
      `g_loss`, `real_logit`, `fake_logit`, and `historical_average` (the critic's) when enabled.
    """
    if int(n_critic) != n_critic or n_critic < 1:
        raise ValueError(f"n_critic must be a positive integer, got {n_critic!r}")
    if clip_bound is not None and not clip_bound > 0:
        raise ValueError(f"clip_bound must be positive or None, got {clip_bound!r}")
    if historical_averaging is not None and not historical_averaging > 0:
        raise ValueError(f"historical_averaging must be a positive weight or None, got {historical_averaging!r}")
    if ema_decay is not None and not 0.0 <= ema_decay < 1.0:
        raise ValueError(f"ema_decay must be in [0, 1) or None, got {ema_decay!r}")
    penalties = tuple(Penalty(*p) for p in penalties)
    names = [p.name for p in penalties]
    reserved = {"d_loss", "d_total", "g_loss", "real_logit", "fake_logit", "historical_average"}
    if len(set(names)) != len(names) or reserved & set(names):
        raise ValueError(f"penalty names must be unique and not one of {sorted(reserved)}, got {names}")

    def critic_update(state, carry, inputs):
        d_params, d_state, d_opt_state, d_average = carry
        real, key, update_index = inputs
        keys = _example_keys(key, _global_indices(real.shape[0], axis_name))
        z = _latents(state, keys, sample_latent)
        fake, _ = _apply(state.generator, state.g_params, state.g_state, z, train=True)
        fake = lax.stop_gradient(fake)

        noise = jax.random.fold_in(key, NOISE_SALT)

        def loss_fn(params):
            real_logits, collections = _apply(state.discriminator, params, d_state, real, train=True,
                                              noise_key=jax.random.fold_in(noise, 0))
            fake_logits, collections = _apply(state.discriminator, params, collections, fake, train=True,
                                              noise_key=jax.random.fold_in(noise, 1))
            adversarial = d_loss(real_logits, fake_logits)
            critic = lambda x: _apply(state.discriminator, params, collections, x, train=True,
                                      noise_key=jax.random.fold_in(noise, 2))[0]
            terms = {
                p.name: p.fn(critic, real, fake, key=jax.vmap(lambda k: jax.random.fold_in(k, 1 + i))(keys))
                for i, p in enumerate(penalties)
            }
            total = adversarial + sum(p.weight * terms[p.name] for p in penalties)
            if historical_averaging is not None:
                terms["historical_average"] = historical_average_penalty(params, d_average)
                total = total + historical_averaging * terms["historical_average"]
            metrics = {
                "d_loss": adversarial,
                "d_total": total,
                "real_logit": jnp.mean(real_logits),
                "fake_logit": jnp.mean(fake_logits),
                **terms,
            }
            return total, (collections, metrics)

        grads, (d_state, metrics) = jax.grad(loss_fn, has_aux=True)(d_params)
        grads, metrics = _mean_over_devices((grads, metrics), axis_name)
        updates, d_opt_state = state.d_tx.update(grads, d_opt_state, d_params)
        d_params = optax.apply_updates(d_params, updates)
        if clip_bound is not None:
            d_params = clip_weights(d_params, bound=clip_bound)
        if historical_averaging is not None:  # the mean of update_index + 1 parameter vectors
            d_average = update_running_average(d_average, d_params, update_index + 1)
        return (d_params, d_state, d_opt_state, d_average), metrics

    def generator_update(state, real, key):
        keys = _example_keys(key, _global_indices(real.shape[0], axis_name))
        z = _latents(state, keys, sample_latent)

        noise = jax.random.fold_in(key, NOISE_SALT)

        def loss_fn(params):
            fake, g_state = _apply(state.generator, params, state.g_state, z, train=True)
            fake_logits, _ = _apply(state.discriminator, state.d_params, state.d_state, fake, train=True,
                                    noise_key=jax.random.fold_in(noise, 1))
            real_logits, _ = _apply(state.discriminator, state.d_params, state.d_state, real, train=True,
                                    noise_key=jax.random.fold_in(noise, 0))
            loss = g_loss(real_logits, fake_logits)
            if historical_averaging is not None:
                loss = loss + historical_averaging * historical_average_penalty(params, state.param_averages["g"])
            return loss, g_state

        (loss, g_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.g_params)
        grads, loss = _mean_over_devices((grads, loss), axis_name)
        updates, g_opt_state = state.g_tx.update(grads, state.g_opt_state, state.g_params)
        g_params = optax.apply_updates(state.g_params, updates)
        if ema_decay is None:
            ema_params = g_params
        else:
            ema_params = jax.tree.map(lambda e, p: ema_decay * e + (1.0 - ema_decay) * p, state.ema_params, g_params)
        state = state.replace(g_params=g_params, g_state=g_state, g_opt_state=g_opt_state, ema_params=ema_params)
        if historical_averaging is not None:
            g_average = update_running_average(state.param_averages["g"], g_params, state.step + 2)
            state = state.replace(param_averages={**state.param_averages, "g": g_average})
        return state, loss

    def step(state, batch):
        real = batch["x"]
        if real.ndim < 2 or real.shape[0] != n_critic:
            raise ValueError(
                f"batch['x'] must have shape (n_critic={n_critic}, B, ...), got {real.shape}"
            )
        if historical_averaging is not None and not state.param_averages:
            raise ValueError("historical_averaging needs a state from create(..., track_param_averages=True)")
        step_key = jax.random.fold_in(state.key, state.step)
        critic_keys = jax.vmap(lambda c: jax.random.fold_in(jax.random.fold_in(step_key, _CRITIC), c))(
            jnp.arange(n_critic)
        )
        # Critic update c of this step is the critic's (step * n_critic + c + 1)-th update overall.
        update_index = state.step * n_critic + jnp.arange(n_critic) + 1
        d_average = state.param_averages.get("d", {})
        (d_params, d_state, d_opt_state, d_average), critic_metrics = scan_or_unroll(
            lambda carry, inputs: critic_update(state, carry, inputs),
            (state.d_params, state.d_state, state.d_opt_state, d_average),
            (real, critic_keys, update_index),
        )
        state = state.replace(d_params=d_params, d_state=d_state, d_opt_state=d_opt_state)
        if historical_averaging is not None:
            state = state.replace(param_averages={**state.param_averages, "d": d_average})
        state, g_loss_value = generator_update(state, real[-1], jax.random.fold_in(step_key, _GENERATOR))
        metrics = jax.tree.map(jnp.mean, critic_metrics)
        metrics["g_loss"] = g_loss_value
        return state.replace(step=state.step + 1), metrics

    return step


def scan_or_unroll(body, carry, xs, *, max_unrolled=None):
    """`lax.scan(body, carry, xs)`, unrolled into straight-line code when the loop has at most
    `max_unrolled` iterations (same values, same stacked outputs). `max_unrolled=None` takes the
    backend's measured choice (`backend.choices().max_unrolled`): XLA's CPU backend runs
    convolutions inside a while loop about 25x slower than outside one (a DCGAN critic gradient,
    13 ms vs 338 ms in a 1-step `lax.scan`); longer loops stay a `lax.scan` to bound compile time."""
    if max_unrolled is None:
        max_unrolled = choices().max_unrolled
    length = jax.tree.leaves(xs)[0].shape[0]
    if length > max_unrolled:
        return lax.scan(body, carry, xs)
    outputs = []
    for i in range(length):
        carry, out = body(carry, jax.tree.map(lambda x: x[i], xs))
        outputs.append(out)
    return carry, jax.tree.map(lambda *o: jnp.stack(o), *outputs)


def fuse_steps(step):
    """K whole steps in one call: `fused(state, batches)` runs `step` over the leading axis of
    `batches` (K, n_critic, B, ...) (`scan_or_unroll`: unrolled for short loops) and returns
    metrics stacked to shape (K,)."""

    def fused(state, batches):
        return scan_or_unroll(step, state, batches)

    return fused


def generate(state, key, num, *, use_ema=True, sample_latent=normal_latent):
    """`num` samples from the generator in inference mode (BatchNorm running averages).

    Example i uses `fold_in(key, i)`, so the first n of `generate(.., num=N)` equal
    `generate(.., num=n)`.
    """
    keys = _example_keys(key, jnp.arange(num))
    return decode(state, _latents(state, keys, sample_latent), use_ema=use_ema)


def decode(state, latents, *, use_ema=True):
    """The generator (EMA or raw) in inference mode on given latent vectors (N, latent_dim)."""
    params = state.ema_params if use_ema else state.g_params
    return _apply(state.generator, params, state.g_state, latents, train=False)[0]

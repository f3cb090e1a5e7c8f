"""What the translation games are measured by, on held-out (test split) images: two evaluators
(`evaluate(ctx) -> (per-seed values, protocol)`), `paired_translation` and `cycle_translation`.

  paired_translation (pix2pix): `l1` (mean absolute pixel error, pixels in [0, 1]) and `psnr` (dB, per image, then
      averaged) of G(source) against the true target, next to the same numbers for the identity
      baseline (the source itself: `identity_l1`, `identity_psnr`). On edges2mnist /
      edges2fashion also `class_accuracy`: the shipped MNIST / Fashion-MNIST classifier on the
      translations (center 28 x 28) against the test labels (`target_class_accuracy`: the same
      classifier on the true targets, the ceiling).
  cycle_translation (cyclegan): `cycle_l1_a` = |F(G(a)) - a| and `cycle_l1_b` = |G(F(b)) - b| (pixels in [0, 1]);
      `domain_accuracy_b` = the fraction of G(a) that a domain classifier assigns to B, and
      `domain_accuracy_a` of F(b) to A. The domain classifier (logistic regression on pixels,
      trained here on 5,000 real training images of each domain, deterministic) has its real
      held-out accuracy recorded as `domain_classifier_accuracy`.

Translations run in inference mode (BatchNorm running averages, no dropout); the Pix2Pix paper
instead keeps dropout and batch statistics at test time. With `workdir`, a grid PNG per seed:
rows of (source, translation, target) or (a, G(a), F(G(a))) and (b, F(b), G(F(b))).
"""

import functools
import os
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxgan.data import translation as translation_data
from jaxgan.evaluation.context import Context
from jaxgan.evaluation.features import domain_network, map_in_batches
from jaxgan.games import apply

NUM_HELD_OUT = 1000
DOMAIN_TRAIN_PER_SIDE = 5000
DOMAIN_STEPS = 300


def to_unit(images) -> np.ndarray:
    """Model range [-1, 1] -> pixels in [0, 1]."""
    return (np.asarray(images, np.float64) + 1.0) / 2.0


def mean_abs_error(target, prediction) -> float:
    """Mean absolute pixel error of images in [-1, 1], measured on the [0, 1] pixel scale."""
    return float(np.mean(np.abs(to_unit(target) - to_unit(prediction))))


def psnr(target, prediction, *, max_mse=1e-10) -> float:
    """Peak signal-to-noise ratio (dB), pixels in [0, 1]: mean over images of
    10 log10(1 / MSE_image); an exact image counts as MSE `max_mse` (100 dB)."""
    mse = np.mean(np.square(to_unit(target) - to_unit(prediction)).reshape(len(target), -1), axis=1)
    return float(np.mean(10.0 * np.log10(1.0 / np.maximum(mse, max_mse))))


def _translator(state, params, method=None):
    return jax.jit(lambda x: apply(state.generator, params, state.g_state, x, train=False, method=method)[0])


@functools.lru_cache(maxsize=4)
def domain_classifier(name, source, directory, image_size) -> tuple[Callable, float]:
    """(predict(x) -> P(domain B), held-out accuracy): logistic regression on pixels, trained by
    full-batch Adam (lr 1e-2, `DOMAIN_STEPS` steps) on the first `DOMAIN_TRAIN_PER_SIDE` training
    images of each domain."""
    from jaxgan.data.images import to_model_range

    sides = translation_data.open_translation(name, "train", source=source, directory=directory, image_size=image_size)
    x = np.concatenate([to_model_range(s.take(np.arange(min(DOMAIN_TRAIN_PER_SIDE, len(s))))) for s in sides])
    y = np.concatenate([np.full(min(DOMAIN_TRAIN_PER_SIDE, len(s)), float(k)) for k, s in enumerate(sides)])
    x = jnp.asarray(x.reshape(len(x), -1))
    params = {"w": jnp.zeros(x.shape[1]), "b": jnp.zeros(())}
    logit = lambda p, v: v @ p["w"] + p["b"]
    loss = lambda p: jnp.mean(optax.sigmoid_binary_cross_entropy(logit(p, x), jnp.asarray(y)))
    tx = optax.adam(1e-2)

    @jax.jit
    def fit(params):
        def one(carry, _):
            p, s = carry
            updates, s = tx.update(jax.grad(loss)(p), s, p)
            return (optax.apply_updates(p, updates), s), None

        return jax.lax.scan(one, (params, tx.init(params)), None, length=DOMAIN_STEPS)[0][0]

    params = fit(params)
    predict = jax.jit(lambda v: jax.nn.sigmoid(logit(params, v.reshape(len(v), -1))))
    a, b = translation_data.held_out(name, NUM_HELD_OUT, source=source, directory=directory, image_size=image_size)
    accuracy = float((np.sum(np.asarray(predict(a)) < 0.5) + np.sum(np.asarray(predict(b)) >= 0.5)) / (len(a) + len(b)))
    return predict, accuracy


def _digit_classifier_accuracy(name, images, labels, batch_size):
    network = domain_network(name)
    crop = (images.shape[1] - 28) // 2
    logits = map_in_batches(lambda x: network.apply(x)[0], images[:, crop : crop + 28, crop : crop + 28], batch_size)
    return float(np.mean(np.argmax(logits, axis=-1) == labels)), network.protocol


def _held_out(config, use_ema):
    d = config.data
    a, b = translation_data.held_out(d.name, NUM_HELD_OUT, source=d.source, directory=d.dir, image_size=d.image_size)
    protocol = {"held_out": {"split": "test", "n": int(len(a)), "first": True}, "pixel_scale": "[0, 1]",
                "generator": "ema" if use_ema else "raw", "mode": "inference"}
    return a, b, protocol


def _save_rows(config, workdir, step, seed_index, rows):
    if workdir is not None and jax.process_index() == 0:
        save_translation_grid(rows, os.path.join(workdir, "samples",
                                                 f"translations_step_{step:08d}_seed_{config.seed + seed_index}.png"))


def paired_translation(ctx: Context) -> tuple[list[dict], dict]:
    """Pix2Pix's measures (module docstring) per seed: (per-seed list of dicts, protocol)."""
    config, use_ema = ctx.config, ctx.use_ema
    d, batch = config.data, config.eval.batch_size
    a, b, protocol = _held_out(config, use_ema)
    per_seed = []
    for seed_index, seed_state in enumerate(ctx.sampler.seed_states()):
        params = seed_state.ema_params if use_ema else seed_state.g_params
        forward = map_in_batches(_translator(seed_state, params), a, batch)
        values = {"l1": mean_abs_error(b, forward), "psnr": psnr(b, forward),
                  "identity_l1": mean_abs_error(b, a), "identity_psnr": psnr(b, a)}
        task = translation_data.TASKS.get(d.name)
        if task is not None and task.paired:
            from jaxgan.data.images import open_images

            path = os.path.join(d.dir, task.b) if d.source == "idx" else (d.dir or None)
            labels = open_images(task.b, "test", source=d.source, path=path).take_labels(np.arange(len(b)))
            values["class_accuracy"], classifier = _digit_classifier_accuracy(task.b, forward, labels, batch)
            values["target_class_accuracy"], _ = _digit_classifier_accuracy(task.b, b, labels, batch)
            protocol["class_accuracy"] = {"classifier": classifier, "crop": "center 28x28"}
        per_seed.append(values)
        _save_rows(config, ctx.workdir, ctx.step, seed_index, (a, forward, b))
    return per_seed, protocol


def cycle_translation(ctx: Context) -> tuple[list[dict], dict]:
    """CycleGAN's measures (module docstring) per seed: (per-seed list of dicts, protocol)."""
    config, use_ema = ctx.config, ctx.use_ema
    d, batch = config.data, config.eval.batch_size
    a, b, protocol = _held_out(config, use_ema)
    predict, accuracy = domain_classifier(d.name, d.source, d.dir, d.image_size)
    protocol["domain_classifier"] = {
        "model": "logistic regression on pixels",
        "train_per_domain": DOMAIN_TRAIN_PER_SIDE,
        "adam_steps": DOMAIN_STEPS,
        "held_out_accuracy": accuracy,
    }
    per_seed = []
    for seed_index, seed_state in enumerate(ctx.sampler.seed_states()):
        params = seed_state.ema_params if use_ema else seed_state.g_params
        forward = map_in_batches(_translator(seed_state, params), a, batch)
        backward = map_in_batches(_translator(seed_state, params, "b_to_a"), b, batch)
        cycled_a = map_in_batches(_translator(seed_state, params, "b_to_a"), forward, batch)
        cycled_b = map_in_batches(_translator(seed_state, params), backward, batch)
        per_seed.append({"cycle_l1_a": mean_abs_error(a, cycled_a), "cycle_l1_b": mean_abs_error(b, cycled_b),
                         "domain_accuracy_b": float(np.mean(np.asarray(predict(forward)) >= 0.5)),
                         "domain_accuracy_a": float(np.mean(np.asarray(predict(backward)) < 0.5)),
                         "domain_classifier_accuracy": accuracy})
        _save_rows(config, ctx.workdir, ctx.step, seed_index, (a, forward, cycled_a, b, backward, cycled_b))
    return per_seed, protocol


def save_translation_grid(rows, path, *, columns=16) -> None:
    """Rows of image triples: for each group of three arrays (input, output, third), `columns`
    examples side by side, the three stacked as consecutive grid rows."""
    from jaxgan.plots import save_image_grid

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    panels = np.concatenate([np.asarray(r[:columns]) for r in rows])
    save_image_grid(panels, path, rows=len(rows))

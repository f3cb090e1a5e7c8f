"""What the games of `jaxgan.games` are measured by, beyond sample quality.

  cgan, acgan, aae (supervised / semi-supervised): `class_accuracy`, the accuracy of the shipped
      MNIST / Fashion-MNIST classifier on samples generated for each requested class.
  infogan: `code_class_accuracy`, the same for the categorical code after the best one-to-one
      matching of code values to classes (Hungarian), the matching itself, the accuracy per code
      value and `digits_found` (code values whose matched digit is most of their samples).
  semi_supervised, aae semi_supervised: `test_error` and `test_errors` of the model's own
      classifier (D's class head / the encoder's class logits) on the whole test split; with a
      moving average of D (`game.d_average_decay`), the averaged D's, beside `test_error_raw`.
  aae: codes of the test split against the prior: `code_mean_norm` ||mean||, `code_cov_max_dev`
      max |cov - I|, `code_frechet` (Frechet distance of N(mean, cov) to N(0, I)), and the test
      reconstruction MSE; with `workdir`, a code scatter (2D codes) and a reconstruction grid.
  pix2pix, cyclegan: held-out translation measures, `jaxgan.translation_evaluation`.

Every function is per seed: it returns one dict per trained seed plus the protocol.
"""

import functools
import os

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.steps import _apply

CLASSIFIED = ("mnist", "fashion_mnist")
SAMPLES_PER_CLASS = 1000


def predicted_classes(logits):
    return np.argmax(np.asarray(logits), axis=-1)


def class_accuracy(predicted, requested):
    """Fraction of samples classified as the class they were generated for."""
    return float(np.mean(np.asarray(predicted) == np.asarray(requested)))


def matched_accuracy(predicted, codes, num_classes):
    """Accuracy under the best one-to-one map code value -> class (Hungarian on the confusion
    counts); returns (accuracy, matching list where matching[code] = class)."""
    from scipy.optimize import linear_sum_assignment

    confusion = np.zeros((int(np.max(codes)) + 1, num_classes), np.int64)
    np.add.at(confusion, (np.asarray(codes), np.asarray(predicted)), 1)
    rows, cols = linear_sum_assignment(-confusion)
    return float(confusion[rows, cols].sum() / confusion.sum()), [int(c) for c in cols[np.argsort(rows)]]


def digits_found(per_code_accuracy):
    """How many code values draw their matched digit in most of their samples (> 50%): each such
    code has a digit of its own (the matching is one-to-one), so 10 means all ten were found."""
    return int(np.sum(np.asarray(per_code_accuracy) > 0.5))


def code_statistics(codes):
    """Codes (N, D) against the prior N(0, I): ||mean||, max |cov - I|, Frechet distance."""
    from jaxgan.metrics.frechet import frechet_distance

    codes = np.asarray(codes, np.float64)
    mean, cov = codes.mean(axis=0), np.cov(codes, rowvar=False).reshape(codes.shape[1], codes.shape[1])
    dim = codes.shape[1]
    return {
        "code_mean_norm": float(np.linalg.norm(mean)),
        "code_cov_max_dev": float(np.max(np.abs(cov - np.eye(dim)))),
        "code_frechet": float(frechet_distance(mean, cov, np.zeros(dim), np.eye(dim))),
    }


def _test_split(config):
    from jaxgan.config import open_split
    from jaxgan.data.images import to_model_range

    images = open_split(config, "test")
    everything = np.arange(len(images))
    return to_model_range(images.take(everything)), np.asarray(images.take_labels(everything))


def _in_batches(fn, x, batch_size):
    return jax.tree.map(lambda *parts: np.concatenate(parts),
                        *[jax.device_get(fn(jnp.asarray(x[s : s + batch_size]))) for s in range(0, len(x), batch_size)])


def class_grid_latents(prior, key, num_classes, per_class):
    """Latents for a class-by-row grid: row k is class k, column j shares noise fold_in(key, j)."""
    noise_index = np.tile(np.arange(per_class), num_classes)
    draws = jax.vmap(lambda i: prior.draw(jax.random.fold_in(key, i)))(jnp.asarray(noise_index))
    labels = np.repeat(np.arange(num_classes), per_class)
    return prior.latent(dict(draws, y=jnp.asarray(labels, jnp.int32)))


def evaluate_game(config, program, state, *, key, use_ema, workdir=None, step=0):
    """(per-seed list of metric dicts, protocol dict) for `config.game`; ([], {}) for 'gan'."""
    from jaxgan.evaluation import domain_network

    game = config.game
    if game.name == "gan":
        return [], {}
    if game.name in ("pix2pix", "cyclegan"):
        from jaxgan.translation_evaluation import evaluate_translation

        return evaluate_translation(config, program, state, use_ema=use_ema, workdir=workdir, step=step)
    per_seed = [{} for _ in range(program.num_seeds)]
    protocol = {"game": game.name}
    conditional_classes = program.prior.num_classes if program.prior is not None else 0
    if conditional_classes and config.data.name in CLASSIFIED:
        classifier = domain_network(config.data.name)
        latents = class_grid_latents(program.prior, key, conditional_classes, SAMPLES_PER_CLASS)
        samples = program.decode(state, latents, use_ema)
        requested = np.repeat(np.arange(conditional_classes), SAMPLES_PER_CLASS)
        for values, seed_samples in zip(per_seed, samples):
            predicted = predicted_classes(_in_batches(lambda x: classifier.apply(x)[0], seed_samples, config.eval.batch_size))
            if game.name == "infogan":
                accuracy, matching = matched_accuracy(predicted, requested, 10)
                per_code = [class_accuracy(predicted[requested == c], matching[c]) for c in range(conditional_classes)]
                values.update(code_class_accuracy=accuracy, code_to_class=matching, code_accuracy_per_code=per_code,
                              digits_found=digits_found(per_code))
            else:
                values["class_accuracy"] = class_accuracy(predicted, requested)
                values["class_accuracy_per_class"] = [class_accuracy(predicted[requested == k], k)
                                                      for k in range(conditional_classes)]
        protocol["class_accuracy"] = {"classifier": classifier.protocol, "samples_per_class": SAMPLES_PER_CLASS,
                                      "generator": "ema" if use_ema else "raw",
                                      "latents": "class k row, noise fold_in(eval key, j) shared across classes"}
    if game.name in ("semi_supervised", "aae"):
        test_x, test_y = _test_split(config)
        protocol["test_split"] = {"n": int(len(test_y))}
        for seed_index, (values, seed_state) in enumerate(zip(per_seed, program.seed_states(state))):
            if game.name == "semi_supervised":
                values.update(classifier_test_error(seed_state, test_x, test_y, num_classes=game.num_classes,
                                                    batch_size=config.eval.batch_size))
            else:
                values.update(_aae_values(config, seed_state, test_x, test_y, workdir, step, seed_index))
    return per_seed, protocol


def classifier_test_error(state, test_x, test_y, *, num_classes, batch_size=500):
    """Test error of a semi-supervised D's classifier (argmax of its first `num_classes` logits).

    With a moving average of D's parameters in the state (`param_averages["d_ema"]`, game
    `d_average_decay`), `test_error` / `test_errors` are the averaged D's, as the Improved-GAN
    code reports, and `test_error_raw` / `test_errors_raw` those of the current parameters;
    without one, `test_error` is the current D's.
    """
    classify = _class_logits(state.discriminator)

    def error(params):
        logits = _in_batches(lambda x: classify(params, state.d_state, x), test_x, batch_size)
        return _test_error(logits[:, :num_classes], test_y)

    values = error(state.d_params)
    if "d_ema" in state.param_averages:
        values = {**{f"{k}_raw": v for k, v in values.items()}, **error(state.param_averages["d_ema"])}
    return values


@functools.cache
def _class_logits(discriminator):
    """D's class logits as one compiled function of (params, collections, x), shared by every
    seed and by the current and averaged parameters."""
    return jax.jit(lambda params, collections, x: _apply(discriminator, params, collections, x,
                                                          train=False)[0]["class_logits"])


def _test_error(logits, labels):
    errors = int(np.sum(predicted_classes(logits) != labels))
    return {"test_error": errors / len(labels), "test_errors": errors}


def _aae_values(config, state, test_x, test_y, workdir, step, seed_index):
    game = config.game
    encode = jax.jit(lambda x: _apply(state.generator, state.g_params, state.g_state, x, train=False, method="encode")[0])
    out = _in_batches(encode, test_x, config.eval.batch_size)
    values = code_statistics(out["style"])
    if game.aae_mode == "unsupervised":
        latents = out["style"]
    else:
        y = jax.nn.one_hot(test_y, game.num_classes) if game.aae_mode == "supervised" else jax.nn.softmax(out["class_logits"])
        latents = np.concatenate([np.asarray(y), out["style"]], axis=1)
    decoder = jax.jit(lambda z: _apply(state.generator, state.g_params, state.g_state, z, train=False)[0])
    reconstructions = _in_batches(decoder, latents, config.eval.batch_size)
    values["reconstruction_mse"] = float(np.mean(np.square(reconstructions - test_x)))
    if game.aae_mode == "semi_supervised":
        values.update(_test_error(out["class_logits"], test_y))
    if workdir is not None and jax.process_index() == 0:
        from jaxgan.plots import save_code_scatter, save_image_grid

        directory = os.path.join(workdir, "samples")
        os.makedirs(directory, exist_ok=True)
        suffix = f"step_{step:08d}_seed_{config.seed + seed_index}.png"
        pairs = np.stack([test_x[:32], reconstructions[:32]], axis=1).reshape(-1, *test_x.shape[1:])
        save_image_grid(pairs, os.path.join(directory, f"reconstructions_{suffix}"), rows=8)
        if out["style"].shape[1] == 2:
            save_code_scatter(out["style"], test_y, os.path.join(directory, f"codes_{suffix}"),
                              title=f"{config.data.name} test codes, seed {config.seed + seed_index}, step {step}")
    return values

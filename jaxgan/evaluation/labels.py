"""What the games with labels, codes or an autoencoder are measured by, beyond sample quality:
five evaluators (`evaluate(ctx) -> (per-seed values, protocol)`), named by the games' specs
(`Game.evaluators`).

  class_accuracy (cgan, acgan, aae supervised / semi-supervised): the accuracy of the shipped
      MNIST / Fashion-MNIST classifier on samples generated for each requested class.
  code_accuracy (infogan): `code_class_accuracy`, the same for the categorical code after the best one-to-one
      matching of code values to classes (Hungarian), the matching itself, the accuracy per code
      value and `digits_found` (code values whose matched digit is most of their samples).
  test_error (semi_supervised): `test_error` and `test_errors` of the model's own
      classifier (D's class head / the encoder's class logits) on the whole test split; with a
      moving average of D (`game.d_average_decay`), the averaged D's, beside `test_error_raw`.
  clustering (clustergan): the encoder's clusters of the whole test split against its labels,
      as ClusterGAN's code scores them (k-means with K clusters on [zeta_n, softmax(zeta_c)]:
      `cluster_purity` (their ACC), `cluster_nmi`, `cluster_ari`) and by the argmax of E's class
      logits (`argmax_purity`, `argmax_matched_accuracy` one-to-one, `argmax_nmi`, `argmax_ari`).
  autoencoder (aae): codes of the test split against the prior: `code_mean_norm` ||mean||, `code_cov_max_dev`
      max |cov - I|, `code_frechet` (Frechet distance of N(mean, cov) to N(0, I)), and the test
      reconstruction MSE (and, semi-supervised, the encoder's `test_error`); with `workdir`, a code
      scatter (2D codes) and a reconstruction grid.

Every function is per seed: it returns one dict per trained seed plus the protocol.
"""

import functools
import os

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan import data
from jaxgan.data import open_split
from jaxgan.data.images import to_model_range
from jaxgan.evaluation.context import Context
from jaxgan.evaluation.features import domain_network, map_in_batches
from jaxgan.games import apply
from jaxgan.metrics import domain_classifier

SAMPLES_PER_CLASS = 1000


def predicted_classes(logits) -> np.ndarray:
    return np.argmax(np.asarray(logits), axis=-1)


def class_accuracy(predicted, requested) -> float:
    """Fraction of samples classified as the class they were generated for."""
    return float(np.mean(np.asarray(predicted) == np.asarray(requested)))


def matched_accuracy(predicted, codes, num_classes) -> tuple[float, list[int]]:
    """Accuracy under the best one-to-one map code value -> class (Hungarian on the confusion
    counts); returns (accuracy, matching list where matching[code] = class)."""
    from scipy.optimize import linear_sum_assignment

    confusion = np.zeros((int(np.max(codes)) + 1, num_classes), np.int64)
    np.add.at(confusion, (np.asarray(codes), np.asarray(predicted)), 1)
    rows, cols = linear_sum_assignment(-confusion)
    return float(confusion[rows, cols].sum() / confusion.sum()), [int(c) for c in cols[np.argsort(rows)]]


def digits_found(per_code_accuracy) -> int:
    """How many code values draw their matched digit in most of their samples (> 50%): each such
    code has a digit of its own (the matching is one-to-one), so 10 means all ten were found."""
    return int(np.sum(np.asarray(per_code_accuracy) > 0.5))


def code_statistics(codes) -> dict:
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
    images = open_split(config.data, "test")
    everything = np.arange(len(images))
    return to_model_range(images.take(everything)), np.asarray(images.take_labels(everything))


def class_grid_latents(prior, key, num_classes, per_class) -> jax.Array:
    """Latents for a class-by-row grid: row k is class k, column j shares noise fold_in(key, j)."""
    noise_index = np.tile(np.arange(per_class), num_classes)
    draws = jax.vmap(lambda i: prior.draw(jax.random.fold_in(key, i)))(jnp.asarray(noise_index))
    labels = np.repeat(np.arange(num_classes), per_class)
    return prior.latent(dict(draws, y=jnp.asarray(labels, jnp.int32)))


def _classified(ctx):
    """The shipped classifier's predictions on `SAMPLES_PER_CLASS` samples per class (or code
    value) of every seed: (predicted per seed, requested classes, protocol); None when the prior
    has no classes or the data no shipped classifier."""
    config, prior = ctx.config, ctx.sampler.prior
    classes = prior.num_classes if prior is not None else 0
    network = data.IMAGE_DATASETS[config.data.name].feature_network if config.data.name in data.IMAGE_DATASETS else ""
    if not classes or network not in domain_classifier.NAMES:
        return None
    classifier = domain_network(network)
    latents = class_grid_latents(prior, ctx.key, classes, SAMPLES_PER_CLASS)
    samples = ctx.sampler.decode(latents, ctx.use_ema)
    requested = np.repeat(np.arange(classes), SAMPLES_PER_CLASS)
    predicted = [predicted_classes(map_in_batches(lambda x: classifier.apply(x)[0], seed_samples,
                                                  config.eval.batch_size)) for seed_samples in samples]
    protocol = {"classifier": classifier.protocol, "samples_per_class": SAMPLES_PER_CLASS,
                "generator": "ema" if ctx.use_ema else "raw",
                "latents": "class k row, noise fold_in(eval key, j) shared across classes"}
    return predicted, requested, protocol


def class_accuracy_measure(ctx: Context) -> tuple[list[dict], dict]:
    """`class_accuracy` and `class_accuracy_per_class` of a conditional generator, per seed."""
    classified = _classified(ctx)
    if classified is None:
        return [{} for _ in range(ctx.num_seeds)], {}
    predicted, requested, protocol = classified
    classes = int(requested.max()) + 1
    per_seed = [{"class_accuracy": class_accuracy(p, requested),
                 "class_accuracy_per_class": [class_accuracy(p[requested == k], k) for k in range(classes)]}
                for p in predicted]
    return per_seed, {"class_accuracy": protocol}


def code_accuracy_measure(ctx: Context) -> tuple[list[dict], dict]:
    """InfoGAN's `code_class_accuracy` (best one-to-one code -> digit matching), the matching,
    the accuracy per code value and `digits_found`, per seed."""
    classified = _classified(ctx)
    if classified is None:
        return [{} for _ in range(ctx.num_seeds)], {}
    predicted, requested, protocol = classified
    codes = int(requested.max()) + 1
    per_seed = []
    for p in predicted:
        accuracy, matching = matched_accuracy(p, requested, 10)
        per_code = [class_accuracy(p[requested == c], matching[c]) for c in range(codes)]
        per_seed.append({"code_class_accuracy": accuracy, "code_to_class": matching,
                         "code_accuracy_per_code": per_code, "digits_found": digits_found(per_code)})
    return per_seed, {"class_accuracy": protocol}


def test_error_measure(ctx: Context) -> tuple[list[dict], dict]:
    """The semi-supervised D's classifier on the whole test split, per seed
    (`classifier_test_error`)."""
    config = ctx.config
    test_x, test_y = _test_split(config)
    per_seed = [classifier_test_error(seed_state, test_x, test_y, num_classes=config.game.num_classes,
                                      batch_size=config.eval.batch_size)
                for seed_state in ctx.sampler.seed_states()]
    return per_seed, {"test_split": {"n": int(len(test_y))}}


def autoencoder_measure(ctx: Context) -> tuple[list[dict], dict]:
    """The AAE's test codes against the prior, its test reconstruction error and (semi-supervised)
    its encoder's test error, per seed; with `ctx.workdir`, figures."""
    test_x, test_y = _test_split(ctx.config)
    per_seed = [_aae_values(ctx.config, seed_state, test_x, test_y, ctx.workdir, ctx.step, seed_index)
                for seed_index, seed_state in enumerate(ctx.sampler.seed_states())]
    return per_seed, {"test_split": {"n": int(len(test_y))}}


def clustering_measure(ctx: Context) -> tuple[list[dict], dict]:
    """ClusterGAN's encoder on the test split, per seed (`encoder_clusters`)."""
    test_x, test_y = _test_split(ctx.config)
    per_seed = [encoder_clusters(seed_state, test_x, test_y, num_classes=ctx.config.game.num_classes,
                                 batch_size=ctx.config.eval.batch_size)
                for seed_state in ctx.sampler.seed_states()]
    return per_seed, {"test_split": {"n": int(len(test_y))},
                      "encoder": "the trained (raw) weights; k-means: k-means++ seeds, 10 restarts, seed 0"}


def encoder_clusters(state, test_x, test_y, *, num_classes, batch_size=500) -> dict:
    """The clusters of a ClusterGAN encoder E (the generator slot's `encode`) on `test_x` against
    `test_y`: k-means (K = `num_classes`) on [zeta_n, softmax(zeta_c)], the authors' protocol,
    and the argmax of zeta_c."""
    from jaxgan.metrics import clustering

    encode = jax.jit(
        lambda x: apply(state.generator, state.g_params, state.g_state, x, train=False, method="encode")[0]
    )
    out = map_in_batches(encode, test_x, batch_size)
    probabilities = np.asarray(jax.nn.softmax(jnp.asarray(out["logits"]), axis=-1))
    test_y = np.asarray(test_y)
    clusters = clustering.kmeans(np.concatenate([np.asarray(out["noise"]), probabilities], axis=1), num_classes)
    argmax = predicted_classes(out["logits"])
    return {
        "cluster_purity": clustering.purity(clusters, test_y),
        "cluster_nmi": clustering.normalized_mutual_information(clusters, test_y),
        "cluster_ari": clustering.adjusted_rand_index(clusters, test_y),
        "argmax_purity": clustering.purity(argmax, test_y),
        "argmax_matched_accuracy": clustering.matched_accuracy(argmax, test_y),
        "argmax_nmi": clustering.normalized_mutual_information(argmax, test_y),
        "argmax_ari": clustering.adjusted_rand_index(argmax, test_y),
        "clusters_used": int(len(np.unique(argmax))),
    }


def classifier_test_error(state, test_x, test_y, *, num_classes, batch_size=500) -> dict:
    """Test error of a semi-supervised D's classifier (argmax of its first `num_classes` logits).

    With a moving average of D's parameters in the state (`param_averages["d_ema"]`, game
    `d_average_decay`), `test_error` / `test_errors` are the averaged D's, as the Improved-GAN
    code reports, and `test_error_raw` / `test_errors_raw` those of the current parameters;
    without one, `test_error` is the current D's.
    """
    classify = _class_logits(state.discriminator)

    def error(params):
        logits = map_in_batches(lambda x: classify(params, state.d_state, x), test_x, batch_size)
        return _test_error(logits[:, :num_classes], test_y)

    values = error(state.d_params)
    if "d_ema" in state.param_averages:
        values = {**{f"{k}_raw": v for k, v in values.items()}, **error(state.param_averages["d_ema"])}
    return values


@functools.cache
def _class_logits(discriminator):
    """D's class logits as one compiled function of (params, collections, x), shared by every
    seed and by the current and averaged parameters."""
    return jax.jit(lambda params, collections, x: apply(discriminator, params, collections, x,
                                                          train=False)[0]["class_logits"])


def _test_error(logits, labels):
    errors = int(np.sum(predicted_classes(logits) != labels))
    return {"test_error": errors / len(labels), "test_errors": errors}


def _aae_values(config, state, test_x, test_y, workdir, step, seed_index):
    game = config.game
    encode = jax.jit(
        lambda x: apply(state.generator, state.g_params, state.g_state, x, train=False, method="encode")[0]
    )
    out = map_in_batches(encode, test_x, config.eval.batch_size)
    values = code_statistics(out["style"])
    if game.aae_mode == "unsupervised":
        latents = out["style"]
    else:
        y = (
            jax.nn.one_hot(test_y, game.num_classes)
            if game.aae_mode == "supervised"
            else jax.nn.softmax(out["class_logits"])
        )
        latents = np.concatenate([np.asarray(y), out["style"]], axis=1)
    decoder = jax.jit(lambda z: apply(state.generator, state.g_params, state.g_state, z, train=False)[0])
    reconstructions = map_in_batches(decoder, latents, config.eval.batch_size)
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

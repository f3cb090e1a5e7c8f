"""Every measure of a trained run behind one interface, in the style of big_vision's evaluators:
an evaluator is a function of the evaluation's `Context` (the run config, a `Sampler` of its
generators, the key, the step), never of the trainer, registered here with when it applies.

`EVALUATORS` lists them: sample-quality metrics and the games' own measures alike. A run
evaluates `selected(config)`: `eval.metrics` ("auto": every evaluator whose `auto` holds for
the config, derived from the dataset's facts and the game) plus the game's own measures, which
come with every evaluation. Adding a metric: a pure function in `jaxgan/metrics/` and one line
below (`on_images` or `on_features` turns it into an evaluator).
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax

from jaxgan import data, games
from jaxgan.data import IMAGE_DATASETS
from jaxgan.errors import ConfigError
from jaxgan.evaluation import coupled, inpainting, labels, samples, translation
from jaxgan.evaluation.context import Context, MetricSettings, Sampler
from jaxgan.evaluation.features import NETWORKS, feature_network_name
from jaxgan.metrics import domain_classifier, mean_and_stderr, swd

EVAL_KEY_SALT = 0x5EED

# The `eval` config group: its keys and defaults.
DEFAULTS = {
    "num_samples": 2500,  # generated samples per seed
    "batch_size": 500,  # generation and feature extraction (independent of training)
    "metrics": "auto",  # a comma list of EVALUATORS names, or "auto"
    "feature_network": "auto",  # points, mnist, fashion_mnist, inception; "auto": by the dataset
    "inception_weights": "",  # the converted FID Inception .npz (python -m jaxgan.metrics.inception)
    "resize": "bilinear",  # Inception's input resize: bilinear or none
    "reference_split": "test",
    "num_reference": 0,  # reference images (0 = the whole split)
    # The generator's BatchNorm statistics when sampling: "running" (the averages kept in training,
    # which follow the raw weights) or "standing" (recomputed for the evaluated weights on
    # eval.num_samples latents; Brock et al. 2019, App. C.1): what an EMA generator needs.
    "bn_statistics": "running",
    # BigGAN's truncation trick (Brock et al. 2019, Sec. 4.1): the samples' normal noise truncated
    # to [-t, t] per entry (their standing statistics too); 0 = none. Training is unaffected.
    "truncation": 0.0,
    # StyleGAN's truncation trick (Karras et al. 2019, Sec. 3.1): w' = w_avg + psi (w - w_avg) with
    # the w_avg tracked in training (model.name="stylegan2"); 1 = none. Training is unaffected.
    "truncation_psi": 1.0,
}


BN_STATISTICS = ("running", "standing")


def _never(config: Any) -> bool:
    return False


def _allowed(config: Any) -> str | None:
    return None


class Evaluator(NamedTuple):
    """A registered measure.

    Attributes:
      evaluate: `evaluate(ctx) -> (one {name: value} per seed, protocol dict)`.
      summary: one line for `jaxgan evaluate --help` and the docs.
      auto: `auto(config) -> bool`: part of `eval.metrics="auto"` for this config.
      problem: `problem(config) -> message or None`: why this config cannot compute it.
    """

    evaluate: Callable[[Context], tuple[list[dict], dict]]
    summary: str
    auto: Callable[[Any], bool] = _never
    problem: Callable[[Any], str | None] = _allowed


def _has_modes(config: Any) -> bool:
    return not data.is_image(config.data) or bool(getattr(IMAGE_DATASETS.get(config.data.name), "modes", 0))


def _feature_images(config: Any) -> bool:
    """Image samples with a usable feature network (not Inception without its weights)."""
    if not data.is_image(config.data) or data.is_translation_data(config.data):
        return False
    if _coupled(config):
        return False  # two domains per example: pair_agreement scores each
    return feature_network_name(config) != "inception" or bool(config.eval.inception_weights)


def _coupled(config: Any) -> bool:
    return getattr(IMAGE_DATASETS.get(config.data.name), "coupled", False)


def _features_problem(config: Any) -> str | None:
    if _coupled(config):
        return (f"feature metrics compare whole images; {config.data.name!r} holds two domains per example: "
                f"'pair_agreement' reports each domain's FID (fid_a, fid_b)")
    return None


def _modes_problem(config: Any) -> str | None:
    if _has_modes(config):
        return None
    counted = sorted(name for name, spec in IMAGE_DATASETS.items() if spec.modes)
    return f"'modes' counts modes of the 2D mixtures or of {counted}, not {config.data.name!r}"


def _logits_problem(config: Any) -> str | None:
    if feature_network_name(config) == "points":
        return "'is' needs class logits; the 2D 'points' features have none"
    return _features_problem(config)


def _images_problem(config: Any) -> str | None:
    return None if data.is_image(config.data) else f"'swd' compares image patches; {config.data.name!r} is 2D points"


def _game_measure(name: str) -> Callable[[Any], bool]:
    return lambda config: name in games.get(config.game.name).evaluators(config)


EVALUATORS = {
    "modes": Evaluator(samples.modes, "mode coverage: modes, high-quality fraction and reverse KL (2D mixtures); "
                       "modes of 1000 and KL to uniform (Stacked MNIST)", auto=_has_modes, problem=_modes_problem),
    "fid": Evaluator(samples.on_features("fid"), "Frechet distance of the feature network's features",
                     auto=_feature_images, problem=_features_problem),
    "kid": Evaluator(samples.on_features("kid"), "kernel (Inception) distance, mean and std over subsets",
                     auto=_feature_images),
    "pr": Evaluator(samples.on_features("pr"), "precision and recall of k-NN manifolds (k = 3)", auto=_feature_images,
                   problem=_features_problem),
    "dc": Evaluator(samples.on_features("dc"), "density and coverage (k = 5)", auto=_feature_images,
                   problem=_features_problem),
    "is": Evaluator(samples.on_features("is"), "Inception Score of the feature network's logits",
                    auto=_feature_images, problem=_logits_problem),
    "swd": Evaluator(samples.on_images(swd.sliced_wasserstein_distance),
                     "sliced Wasserstein distance of Laplacian-pyramid patches (Karras et al. 2018), x 1e3",
                     problem=_images_problem),
    "class_accuracy": Evaluator(labels.class_accuracy_measure, "the shipped classifier's accuracy on samples of "
                                "each requested class (cgan, acgan, aae)", auto=_game_measure("class_accuracy")),
    "code_accuracy": Evaluator(labels.code_accuracy_measure, "InfoGAN's categorical code against the digits, "
                               "best one-to-one matching", auto=_game_measure("code_accuracy")),
    "test_error": Evaluator(labels.test_error_measure, "the semi-supervised classifier's test error",
                            auto=_game_measure("test_error")),
    "clustering": Evaluator(labels.clustering_measure, "ClusterGAN's encoder clusters of the test split: "
                            "purity (ACC), NMI, ARI by k-means and by argmax", auto=_game_measure("clustering")),
    "pair_agreement": Evaluator(coupled.pair_agreement_measure, "CoGAN's pair correspondence: pixel agreement of "
                                "T(x_a) with x_b, its chance level, each domain's FID",
                                auto=_game_measure("pair_agreement")),
    "inpainting": Evaluator(inpainting.inpainting_measure, "the context encoder's fills of held-out holes: L1, L2, "
                            "PSNR of the hole, FID and class accuracy of the completed images",
                            auto=_game_measure("inpainting")),
    "autoencoder": Evaluator(labels.autoencoder_measure, "the AAE's test codes against its prior, reconstruction "
                             "error", auto=_game_measure("autoencoder")),
    "paired_translation": Evaluator(translation.paired_translation, "held-out L1, PSNR and class accuracy of "
                                    "translations (pix2pix)", auto=_game_measure("paired_translation")),
    "cycle_translation": Evaluator(translation.cycle_translation, "held-out cycle error and domain accuracy "
                                   "(cyclegan)", auto=_game_measure("cycle_translation")),
}


def describe() -> str:
    """One line per evaluator: `name: summary` (the CLI's --metrics help)."""
    return "; ".join(f"{name}: {e.summary}" for name, e in EVALUATORS.items())


def requested(config: Any) -> tuple[str, ...]:
    """The evaluators `eval.metrics` names ("auto": those whose `auto` holds), unchecked."""
    spec = config.eval.metrics
    if spec == "auto":
        return tuple(name for name, e in EVALUATORS.items() if e.auto(config))
    return tuple(s.strip() for s in spec.split(",") if s.strip())


def selected(config: Any) -> tuple[str, ...]:
    """The evaluators an evaluation of `config` runs: `requested` plus the game's own measures."""
    names = requested(config)
    return names + tuple(n for n in games.get(config.game.name).evaluators(config) if n not in names)


def validate(config: Any) -> None:
    """Raise `ConfigError` for an `eval` group the run cannot evaluate with."""
    e = config.eval
    for key, choices in (("feature_network", NETWORKS), ("resize", ("bilinear", "none")),
                         ("reference_split", ("train", "test")), ("bn_statistics", BN_STATISTICS)):
        if e[key] not in choices:
            raise ConfigError(f"eval.{key}={e[key]!r} is not one of {list(choices)}")
    if e.bn_statistics == "standing" and data.is_translation_data(config.data):
        raise ConfigError("eval.bn_statistics='standing' recomputes a generator's statistics from its latent prior; a "
                          f"translation run ({config.data.name!r}) has none: keep 'running'")
    for key in ("batch_size", "num_samples"):
        if int(e[key]) != e[key] or e[key] < 1:
            raise ConfigError(f"eval.{key} must be a positive integer, got {e[key]!r}")
    if not e.truncation >= 0:
        raise ConfigError(f"eval.truncation must be >= 0 (0 = none), got {e.truncation!r}")
    prior = games.get(config.game.name).prior(config) if e.truncation else None
    if prior is not None and prior.noise != "normal":
        raise ConfigError(f"eval.truncation={e.truncation} truncates normal noise; game {config.game.name!r} draws "
                          f"{prior.noise!r} noise")
    if not e.truncation_psi >= 0:
        raise ConfigError(f"eval.truncation_psi must be >= 0 (1 = none), got {e.truncation_psi!r}")
    if e.truncation_psi != 1 and config.model.name != "stylegan2":
        raise ConfigError(f"eval.truncation_psi={e.truncation_psi} moves w toward the mean w that StyleGAN2's "
                          f"mapping network tracks; model.name={config.model.name!r} has none (BigGAN's truncation "
                          f"is eval.truncation)")
    if e.num_reference < 0:
        raise ConfigError(f"eval.num_reference must be >= 0 (0 = the whole split), got {e.num_reference}")
    names = requested(config)
    unknown = [n for n in names if n not in EVALUATORS]
    if unknown:
        raise ConfigError(f"eval.metrics={e.metrics!r}: unknown metric(s) {unknown}; expected a comma-separated "
                          f"subset of {list(EVALUATORS)}")
    for name in names:
        problem = EVALUATORS[name].problem(config)
        if problem:
            raise ConfigError(f"eval.metrics {problem}")
    network, image = feature_network_name(config), data.is_image(config.data)
    if network == "points" and image:
        raise ConfigError("eval.feature_network='points' is for 2D data; images need a feature network")
    grey = data.known_shape(config.data) in (None, (28, 28, 1)) or _coupled(config)  # coupled: a grey image per channel
    if network in domain_classifier.NAMES and not grey:
        raise ConfigError(f"eval.feature_network={network!r} takes 28x28 grey images; {config.data.name!r} is "
                          f"{data.known_shape(config.data)}")
    featured = [n for n in names if n in samples.FEATURE_METRICS]
    if network == "inception" and featured and not e.inception_weights:
        raise ConfigError(
            f"eval.metrics={list(names)} on {config.data.name!r} use Inception features: set eval.inception_weights "
            "to the converted FID Inception .npz (python -m jaxgan.metrics.inception convert ...) or choose "
            "eval.metrics='modes' / another eval.feature_network")


def eval_key(config: Any) -> jax.Array:
    """The evaluation key of a run: `fold_in(key(seed), EVAL_KEY_SALT)`."""
    return jax.random.fold_in(jax.random.key(config.seed), EVAL_KEY_SALT)


class Evaluations:
    """The evaluations of one run: `evaluate(sampler, ...)` runs the selected evaluators and
    returns the record; what does not change between evaluations (feature networks, the
    reference set's features) is computed once."""

    def __init__(self, config: Any, settings: MetricSettings = MetricSettings()):
        self.config = config
        self.settings = settings
        self.names = selected(config)
        self.run_cache: dict = {}

    def context(self, sampler: Sampler, *, key: jax.Array, use_ema: bool, step: int = 0,
                workdir: str | None = None) -> Context:
        return Context(self.config, sampler, key, use_ema, step=step, workdir=workdir, settings=self.settings,
                       run_cache=self.run_cache)

    def evaluate(self, sampler: Sampler, *, key: jax.Array, use_ema: bool, step: int = 0, workdir: str | None = None,
                 samples: Any = None) -> dict:
        """{"step", "protocol", "per_seed", "summary"}: each evaluator's values per seed, their mean
        and standard error over seeds, and the protocol (every evaluator's, plus how the samples
        were drawn). `samples`: the evaluation's samples when the caller drew them already."""
        ctx = self.context(sampler, key=key, use_ema=use_ema, step=step, workdir=workdir)
        if samples is not None:
            ctx.cache["samples"] = samples
        per_seed = [{} for _ in range(sampler.num_seeds)]
        protocol = self.protocol(ctx)
        for name in self.names:
            values, about = EVALUATORS[name].evaluate(ctx)
            for mine, theirs in zip(per_seed, values, strict=True):
                mine.update(theirs)
            protocol.update(about)
        numeric = [k for k, v in per_seed[0].items() if isinstance(v, (int, float))] if per_seed else []
        summary = {k: dict(zip(("mean", "stderr"), mean_and_stderr([r[k] for r in per_seed]), strict=True))
                   for k in numeric}
        return {"step": int(step), "protocol": protocol, "per_seed": per_seed, "summary": summary}

    def protocol(self, ctx: Context) -> dict:
        c = ctx.config
        protocol = {"dataset": c.data.name, "game": c.game.name, "metrics": list(self.names),
                    "generator": "ema" if ctx.use_ema else "raw", "seeds": [c.seed + s for s in range(c.num_seeds)],
                    "sample_key": f"fold_in(key({c.seed}), {EVAL_KEY_SALT:#x}), batch b: fold_in(., b)",
                    "batch_size": c.eval.batch_size, "checkpoint_step": int(ctx.step),
                    "bn_statistics": c.eval.bn_statistics, "truncation": c.eval.truncation,
                    "truncation_psi": c.eval.truncation_psi,
                    "n_fake": int(ctx.samples().shape[1])}
        return protocol

"""Measures of a trained run, one module per kind, each measure behind one interface:

    measure(config, program, state, *, key, use_ema, workdir=None, step=0)
        -> (per-seed list of {name: value}, protocol dict)

  samples      sample quality against the reference split: mode coverage (2D mixtures, Stacked
               MNIST), FID, KID, precision/recall, density/coverage, IS (`Evaluator`)
  labels       class_accuracy, code_accuracy (InfoGAN), test_error (semi-supervised),
               autoencoder (AAE codes and reconstructions)
  translation  paired_translation (Pix2Pix), cycle_translation (CycleGAN)

A game names its own measures (`Game.evaluators`); `evaluate_game` runs them. Sample quality is
measured for every game that samples from a prior (`Evaluator`).
"""

from jaxgan import games
from jaxgan.evaluation import labels, translation
from jaxgan.evaluation.samples import (EVAL_KEY_SALT, Evaluator, FeatureNetwork, MetricSettings, compute_metrics,
                                       dataset_batches, domain_network, extract, in_batches, map_in_batches,
                                       metric_protocol)

# name (as `Game.evaluators` gives it) -> measure
MEASURES = {
    "class_accuracy": labels.class_accuracy_measure,
    "code_accuracy": labels.code_accuracy_measure,
    "test_error": labels.test_error_measure,
    "autoencoder": labels.autoencoder_measure,
    "paired_translation": translation.paired_translation,
    "cycle_translation": translation.cycle_translation,
}


def evaluate_game(config, program, state, *, key, use_ema, workdir=None, step=0):
    """(per-seed list of metric dicts, protocol dict) of the measures `config`'s game names; ([],
    {}) when it names none."""
    names = games.get(config.game.name).evaluators(config)
    if not names:
        return [], {}
    per_seed, protocol = [{} for _ in range(program.num_seeds)], {"game": config.game.name}
    for name in names:
        values, about = MEASURES[name](config, program, state, key=key, use_ema=use_ema, workdir=workdir, step=step)
        for mine, theirs in zip(per_seed, values):
            mine.update(theirs)
        protocol.update(about)
    return per_seed, protocol


__all__ = ["EVAL_KEY_SALT", "Evaluator", "FeatureNetwork", "MEASURES", "MetricSettings", "compute_metrics",
           "dataset_batches", "domain_network", "evaluate_game", "extract", "in_batches", "map_in_batches",
           "metric_protocol"]

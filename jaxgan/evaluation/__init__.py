"""Measures of a trained run, every one an evaluator of one interface
(`jaxgan.evaluation.registry`): `evaluate(ctx) -> (per-seed values, protocol)`, where the
`Context` holds the run config and a `Sampler` of the trained generators, never the trainer.

  registry     EVALUATORS, selected(config), validate(config), Evaluations (a run's evaluations)
  context      Sampler (the protocol evaluators call), Context, MetricSettings
  features     feature networks (points, shipped domain classifiers, FID Inception), batching,
               reference and sample features
  samples      sample quality: modes, fid, kid, pr, dc, is, swd
  labels       class_accuracy, code_accuracy (InfoGAN), test_error (semi-supervised),
               autoencoder (AAE codes and reconstructions)
  translation  paired_translation (Pix2Pix), cycle_translation (CycleGAN)
  image_files  images from a folder or .npz as a Sampler (`jaxgan evaluate --samples`)
"""

from jaxgan.evaluation.context import Context, MetricSettings, Sampler
from jaxgan.evaluation.features import (
    FeatureNetwork,
    dataset_batches,
    domain_network,
    extract,
    feature_network_name,
    in_batches,
    map_in_batches,
)
from jaxgan.evaluation.registry import (
    DEFAULTS,
    EVAL_KEY_SALT,
    EVALUATORS,
    Evaluations,
    Evaluator,
    describe,
    eval_key,
    requested,
    selected,
    validate,
)
from jaxgan.evaluation.samples import FEATURE_METRICS, compute_metrics, metric_protocol

__all__ = ["DEFAULTS", "EVALUATORS", "EVAL_KEY_SALT", "FEATURE_METRICS", "Context", "Evaluations", "Evaluator",
           "FeatureNetwork", "MetricSettings", "Sampler", "compute_metrics", "dataset_batches", "describe",
           "domain_network", "eval_key", "extract", "feature_network_name", "in_batches", "map_in_batches",
           "metric_protocol", "requested", "selected", "validate"]

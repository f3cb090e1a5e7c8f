"""Evaluation metrics, pure math computed on the host (`jaxgan.evaluation` runs them on a
trained run's samples). One module per metric: frechet (FID), scores (IS, KID), manifold
(precision/recall, density/coverage), mode_coverage, stacked_mnist, swd (sliced Wasserstein);
the feature networks: domain_classifier, inception."""

from jaxgan.metrics.frechet import (
    FeatureStats,
    accumulate,
    empty_stats,
    frechet_distance,
    frechet_distance_from_stats,
    merge,
)
from jaxgan.metrics.manifold import density_coverage, knn_radii, manifold_metrics, precision_recall
from jaxgan.metrics.mode_coverage import mean_and_stderr, mode_coverage
from jaxgan.metrics.scores import inception_score, kernel_inception_distance

__all__ = [
    "FeatureStats",
    "accumulate",
    "density_coverage",
    "empty_stats",
    "frechet_distance",
    "frechet_distance_from_stats",
    "inception_score",
    "kernel_inception_distance",
    "knn_radii",
    "manifold_metrics",
    "mean_and_stderr",
    "merge",
    "mode_coverage",
    "precision_recall",
]

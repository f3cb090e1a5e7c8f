"""Evaluation metrics, computed on the host in float64."""

from jaxgan.metrics.frechet import FeatureStats, accumulate, empty_stats, frechet_distance, frechet_distance_from_stats, merge
from jaxgan.metrics.manifold import density_coverage, knn_radii, manifold_metrics, precision_recall
from jaxgan.metrics.mode_coverage import mean_and_stderr, mode_coverage
from jaxgan.metrics.scores import inception_score, kernel_inception_distance

__all__ = [
    "mode_coverage",
    "mean_and_stderr",
    "FeatureStats",
    "empty_stats",
    "accumulate",
    "merge",
    "frechet_distance",
    "frechet_distance_from_stats",
    "inception_score",
    "kernel_inception_distance",
    "precision_recall",
    "density_coverage",
    "manifold_metrics",
    "knn_radii",
]


# The sample-quality measures an evaluation can compute, by name.
METRICS = ("fid", "kid", "pr", "dc", "is")


def parse_metrics(spec):
    """'fid,kid,pr' -> ('fid', 'kid', 'pr'); unknown names are an error listing the known ones."""
    names = tuple(s.strip() for s in spec.split(",") if s.strip()) if isinstance(spec, str) else tuple(spec)
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; expected a comma-separated subset of {list(METRICS)}")
    return names

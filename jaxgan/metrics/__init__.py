"""Evaluation metrics, computed on the host in float64."""

from jaxgan.metrics.mode_coverage import mean_and_stderr, mode_coverage

__all__ = ["mode_coverage", "mean_and_stderr"]

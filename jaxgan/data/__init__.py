"""Data sources. A source yields batches shaped (num_streams, count, n_critic, B, ...) from a
position it can save and restore, so a resumed run sees exactly the batches it would have seen."""

from jaxgan.data.synthetic import MIXTURES, Mixture, SyntheticSource, sample_mixture

__all__ = ["MIXTURES", "Mixture", "SyntheticSource", "sample_mixture"]

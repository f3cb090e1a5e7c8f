"""Data sources. A source yields batches shaped (num_streams, count, n_critic, B, ...) from a
position it can save and restore, so a resumed run sees exactly the batches it would have seen:
`SyntheticSource` (2D Gaussian mixtures) and `images.ImageSource` (TFDS, IDX, npz or folder
images, see `jaxgan.data.images`)."""

from jaxgan.data.images import IMAGE_DATASETS, ImageSource, open_images
from jaxgan.data.synthetic import MIXTURES, Mixture, SyntheticSource, sample_mixture

__all__ = ["MIXTURES", "Mixture", "SyntheticSource", "sample_mixture", "IMAGE_DATASETS", "ImageSource", "open_images"]

"""Data sources and dataset facts. A source yields batches shaped (num_streams, count, n_critic,
B, ...) from a position it can save and restore, so a resumed run sees exactly the batches it
would have seen: `SyntheticSource` (2D Gaussian mixtures), `images.ImageSource` (TFDS, IDX, npz
or folder images, see `jaxgan.data.images`), `labeled.SemiSupervisedSource` and
`translation.TranslationSource`.

The functions below answer questions about the dataset a run's `data` config group names
(`config.data`: name, source, dir, image_size): its kind, the shape of one example, its classes,
and opening a split.
"""

from jaxgan.data import translation as _translation
from jaxgan.data.images import IMAGE_DATASETS, ImageSource, open_images
from jaxgan.data.synthetic import MIXTURES, Mixture, SyntheticSource, sample_mixture

__all__ = ["MIXTURES", "Mixture", "SyntheticSource", "sample_mixture", "IMAGE_DATASETS", "ImageSource", "open_images",
           "is_image", "is_translation_data", "num_classes", "open_split", "example_shape", "translation_shapes"]


def is_image(data):
    """Whether `data.name` is an image dataset (not one of the 2D mixtures)."""
    return data.name not in MIXTURES


def is_translation_data(data):
    """Whether `data.name` is paired or unpaired image-to-image translation data."""
    return _translation.is_translation_data(data.name)


def num_classes(data):
    """The number of class labels an example of `data.name` carries (0: none)."""
    spec = IMAGE_DATASETS.get(data.name)
    return spec.classes if spec is not None else 0


def open_split(data, split):
    """Random-access real images of `split` ("train" / "test") of an image dataset."""
    source = data.name if data.name in ("npz", "folder") else data.source
    return open_images(data.name, split, source=source, path=data.dir or None)


def translation_shapes(data):
    """(source / domain A shape, target / domain B shape) of translation data."""
    return _translation.translation_shapes(data.name, source=data.source, directory=data.dir,
                                           image_size=data.image_size)


def example_shape(data):
    """Shape of one example: (2,) for the 2D mixtures, (H, W, C) for images (the target domain
    of translation data)."""
    if not is_image(data):
        return (2,)
    if is_translation_data(data):
        return translation_shapes(data)[1]
    if data.name in IMAGE_DATASETS:
        spec = IMAGE_DATASETS[data.name]
        return (spec.size, spec.size, spec.channels)
    return tuple(open_split(data, "train").shape)

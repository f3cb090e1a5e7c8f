"""Data sources and dataset facts. A source yields batches shaped (num_streams, count, n_critic,
B, ...) from a position it can save and restore, so a resumed run sees exactly the batches it
would have seen: `SyntheticSource` (2D Gaussian mixtures), `images.ImageSource` (TFDS, IDX, npz
or folder images, see `jaxgan.data.images`), `labeled.SemiSupervisedSource` and
`translation.TranslationSource`.

The functions below answer questions about the dataset a run's `data` config group names
(`config.data`: name, source, dir, image_size): its kind, the shape of one example, its classes,
and opening a split.
"""

from typing import Any, Protocol

import numpy as np

from jaxgan.data import translation as _translation
from jaxgan.data.images import IMAGE_DATASETS, SOURCES, ImageSource, open_images
from jaxgan.data.synthetic import MIXTURES, Mixture, SyntheticSource, sample_mixture
from jaxgan.errors import ConfigError

__all__ = ["IMAGE_DATASETS", "MIXTURES", "ImageSource", "Mixture", "Source", "SyntheticSource", "datasets",
           "example_shape", "is_image", "is_translation_data", "known_shape", "num_classes", "open_images",
           "open_split", "sample_mixture", "translation_shapes", "validate"]


class Source(Protocol):
    """What the training loop reads batches from."""

    def next(self, count: int) -> dict[str, np.ndarray]:
        """The next `count` steps' batches: arrays (streams, count, n_critic, B, ...) by key."""

    def get_state(self) -> Any:
        """The position after the batches handed out so far (saved in every checkpoint)."""

    def set_state(self, state: Any) -> None:
        """Continue from a position `get_state` returned."""

    def records(self, seed: int) -> dict[str, Any]:
        """{name: JSON-ready record} the run keeps beside its checkpoints as WORKDIR/<name>.json
        (e.g. the labeled subset a semi-supervised source chose); {} for none."""


def datasets() -> tuple[str, ...]:
    """Every `data.name` besides translation data: the 2D mixtures, the image dataset table, and
    the user's own images ("npz", "folder")."""
    return tuple(MIXTURES) + tuple(IMAGE_DATASETS) + ("npz", "folder")


def _one_of(value, choices, key):
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not one of {list(choices)}")


def validate(data: Any) -> None:
    """Raise `ConfigError` for a `data` config group naming no dataset, a source it cannot be read
    from, or options it does not take. Reads no files."""
    if not is_translation_data(data):
        _one_of(data.name, datasets(), "data.name")
    _one_of(data.source, SOURCES, "data.source")
    if int(data.batch_size) != data.batch_size or data.batch_size < 1:
        raise ConfigError(f"data.batch_size must be a positive integer, got {data.batch_size!r}")
    if data.image_size < 0 or int(data.image_size) != data.image_size:
        raise ConfigError(f"data.image_size must be an integer >= 0 (0 = the dataset's size), got {data.image_size!r}")
    if int(data.train_size) != data.train_size or data.train_size < 0:
        raise ConfigError(f"data.train_size must be an integer >= 0 (0 = the whole training split, or fresh draws "
                          f"of a 2D mixture), got {data.train_size!r}")
    if data.train_size and is_translation_data(data):
        raise ConfigError(f"data.train_size={data.train_size} limits the training images of the generative games; "
                          f"data.name={data.name!r} is translation data")
    if (data.name in ("npz", "folder") or data.source == "idx") and not data.dir:
        raise ConfigError(
            f"data.name={data.name!r} with data.source={data.source!r} needs data.dir (the files to read)"
        )
    spec = IMAGE_DATASETS.get(data.name)
    if not is_translation_data(data) and data.source == "idx" and not (spec and spec.idx):
        raise ConfigError(
            f"data.source='idx' reads the official MNIST-layout files; data.name={data.name!r} is not one"
        )


def known_shape(data: Any) -> tuple[int, ...] | None:
    """One example's shape where the dataset table tells it (2D mixtures, named image datasets);
    None where only reading the files would (npz, folder, translation data)."""
    if not is_image(data):
        return (2,)
    if data.name in IMAGE_DATASETS and not is_translation_data(data):
        spec = IMAGE_DATASETS[data.name]
        return (spec.size, spec.size, spec.channels)
    return None


def is_image(data) -> bool:
    """Whether `data.name` is an image dataset (not one of the 2D mixtures)."""
    return data.name not in MIXTURES


def is_translation_data(data) -> bool:
    """Whether `data.name` is paired or unpaired image-to-image translation data."""
    return _translation.is_translation_data(data.name)


def num_classes(data) -> int:
    """The number of class labels an example of `data.name` carries (0: none)."""
    spec = IMAGE_DATASETS.get(data.name)
    return spec.classes if spec is not None else 0


def open_split(data, split) -> Any:
    """Random-access real images of `split` ("train" / "test") of an image dataset."""
    source = data.name if data.name in ("npz", "folder") else data.source
    return open_images(data.name, split, source=source, path=data.dir or None)


def translation_shapes(data) -> tuple:
    """(source / domain A shape, target / domain B shape) of translation data."""
    return _translation.translation_shapes(data.name, source=data.source, directory=data.dir,
                                           image_size=data.image_size)


def example_shape(data) -> tuple[int, ...]:
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

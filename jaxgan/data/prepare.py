"""Prepare a TFDS image dataset as array_record files, online or from local files.

    jaxgan data prepare mnist --data-dir ~/tensorflow_datasets --from $JAXGAN_DATASETS/mnist

With `--from DIR`, TFDS's own builder takes the downloaded resources from DIR (its `manual_dir`)
and verifies them against the checksums TFDS records for their URLs, so an offline machine with
the official files builds the same dataset an online one downloads. Building needs TensorFlow
(TFDS's image encoder uses it: `pip install 'jaxgan[prepare]'`); reading the prepared dataset
(`tfds.data_source`) does not.
"""

import os

from jaxgan.errors import DataError, MissingDataError, MissingDependencyError, require


def prepare(name, *, data_dir, manual_dir=None):
    """Build `name` into `data_dir` (array_record); returns the dataset's directory."""
    try:
        import tensorflow  # noqa: F401  (TFDS imports it lazily deep inside; fail early and clearly)
    except ImportError as error:
        raise MissingDependencyError(
            "preparing a TFDS dataset needs TensorFlow (its image encoder): pip install 'jaxgan[prepare]' "
            "(tensorflow-cpu); reading a prepared dataset does not"
        ) from error
    tfds = require(
        "tensorflow_datasets", feature="jaxgan data prepare", instead="use data.source='idx', 'npz' or 'folder'"
    )

    if manual_dir is not None and not os.path.isdir(manual_dir):
        raise MissingDataError(f"--from {manual_dir!r} is not a directory")
    try:
        builder = tfds.builder(name, data_dir=data_dir, file_format="array_record")
    except tfds.core.registered.DatasetNotFoundError as error:
        raise DataError(f"unknown TFDS dataset {name!r}") from error
    config = tfds.download.DownloadConfig(manual_dir=manual_dir) if manual_dir else None
    builder.download_and_prepare(download_config=config)
    return str(builder.data_dir)

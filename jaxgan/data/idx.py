"""Reader for IDX files (the official MNIST / Fashion-MNIST format), gzip-compressed or not.

Header: two zero bytes, a type byte (0x08 = uint8), the number of dimensions, then one
big-endian uint32 per dimension, then the data. A local source for machines without network
access; it never downloads anything.
"""

import functools
import gzip
import os
import zlib

import numpy as np

from jaxgan.errors import DataError, MissingDataError

_TYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# Where the official files of each IDX dataset are published (the four *-ubyte.gz files each).
OFFICIAL_SOURCES = {
    "mnist": "https://storage.googleapis.com/cvdf-datasets/mnist/ (mirror of yann.lecun.com/exdb/mnist)",
    "fashion_mnist": "https://github.com/zalandoresearch/fashion-mnist (data/fashion/)",
}
# A folder holding one subfolder of official files per dataset (mnist/, fashion_mnist/): what
# the tests, benchmarks and studies that need real data read.
DATASETS_VARIABLE = "JAXGAN_DATASETS"
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def where_to_get(name):
    """One sentence on where the official files of `name` come from and where they go."""
    files = ", ".join(SPLIT_FILES["train"] + SPLIT_FILES["test"])
    return (f"put the official {name} files ({files}) from {OFFICIAL_SOURCES.get(name, 'its publisher')} in a "
            f"folder {name}/ and set {DATASETS_VARIABLE} to the folder that holds it")


def read_idx(path):
    """The array stored in an IDX file (.gz or raw), read-only. A file read before is not
    decompressed again while its size and modification time are unchanged (MNIST's training
    images take 0.18 s to decompress here, and a run opens them for training, evaluation and
    its classifiers)."""
    status = os.stat(path)
    return _read_idx(os.path.abspath(path), status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _read_idx(path, size, mtime_ns):
    array = _decode_idx(path)
    array.setflags(write=False)
    return array


def _decode_idx(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except EOFError as error:
        raise DataError(f"{path} ends early (a truncated download or copy?): re-copy the official file") from error
    except (gzip.BadGzipFile, zlib.error) as error:
        raise DataError(f"{path} is not a valid gzip file ({error}): re-copy the official file") from error
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise DataError(f"{path} is not an IDX file (header bytes {data[:4]!r})")
    dtype, ndim = np.dtype(_TYPES[data[2]]), data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - offset != expected:
        raise DataError(f"{path}: header promises shape {shape} ({expected} bytes), file holds {len(data) - offset}")
    return np.frombuffer(data, dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def load_idx_split(directory, split):
    """(images uint8 (N, H, W, 1), labels int32 (N,)) of an MNIST-layout folder's `split`."""
    if split not in SPLIT_FILES:
        raise DataError(f"unknown split {split!r}; expected one of {sorted(SPLIT_FILES)}")
    image_file, label_file = (os.path.join(directory, name) for name in SPLIT_FILES[split])
    for path in (image_file, label_file):
        if not os.path.exists(path):
            raise MissingDataError(f"{path} not found: expected the official IDX gz files in {directory}; "
                                   f"{where_to_get(os.path.basename(os.path.normpath(directory)))}")
    images, labels = read_idx(image_file), read_idx(label_file)
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{directory}/{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images[..., None], labels.astype(np.int32)

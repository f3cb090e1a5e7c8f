"""Image datasets: tensorflow-datasets (read through `tfds.data_source`, no TensorFlow needed),
the official MNIST-layout IDX files, a `.npz` of arrays, or a folder of image files.

Every source is random access: `take(indices)` returns uint8 images (n, H, W, C). `ImageSource`
turns one into endless, seeded, process-sharded batches in [-1, 1] (NHWC, float32) whose position
is saved in checkpoints.
"""

import dataclasses
import os

import numpy as np

from jaxgan.data.idx import load_idx_split
from jaxgan.errors import DataError, MissingDataError, require


@dataclasses.dataclass(frozen=True)
class ImageSpec:
    """One entry of the image dataset table: what every part of jaxgan needs to know about it."""

    size: int
    channels: int
    train_split: str = "train"
    test_split: str = "test"
    crop: int = 0  # center crop (pixels) before resizing to `size`; 0 keeps the whole image
    classes: int = 0  # number of class labels each example carries (0: unlabeled)
    idx: bool = False  # readable from the official MNIST-layout gz files (data.source "idx")
    # the feature network its FID etc. use by default: a shipped domain classifier
    # (jaxgan.metrics.domain_classifier.NAMES) or "inception"
    feature_network: str = "inception"
    # two domains stacked as channels, read each by the feature network (CoGAN's pairs,
    # `jaxgan.data.coupled`): no image metric of the whole example applies
    coupled: bool = False
    modes: int = 0  # the modes a mode count measures (eval.metrics "modes"); 0: none


IMAGE_DATASETS = {
    "mnist": ImageSpec(28, 1, classes=10, idx=True, feature_network="mnist"),
    "fashion_mnist": ImageSpec(28, 1, classes=10, idx=True, feature_network="fashion_mnist"),
    "cifar10": ImageSpec(32, 3, classes=10),
    # Three MNIST digits as RGB channels, 1000 modes (jaxgan.metrics.stacked_mnist).
    "stacked_mnist": ImageSpec(28, 3, idx=True, modes=1000),
    # The DCGAN convention for CelebA at 64x64: a 108x108 center crop of the 218x178 photos.
    "celeb_a": ImageSpec(64, 3, test_split="test", crop=108),
    # CoGAN's coupled domains (jaxgan.data.coupled): MNIST digits and their edges / negatives.
    "mnist_edges": ImageSpec(28, 2, idx=True, feature_network="mnist", coupled=True),
    "mnist_negatives": ImageSpec(28, 2, idx=True, feature_network="mnist", coupled=True),
}
SOURCES = ("tfds", "idx", "npz", "folder")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


class ArrayImages:
    """Random access over an in-memory uint8 array (N, H, W, C), with optional int labels."""

    def __init__(self, images, labels=None, *, origin):
        images = np.asarray(images)
        if images.dtype != np.uint8:
            raise DataError(f"{origin}: images must be uint8 (0-255), got dtype {images.dtype}")
        if images.ndim == 3:
            images = images[..., None]
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise DataError(f"{origin}: expected images (N, H, W, 1 or 3), got shape {images.shape}")
        if labels is not None and len(labels) != len(images):
            raise DataError(f"{origin}: {len(images)} images but {len(labels)} labels")
        self.images = images
        self.labels = None if labels is None else np.asarray(labels, np.int32)
        self.origin = origin

    def __len__(self):
        return self.images.shape[0]

    @property
    def shape(self):
        return self.images.shape[1:]

    def take(self, indices):
        return self.images[np.asarray(indices)]

    def take_labels(self, indices):
        if self.labels is None:
            raise DataError(f"{self.origin} has no labels")
        return self.labels[np.asarray(indices)]


class TfdsImages:
    """Random access over a prepared TFDS dataset via `tfds.data_source` (array_record files)."""

    def __init__(self, name, split, data_dir, spec):
        tfds = require("tensorflow_datasets", feature=f"data.source='tfds' (dataset {name!r})",
                       instead="read the official files directly (MNIST, Fashion-MNIST: data.source='idx', "
                               "data.dir=the folder of .gz files) or your own images (data.name='npz' or 'folder')")
        try:
            self.source = tfds.data_source(name, split=split, data_dir=data_dir, download=False)
        except Exception as error:  # tfds raises several types for a dataset that is not prepared
            raise MissingDataError(
                f"TFDS dataset {name!r} (split {split!r}) is not prepared in {data_dir!r}: run "
                f"`jaxgan data prepare {name} --data-dir {data_dir}` (add `--from DIR` offline)"
            ) from error
        self.spec = spec
        self.origin = f"tfds:{name}/{split}"

    def __len__(self):
        return len(self.source)

    @property
    def shape(self):
        return (self.spec.size, self.spec.size, self.spec.channels)

    def _records(self, indices):
        records = []
        for i in np.asarray(indices):
            try:
                records.append(self.source[int(i)])
            except Exception as error:  # array_record and the TFDS decoders raise many types
                raise DataError(f"{self.origin} record {int(i)} is unreadable ({type(error).__name__}: {error})"
                                ) from error
        return records

    def take(self, indices):
        return np.stack([_fit(np.asarray(r["image"]), self.spec) for r in self._records(indices)])

    def take_labels(self, indices):
        records = self._records(indices)
        if records and "label" not in records[0]:
            raise DataError(f"{self.origin} has no labels (features: {sorted(records[0])})")
        return np.asarray([r["label"] for r in records], np.int32)


def _fit(image, spec):
    """Center-crop and resize one uint8 image (H, W, C) to the dataset's size."""
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[:2] == (spec.size, spec.size):
        return image
    from PIL import Image

    h, w = image.shape[:2]
    if spec.crop:
        top, left = (h - spec.crop) // 2, (w - spec.crop) // 2
        image = image[top : top + spec.crop, left : left + spec.crop]
    pil = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    out = np.asarray(pil.resize((spec.size, spec.size), Image.BILINEAR))
    return out[..., None] if out.ndim == 2 else out


def read_npz(path):
    """Every array of the .npz at `path` (read eagerly, so a damaged member fails here, naming the
    file, not later inside training)."""
    import zipfile
    import zlib

    if not os.path.isfile(path):
        raise MissingDataError(f"no .npz file at {path!r}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise DataError(f"{path} is a single .npy array, not an .npz archive of named arrays (np.savez)")
        with data:
            return {name: data[name] for name in data.files}
    except DataError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        # numpy reports a file that is not a zip at all as "pickled data"; say what it is instead.
        raise DataError(f"{path} is not a readable .npz archive (a zip of .npy arrays written by np.savez): "
                        f"{type(error).__name__}: {error}") from error


def load_npz(path):
    data = read_npz(path)
    if "images" not in data:
        raise DataError(f"{path}: expected an array named 'images' (N, H, W[, C]) uint8, found {sorted(data)}")
    return ArrayImages(data["images"], data.get("labels"), origin=path)


def load_folder(path):
    """Every image file in `path` (sorted by name), all of one size; grey stays 1 channel."""
    from PIL import Image

    if not os.path.isdir(path):
        raise MissingDataError(f"no image folder at {path!r}")
    files = sorted(f for f in os.listdir(path) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise DataError(f"{path}: no image files ({', '.join(IMAGE_EXTENSIONS)})")
    images = []
    for name in files:
        try:
            with Image.open(os.path.join(path, name)) as image:
                array = np.asarray(image.convert("L" if image.mode in ("L", "1", "I;16") else "RGB"))
        except OSError as error:  # PIL's UnidentifiedImageError and truncated files are OSErrors
            raise DataError(f"{path}/{name} is not a readable image: {error}") from error
        if images and array.shape != images[0].shape:
            raise DataError(
                f"{path}/{name} is {array.shape}, but {files[0]} is {images[0].shape}; resize them to one size"
            )
        images.append(array)
    return ArrayImages(np.stack(images), origin=path)


def open_images(name, split, *, source, path):
    """Random-access images of dataset `name` (or of the user's `npz` / `folder` at `path`)."""
    if source not in SOURCES:
        raise DataError(f"data.source={source!r} is not one of {list(SOURCES)}")
    if source == "npz":
        return load_npz(path)
    if source == "folder":
        return load_folder(path)
    if name not in IMAGE_DATASETS:
        raise DataError(
            f"unknown image dataset {name!r}; expected one of {sorted(IMAGE_DATASETS)} (or source 'npz'/'folder')"
        )
    spec = IMAGE_DATASETS[name]
    if name == "stacked_mnist":
        from jaxgan.metrics.stacked_mnist import StackedImages

        digits = open_images("mnist", split, source=source, path=path)
        everything = np.arange(len(digits))
        # one stacked image per MNIST image of the split, drawn with a split-specific seed
        return StackedImages(digits.take(everything), digits.take_labels(everything), size=len(digits),
                             seed={"train": 0, "test": 1}.get(split, 2), origin=f"stacked_mnist/{split}")
    if spec.coupled:
        from jaxgan.data.coupled import SPLIT_SEEDS, CoupledDigits

        digits = open_images("mnist", split, source=source, path=path)
        everything = np.arange(len(digits))
        return CoupledDigits(name, digits.take(everything), digits.take_labels(everything),
                             seed=SPLIT_SEEDS.get(split, 2), origin=f"{name}/{split}")
    split = {"train": spec.train_split, "test": spec.test_split}.get(split, split)
    if source == "idx":
        if spec.channels != 1 or spec.size != 28:
            raise DataError(f"source 'idx' reads MNIST-layout files; {name!r} is not one")
        images, labels = load_idx_split(path, split)
        return ArrayImages(images, labels, origin=f"idx:{path}/{split}")
    return TfdsImages(name, split, path, spec)


def to_model_range(images):
    """uint8 -> float32 in [-1, 1]."""
    return np.asarray(images, np.float32) / 127.5 - 1.0


class ImageSource:
    """Endless batches of real images, a pure function of (seed, stream, position).

    Stream s (one per trained seed) reads the examples in the order of a fresh permutation per
    epoch drawn from (seed + s, epoch); the global example counter runs on across epochs. Batch t,
    critic slice c, example i is global example (t * n_critic + c) * B + i; process p of P reads
    examples [p*B/P, (p+1)*B/P) of every batch, so the union over processes is the same for any P.
    `next(count)` returns {"x": float32 (num_streams, count, n_critic, B_local, H, W, C) in [-1, 1]}
    (plus "y": int32 labels when `with_labels`).
    """

    def __init__(self, images, *, batch_size, n_critic=1, seed=0, num_streams=1,
                 process_index=0, process_count=1, with_labels=False):
        if batch_size % process_count:
            raise DataError(f"batch size {batch_size} is not divisible by {process_count} processes")
        if len(images) < batch_size:
            raise DataError(f"{images.origin} has {len(images)} images, fewer than one batch of {batch_size}")
        self.images = images
        self.batch_size = batch_size
        self.n_critic = n_critic
        self.seed = seed
        self.num_streams = num_streams
        self.local_batch = batch_size // process_count
        self.example_offset = process_index * self.local_batch
        self.with_labels = with_labels
        self.position = 0
        self._permutations = {}

    def _permutation(self, stream, epoch):
        key = (stream, epoch)
        if key not in self._permutations:
            if len(self._permutations) > 4 * self.num_streams:
                self._permutations.clear()
            rng = np.random.default_rng([self.seed + stream, epoch])
            self._permutations[key] = rng.permutation(len(self.images))
        return self._permutations[key]

    def indices(self, stream, position, count):
        """Dataset indices (count, n_critic, B_local) that stream `stream` reads at `position`."""
        t = position + np.arange(count)[:, None, None]
        c = np.arange(self.n_critic)[None, :, None]
        i = self.example_offset + np.arange(self.local_batch)[None, None, :]
        counter = (t * self.n_critic + c) * self.batch_size + i
        epochs, offsets = np.divmod(counter, len(self.images))
        out = np.empty_like(counter)
        for epoch in np.unique(epochs):
            where = epochs == epoch
            out[where] = self._permutation(stream, int(epoch))[offsets[where]]
        return out

    def next(self, count):
        xs, ys = [], []
        for stream in range(self.num_streams):
            index = self.indices(stream, self.position, count)
            flat = index.reshape(-1)
            xs.append(to_model_range(self.images.take(flat)).reshape(*index.shape, *self.images.shape))
            if self.with_labels:
                ys.append(self.images.take_labels(flat).reshape(index.shape))
        self.position += count
        batch = {"x": np.stack(xs)}
        if self.with_labels:
            batch["y"] = np.stack(ys)
        return batch

    def get_state(self):
        return {"position": self.position}

    def set_state(self, state):
        self.position = int(state["position"])

    def records(self, seed):
        """JSON records the run keeps beside its checkpoints: none for this source."""
        return {}


# Keeps a limited training set independent of the batch permutations drawn from the same seed.
TRAIN_SUBSET_SALT = 0x7A15E7


def choose_train_subset(num_images: int, size: int, seed: int) -> np.ndarray:
    """`size` distinct indices of `num_images`, sorted, drawn uniformly from `seed`."""
    if not 0 < size <= num_images:
        raise DataError(f"data.train_size={size} must be in [1, {num_images}] (the training split's size)")
    return np.sort(np.random.default_rng([seed, TRAIN_SUBSET_SALT]).choice(num_images, size, replace=False))


class ImageSubset:
    """Random access to `images[indices]` (images and, where the source has them, labels)."""

    def __init__(self, images, indices):
        self.images = images
        self.indices = np.asarray(indices)
        self.shape = images.shape
        self.origin = f"{images.origin}[{len(self.indices)} of {len(images)}]"

    def __len__(self):
        return len(self.indices)

    def take(self, index):
        return self.images.take(self.indices[np.asarray(index)])

    def take_labels(self, index):
        return self.images.take_labels(self.indices[np.asarray(index)])


class LimitedImageSource:
    """An `ImageSource` per stream over that stream's fixed training subset: `train_size` images of
    the split drawn once from the stream's seed (`choose_train_subset`), as in the limited-data
    studies of Karras et al. 2020 and Zhao et al. 2020. `records` keeps the subsets beside the
    run's checkpoints (WORKDIR/train_subset.json)."""

    def __init__(self, images, *, train_size, batch_size, n_critic=1, seed=0, num_streams=1, process_index=0,
                 process_count=1, with_labels=False):
        self.seed = seed
        self.subsets = [choose_train_subset(len(images), train_size, seed + s) for s in range(num_streams)]
        self.sources = [ImageSource(ImageSubset(images, indices), batch_size=batch_size, n_critic=n_critic,
                                    seed=seed + s, process_index=process_index, process_count=process_count,
                                    with_labels=with_labels)
                        for s, indices in enumerate(self.subsets)]

    def next(self, count):
        batches = [source.next(count) for source in self.sources]
        return {key: np.concatenate([b[key] for b in batches]) for key in batches[0]}

    def get_state(self):
        return self.sources[0].get_state()

    def set_state(self, state):
        for source in self.sources:
            source.set_state(state)

    def records(self, seed):
        """{"train_subset": the indices of each stream's training images}, JSON-ready."""
        return {"train_subset": [{"seed": seed + s, "indices": indices.tolist()}
                                 for s, indices in enumerate(self.subsets)]}

"""Data for image-to-image translation: paired (Pix2Pix) and unpaired (CycleGAN) tasks.

Offline tasks, made deterministically from the MNIST / Fashion-MNIST files (no download, no
randomness: every image is a fixed function of one dataset image), padded to 32 x 32 so that
U-Nets and PatchGANs halve cleanly:

  edges2mnist    paired:   the outline of a digit -> the digit
  edges2fashion  paired:   the outline of a Fashion-MNIST item -> the item
  mnist2fashion  unpaired: domain A = MNIST digits, domain B = Fashion-MNIST items

The outline is the morphological gradient of the image binarized at 128: pixels inside the
3 x 3 dilation but outside the 3 x 3 erosion (a line about two pixels wide). Held-out pairs are
those of the test split.

For users with internet: `cycle_gan/<name>` (TFDS, e.g. cycle_gan/horse2zebra, prepared with
`jaxgan data prepare cycle_gan/horse2zebra`), unpaired, splits trainA/trainB/testA/testB,
resized to `image_size`. For the user's own paired data: `pairs_npz`, an .npz with uint8 arrays
`train_source`, `train_target`, `test_source`, `test_target` (N, H, W, C).

Batches (leading axes as `ImageSource`: stream, count, n_critic, example):
  paired:   {"source": ..., "target": ...}   (example i of both is one pair)
  unpaired: {"a": ..., "b": ...}             (independent orders)
"""

import dataclasses
import functools
import os

import numpy as np

from jaxgan.data.images import ArrayImages, ImageSource, ImageSpec, TfdsImages, open_images, read_npz, to_model_range
from jaxgan.errors import DataError, MissingDataError

SIZE = 32
UNPAIRED_SALT = 0xB0B  # domain B reads in an order independent of domain A's


@dataclasses.dataclass(frozen=True)
class Task:
    paired: bool
    a: str  # source dataset (paired) / domain A
    b: str  # target dataset (paired: same images as a) / domain B


TASKS = {
    "edges2mnist": Task(True, "mnist", "mnist"),
    "edges2fashion": Task(True, "fashion_mnist", "fashion_mnist"),
    "mnist2fashion": Task(False, "mnist", "fashion_mnist"),
}
CYCLE_GAN_PREFIX = "cycle_gan/"
PAIRS_NPZ = "pairs_npz"


def is_translation_data(name):
    return name in TASKS or name == PAIRS_NPZ or name.startswith(CYCLE_GAN_PREFIX)


def is_paired(name):
    if name in TASKS:
        return TASKS[name].paired
    return name == PAIRS_NPZ


def pad_to(images, size=SIZE):
    """Zero-pad uint8 images (N, h, w, C) symmetrically to (N, size, size, C)."""
    n, h, w, c = images.shape
    if h > size or w > size:
        raise DataError(f"images of {h}x{w} do not fit in {size}x{size}")
    top, left = (size - h) // 2, (size - w) // 2
    return np.pad(images, ((0, 0), (top, size - h - top), (left, size - w - left), (0, 0)))


def _shifted_3x3(mask, reduce):
    padded = np.pad(mask, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=reduce is np.logical_and)
    h, w = mask.shape[1:3]
    out = padded[:, 1 : 1 + h, 1 : 1 + w]
    for dy in range(3):
        for dx in range(3):
            out = reduce(out, padded[:, dy : dy + h, dx : dx + w])
    return out


def edge_map(images, threshold=128):
    """Outline of uint8 images (N, H, W, C): 255 where the 3x3 dilation of (image >= threshold)
    differs from its 3x3 erosion, else 0."""
    mask = np.asarray(images) >= threshold
    edges = _shifted_3x3(mask, np.logical_or) & ~_shifted_3x3(mask, np.logical_and)
    return edges.astype(np.uint8) * 255


def _base_split(name, split, *, source, directory):
    """uint8 (N, 32, 32, 1) images of an MNIST-like dataset (idx: `directory`/<name>)."""
    path = os.path.join(directory, name) if source == "idx" else (directory or None)
    images = open_images(name, split, source=source, path=path)
    return pad_to(images.take(np.arange(len(images))))


class LazyPairs:
    """Random access to (source, target) images with the source computed from the target."""

    def __init__(self, targets, make_source, *, origin):
        self.targets = ArrayImages(targets, origin=origin)
        self.make_source = make_source
        self.origin = origin

    def __len__(self):
        return len(self.targets)

    @property
    def shape(self):
        return self.targets.shape

    def side(self, which):
        return _Side(self, which)


class _Side:
    def __init__(self, pairs, which):
        self.pairs, self.which = pairs, which
        self.shape = pairs.shape
        self.origin = f"{pairs.origin}:{which}"

    def __len__(self):
        return len(self.pairs)

    def take(self, indices):
        target = self.pairs.targets.take(indices)
        return self.pairs.make_source(target) if self.which == "source" else target


def open_translation(name, split, *, source="idx", directory="", image_size=0):
    """(A images, B images) of task `name` and `split` ("train" / "test"), random access uint8.

    Paired tasks: A = sources, B = targets, aligned by index. Unpaired: the two domains.
    """
    if name in TASKS:
        task = TASKS[name]
        if task.paired:
            pairs = LazyPairs(_base_split(task.a, split, source=source, directory=directory), edge_map,
                              origin=f"{name}/{split}")
            return pairs.side("source"), pairs.side("target")
        return tuple(ArrayImages(_base_split(n, split, source=source, directory=directory), origin=f"{n}/{split}")
                     for n in (task.a, task.b))
    if name == PAIRS_NPZ:
        return _pairs_npz(directory, split)
    if name.startswith(CYCLE_GAN_PREFIX):
        spec = ImageSpec(image_size or 256, 3)
        return tuple(TfdsImages(name, f"{split}{domain}", directory or None, spec) for domain in ("A", "B"))
    raise DataError(f"unknown translation data {name!r}; expected one of {sorted(TASKS)}, {PAIRS_NPZ!r} or "
                     f"'{CYCLE_GAN_PREFIX}<name>' (TFDS)")


def _pairs_npz(path, split):
    if not os.path.isfile(path):
        raise MissingDataError(f"data.name='{PAIRS_NPZ}' reads an .npz at data.dir; no file at {path!r}")
    data = read_npz(path)
    keys = (f"{split}_source", f"{split}_target")
    missing = [k for k in keys if k not in data]
    if missing:
        raise DataError(f"{path}: missing arrays {missing}; expected train_source, train_target, test_source, "
                        f"test_target (uint8, N x H x W x C), found {sorted(data)}")
    source, target = (ArrayImages(data[k], origin=f"{path}:{k}") for k in keys)
    if len(source) != len(target) or source.shape[:2] != target.shape[:2]:
        raise DataError(f"{path}: {split} sources {len(source)} x {source.shape} and targets {len(target)} x "
                         f"{target.shape} must pair up (same count, same H and W)")
    return source, target


@functools.lru_cache(maxsize=16)
def translation_shapes(name, *, source="idx", directory="", image_size=0):
    """(A shape, B shape) of one image of each side. Known without the data, except for
    `pairs_npz` (read once per process)."""
    if name in TASKS:
        return (SIZE, SIZE, 1), (SIZE, SIZE, 1)
    if name.startswith(CYCLE_GAN_PREFIX):
        size = image_size or 256
        return (size, size, 3), (size, size, 3)
    a, b = open_translation(name, "test", source=source, directory=directory, image_size=image_size)
    return tuple(a.shape), tuple(b.shape)


class TranslationSource:
    """Endless batches for translation: two `ImageSource`s, aligned (paired) or independent.

    `next(count)` returns {"source", "target"} (paired) or {"a", "b"} (unpaired), float32 in
    [-1, 1], shapes (num_streams, count, n_critic, B_local, H, W, C); the position is one
    counter, saved in checkpoints like `ImageSource`'s.
    """

    def __init__(self, a_images, b_images, *, paired, seed=0, **common):
        if paired and len(a_images) != len(b_images):
            raise DataError(f"paired data needs as many sources as targets: {len(a_images)} vs {len(b_images)}")
        self.paired = paired
        self.names = ("source", "target") if paired else ("a", "b")
        self.sources = (ImageSource(a_images, seed=seed, **common),
                        ImageSource(b_images, seed=seed if paired else seed + UNPAIRED_SALT, **common))

    def next(self, count):
        return {name: source.next(count)["x"] for name, source in zip(self.names, self.sources)}

    def get_state(self):
        return self.sources[0].get_state()

    def set_state(self, state):
        for source in self.sources:
            source.set_state(state)

    def records(self, seed):
        """JSON records the run keeps beside its checkpoints: none for this source."""
        return {}


def held_out(name, num, **kwargs):
    """The first `num` test images of each side, in [-1, 1] float32: (A, B)."""
    a, b = open_translation(name, "test", **kwargs)
    return tuple(to_model_range(side.take(np.arange(min(num, len(side))))) for side in (a, b))

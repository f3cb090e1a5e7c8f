"""Coupled digit domains for CoGAN (Liu & Tuzel 2016, arXiv:1606.07536, Sec. 5: "digits and edge
images", "digits and negative images"), made from the official MNIST files as the authors' code
makes them (mingyuliutw/CoGAN, `prepare_mnist.edge.cogan.py`, `dataset_mnistedge.py`).

A split's images are shuffled with a fixed seed and cut in two halves: domain A is the first
half's digits as they are, domain B the second half's digits transformed. No digit appears in
both domains, so the data hold no corresponding pair: CoGAN must find the correspondence itself.
An example is one image of each domain stacked as two channels (A in channel 0, B in 1), drawn
independently (image i of A with image i of B, both halves in random order): the CoGAN
discriminators read one channel each, so the stacking pairs nothing.

Transforms of uint8 images (N, 28, 28), the authors' definitions:
  edges      the 3x3 dilation minus the image (cv2.dilate with a 3x3 kernel of ones, then
             `dilation - img`): a grey outline just outside the strokes
  negatives  255 - the image
"""

import numpy as np

from jaxgan.errors import DataError

SPLIT_SEEDS = {"train": 0, "test": 1}


def dilate_3x3(images) -> np.ndarray:
    """The 3x3 grey dilation (maximum over each pixel's 3x3 neighbourhood, outside pixels
    ignored) of images (N, H, W)."""
    images = np.asarray(images)
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)), constant_values=0)
    h, w = images.shape[1:3]
    return np.max(np.stack([padded[:, dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)]), axis=0)


def edges(images) -> np.ndarray:
    """Domain B of the digits-and-edges task: dilate_3x3(x) - x, uint8."""
    images = np.asarray(images, np.uint8)
    return (dilate_3x3(images) - images).astype(np.uint8)


def negatives(images) -> np.ndarray:
    """Domain B of the digits-and-negatives task: 255 - x, uint8."""
    return (255 - np.asarray(images, np.uint8)).astype(np.uint8)


TRANSFORMS = {"mnist_edges": edges, "mnist_negatives": negatives}


def transform_unit(name, images) -> np.ndarray:
    """The transform of task `name` on images (N, H, W) in [0, 1] (float): the same function as on
    uint8, for generated images (dilation and negation commute with the scaling)."""
    images = np.asarray(images, np.float32)
    if name == "mnist_edges":
        return dilate_3x3(images) - images
    if name == "mnist_negatives":
        return 1.0 - images
    raise DataError(f"unknown coupled task {name!r}; expected one of {sorted(TRANSFORMS)}")


class CoupledDigits:
    """Random access to the coupled set of task `name` ("mnist_edges" / "mnist_negatives") made
    from MNIST images (N, 28, 28, 1) uint8 of one split: len N // 2, examples (28, 28, 2) uint8,
    channel 0 a digit of domain A, channel 1 a transformed digit of domain B. `take_labels` gives
    both digits' labels (n, 2)."""

    def __init__(self, name, images, labels, *, seed, origin):
        images = np.asarray(images)
        if name not in TRANSFORMS:
            raise DataError(f"unknown coupled task {name!r}; expected one of {sorted(TRANSFORMS)}")
        if images.ndim != 4 or images.shape[1:] != (28, 28, 1) or images.dtype != np.uint8:
            raise DataError(f"coupled digits are made from MNIST images uint8 (N, 28, 28, 1), got {images.dtype} "
                            f"{images.shape}")
        order = np.random.default_rng(seed).permutation(len(images))
        half = len(images) // 2
        self.a_index, self.b_index = order[:half], order[half : 2 * half]
        self.digits = images[..., 0]
        self.labels = np.asarray(labels, np.int32)
        self.transform = TRANSFORMS[name]
        self.origin = origin

    def __len__(self):
        return len(self.a_index)

    @property
    def shape(self) -> tuple[int, ...]:
        return (28, 28, 2)

    def domain(self, which, indices) -> np.ndarray:
        """Images (n, 28, 28) uint8 of domain `which` ("a" / "b") at `indices`."""
        if which == "a":
            return self.digits[self.a_index[np.asarray(indices)]]
        return self.transform(self.digits[self.b_index[np.asarray(indices)]])

    def take(self, indices) -> np.ndarray:
        return np.stack([self.domain("a", indices), self.domain("b", indices)], axis=-1)

    def take_labels(self, indices) -> np.ndarray:
        indices = np.asarray(indices)
        return np.stack([self.labels[self.a_index[indices]], self.labels[self.b_index[indices]]], axis=-1)

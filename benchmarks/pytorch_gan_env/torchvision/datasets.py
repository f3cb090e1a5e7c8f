"""`torchvision.datasets.MNIST` over the official IDX files in ROOT/MNIST/raw (gzipped or not);
never downloads: the harness puts the files there."""

import gzip
import os

import numpy as np
from PIL import Image

FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _read(path, offset):
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rb") as f:
                return np.frombuffer(f.read(), np.uint8, offset=offset)
    raise FileNotFoundError(f"{path}(.gz) not found: the harness places the official MNIST files there")


class MNIST:
    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        raw = os.path.join(root, "MNIST", "raw")
        images, labels = FILES[bool(train)]
        self.data = _read(os.path.join(raw, images), 16).reshape(-1, 28, 28)
        self.targets = _read(os.path.join(raw, labels), 8).astype(np.int64)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image, target = Image.fromarray(self.data[index], mode="L"), int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

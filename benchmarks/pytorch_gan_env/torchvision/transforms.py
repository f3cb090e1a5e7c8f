"""`Compose`, `Resize` (an int: the shorter side, bilinear with antialiasing, as torchvision on
PIL images), `ToTensor` (uint8 HxW -> float 1xHxW in [0, 1]) and `Normalize`."""

import numpy as np
import torch
from PIL import Image


class Compose:
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class Resize:
    def __init__(self, size):
        if not isinstance(size, int):
            raise TypeError(f"this stand-in takes an int size (what PyTorch-GAN passes), got {size!r}")
        self.size = size

    def __call__(self, image):
        w, h = image.size
        if min(w, h) == self.size:
            return image
        scale = self.size / min(w, h)
        return image.resize((round(w * scale), round(h * scale)), Image.BILINEAR)


class ToTensor:
    def __call__(self, image):
        array = np.asarray(image, np.float32) / 255.0
        return torch.from_numpy(array[None] if array.ndim == 2 else array.transpose(2, 0, 1).copy())


class Normalize:
    def __init__(self, mean, std):
        self.mean = torch.tensor(mean, dtype=torch.float32)[:, None, None]
        self.std = torch.tensor(std, dtype=torch.float32)[:, None, None]

    def __call__(self, tensor):
        return (tensor - self.mean) / self.std

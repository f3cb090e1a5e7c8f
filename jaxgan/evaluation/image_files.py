"""Scoring images that were not drawn by a run: a folder of image files (PNG, JPEG, ...) or an `.npz` of
arrays (any codebase's samples, as pytorch-fid and clean-fid score folders) read into the model
range and offered to the evaluators as a `Sampler` with no generator behind it
(`jaxgan evaluate --samples PATH`).

Value ranges: 8-bit files and uint8 arrays are [0, 255] and mapped as the training data are
(`data.images.to_model_range`); float arrays are taken as [-1, 1] (what `jaxgan sample` writes)
when they hold a negative value, else they need `value_range` to say which of [0, 1] and
[-1, 1] they are, since either would fit.
"""

import os

import numpy as np

from jaxgan.data.images import IMAGE_EXTENSIONS, to_model_range
from jaxgan.errors import UsageError
from jaxgan.latents import Prior

VALUE_RANGES = ("auto", "0,255", "0,1", "-1,1")
# npz arrays tried in this order; else the file's only array of at least 3 dimensions.
NPZ_KEYS = ("samples", "images")


def _read_folder(path, channels):
    from PIL import Image

    names = sorted(n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise UsageError(f"--samples {path!r}: no {'/'.join(IMAGE_EXTENSIONS)} files in the folder")
    mode = {1: "L", 3: "RGB"}[channels]
    images = []
    for name in names:
        with Image.open(os.path.join(path, name)) as image:
            images.append(np.asarray(image.convert(mode), np.uint8))
    shapes = sorted({a.shape for a in images})
    if len(shapes) > 1:
        raise UsageError(f"--samples {path!r}: the images differ in size ({shapes[:3]}); expected one size")
    return np.stack(images)


def _read_npz(path):
    with np.load(path) as archive:
        keys = list(archive.keys())
        key = next((k for k in NPZ_KEYS if k in keys), None)
        if key is None:
            candidates = [k for k in keys if archive[k].ndim >= 3]
            if len(candidates) != 1:
                raise UsageError(f"--samples {path!r}: expected an array named one of {list(NPZ_KEYS)} or exactly one "
                                 f"array of images, found arrays {keys}")
            key = candidates[0]
        return archive[key]


def _to_model_range(array, value_range, path):
    if value_range not in VALUE_RANGES:
        raise UsageError(f"value range {value_range!r} is not one of {list(VALUE_RANGES)}")
    if array.dtype == np.uint8:
        if value_range not in ("auto", "0,255"):
            raise UsageError(f"--samples {path!r}: uint8 images are [0, 255], not {value_range}")
        return to_model_range(array)
    if not np.issubdtype(array.dtype, np.floating):
        raise UsageError(f"--samples {path!r}: images of dtype {array.dtype}; expected uint8 or float")
    array = np.asarray(array, np.float32)
    if not np.all(np.isfinite(array)):
        raise UsageError(f"--samples {path!r}: the images hold non-finite values")
    low, high = float(array.min()), float(array.max())
    if value_range == "auto":
        if low >= 0:
            raise UsageError(f"--samples {path!r}: float images in [{low:.3g}, {high:.3g}] fit both [0, 1] and "
                             "[-1, 1]; say which with --value-range 0,1 or -1,1")
        value_range = "-1,1"
    bottom, top = (float(v) for v in value_range.split(","))
    if low < bottom - 1e-3 or high > top + 1e-3:
        raise UsageError(f"--samples {path!r}: float images span [{low:.3g}, {high:.3g}], outside {value_range}")
    if bottom == -1.0:
        return np.clip(array, -1.0, 1.0)  # already the model range: kept bit for bit
    return np.clip(array, 0.0, 1.0) * 2.0 - 1.0


def load_images(path: str, shape: tuple[int, int, int], *, value_range: str = "auto") -> np.ndarray:
    """The images of `path` (a folder of image files or an `.npz`) as float32 (S, N, H, W, C) in
    [-1, 1], S = 1 unless the array has a leading seed axis ((S, N, H, W, C), as `jaxgan sample`
    writes). `shape` (H, W, C) is what the reference data set's images are: other sizes or channel
    counts are refused with the shape found and the one expected."""
    if os.path.isdir(path):
        array = _read_folder(path, shape[-1])
    elif path.endswith(".npz") and os.path.isfile(path):
        array = _read_npz(path)
    else:
        raise UsageError(f"--samples {path!r}: expected a folder of {'/'.join(IMAGE_EXTENSIONS)} files or an .npz file")
    if array.ndim == 3 and shape[-1] == 1:
        array = array[..., None]
    if array.ndim == 4:
        array = array[None]
    if array.ndim != 5 or tuple(array.shape[2:]) != tuple(shape):
        raise UsageError(f"--samples {path!r}: images of shape {tuple(array.shape)}; expected (N, {shape[0]}, "
                         f"{shape[1]}, {shape[2]}) (or a leading seed axis) to compare with the data set")
    if array.shape[1] < 2:
        raise UsageError(f"--samples {path!r}: {array.shape[1]} image(s); the metrics need at least 2")
    return _to_model_range(array, value_range, path)


class ImageSet:
    """A `Sampler` of fixed images (S, N, H, W, C) in [-1, 1]: `samples` returns the first `num`
    of each set (the key and `use_ema` do not apply); there is no generator to decode with or to
    hand to the measures that run networks."""

    prior: Prior | None = None

    def __init__(self, images: np.ndarray, source: str):
        self.images, self.source = images, source
        self.num_seeds: int = images.shape[0]

    def samples(self, key, num: int, use_ema: bool) -> np.ndarray:
        return self.images[:, :num]

    def decode(self, latents, use_ema: bool) -> np.ndarray:
        raise UsageError(f"{self.source!r} is a set of images: it has no generator to decode latents with")

    def seed_states(self) -> list:
        raise UsageError(f"{self.source!r} is a set of images: it has no networks for a game's measures")

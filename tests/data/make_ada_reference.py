"""Makes tests/data/ada_reference.npz: outputs of the ADA authors' AugmentPipe
(NVlabs/stylegan2-ada-pytorch, training/augment.py, run unchanged on the CPU with its reference
upfirdn2d and grid_sample) at fixed `debug_percentile`s, which tests/test_data_efficient.py
compares with `jaxgan.techniques.ada`.

    git clone https://github.com/NVlabs/stylegan2-ada-pytorch /tmp/sg2ada
    pip install torch scipy requests
    python tests/data/make_ada_reference.py /tmp/sg2ada
"""

import sys

import numpy as np
import torch


def main(checkout):
    sys.path.insert(0, checkout)
    from training.augment import AugmentPipe

    yy, xx = np.mgrid[0:12, 0:12]
    rng = np.random.default_rng(0)
    gray = (np.exp(-((yy - 4.3) ** 2 + (xx - 7.2) ** 2) / 8.0) + 0.1 * rng.standard_normal((12, 12))).astype(np.float32)
    rgb = np.stack([gray, gray[::-1], gray.T], 0).astype(np.float32)
    out = {"gray": gray, "rgb": rgb}
    specs = {"xflip": dict(xflip=1), "rotate90": dict(rotate90=1), "xint": dict(xint=1),
             "bg": dict(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1),
             "color": dict(brightness=1, contrast=1, lumaflip=1, hue=1, saturation=1)}
    for name, spec in specs.items():
        pipe = AugmentPipe(**spec)
        for q in (0.3, 0.8):
            for kind, x in (("gray", gray[None, None]), ("rgb", rgb[None])):
                with torch.no_grad():
                    out[f"{name}_{q}_{kind}"] = pipe(torch.tensor(x), debug_percentile=q).numpy()[0]
    np.savez("tests/data/ada_reference.npz", **out)


if __name__ == "__main__":
    main(sys.argv[1])

"""`save_image(tensor, path, nrow, normalize)`: a grid PNG (min-max scaled with `normalize`)."""

import numpy as np
from PIL import Image


def save_image(tensor, fp, nrow=8, normalize=False, padding=2, **_):
    x = tensor.detach().cpu().float().numpy()
    if normalize:
        x = (x - x.min()) / max(float(x.max() - x.min()), 1e-5)
    n, c, h, w = x.shape
    rows = -(-n // nrow)
    grid = np.zeros((c, rows * (h + padding) + padding, nrow * (w + padding) + padding), np.float32)
    for k in range(n):
        r, col = divmod(k, nrow)
        grid[:, padding + r * (h + padding):padding + r * (h + padding) + h,
             padding + col * (w + padding):padding + col * (w + padding) + w] = x[k]
    image = (np.clip(grid, 0, 1) * 255 + 0.5).astype(np.uint8)
    Image.fromarray(image[0] if c == 1 else image.transpose(1, 2, 0)).save(fp)

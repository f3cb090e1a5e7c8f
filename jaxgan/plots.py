"""Figures: samples over the modes of a 2D mixture, image grids, code scatters. matplotlib, Agg backend."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from jaxgan.files import atomic_path


def _draw_modes(ax, samples, mixture, title):
    centers = np.asarray(mixture.centers)
    ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4, color="tab:blue", label="generated")
    for center in centers:
        ax.add_patch(plt.Circle(center, 3 * mixture.std, fill=False, color="tab:red", lw=0.8))
    ax.scatter(centers[:, 0], centers[:, 1], s=8, marker="x", color="tab:red", label="modes (3 std)")
    pad = 0.5 * np.ptp(centers[:, 0]) / max(len(np.unique(centers[:, 0])) - 1, 1) + 0.3
    ax.set_xlim(centers[:, 0].min() - pad, centers[:, 0].max() + pad)
    ax.set_ylim(centers[:, 1].min() - pad, centers[:, 1].max() + pad)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=8)


def scatter_grid(panels, path, *, columns=None):
    """One scatter per panel: `panels` is a list of (samples (N, 2), mixture, title)."""
    columns = columns or len(panels)
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3 * rows), squeeze=False)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    for ax, (samples, mixture, title) in zip(axes.ravel(), panels):
        _draw_modes(ax, np.asarray(samples), mixture, title)
    fig.tight_layout()
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=110)
    plt.close(fig)


def tile_images(images, rows):
    """Images (N, H, W, C) in [-1, 1] -> one uint8 mosaic with `rows` rows and 1-pixel gaps; a
    coupled pair (C = 2, `data.coupled`) is drawn as its two images side by side."""
    images = np.clip((np.asarray(images, np.float32) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    if images.shape[-1] == 2:
        images = np.concatenate([images[..., :1], images[..., 1:]], axis=2)
    n, h, w, c = images.shape
    columns = -(-n // rows)
    canvas = np.full((rows * (h + 1) + 1, columns * (w + 1) + 1, c), 255, np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        canvas[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + col * (w + 1) : 1 + col * (w + 1) + w] = image
    return canvas[..., 0] if c == 1 else canvas


def save_image_grid(images, path, *, rows, scale=2):
    """Write images (N, H, W, C) in [-1, 1] as a PNG mosaic (nearest-neighbour upscaled)."""
    from PIL import Image

    mosaic = Image.fromarray(tile_images(images, rows))
    mosaic = mosaic.resize((mosaic.width * scale, mosaic.height * scale), Image.NEAREST)
    with atomic_path(path) as temporary:
        mosaic.save(temporary)


def save_code_scatter(codes, labels, path, *, title=""):
    """Scatter of 2D codes (N, 2) coloured by class label, with the prior's 1 and 2 std circles."""
    codes, labels = np.asarray(codes), np.asarray(labels)
    fig, ax = plt.subplots(figsize=(5, 5))
    points = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=2, alpha=0.6)
    for radius in (1.0, 2.0):
        ax.add_patch(plt.Circle((0, 0), radius, fill=False, color="black", lw=0.8, ls="--"))
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=8)
    fig.colorbar(points, ax=ax, ticks=range(int(labels.max()) + 1), fraction=0.046)
    fig.tight_layout()
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=110)
    plt.close(fig)

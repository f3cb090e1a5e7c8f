"""Figures: samples over the modes of a 2D mixture. matplotlib, Agg backend."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


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
    fig.savefig(path, dpi=110)
    plt.close(fig)

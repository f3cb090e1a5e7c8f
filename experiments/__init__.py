"""Launchable recipes, one per GAN variant (`get_config()` each), and the studies built on them."""

import os

from jaxgan.data.idx import DATASETS_VARIABLE


def datasets_dir():
    """The folder holding the official MNIST / Fashion-MNIST files (`mnist/`, `fashion_mnist/`)
    that the studies read: $JAXGAN_DATASETS, else `shared/datasets` beside this checkout."""
    checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.environ.get(DATASETS_VARIABLE) or os.path.join(os.path.dirname(checkout), "shared", "datasets")

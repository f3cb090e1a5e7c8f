"""Launchable recipes, one per GAN variant (`get_config()` each), grouped by family, and the
studies built on them (`experiments.studies`):

    two_d        2D mode coverage (ring-8, grid-25): gan_ns_2d, gan_minimax_2d, wgan_gp_2d, pacgan_*
    images       the image zoo: dcgan, lsgan, the WGAN family, dragan, sngan, ragan, ebgan, bgan, softmax_gan,
                 stacked_mnist
    labels       labels, codes and autoencoders: cgan, acgan, sgan, improved_gan_ssl, infogan, aae
    translation  pix2pix, cyclegan
    data_efficient  training with little data on the sngan recipe: DiffAugment, ADA, LeCam, CR / ICR

A recipe imports only `jaxgan` (its shared starting points are `jaxgan.presets`), so it loads from
any folder: `jaxgan train --config experiments/images/dcgan.py`, or a copy of it anywhere.
"""

import importlib
import os

from jaxgan.data.idx import DATASETS_VARIABLE

GROUPS = ("two_d", "images", "labels", "translation", "data_efficient")
HERE = os.path.dirname(os.path.abspath(__file__))


def datasets_dir():
    """The folder holding the official MNIST / Fashion-MNIST files (`mnist/`, `fashion_mnist/`)
    that the studies read: $JAXGAN_DATASETS, else `shared/datasets` beside this checkout."""
    checkout = os.path.dirname(HERE)
    return os.environ.get(DATASETS_VARIABLE) or os.path.join(os.path.dirname(checkout), "shared", "datasets")


def recipe_names():
    """{recipe name: its group} of every recipe file (a module with `get_config`)."""
    return {name[:-3]: group for group in GROUPS for name in sorted(os.listdir(os.path.join(HERE, group)))
            if name.endswith(".py") and name != "__init__.py"}


def recipe_path(name):
    """The file of recipe `name` (e.g. "dcgan" -> experiments/images/dcgan.py)."""
    return os.path.join(HERE, _group(name), f"{name}.py")


def load_recipe(name):
    """The module of recipe `name`, wherever its group is."""
    return importlib.import_module(f"experiments.{_group(name)}.{name}")


def _group(name):
    groups = recipe_names()
    if name not in groups:
        raise ValueError(f"no recipe {name!r}; the recipes are {sorted(groups)}")
    return groups[name]

"""Network families by name (`model.name`). Each family declares the `model.*` options it reads
(`nets.family.Family`); the run config's `model` group is their union with the common keys
(`model_options`), and `validate_model` checks a `model` group against the chosen family. The
games put their heads on the discriminator (`features_only`) and some build networks of their
own (the translation games, the AAE, EBGAN's autoencoder critic), naming the `model` keys they
read (`Game.model_keys`).

Adding a family: a module in `jaxgan/nets/` with its modules, `OPTIONS`, `build` and `FAMILY`,
and one line in `FAMILIES` below.
"""

from typing import Any

import flax.linen as nn

from jaxgan.errors import ConfigError
from jaxgan.nets import began, biggan, cogan, dcgan, lucic, mlp, resnet, sngan_cnn, stylegan2
from jaxgan.nets.family import DTYPES, Family, Option, positive_int
from jaxgan.techniques import Packed

FAMILIES = {family.name: family for family in (mlp.FAMILY, dcgan.FAMILY, resnet.FAMILY, sngan_cnn.FAMILY,
                                                lucic.FAMILY, began.FAMILY, cogan.FAMILY, biggan.FAMILY,
                                                stylegan2.FAMILY)}

# The keys of every run's `model` group, whichever family it names.
COMMON = {
    "name": Option("mlp", "the network family", choices=tuple(FAMILIES)),
    "latent_dim": Option(16, "size of the generator's noise input z (codes and labels come on top)",
                         check=positive_int),
    "dtype": Option("float32", "compute dtype ('bfloat16': bf16 activations and products; float32 parameters, "
                    "optimizer, losses and penalty norms)", choices=tuple(DTYPES)),
    "packing": Option(1, "PacGAN's m: D judges packs of m samples (jaxgan.techniques.packing); 1 = off",
                      check=positive_int),
}


def model_options() -> dict[str, Option]:
    """{key: Option} of the `model` group: the common keys and every family's (a key that several
    families read has one default)."""
    merged = dict(COMMON)
    for family in FAMILIES.values():
        for key, option in family.options.items():
            if key in merged and merged[key].default != option.default:
                raise ValueError(f"model.{key} has default {merged[key].default!r} in one family but "
                                 f"{option.default!r} in {family.name!r}")
            merged.setdefault(key, option)
    return merged


def model_defaults() -> dict[str, Any]:
    """{key: default} of the `model` group (the config schema's)."""
    return {key: option.default for key, option in model_options().items()}


def readers(key: str) -> list[str]:
    """The families that read `model.<key>`."""
    return [name for name, family in FAMILIES.items() if key in family.options]


def validate_model(model: Any, shape: tuple[int, ...] | None, *, image: bool, game_keys: tuple[str, ...] = ()) -> None:
    """Raise `ConfigError` for a `model` group the chosen family cannot build.

    Args:
      model: the `model` config group.
      shape: one example's shape ((2,) for 2D points), None when only reading the data tells it.
      image: whether the data are images.
      game_keys: `model` keys the game reads itself (`Game.model_keys`), allowed whatever the family.
    """
    for key, option in COMMON.items():
        problem = option.problem(key, model[key])
        if problem:
            raise ConfigError(problem)
    family = FAMILIES[model.name]
    defaults = model_options()
    for key, value in model.items():
        if key in COMMON:
            continue
        if key in family.options:
            problem = family.options[key].problem(key, value)
            if problem:
                raise ConfigError(problem)
        elif key not in game_keys and value != defaults[key].default:
            owners = readers(key)
            names = ", ".join(FAMILIES[name].summary for name in owners)
            raise ConfigError(f"model.{key}={value!r} is an option of the {names} networks (model.name in {owners}), "
                              f"not of model.name={model.name!r}")
    if family.images_only and not image:
        raise ConfigError(f"model.name={model.name!r} is an image model; the data are 2D points (use model.name='mlp')")
    family.validate(model, shape, image)


def build_networks(model: Any, shape: tuple[int, ...], *, image: bool, features_only: bool = False,
                   axis_name: str | None = None, penalized: bool = False) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) of `model.name` for examples of `shape` (`image`: images
    rather than 2D points), the discriminator packed when `model.packing` > 1 (PacGAN).

    Args:
      model: the `model` config group (any mapping with its keys).
      features_only: the discriminator returns its last features (for a game's heads).
      axis_name: the pmap axis for BatchNorm statistics (None under jit).
      penalized: a gradient penalty differentiates the critic twice (picks its convolution).
    """
    if model.name not in FAMILIES:
        raise ValueError(f"model.name={model.name!r} is not one of {list(FAMILIES)}")
    generator, discriminator = FAMILIES[model.name].build(model, shape, image=image, features_only=features_only,
                                                          axis_name=axis_name, penalized=penalized)
    if model.packing > 1:
        discriminator = Packed(inner=discriminator, num_packed=model.packing)
    return generator, discriminator


__all__ = ["COMMON", "DTYPES", "FAMILIES", "Family", "Option", "build_networks", "model_defaults", "model_options",
           "readers", "validate_model"]

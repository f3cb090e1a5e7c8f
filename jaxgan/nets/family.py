"""What a network family declares: the `model.*` options it reads (default, allowed values,
check) and a builder of its (generator, discriminator) pair. `jaxgan.nets.registry` collects
the families; the run config's `model` group is derived from their options, and
`registry.validate_model` checks a `model` group against the chosen family.
"""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

import flax.linen as nn
import jax.numpy as jnp

from jaxgan import backend
from jaxgan.errors import ConfigError

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


class Option(NamedTuple):
    """One `model.<key>` a family reads.

    Attributes:
      default: the value of a fresh config (a key several families read has one default).
      help: what it means, for the documentation and error messages.
      choices: the allowed values, when they are a closed set.
      check: `check(value) -> message or None`, for the other constraints (the message completes
        "model.<key>=<value> ...", e.g. "must be >= 0").
    """

    default: Any
    help: str
    choices: tuple = ()
    check: Callable[[Any], str | None] | None = None

    def problem(self, key: str, value: Any) -> str | None:
        """The error message for `model.<key>` = `value`, or None when it is allowed."""
        if self.choices and value not in self.choices:
            return f"model.{key}={value!r} is not one of {list(self.choices)}"
        message = self.check(value) if self.check is not None else None
        return f"model.{key}={value!r} {message}" if message else None


class Builder(Protocol):
    def __call__(self, model: Any, shape: tuple[int, ...], *, image: bool, features_only: bool,
                 axis_name: str | None, penalized: bool) -> tuple[nn.Module, nn.Module]:
        """(generator, discriminator) for examples of `shape` from the `model` config group.

        Args:
          model: the `model` config group (any mapping with attribute access).
          shape: one example's shape, (2,) for 2D points or (H, W, C).
          image: the examples are images (not 2D points).
          features_only: the discriminator returns its last features (for a game's heads).
          axis_name: the pmap axis for BatchNorm statistics (None under jit).
          penalized: a gradient penalty differentiates the critic twice.
        """


class Validator(Protocol):
    def __call__(self, model: Any, shape: tuple[int, ...] | None, image: bool) -> None:
        """Raise `ConfigError` for option combinations or data the family cannot take; `shape` is
        None when only reading the data would tell it."""


def accept_any(model: Any, shape: tuple[int, ...] | None, image: bool) -> None:
    """The `Validator` of a family whose options are independent."""


class Family(NamedTuple):
    """A network family (`model.name`).

    Attributes:
      name: its `model.name`.
      summary: a short name for messages ("MLP", "DCGAN").
      options: {key: Option} of the `model` keys it reads beyond the common ones
        (`registry.COMMON`: name, latent_dim, dtype, and the techniques' keys).
      build: its `Builder`.
      validate: its `Validator` (cross-option and data checks).
      images_only: whether it needs image data (not the 2D points).
      sn_heads: the heads the labeled games put on its discriminator's features (logit,
        projection embedding, class logits) are spectrally normalized, as its own layers are
        (the projection discriminator of Miyato & Koyama 2018 and BigGAN).
    """

    name: str
    summary: str
    options: Mapping[str, Option]
    build: Builder
    validate: Validator = accept_any
    images_only: bool = False
    sn_heads: bool = False


def reject(condition: bool, message: str) -> None:
    if condition:
        raise ConfigError(message)


def non_negative(value: float) -> str | None:
    return "must be >= 0" if value < 0 else None


def unit_interval(value: float) -> str | None:
    return "must be in [0, 1)" if not 0 <= value < 1 else None


def positive_int(value: int) -> str | None:
    return "must be a positive integer" if isinstance(value, bool) or int(value) != value or value < 1 else None


def non_negative_int(value: int) -> str | None:
    return "must be an integer >= 0" if isinstance(value, bool) or int(value) != value or value < 0 else None


def layer_widths(value: tuple) -> str | None:
    bad = any(isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in tuple(value))
    return "must be a tuple of positive layer widths" if bad else None


def upsampling(model: Any, backend_name: str | None = None) -> str:
    """`model.upsample`, where "auto" is the backend's fastest form of the paper's transposed
    convolution (`backend.choices(backend_name).upsample`)."""
    if model.upsample != "auto":
        return model.upsample
    return backend.choices(backend_name).upsample


def critic_convolution(model: Any, *, penalized: bool, backend_name: str | None = None) -> str:
    """The DCGAN critic's convolution: `model.d_conv`, where "auto" is the backend's measured
    choice (`backend.choices`) for a critic that a gradient penalty differentiates twice
    (`penalized`) or for one differentiated once (on XLA:CPU: "matmul" with a penalty, "xla"
    without)."""
    if model.d_conv != "auto":
        return model.d_conv
    chosen = backend.choices(backend_name)
    return chosen.critic_conv_with_penalty if penalized else chosen.critic_conv

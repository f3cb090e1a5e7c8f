"""What the games' specs read from a run config (a validated `ml_collections` ConfigDict), and
the checks they share."""

from typing import Any

import flax.linen as nn

from jaxgan import data, losses
from jaxgan.data import Source
from jaxgan.data.images import ImageSource, LimitedImageSource
from jaxgan.errors import ConfigError
from jaxgan.games.steps import Penalty
from jaxgan.nets.registry import build_networks
from jaxgan.techniques import EMARampup


def config_losses(config: Any) -> tuple:
    """(d_loss, g_loss) of `config.loss` with its `loss_options` bound."""
    return losses.adversarial_losses(config.loss, **_options(config.loss_options, config.loss))


def config_penalties(config: Any) -> list[Penalty]:
    """The `Penalty` terms of the penalties with weight > 0, with their `penalty_options` bound."""
    return [Penalty(name, losses.penalty(name, **_options(config.penalty_options, name)), weight)
            for name, weight in config.penalties.items() if weight > 0]


def _options(group: Any, name: str) -> dict:
    return dict(group[name].items()) if name in group else {}


def penalized(config: Any) -> bool:
    """Whether a gradient penalty differentiates the critic twice."""
    return any(weight > 0 for weight in config.penalties.values())


def optional(value: float) -> float | None:
    """A config's 0 ("off") as None, the step factories' off."""
    return value or None


def ema_settings(config: Any) -> float | EMARampup | None:
    """The step factories' `ema_decay` of `config`: None (off), the constant `ema_decay`, or with
    `ema_rampup` > 0 an `EMARampup`."""
    if not config.ema_decay:
        return None
    return EMARampup(config.ema_decay, config.ema_rampup) if config.ema_rampup else config.ema_decay


def family_networks(config: Any, axis_name: str | None = None, *, features_only: bool = False) -> tuple[nn.Module,
                                                                                                        nn.Module]:
    """(generator, discriminator) of the network family `model.name` for the run's data."""
    return build_networks(config.model, data.example_shape(config.data), image=data.is_image(config.data),
                          features_only=features_only, axis_name=axis_name, penalized=penalized(config))


def image_source(config: Any, *, with_labels: bool, **common) -> Source:
    """A source of the training split of an image dataset (`data.images.ImageSource`), limited to
    a fixed subset of `data.train_size` images per seed when that is set (`LimitedImageSource`)."""
    images = data.open_split(config.data, "train")
    if config.data.train_size:
        return LimitedImageSource(images, train_size=config.data.train_size, with_labels=with_labels, **common)
    return ImageSource(images, with_labels=with_labels, **common)


def reject(condition: Any, message: str) -> None:
    if condition:
        raise ConfigError(message)


def reject_translation_data(config: Any) -> None:
    """For the games that do not translate images."""
    reject(data.is_translation_data(config.data),
           f"data.name={config.data.name!r} is translation data: use game.name='pix2pix' (paired) or 'cyclegan', "
           f"not {config.game.name!r}")


def one_of(value: Any, choices: tuple, key: str) -> None:
    reject(value not in choices, f"{key}={value!r} is not one of {list(choices)}")


def positive_int(value: Any, key: str) -> None:
    reject(int(value) != value or value < 1, f"{key} must be a positive integer, got {value!r}")


def weights(group: Any, keys: tuple[str, ...], prefix: str) -> None:
    for key in keys:
        reject(group[key] < 0, f"{prefix}.{key} is a weight and must be >= 0, got {group[key]}")

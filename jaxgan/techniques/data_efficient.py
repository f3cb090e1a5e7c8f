"""The data-efficient techniques as a game composes them: what D sees (`Augment`: DiffAugment and
ADA), ADA's adjustment of p (`AdaSchedule`), LeCam's anchors (`LeCam`) and consistency
regularization (`Consistency`); their config group `techniques` (`DEFAULTS`, `validate`) and the
state they carry in `state.extras` (`initial_extras`).

Every image D sees, real or generated, in D's update, in G's and inside the gradient penalties,
is `Augment`ed with the same kind of transform (D o T, as DiffAugment and ADA define it: the
penalties differentiate D o T with respect to the un-augmented image, as StyleGAN2-ADA's R1 does).
Each example's transform comes from a key folded with its global index, so the split of the batch
over devices changes no number.
"""

from typing import Any, NamedTuple

import jax

from jaxgan.errors import ConfigError
from jaxgan.techniques.ada import PIPELINES, ada_augment, init_ada
from jaxgan.techniques.diffaugment import diff_augment, parse_policy
from jaxgan.techniques.lecam import init_lecam

DEFAULTS = {
    # DiffAugment (Zhao et al. 2020): a comma-separated policy of color, translation, cutout; "" = off
    "diffaugment": "",
    # ADA (Karras et al. 2020): pipeline "" = off; p the start (or the fixed p with target 0)
    "ada": {"pipeline": "", "p": 0.0, "target": 0.6, "interval": 4, "kimg": 500.0},
    # LeCam (Tseng et al. 2021): weight 0 = off; start in critic updates
    "lecam": {"weight": 0.0, "decay": 0.99, "start": 1000, "one_sided": True},
    # CR / bCR (real, fake) and zCR (latent_d, latent_g) weights; 0 = off
    "consistency": {"real": 0.0, "fake": 0.0, "latent_d": 0.0, "latent_g": 0.0, "latent_std": 0.03,
                    "augment": "flip,translation"},
}


class Augment(NamedTuple):
    """T of every D input: ADA's `ada_pipeline` at probability p, then DiffAugment's `policy`."""

    policy: str = ""
    ada_pipeline: str = ""

    def __call__(self, keys: jax.Array, images: jax.Array, p: jax.Array | float = 0.0) -> jax.Array:
        """The batch `images` (B, H, W, C) augmented, example i with `keys[i]`."""
        if not (self.policy or self.ada_pipeline):
            return images

        def one(key, image):
            if self.ada_pipeline:
                image = ada_augment(jax.random.fold_in(key, 0), image, p, self.ada_pipeline)
            return diff_augment(jax.random.fold_in(key, 1), image, self.policy)

        return jax.vmap(one)(keys, images)


class AdaSchedule(NamedTuple):
    """ADA's adjustment of p (`ada.adjust_p`); target 0 keeps p fixed."""

    target: float
    interval: int
    kimg: float


class LeCam(NamedTuple):
    weight: float
    decay: float
    start: int
    one_sided: bool


class Consistency(NamedTuple):
    real: float = 0.0
    fake: float = 0.0
    latent_d: float = 0.0
    latent_g: float = 0.0
    latent_std: float = 0.03
    augment: str = "flip,translation"

    def augmented(self, keys: jax.Array, images: jax.Array) -> jax.Array:
        return Augment(policy=self.augment)(keys, images)


def augment_settings(group: Any) -> Augment | None:
    """The `Augment` of a `techniques` config group, or None when no augmentation is on."""
    augment = Augment(policy=group.diffaugment, ada_pipeline=group.ada.pipeline)
    return augment if (augment.policy or augment.ada_pipeline) else None


def ada_schedule(group: Any) -> AdaSchedule | None:
    if not group.ada.pipeline:
        return None
    return AdaSchedule(target=group.ada.target, interval=group.ada.interval, kimg=group.ada.kimg)


def lecam_settings(group: Any) -> LeCam | None:
    lecam = group.lecam
    return LeCam(lecam.weight, lecam.decay, lecam.start, lecam.one_sided) if lecam.weight > 0 else None


def consistency_settings(group: Any) -> Consistency | None:
    c = group.consistency
    settings = Consistency(c.real, c.fake, c.latent_d, c.latent_g, c.latent_std, c.augment)
    return settings if any((c.real, c.fake, c.latent_d, c.latent_g)) else None


def initial_extras(group: Any) -> dict:
    """The techniques' part of `state.extras`: {"ada": ...} and {"lecam": ...} when on."""
    extras = {}
    if group.ada.pipeline:
        extras["ada"] = init_ada(group.ada.p)
    if group.lecam.weight > 0:
        extras["lecam"] = init_lecam()
    return extras


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _policy(value: str, key: str) -> None:
    try:
        parse_policy(value)
    except ValueError as error:
        raise ConfigError(f"{key}: {error}") from None


def validate(group: Any, example_shape: tuple[int, ...] | None, *, image: bool) -> None:
    """Raise `ConfigError` for a `techniques` group with unknown policies or pipelines, values out
    of range, or augmentations the data cannot take (`example_shape`: one example's shape where
    known)."""
    _policy(group.diffaugment, "techniques.diffaugment")
    _policy(group.consistency.augment, "techniques.consistency.augment")
    ada, lecam, c = group.ada, group.lecam, group.consistency
    _check(ada.pipeline == "" or ada.pipeline in PIPELINES, f"techniques.ada.pipeline={ada.pipeline!r} is not one "
           f"of {sorted(PIPELINES)} ('' = off)")
    _check(0.0 <= ada.p <= 1.0, f"techniques.ada.p must be in [0, 1], got {ada.p}")
    _check(0.0 <= ada.target < 1.0, f"techniques.ada.target must be in [0, 1) (0 keeps p fixed), got {ada.target}")
    _check(int(ada.interval) == ada.interval and ada.interval >= 1, f"techniques.ada.interval must be a positive "
           f"integer, got {ada.interval!r}")
    _check(ada.kimg > 0, f"techniques.ada.kimg must be > 0, got {ada.kimg}")
    _check(lecam.weight >= 0, f"techniques.lecam.weight is a weight and must be >= 0, got {lecam.weight}")
    _check(0.0 <= lecam.decay < 1.0, f"techniques.lecam.decay must be in [0, 1), got {lecam.decay}")
    _check(int(lecam.start) == lecam.start and lecam.start >= 0, f"techniques.lecam.start must be an integer >= 0, "
           f"got {lecam.start!r}")
    for key in ("real", "fake", "latent_d", "latent_g"):
        _check(c[key] >= 0, f"techniques.consistency.{key} is a weight and must be >= 0, got {c[key]}")
    _check(c.latent_std > 0, f"techniques.consistency.latent_std must be > 0, got {c.latent_std}")
    augmenting = [key for key, on in (("techniques.diffaugment", group.diffaugment),
                                      ("techniques.ada.pipeline", ada.pipeline),
                                      ("techniques.consistency", c.real or c.fake)) if on]
    _check(not augmenting or image, f"{augmenting[0] if augmenting else ''} augments images; this run's data are "
           "2D points")
    if ada.pipeline and example_shape is not None:
        _check(example_shape[-1] in (1, 3), f"techniques.ada.pipeline={ada.pipeline!r} takes images with 1 or 3 "
               f"channels (its colour transforms), got shape {tuple(example_shape)}")

"""Techniques: what a game composes around its players, one module each (TF-GAN's `features/`
and optax's chainable transformations are the models: pure functions and layers, any state in
the train state).

    packing               pack, Packed, per_slot           PacGAN (Lin et al. 2018)
    minibatch             MinibatchDiscrimination,         Salimans et al. 2016, Sec. 3.2;
                          MinibatchStdDev                  Karras et al. 2018, Sec. 3
    virtual_batch_norm    VirtualBatchNorm                 Salimans et al. 2016, Sec. 3.5
    spectral_norm         normalized                       Miyato et al. 2018
    clipping              clip_weights                     WGAN (Arjovsky et al. 2017)
    averaging             ema, EMARampup,                  Yazici et al. 2019; Karras et al.
                          historical_average_penalty,      2020 (rampup); Salimans et al.
                          update_running_average,          2016, Sec. 3.3
                          update_debiased_ema
    image_pool            init_pool, query_pool            Shrivastava et al. 2017 (CycleGAN)
    diffaugment           diff_augment, POLICIES           Zhao et al. 2020 (DiffAugment)
    ada                   ada_augment, adjust_p            Karras et al. 2020 (ADA)
    lecam                 lecam_penalty, update_anchors    Tseng et al. 2021
    consistency           consistency_gap, ...             Zhang et al. 2020 (CR); Zhao et al. 2021
                                                           (bCR, zCR)
    data_efficient        Augment, LeCam, Consistency,     how a game composes the four above; the
                          DEFAULTS, validate               config group `techniques`

`TECHNIQUES` names the ones a run config switches on and the config keys that do it. A game
declares which of them it composes (`games.Game.techniques`); `config.validate` rejects a
technique switched on for a game that does not compose it. Adding a technique: a module here,
a `TECHNIQUES` entry when a config key switches it on, and the games that compose it list it.
"""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from jaxgan.techniques.averaging import (
    EMARampup,
    check_ema,
    ema,
    historical_average_penalty,
    update_debiased_ema,
    update_running_average,
)
from jaxgan.techniques.clipping import clip_weights
from jaxgan.techniques.data_efficient import (
    AdaSchedule,
    Augment,
    Consistency,
    LeCam,
    ada_schedule,
    augment_settings,
    consistency_settings,
    initial_extras,
    lecam_settings,
)
from jaxgan.techniques.image_pool import init_pool, query_pool
from jaxgan.techniques.minibatch import MinibatchDiscrimination, MinibatchStdDev
from jaxgan.techniques.packing import Packed, pack, per_slot
from jaxgan.techniques.spectral_norm import normalized
from jaxgan.techniques.virtual_batch_norm import VirtualBatchNorm


class Technique(NamedTuple):
    """A technique a run config switches on.

    Attributes:
      name: its name (what games list in `Game.techniques`).
      paper: where it comes from.
      settings: `settings(config) -> {"group.key": value}` of the config keys that switch it on
        in this config (empty when it is off).
    """

    name: str
    paper: str
    settings: Callable[[Any], Mapping[str, Any]]


def _when(path: str, on: Callable[[Any], bool]) -> Callable[[Any], dict]:
    def settings(config):
        node = config
        for part in path.split("."):
            node = node[part]
        return {path: node} if on(node) else {}

    return settings


TECHNIQUES = {t.name: t for t in (
    Technique("gradient_penalties", "Gulrajani et al. 2017 and the penalties of jaxgan.losses",
              lambda config: {f"penalties.{name}": w for name, w in config.penalties.items() if w > 0}),
    Technique("packing", "Lin et al. 2018", _when("model.packing", lambda m: m > 1)),
    Technique("clipping", "Arjovsky et al. 2017", _when("clip_bound", lambda c: c > 0)),
    Technique("historical_averaging", "Salimans et al. 2016, Sec. 3.3", _when("historical_averaging", lambda w: w > 0)),
    Technique("minibatch_discrimination", "Salimans et al. 2016, Sec. 3.2",
              _when("model.d_minibatch_kernels", lambda k: k > 0)),
    Technique("minibatch_std", "Karras et al. 2018, Sec. 3", _when("model.d_minibatch_std", bool)),
    Technique("spectral_norm", "Miyato et al. 2018", _when("model.d_spectral_norm", bool)),
    Technique("diffaugment", "Zhao et al. 2020", _when("techniques.diffaugment", bool)),
    Technique("ada", "Karras et al. 2020", _when("techniques.ada.pipeline", bool)),
    Technique("lecam", "Tseng et al. 2021", _when("techniques.lecam.weight", lambda w: w > 0)),
    Technique("consistency", "Zhang et al. 2020; Zhao et al. 2021",
              lambda config: {f"techniques.consistency.{k}": w for k, w in config.techniques.consistency.items()
                              if k in ("real", "fake", "latent_d", "latent_g") and w > 0}),
)}


def switched_on(config: Any) -> dict[str, dict[str, Any]]:
    """{technique name: its settings} of the techniques `config` switches on."""
    return {name: settings for name, t in TECHNIQUES.items() if (settings := dict(t.settings(config)))}


__all__ = ["TECHNIQUES", "AdaSchedule", "Augment", "Consistency", "EMARampup", "LeCam", "MinibatchDiscrimination",
           "MinibatchStdDev", "Packed", "Technique", "VirtualBatchNorm", "ada_schedule", "augment_settings",
           "check_ema", "clip_weights", "consistency_settings", "ema", "historical_average_penalty", "init_pool",
           "initial_extras", "lecam_settings", "normalized", "pack", "per_slot", "query_pool", "switched_on",
           "update_debiased_ema", "update_running_average"]

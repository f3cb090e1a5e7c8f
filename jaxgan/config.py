"""Run configuration: the schema with defaults, validation, and building a run's parts from it.

Configs are code: a recipe's `get_config()` starts from `base_config()` (locked, so a mistyped
key fails at once) and changes values. `validate` rejects unknown keys, wrong types and
impossible combinations before anything is compiled.
"""

import optax
from ml_collections import ConfigDict

from jaxgan import losses, nets
from jaxgan.steps import Penalty, make_step

LOSSES = {
    # name: (discriminator loss, generator loss)
    "minimax": (losses.minimax_discriminator_loss, losses.minimax_generator_loss),
    "non_saturating": (losses.minimax_discriminator_loss, losses.non_saturating_generator_loss),
    "wasserstein": (losses.wasserstein_discriminator_loss, losses.wasserstein_generator_loss),
    "least_squares": (losses.least_squares_discriminator_loss, losses.least_squares_generator_loss),
    "hinge": (losses.hinge_discriminator_loss, losses.hinge_generator_loss),
    "relativistic": (losses.relativistic_discriminator_loss, losses.relativistic_generator_loss),
    "relativistic_average": (
        losses.relativistic_average_discriminator_loss,
        losses.relativistic_average_generator_loss,
    ),
}
PENALTIES = {
    "wgan_gp": losses.gradient_penalty,
    "wgan_lp": losses.lipschitz_penalty,
    "wgan_div": losses.divergence_penalty,
    "dragan": losses.dragan_penalty,
    "r1": losses.r1_penalty,
    "r2": losses.r2_penalty,
}
DATASETS = ("ring", "grid")
MODELS = ("mlp",)
OPTIMIZERS = ("adam", "rmsprop", "sgd")
PARALLEL = ("auto", "single", "jit", "pmap")


def _optimizer_config(learning_rate):
    return ConfigDict({"name": "adam", "learning_rate": learning_rate, "b1": 0.5, "b2": 0.999, "decay": 0.99})


def base_config():
    """Every key a run understands, with defaults. Weight 0 turns a penalty off."""
    config = ConfigDict(
        {
            "seed": 0,
            "num_seeds": 1,
            "data": {"name": "grid", "batch_size": 256},
            "model": {
                "name": "mlp",
                "latent_dim": 16,
                "g_hidden": (256, 256, 256),
                "d_hidden": (256, 256, 256),
                "g_norm": "none",
                "d_norm": "none",
                "d_spectral_norm": False,
                "d_minibatch_kernels": 0,
                "d_minibatch_std": False,
                "packing": 1,
            },
            "loss": "non_saturating",
            "penalties": {name: 0.0 for name in PENALTIES},
            "n_critic": 1,
            "clip_bound": 0.0,
            "ema_decay": 0.0,
            "historical_averaging": 0.0,
            "optimizer": {"g": _optimizer_config(1e-4), "d": _optimizer_config(1e-4)},
            "train": {
                "num_steps": 2000,
                "fused_steps": 1,
                "log_every": 100,
                "eval_every": 0,
                "plot_every": 0,
                "checkpoint_every": 1000,
                "keep_checkpoints": 3,
                "parallel": "auto",
                "progress": True,
            },
            "eval": {"num_samples": 2500},
        }
    )
    config.lock()
    return config


class ConfigError(ValueError):
    """A configuration that cannot run; the message names the key and what was expected."""


def _check_keys(config, schema, prefix=""):
    for key in config.keys():
        path = f"{prefix}{key}"
        if key not in schema:
            raise ConfigError(f"unknown config key {path!r}; known keys here: {sorted(schema.keys())}")
        value, default = config[key], schema[key]
        if isinstance(default, ConfigDict):
            if not isinstance(value, (ConfigDict, dict)):
                raise ConfigError(f"config key {path!r} must be a group of keys, got {value!r}")
            _check_keys(value, default, path + ".")
        elif isinstance(default, bool) != isinstance(value, bool) or (
            isinstance(default, (int, float)) and not isinstance(value, (int, float))
        ):
            raise ConfigError(f"config key {path!r} must be like {default!r}, got {value!r}")
        elif isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"config key {path!r} must be a string, got {value!r}")


def _one_of(value, choices, key):
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not one of {list(choices)}")


def _positive_int(value, key):
    if int(value) != value or value < 1:
        raise ConfigError(f"{key} must be a positive integer, got {value!r}")


def validate(config):
    """Raise `ConfigError` for unknown keys, bad values or impossible combinations."""
    _check_keys(config, base_config())
    _one_of(config.data.name, DATASETS, "data.name")
    _one_of(config.model.name, MODELS, "model.name")
    _one_of(config.loss, LOSSES, "loss")
    _one_of(config.train.parallel, PARALLEL, "train.parallel")
    for side in ("g", "d"):
        _one_of(config.optimizer[side].name, OPTIMIZERS, f"optimizer.{side}.name")
        if not config.optimizer[side].learning_rate > 0:
            raise ConfigError(f"optimizer.{side}.learning_rate must be positive")
    for norm_key in ("g_norm", "d_norm"):
        _one_of(config.model[norm_key], nets.mlp.NORMS, f"model.{norm_key}")
    for key in ("num_seeds", "n_critic", "train.num_steps", "train.fused_steps", "data.batch_size",
                "model.latent_dim", "eval.num_samples", "train.keep_checkpoints"):
        value = config
        for part in key.split("."):
            value = value[part]
        _positive_int(value, key)
    _positive_int(config.model.packing, "model.packing")
    if config.data.batch_size % config.model.packing:
        raise ConfigError(
            f"data.batch_size={config.data.batch_size} is not divisible by model.packing={config.model.packing}"
        )
    if config.model.d_minibatch_kernels < 0:
        raise ConfigError(f"model.d_minibatch_kernels must be >= 0, got {config.model.d_minibatch_kernels}")
    for name, weight in config.penalties.items():
        if weight < 0:
            raise ConfigError(f"penalties.{name} is a weight and must be >= 0, got {weight}")
    if not 0.0 <= config.ema_decay < 1.0:
        raise ConfigError(f"ema_decay must be in [0, 1) (0 turns EMA off), got {config.ema_decay}")
    if config.historical_averaging < 0:
        raise ConfigError(f"historical_averaging is a weight and must be >= 0, got {config.historical_averaging}")
    if config.clip_bound < 0:
        raise ConfigError(f"clip_bound must be >= 0 (0 turns clipping off), got {config.clip_bound}")
    fused = config.train.fused_steps
    for key in ("log_every", "eval_every", "plot_every", "checkpoint_every"):
        interval = config.train[key]
        if interval < 0 or interval % fused:
            raise ConfigError(
                f"train.{key}={interval} must be >= 0 and a multiple of train.fused_steps={fused} "
                "(steps are run in fused groups)"
            )
    if config.train.num_steps % fused:
        raise ConfigError(f"train.num_steps={config.train.num_steps} must be a multiple of train.fused_steps={fused}")
    gradient_penalties = [name for name, w in config.penalties.items() if w > 0]
    if gradient_penalties and config.model.d_norm == "batch":
        raise ConfigError(
            f"penalties {gradient_penalties} need per-example critic gradients, which BatchNorm in the "
            "critic breaks (Gulrajani et al. 2017, Sec. 4): set model.d_norm to 'layer' or 'none'"
        )
    if gradient_penalties and (config.model.d_minibatch_kernels or config.model.d_minibatch_std):
        raise ConfigError(
            f"penalties {gradient_penalties} need per-example critic gradients, which minibatch "
            "discrimination / minibatch stddev layers break: turn those off or drop the penalty"
        )
    if gradient_penalties and config.clip_bound > 0:
        raise ConfigError(
            f"clip_bound={config.clip_bound} together with penalties {gradient_penalties}: choose one "
            "way to constrain the critic"
        )
    if config.loss == "wasserstein" and not (gradient_penalties or config.clip_bound > 0):
        raise ConfigError(
            "loss='wasserstein' needs a Lipschitz constraint on the critic: set clip_bound > 0 (WGAN) "
            "or a gradient penalty such as penalties.wgan_gp = 10 (WGAN-GP)"
        )
    return config


def build_models(config, *, axis_name=None):
    """(generator, discriminator) flax modules for `config.model` and `config.data`."""
    m = config.model
    generator = nets.MLPGenerator(hidden=tuple(m.g_hidden), output_dim=2, norm=m.g_norm, axis_name=axis_name)
    discriminator = nets.MLPDiscriminator(
        hidden=tuple(m.d_hidden),
        norm=m.d_norm,
        axis_name=axis_name,
        spectral_norm=m.d_spectral_norm,
        minibatch_kernels=m.d_minibatch_kernels,
        minibatch_std=m.d_minibatch_std,
    )
    if m.packing > 1:
        discriminator = nets.Packed(inner=discriminator, num_packed=m.packing)
    return generator, discriminator


def build_optimizer(opt):
    if opt.name == "adam":
        return optax.adam(opt.learning_rate, b1=opt.b1, b2=opt.b2)
    if opt.name == "rmsprop":
        return optax.rmsprop(opt.learning_rate, decay=opt.decay)
    return optax.sgd(opt.learning_rate)


def build_step(config, *, axis_name=None):
    """The pure step for `config` (see `jaxgan.steps.make_step`)."""
    d_loss, g_loss = LOSSES[config.loss]
    penalties = [Penalty(name, PENALTIES[name], weight) for name, weight in config.penalties.items() if weight > 0]
    return make_step(
        d_loss=d_loss,
        g_loss=g_loss,
        penalties=penalties,
        n_critic=config.n_critic,
        clip_bound=config.clip_bound or None,
        ema_decay=config.ema_decay or None,
        historical_averaging=config.historical_averaging or None,
        axis_name=axis_name,
    )

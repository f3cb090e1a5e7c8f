"""Run configuration: the schema with defaults and its validation, built from and delegating to
the owners of each group:

    data          jaxgan.data (the dataset table; `data.validate`)
    model         jaxgan.nets.registry (each network family's options; `validate_model`)
    game          jaxgan.games (each game's own keys and `Game.validate`; the techniques it composes)
    translation   the translation games' own keys
    loss, penalties, loss_options, penalty_options   jaxgan.losses (hyperparameters from signatures)
    optimizer     jaxgan.optimizers
    eval          jaxgan.evaluation (the evaluators; `evaluation.validate`)
    train, the rest: here

Configs are code: a recipe's `get_config()` starts from `base_config()` (locked, so a mistyped
key fails at once) and changes values. `validate` rejects unknown keys, wrong types and
impossible combinations before anything is compiled. Nothing here reads data or builds networks
or steps: the run machinery (`jaxgan.run`) asks the game's spec for those.
"""

from typing import Any

from ml_collections import ConfigDict

from jaxgan import backend, data, evaluation, games, losses, optimizers, techniques
from jaxgan.errors import ConfigError
from jaxgan.nets import registry as networks
from jaxgan.techniques import data_efficient

PARALLEL = ("auto", "single", "jit", "pmap")
SEED_LOOPS = ("auto", "vmap", "unrolled")


def _game_defaults(group: str) -> dict[str, Any]:
    """{key: default} of the `group` ("game" / "translation") keys the games read; a key that
    several games read must have one default."""
    merged, owner = {}, {}
    for game in games.GAMES.values():
        for path, default in game.defaults.items():
            prefix, key = path.split(".", 1)
            if prefix != group:
                continue
            if key in merged and merged[key] != default:
                raise ValueError(f"{path} has default {merged[key]!r} in game {owner[key]!r} but {default!r} in "
                                 f"{game.name!r}")
            merged.setdefault(key, default)
            owner.setdefault(key, game.name)
    return merged


def base_config() -> ConfigDict:
    """Every key a run understands, with defaults. Weight 0 turns a penalty off."""
    config = ConfigDict({
        "seed": 0,
        "num_seeds": 1,  # seeds trained side by side in one program (seed, seed + 1, ...)
        # name: a 2D mixture (ring, grid), an image dataset (jaxgan.data.IMAGE_DATASETS), "npz" /
        # "folder" (your images at dir), or translation data (jaxgan.data.translation).
        # source: tfds (prepared with `jaxgan data prepare`; dir = TFDS data_dir), idx (official
        # MNIST-layout gz files in dir). train_size: images: 0 = the whole training split, N = a fixed
        # subset of N images per seed (recorded in WORKDIR/train_subset.json); 2D: 0 = fresh draws,
        # N = a fixed set of N points.
        "data": {"name": "grid", "batch_size": 256, "source": "tfds", "dir": "", "image_size": 0, "train_size": 0},
        "model": networks.model_defaults(),
        "game": {"name": "gan", **_game_defaults("game")},
        "translation": _game_defaults("translation"),
        "loss": "non_saturating",
        "penalties": {name: 0.0 for name in losses.PENALTIES},
        "loss_options": {name: losses.loss_hyperparameters(name) for name in losses.ADVERSARIAL
                         if losses.loss_hyperparameters(name)},
        "penalty_options": {name: losses.penalty_hyperparameters(name) for name in losses.PENALTIES
                            if losses.penalty_hyperparameters(name)},
        "n_critic": 1,
        "clip_bound": 0.0,  # WGAN's weight clipping (jaxgan.techniques.clipping); 0 = off
        "ema_decay": 0.0,  # the generator's EMA, evaluated instead of the raw one; 0 = off
        "ema_rampup": 0.0,  # the EMA's half-life <= this fraction of the updates so far (EMARampup); 0 = off
        "historical_averaging": 0.0,  # Salimans et al. 2016, Sec. 3.3: its weight; 0 = off
        # DiffAugment, ADA, LeCam, consistency regularization (jaxgan.techniques.data_efficient)
        "techniques": data_efficient.DEFAULTS,
        "optimizer": {"g": optimizers.defaults(1e-4), "d": optimizers.defaults(1e-4)},
        "train": {
            "num_steps": 2000,
            "fused_steps": 1,  # steps per compiled call
            "log_every": 100,
            "eval_every": 0,
            "plot_every": 0,
            "checkpoint_every": 1000,
            "keep_checkpoints": 3,
            "parallel": "auto",  # auto, single, jit (sharded over the devices), pmap
            # num_seeds > 1: "vmap" (batched), "unrolled" (each seed's own operations in one
            # program) or "auto" ("unrolled" for image data on the CPU; jaxgan.run.program.seed_loop)
            "seed_loop": "auto",
            # XLA:CPU convolution kernels: "eigen" (faster here, see benchmarks/README.md) or
            # "ynnpack" (XLA's default). No effect off the CPU.
            "cpu_convolutions": "eigen",
            # Before the first step, compare the compiled step's memory plan with the device's
            # memory (jaxgan.run.memory) and stop in one line when it does not fit.
            "memory_check": True,
            "progress": True,
            "tensorboard": True,  # event files under WORKDIR/tensorboard (needs tensorboardX)
        },
        "eval": dict(evaluation.DEFAULTS),
    })
    config.lock()
    return config


def _check_keys(config: Any, schema: ConfigDict, prefix: str = "") -> None:
    for key in config.keys():
        path = f"{prefix}{key}"
        if key not in schema:
            hint = " (the dataset is data.name, e.g. --config.data.name=mnist)" if path == "dataset" else ""
            raise ConfigError(f"unknown config key {path!r}{hint}; known keys here: {sorted(schema.keys())}")
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


def _one_of(value: Any, choices: tuple, key: str) -> None:
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not one of {list(choices)}")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _validate_game_options(config: Any, schema: ConfigDict, game: games.Game) -> None:
    """A changed key of the `game` / `translation` groups must be one the game reads; the
    hyperparameters of a loss or penalty must belong to the chosen loss / a weighted penalty; a
    technique switched on must be one the game composes."""
    for group in ("game", "translation"):
        for key, value in config[group].items():
            path = f"{group}.{key}"
            if key == "name" or path in game.defaults or value == schema[group][key]:
                continue
            owners = [g.name for g in games.GAMES.values() if path in g.defaults]
            raise ConfigError(f"{path}={value!r} is for game.name in {owners}, not {game.name!r}")
    for loss, options in config.loss_options.items():
        changed = [k for k, v in options.items() if v != schema.loss_options[loss][k]]
        _check(not changed or loss == config.loss, f"loss_options.{loss}.{changed[0] if changed else ''} is a "
               f"hyperparameter of loss={loss!r}; this run's loss is {config.loss!r}")
    for penalty, options in config.penalty_options.items():
        changed = [k for k, v in options.items() if v != schema.penalty_options[penalty][k]]
        _check(not changed or config.penalties[penalty] > 0, f"penalty_options.{penalty}."
               f"{changed[0] if changed else ''} is a hyperparameter of the {penalty!r} penalty, whose weight "
               f"penalties.{penalty} is 0")
    for name, settings in techniques.switched_on(config).items():
        composers = [g.name for g in games.GAMES.values() if name in g.techniques]
        _check(name in game.techniques, f"{', '.join(f'{k}={v!r}' for k, v in settings.items())} ({name}) is a "
               f"technique of game.name in {composers}, not of {game.name!r}")


def _validate_critic(config: Any) -> None:
    """The combinations of penalties, clipping and critic layers that cannot work together."""
    m = config.model
    for name, weight in config.penalties.items():
        _check(weight >= 0, f"penalties.{name} is a weight and must be >= 0, got {weight}")
    penalized = [name for name, w in config.penalties.items() if w > 0]
    _check(not (penalized and m.d_norm == "batch"), f"penalties {penalized} need per-example critic gradients, which "
           "BatchNorm in the critic breaks (Gulrajani et al. 2017, Sec. 4): set model.d_norm to 'layer' or 'none'")
    _check(not (penalized and (m.d_minibatch_kernels or m.d_minibatch_std)), f"penalties {penalized} need "
           "per-example critic gradients, which minibatch discrimination / minibatch stddev layers break: turn "
           "those off or drop the penalty")
    _check(not (penalized and config.clip_bound > 0), f"clip_bound={config.clip_bound} together with penalties "
           f"{penalized}: choose one way to constrain the critic")
    _check(config.loss != "wasserstein" or bool(penalized) or config.clip_bound > 0, "loss='wasserstein' needs a "
           "Lipschitz constraint on the critic: set clip_bound > 0 (WGAN) or a gradient penalty such as "
           "penalties.wgan_gp = 10 (WGAN-GP)")
    _check(config.data.batch_size % m.packing == 0, f"data.batch_size={config.data.batch_size} is not divisible by "
           f"model.packing={m.packing}")
    _check(0.0 <= config.ema_decay < 1.0, f"ema_decay must be in [0, 1) (0 turns EMA off), got {config.ema_decay}")
    _check(config.ema_rampup >= 0, f"ema_rampup must be >= 0 (0 = a constant decay), got {config.ema_rampup}")
    _check(config.historical_averaging >= 0, f"historical_averaging is a weight and must be >= 0, got "
           f"{config.historical_averaging}")
    _check(config.clip_bound >= 0, f"clip_bound must be >= 0 (0 turns clipping off), got {config.clip_bound}")


def _validate_train(config: Any) -> None:
    t = config.train
    _one_of(t.parallel, PARALLEL, "train.parallel")
    _one_of(t.seed_loop, SEED_LOOPS, "train.seed_loop")
    _one_of(t.cpu_convolutions, backend.CPU_CONVOLUTIONS, "train.cpu_convolutions")
    for key in ("num_seeds", "n_critic", "train.num_steps", "train.fused_steps", "train.keep_checkpoints"):
        value = config
        for part in key.split("."):
            value = value[part]
        _check(int(value) == value and value >= 1, f"{key} must be a positive integer, got {value!r}")
    for key in ("log_every", "eval_every", "plot_every", "checkpoint_every", "num_steps"):
        _check(t[key] >= 0 and t[key] % t.fused_steps == 0, f"train.{key}={t[key]} must be >= 0 and a multiple of "
               f"train.fused_steps={t.fused_steps} (steps are run in fused groups)")


def validate(config: Any) -> Any:
    """Raise `ConfigError` for unknown keys, bad values or impossible combinations; returns `config`."""
    schema = base_config()
    _check_keys(config, schema)
    data.validate(config.data)
    _one_of(config.game.name, tuple(games.GAMES), "game.name")
    game = games.get(config.game.name)
    networks.validate_model(config.model, data.known_shape(config.data), image=data.is_image(config.data),
                            game_keys=game.model_keys)
    _one_of(config.loss, tuple(losses.ADVERSARIAL), "loss")
    _validate_game_options(config, schema, game)
    data_efficient.validate(config.techniques, data.known_shape(config.data), image=data.is_image(config.data))
    game.validate(config)
    evaluation.validate(config)
    _validate_train(config)
    for side in ("g", "d"):
        optimizers.validate(config.optimizer[side], side)
    _validate_critic(config)
    return config

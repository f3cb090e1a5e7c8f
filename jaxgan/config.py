"""Run configuration: the schema with defaults, its validation, and the facts derived from it.

Configs are code: a recipe's `get_config()` starts from `base_config()` (locked, so a mistyped
key fails at once) and changes values. `validate` rejects unknown keys, wrong types and
impossible combinations before anything is compiled; the game named by `game.name` validates
what is its own (`jaxgan.games`). Nothing here reads data or builds networks or steps: the run
machinery (`jaxgan.run`) asks the game's spec for those.
"""

from ml_collections import ConfigDict

from jaxgan import backend, data, games, losses, nets
from jaxgan.data import images as image_data
from jaxgan.errors import ConfigError
from jaxgan.metrics import METRICS, domain_classifier, parse_metrics
from jaxgan.nets.registry import DTYPES, NETWORKS



def datasets():
    """Every `data.name` besides translation data: the 2D mixtures, the image dataset table, and
    the user's own images ("npz", "folder")."""
    return tuple(data.MIXTURES) + tuple(image_data.IMAGE_DATASETS) + ("npz", "folder")

OPTIMIZERS = ("adam", "rmsprop", "sgd")
PARALLEL = ("auto", "single", "jit", "pmap")


SCHEDULES = ("constant", "linear_decay")


def _optimizer_config(learning_rate):
    # schedule "linear_decay": constant until decay_start * train.num_steps, then linearly to 0 at
    # train.num_steps (CycleGAN: 100 epochs constant, 100 decaying, decay_start 0.5).
    # eps, eps_root: Adam's update m / (sqrt(v + eps_root) + eps) (optax.adam); the Improved-GAN
    # code's Adam is eps 0, eps_root 1e-8. momentum: SGD's (heavy ball, optax.sgd; 0 = plain SGD).
    return ConfigDict({"name": "adam", "learning_rate": learning_rate, "b1": 0.5, "b2": 0.999, "eps": 1e-8,
                       "eps_root": 0.0, "decay": 0.99, "momentum": 0.0, "schedule": "constant",
                       "decay_start": 0.5})


def _game_defaults(group):
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


def base_config():
    """Every key a run understands, with defaults. Weight 0 turns a penalty off."""
    config = ConfigDict(
        {
            "seed": 0,
            "num_seeds": 1,
            # source: where image data come from: "tfds" (prepared with `jaxgan data prepare`;
            # dir = TFDS data_dir, "" for its default), "idx" (official MNIST-layout gz files in
            # dir), "npz" / "folder" (the user's own images at dir; name "npz" / "folder").
            # Translation data (jaxgan.data.translation): edges2mnist, edges2fashion,
            # mnist2fashion (idx: dir holds mnist/ and fashion_mnist/), pairs_npz (dir = the
            # .npz), cycle_gan/NAME (TFDS, resized to image_size; 0 = 256).
            # train_size (2D mixtures): 0 = every example a fresh draw; N = a fixed training set of
            # N points per seed, read in epochs of fresh permutations (PacGAN: 100,000 packs).
            "data": {"name": "grid", "batch_size": 256, "source": "tfds", "dir": "", "image_size": 0, "train_size": 0},
            "model": {
                "name": "mlp",
                "latent_dim": 16,
                "g_hidden": (256, 256, 256),
                "d_hidden": (256, 256, 256),
                "g_norm": "none",
                "d_norm": "none",
                "d_spectral_norm": False,
                # > 0: the MLP critic's hidden layers are linear maxout units of that many pieces
                # (PacGAN's 2D critic: d_hidden (200, 200, 200), 5 pieces).
                "d_maxout_pieces": 0,
                # > 0: the MLP networks' kernels start from N(0, init_std^2) (PacGAN, DCGAN: 0.02);
                # 0: Flax's default (LeCun normal).
                "init_std": 0.0,
                "d_minibatch_kernels": 0,
                "d_minibatch_std": False,
                "packing": 1,
                "g_width": 64,
                "d_width": 64,
                # DCGAN only: fully connected hidden layers, in G before the projection to the first
                # feature map, in D after its convolutions (InfoGAN's MNIST networks: (1024,) each).
                "g_dense": (),
                "d_dense": (),
                "upsample": "auto",
                # upsample / d_conv "auto": the backend's measured fastest exact form
                # (jaxgan.backend.choices; on the CPU: phase-decomposed transposed convolutions,
                # and the critic's convolutions as matrix products when a gradient penalty is on).
                "d_conv": "auto",
                # Compute dtype of the networks ("bfloat16": bf16 activations and matrix products;
                # float32 parameters, optimizer, losses and penalty norms). Not for game "aae".
                "dtype": "float32",
                # MLP discriminator only: Gaussian noise (training) and weight normalization,
                # as in the Improved-GAN semi-supervised MNIST discriminator.
                "d_input_noise": 0.0,
                "d_hidden_noise": 0.0,
                "d_weight_norm": False,
                # The Improved-GAN code's weight norm: data-dependent init on the first real batch,
                # v ~ N(0, 0.1^2), hidden scales fixed (nets.MLPDiscriminator.weight_norm_data_init).
                "d_weight_norm_data_init": False,
                # MLP networks: hidden activations ("relu", "leaky_relu" (0.2), "softplus"); the
                # generator's output layer weight-normalized (Improved-GAN's MNIST generator).
                "g_activation": "relu",
                "d_activation": "leaky_relu",
                "g_output_weight_norm": False,
            },
            # name: one of jaxgan.games.GAMES: "gan" (unconditional; the losses above), "cgan",
            # "acgan", "semi_supervised", "infogan", "aae", "pix2pix", "cyclegan". The other keys
            # of `game` and `translation` are the games' own (`Game.defaults`, documented in
            # each game's module); validate rejects a changed key the chosen game does not read.
            "game": {"name": "gan", **_game_defaults("game")},
            "translation": _game_defaults("translation"),
            "loss": "non_saturating",
            "penalties": {name: 0.0 for name in losses.PENALTIES},
            # The losses' and penalties' hyperparameters (their keyword arguments, with the
            # functions' defaults), e.g. loss_options.least_squares.a, penalty_options.wgan_gp.target.
            "loss_options": {name: losses.loss_hyperparameters(name) for name in losses.ADVERSARIAL
                             if losses.loss_hyperparameters(name)},
            "penalty_options": {name: losses.penalty_hyperparameters(name) for name in losses.PENALTIES
                                if losses.penalty_hyperparameters(name)},
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
                # XLA:CPU convolution kernels: "eigen" (XLA's own; faster here, see
                # benchmarks/README.md) or "ynnpack" (XLA's default). No effect off the CPU.
                "cpu_convolutions": "eigen",
                "progress": True,
                # TensorBoard event files under WORKDIR/tensorboard (needs tensorboardX).
                "tensorboard": True,
            },
            # metrics: "auto" = mode coverage ("modes") on 2D data and on stacked_mnist, plus
            # fid,kid,pr,dc,is on images; or a comma list of modes,fid,kid,pr,dc,is.
            # feature_network: "auto" = points (2D), the shipped MNIST / Fashion-MNIST classifier,
            # or "inception" (needs inception_weights, an .npz; see jaxgan.metrics.inception).
            "eval": {
                "num_samples": 2500,
                "batch_size": 500,
                "metrics": "auto",
                "feature_network": "auto",
                "inception_weights": "",
                "resize": "bilinear",
                "reference_split": "test",
                "num_reference": 0,
            },
        }
    )
    config.lock()
    return config


def _check_keys(config, schema, prefix=""):
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


def _one_of(value, choices, key):
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not one of {list(choices)}")


def _positive_int(value, key):
    if int(value) != value or value < 1:
        raise ConfigError(f"{key} must be a positive integer, got {value!r}")


def eval_metrics(config):
    """The metric names an evaluation of `config` computes."""
    spec = config.eval.metrics
    if spec == "auto":
        if data.is_translation_data(config.data):
            return ()  # measured by jaxgan.evaluation.translation
        if not data.is_image(config.data):
            return ("modes",)
        modes = ("modes",) if _spec(config).modes else ()
        if feature_network_name(config) == "inception" and not config.eval.inception_weights:
            return modes  # no local Inception weights: nothing feature-based to compute
        return modes + ("fid", "kid", "pr", "dc", "is")
    names = tuple(s.strip() for s in spec.split(",") if s.strip())
    unknown = [n for n in names if n != "modes" and n not in METRICS]
    if unknown:
        raise ConfigError(f"unknown metric(s) {unknown}; expected a comma-separated subset of {['modes', *METRICS]}")
    return (("modes",) if "modes" in names else ()) + parse_metrics([n for n in names if n != "modes"])


def feature_network_name(config):
    name = config.eval.feature_network
    if name != "auto":
        return name
    if not data.is_image(config.data):
        return "points"
    return _spec(config).feature_network


def _spec(config):
    """The dataset table's entry of `data.name` (the defaults for the user's own npz / folder)."""
    return image_data.IMAGE_DATASETS.get(config.data.name, image_data.ImageSpec(0, 0))


FEATURE_NETWORKS = ("auto", "points", "inception") + domain_classifier.NAMES


def _validate_eval(config):
    e = config.eval
    _one_of(e.feature_network, FEATURE_NETWORKS, "eval.feature_network")
    _one_of(e.resize, ("bilinear", "none"), "eval.resize")
    _one_of(e.reference_split, ("train", "test"), "eval.reference_split")
    _positive_int(e.batch_size, "eval.batch_size")
    if e.num_reference < 0:
        raise ConfigError(f"eval.num_reference must be >= 0 (0 = the whole split), got {e.num_reference}")
    try:
        names = eval_metrics(config)
    except ValueError as error:
        raise ConfigError(f"eval.metrics={e.metrics!r}: {error}") from None
    network = feature_network_name(config)
    image = data.is_image(config.data)
    if "modes" in names and image and not _spec(config).modes:
        counted = sorted(name for name, spec in image_data.IMAGE_DATASETS.items() if spec.modes)
        raise ConfigError(f"eval.metrics 'modes' counts modes of the 2D mixtures or of {counted}, not "
                          f"{config.data.name!r}")
    if network == "points" and image:
        raise ConfigError("eval.feature_network='points' is for 2D data; images need a feature network")
    if network in domain_classifier.NAMES and data.example_shape(config.data) != (28, 28, 1):
        raise ConfigError(f"eval.feature_network={network!r} takes 28x28 grey images; {config.data.name!r} is "
                          f"{data.example_shape(config.data)}")
    if network == "points" and "is" in names:
        raise ConfigError("eval.metrics 'is' needs class logits; the 2D 'points' features have none")
    if network == "inception" and [n for n in names if n != "modes"] and not e.inception_weights:
        raise ConfigError(
            f"eval.metrics={list(names)} on {config.data.name!r} use Inception features: set eval.inception_weights "
            "to the converted FID Inception .npz (python -m jaxgan.metrics.inception convert ...) or choose "
            "eval.metrics='modes' / another eval.feature_network"
        )


def _validate_data_and_model(config):
    d, m = config.data, config.model
    image = data.is_image(d)
    if d.train_size < 0:
        raise ConfigError(f"data.train_size must be >= 0 (0 = fresh draws), got {d.train_size}")
    if d.train_size and image:
        raise ConfigError(f"data.train_size={d.train_size} fixes the training set of the 2D mixtures; "
                          f"data.name={d.name!r} is a dataset with its own training split")
    if (d.name in ("npz", "folder") or d.source == "idx") and not d.dir:
        raise ConfigError(f"data.name={d.name!r} with data.source={d.source!r} needs data.dir (the files to read)")
    if data.is_translation_data(d):
        return
    if d.source == "idx" and not _spec(config).idx:
        raise ConfigError(f"data.source='idx' reads the official MNIST-layout files; data.name={d.name!r} is not one")
    if m.name != "mlp" and not image:
        raise ConfigError(f"model.name={m.name!r} is an image model; data.name={d.name!r} is 2D (use model.name='mlp')")
    if image and d.name in image_data.IMAGE_DATASETS:
        size = image_data.IMAGE_DATASETS[d.name].size
        if m.name == "dcgan" and size not in nets.dcgan.SIZES:
            raise ConfigError(f"model.name='dcgan' builds {nets.dcgan.SIZES}-pixel images; {d.name!r} is {size}")
        if m.name == "resnet" and size != 32:
            raise ConfigError(f"model.name='resnet' (SNGAN ResNet) is for 32x32 images; {d.name!r} is {size}x{size}")
    for key in ("g_dense", "d_dense"):
        units = tuple(m[key])
        if any(isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in units):
            raise ConfigError(f"model.{key}={m[key]!r} must be a tuple of positive layer widths")
        if units and m.name != "dcgan":
            raise ConfigError(f"model.{key}={units!r} is an option of the DCGAN networks (model.name='dcgan'), "
                              f"not of model.name={m.name!r}")
    if m.name == "dcgan" and m.d_norm not in nets.dcgan.NORMS:
        raise ConfigError(f"model.d_norm={m.d_norm!r} is not one of {list(nets.dcgan.NORMS)} for DCGAN")
    noise_or_norm = m.d_input_noise or m.d_hidden_noise or m.d_weight_norm or m.d_weight_norm_data_init
    if noise_or_norm and m.name != "mlp":
        raise ConfigError("model.d_input_noise / d_hidden_noise / d_weight_norm / d_weight_norm_data_init are options "
                          f"of the MLP discriminator, not {m.name!r}")
    if m.d_input_noise < 0 or m.d_hidden_noise < 0:
        raise ConfigError(f"model.d_input_noise and d_hidden_noise are standard deviations (>= 0), got "
                          f"{m.d_input_noise}, {m.d_hidden_noise}")


def _validate_game_options(config, schema):
    """A changed key of the `game` / `translation` groups must be one the game reads; the
    hyperparameters of a loss or penalty must belong to the chosen loss / a weighted penalty."""
    name = config.game.name
    own = set(games.get(name).defaults)
    for group in ("game", "translation"):
        for key, value in config[group].items():
            path = f"{group}.{key}"
            if key == "name" or path in own or value == schema[group][key]:
                continue
            owners = [g.name for g in games.GAMES.values() if path in g.defaults]
            raise ConfigError(f"{path}={value!r} is for game.name in {owners}, not {name!r}")
    for loss, options in config.loss_options.items():
        changed = [k for k, v in options.items() if v != schema.loss_options[loss][k]]
        if changed and loss != config.loss:
            raise ConfigError(f"loss_options.{loss}.{changed[0]} is a hyperparameter of loss={loss!r}; this run's "
                              f"loss is {config.loss!r}")
    for penalty, options in config.penalty_options.items():
        changed = [k for k, v in options.items() if v != schema.penalty_options[penalty][k]]
        if changed and not config.penalties[penalty] > 0:
            raise ConfigError(f"penalty_options.{penalty}.{changed[0]} is a hyperparameter of the {penalty!r} "
                              f"penalty, whose weight penalties.{penalty} is 0")


def uses_labels(config):
    """Whether training reads class labels: "all", "subset" (a labeled subset) or "none"."""
    return games.get(config.game.name).labels(config)


def validate(config):
    """Raise `ConfigError` for unknown keys, bad values or impossible combinations."""
    schema = base_config()
    _check_keys(config, schema)
    if not data.is_translation_data(config.data):
        _one_of(config.data.name, datasets(), "data.name")
    _one_of(config.game.name, tuple(games.GAMES), "game.name")
    _one_of(config.model.name, tuple(NETWORKS), "model.name")
    _one_of(config.model.dtype, DTYPES, "model.dtype")
    _one_of(config.model.upsample, ("auto",) + nets.dcgan.UPSAMPLING, "model.upsample")
    _one_of(config.model.d_conv, ("auto",) + nets.dcgan.CONVOLUTIONS, "model.d_conv")
    _one_of(config.data.source, image_data.SOURCES, "data.source")
    _validate_data_and_model(config)
    _one_of(config.loss, tuple(losses.ADVERSARIAL), "loss")
    _validate_game_options(config, schema)
    games.get(config.game.name).validate(config)
    _validate_eval(config)
    _one_of(config.train.parallel, PARALLEL, "train.parallel")
    _one_of(config.train.cpu_convolutions, backend.CPU_CONVOLUTIONS, "train.cpu_convolutions")
    if config.data.image_size < 0 or int(config.data.image_size) != config.data.image_size:
        raise ConfigError(f"data.image_size must be an integer >= 0 (0 = the dataset's size), got {config.data.image_size!r}")
    for side in ("g", "d"):
        _one_of(config.optimizer[side].name, OPTIMIZERS, f"optimizer.{side}.name")
        _one_of(config.optimizer[side].schedule, SCHEDULES, f"optimizer.{side}.schedule")
        if not 0.0 <= config.optimizer[side].decay_start <= 1.0:
            raise ConfigError(f"optimizer.{side}.decay_start is a fraction of train.num_steps in [0, 1], "
                              f"got {config.optimizer[side].decay_start}")
        if not config.optimizer[side].learning_rate > 0:
            raise ConfigError(f"optimizer.{side}.learning_rate must be positive")
        eps, eps_root = config.optimizer[side].eps, config.optimizer[side].eps_root
        if eps < 0 or eps_root < 0 or not eps + eps_root > 0:
            raise ConfigError(f"optimizer.{side}.eps and eps_root must be >= 0 and not both 0 (a zero gradient would "
                              f"divide 0 by 0), got eps={eps}, eps_root={eps_root}")
        momentum = config.optimizer[side].momentum
        if not 0.0 <= momentum < 1.0:
            raise ConfigError(f"optimizer.{side}.momentum must be in [0, 1), got {momentum}")
        if momentum and config.optimizer[side].name != "sgd":
            raise ConfigError(f"optimizer.{side}.momentum={momentum} is SGD's; optimizer.{side}.name is "
                              f"{config.optimizer[side].name!r} (set it to 'sgd', or b1 for adam)")
    for norm_key in ("g_norm", "d_norm"):
        _one_of(config.model[norm_key], nets.mlp.NORMS, f"model.{norm_key}")
    for key in ("g_activation", "d_activation"):
        _one_of(config.model[key], tuple(nets.mlp.ACTIVATIONS), f"model.{key}")
    mlp_only = {"g_activation": "relu", "d_activation": "leaky_relu", "g_output_weight_norm": False}
    changed = [k for k, default in mlp_only.items() if config.model[k] != default]
    if changed and config.model.name != "mlp":
        raise ConfigError(f"model.{changed[0]}={config.model[changed[0]]!r} is an option of the MLP networks "
                          f"(model.name='mlp'), not of model.name={config.model.name!r}")
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
    m = config.model
    if m.d_maxout_pieces < 0:
        raise ConfigError(f"model.d_maxout_pieces must be >= 0, got {m.d_maxout_pieces}")
    if m.d_maxout_pieces and m.name != "mlp":
        raise ConfigError(f"model.d_maxout_pieces={m.d_maxout_pieces} is an option of the MLP critic "
                          f"(model.name='mlp'), not of model.name={m.name!r}")
    if m.d_weight_norm_data_init and m.d_spectral_norm:
        raise ConfigError("model.d_weight_norm_data_init and d_spectral_norm are two normalizations of the same "
                          "layers: choose one")
    if m.d_maxout_pieces and (m.d_norm != "none" or m.d_spectral_norm or m.d_weight_norm or m.d_weight_norm_data_init):
        raise ConfigError(f"model.d_maxout_pieces={m.d_maxout_pieces} replaces the critic's hidden Dense -> norm "
                          "-> LeakyReLU: set model.d_norm='none' and leave d_spectral_norm / d_weight_norm off")
    if m.init_std < 0:
        raise ConfigError(f"model.init_std must be >= 0 (0: Flax's default init), got {m.init_std}")
    if m.init_std and m.name != "mlp":
        raise ConfigError(f"model.init_std={m.init_std} is an option of the MLP networks (model.name='mlp'), "
                          f"not of model.name={m.name!r}")
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



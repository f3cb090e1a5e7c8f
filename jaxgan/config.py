"""Run configuration: the schema with defaults, validation, and building a run's parts from it.

Configs are code: a recipe's `get_config()` starts from `base_config()` (locked, so a mistyped
key fails at once) and changes values. `validate` rejects unknown keys, wrong types and
impossible combinations before anything is compiled.
"""

import jax.numpy as jnp
import optax
from ml_collections import ConfigDict

from jaxgan import backend, losses, nets
from jaxgan.data import images as image_data
from jaxgan.data import translation as translation_data
from jaxgan.games import AAE_MODES, G_OBJECTIVES, SEMI_SUPERVISED_LOSSES, make_aae_step, make_game_step
from jaxgan.errors import ConfigError
from jaxgan.latents import Prior
from jaxgan.nets.heads import CONDITIONING
from jaxgan.steps import Penalty, make_step, normal_latent
from jaxgan.translation import init_pool, make_cyclegan_step, make_pix2pix_step

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
DATASETS = ("ring", "grid", "mnist", "fashion_mnist", "cifar10", "celeb_a", "stacked_mnist", "npz", "folder")
MODELS = ("mlp", "dcgan", "resnet")
DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}
OPTIMIZERS = ("adam", "rmsprop", "sgd")
PARALLEL = ("auto", "single", "jit", "pmap")


SCHEDULES = ("constant", "linear_decay")


def _optimizer_config(learning_rate):
    # schedule "linear_decay": constant until decay_start * train.num_steps, then linearly to 0 at
    # train.num_steps (CycleGAN: 100 epochs constant, 100 decaying, decay_start 0.5).
    # eps, eps_root: Adam's update m / (sqrt(v + eps_root) + eps) (optax.adam); the Improved-GAN
    # code's Adam is eps 0, eps_root 1e-8.
    return ConfigDict({"name": "adam", "learning_rate": learning_rate, "b1": 0.5, "b2": 0.999, "eps": 1e-8,
                       "eps_root": 0.0, "decay": 0.99, "schedule": "constant", "decay_start": 0.5})


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
            # name: "gan" (unconditional; the losses above), "cgan", "acgan", "semi_supervised",
            # "infogan" or "aae" (jaxgan.games). The other keys belong to the games that name
            # them; num_classes is the dataset's number of classes (the InfoGAN categorical
            # code has categorical_codes values).
            "game": {
                "name": "gan",
                "num_classes": 10,
                "class_weight": 1.0,
                "conditioning": "projection",
                "semi_supervised_head": "k_plus_one",
                "num_labeled": 100,
                "labeled_batch_size": 100,
                "g_objective": "adversarial",
                "categorical_codes": 10,
                "continuous_codes": 2,
                "categorical_weight": 1.0,
                "continuous_weight": 0.1,
                "aae_mode": "unsupervised",
                "adversarial_weight": 1.0,
                # semi_supervised: weight of the unlabeled-real and fake terms of D's loss (the
                # Improved-GAN code: 0.5), and d_average_decay > 0 keeps a bias-corrected moving
                # average of D's parameters that the test error is measured with (theirs: 0.9999).
                "unlabeled_weight": 1.0,
                "d_average_decay": 0.0,
            },
            # Image-to-image translation (game.name "pix2pix" or "cyclegan"; jaxgan.translation).
            # generator: "auto" = unet (pix2pix) / resnet (cyclegan); unet_depth 0 = down to 1x1;
            # norm "auto" = batch (pix2pix) / instance (cyclegan). The games fix their losses:
            # Pix2Pix BCE + l1_weight * L1, CycleGAN LSGAN + cycle and identity terms.
            "translation": {
                "generator": "auto",
                "unet_depth": 0,
                "resnet_blocks": 9,
                "patch_layers": 3,
                "norm": "auto",
                "dropout": 0.5,
                "l1_weight": 100.0,
                "cycle_weight": 10.0,
                "identity_weight": 5.0,
                "pool_size": 50,
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


def _validate_data_and_model(config):
    d, m = config.data, config.model
    if d.train_size < 0:
        raise ConfigError(f"data.train_size must be >= 0 (0 = fresh draws), got {d.train_size}")
    if d.train_size and is_image(config):
        raise ConfigError(f"data.train_size={d.train_size} fixes the training set of the 2D mixtures; "
                          f"data.name={d.name!r} is a dataset with its own training split")
    if (d.name in ("npz", "folder") or d.source == "idx") and not d.dir:
        raise ConfigError(f"data.name={d.name!r} with data.source={d.source!r} needs data.dir (the files to read)")
    if translation_data.is_translation_data(d.name):
        if not is_translation(config):
            raise ConfigError(f"data.name={d.name!r} is translation data: use game.name='pix2pix' (paired) "
                              f"or 'cyclegan', not {config.game.name!r}")
        return
    if d.source == "idx" and d.name not in ("mnist", "fashion_mnist", "stacked_mnist"):
        raise ConfigError(f"data.source='idx' reads the official MNIST-layout files; data.name={d.name!r} is not one")
    if m.name != "mlp" and not is_image(config):
        raise ConfigError(f"model.name={m.name!r} is an image model; data.name={d.name!r} is 2D (use model.name='mlp')")
    if m.dtype != "float32" and config.game.name == "aae":
        raise ConfigError(f"model.dtype={m.dtype!r}: the AAE networks compute in float32 only (game.name='aae')")
    if is_image(config) and d.name in image_data.IMAGE_DATASETS:
        size = image_data.IMAGE_DATASETS[d.name].size
        if m.name == "dcgan" and size not in nets.dcgan.SIZES:
            raise ConfigError(f"model.name='dcgan' builds {nets.dcgan.SIZES}-pixel images; {d.name!r} is {size}")
        if m.name == "resnet" and size != 32:
            raise ConfigError(f"model.name='resnet' (SNGAN ResNet) is for 32x32 images; {d.name!r} is {size}x{size}")
    if m.name == "dcgan" and m.d_norm not in nets.dcgan.NORMS:
        raise ConfigError(f"model.d_norm={m.d_norm!r} is not one of {list(nets.dcgan.NORMS)} for DCGAN")


def eval_metrics(config):
    """The metric names an evaluation of `config` computes."""
    from jaxgan.evaluation import METRICS, parse_metrics

    spec = config.eval.metrics
    if spec == "auto":
        if is_translation(config):
            return ()  # measured by jaxgan.translation_evaluation
        if not is_image(config):
            return ("modes",)
        modes = ("modes",) if config.data.name == "stacked_mnist" else ()
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
    if not is_image(config):
        return "points"
    if config.data.name in ("mnist", "fashion_mnist"):
        return config.data.name
    return "inception"


FEATURE_NETWORKS = ("auto", "points", "mnist", "fashion_mnist", "inception")


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
    if "modes" in names and is_image(config) and config.data.name != "stacked_mnist":
        raise ConfigError(f"eval.metrics 'modes' counts modes of the 2D mixtures or stacked_mnist, not {config.data.name!r}")
    if network == "points" and is_image(config):
        raise ConfigError("eval.feature_network='points' is for 2D data; images need a feature network")
    if network in ("mnist", "fashion_mnist") and data_shape(config) != (28, 28, 1):
        raise ConfigError(f"eval.feature_network={network!r} takes 28x28 grey images; {config.data.name!r} is {data_shape(config)}")
    if network == "points" and "is" in names:
        raise ConfigError("eval.metrics 'is' needs class logits; the 2D 'points' features have none")
    if network == "inception" and [n for n in names if n != "modes"] and not e.inception_weights:
        raise ConfigError(
            f"eval.metrics={list(names)} on {config.data.name!r} use Inception features: set eval.inception_weights "
            "to the converted FID Inception .npz (python -m jaxgan.metrics.inception convert ...) or choose "
            "eval.metrics='modes' / another eval.feature_network"
        )


GAME_NAMES = ("gan", "cgan", "acgan", "semi_supervised", "infogan", "aae", "pix2pix", "cyclegan")
TRANSLATION_GAMES = ("pix2pix", "cyclegan")
# The losses each translation game is defined with (Isola et al. 2017; Zhu et al. 2017, Sec. 4).
TRANSLATION_LOSSES = {"pix2pix": "non_saturating", "cyclegan": "least_squares"}
# Datasets whose examples carry class labels (for the games that read labels).
LABELED_DATASETS = {"mnist": 10, "fashion_mnist": 10, "cifar10": 10}


def uses_labels(config):
    """Whether training reads class labels: all of them, a labeled subset, or none."""
    game = config.game
    if game.name in ("cgan", "acgan") or (game.name == "aae" and game.aae_mode == "supervised"):
        return "all"
    if game.name == "semi_supervised" or (game.name == "aae" and game.aae_mode == "semi_supervised"):
        return "subset"
    return "none"


def _validate_game(config):
    game, m = config.game, config.model
    _one_of(game.name, GAME_NAMES, "game.name")
    _one_of(game.conditioning, CONDITIONING[1:], "game.conditioning")
    _one_of(game.semi_supervised_head, tuple(SEMI_SUPERVISED_LOSSES), "game.semi_supervised_head")
    _one_of(game.g_objective, G_OBJECTIVES, "game.g_objective")
    _one_of(game.aae_mode, AAE_MODES, "game.aae_mode")
    for key in ("num_classes", "num_labeled", "labeled_batch_size"):
        _positive_int(game[key], f"game.{key}")
    for key in ("categorical_codes", "continuous_codes"):
        if int(game[key]) != game[key] or game[key] < 0:
            raise ConfigError(f"game.{key} must be an integer >= 0, got {game[key]!r}")
    for key in ("class_weight", "categorical_weight", "continuous_weight", "adversarial_weight"):
        if game[key] < 0:
            raise ConfigError(f"game.{key} is a weight and must be >= 0, got {game[key]}")
    noise_or_norm = m.d_input_noise or m.d_hidden_noise or m.d_weight_norm or m.d_weight_norm_data_init
    if noise_or_norm and m.name != "mlp":
        raise ConfigError("model.d_input_noise / d_hidden_noise / d_weight_norm / d_weight_norm_data_init are options "
                          f"of the MLP discriminator, not {m.name!r}")
    if game.unlabeled_weight < 0:
        raise ConfigError(f"game.unlabeled_weight is a weight and must be >= 0, got {game.unlabeled_weight}")
    if not 0.0 <= game.d_average_decay < 1.0:
        raise ConfigError(f"game.d_average_decay must be in [0, 1) (0: off), got {game.d_average_decay}")
    if game.d_average_decay and game.name != "semi_supervised":
        raise ConfigError(f"game.d_average_decay={game.d_average_decay} averages the semi-supervised classifier; "
                          f"it is for game.name='semi_supervised', not {game.name!r}")
    if m.d_input_noise < 0 or m.d_hidden_noise < 0:
        raise ConfigError(f"model.d_input_noise and d_hidden_noise are standard deviations (>= 0), got {m.d_input_noise}, {m.d_hidden_noise}")
    if game.name == "gan" or game.name in TRANSLATION_GAMES:
        return
    if not is_image(config):
        raise ConfigError(f"game.name={game.name!r} is for image datasets; data.name={config.data.name!r} is 2D")
    if uses_labels(config) != "none":
        if config.data.name not in LABELED_DATASETS:
            raise ConfigError(f"game.name={game.name!r} reads class labels; data.name={config.data.name!r} has none "
                              f"(labeled datasets: {sorted(LABELED_DATASETS)})")
        if game.num_classes != LABELED_DATASETS[config.data.name]:
            raise ConfigError(f"game.num_classes={game.num_classes} but {config.data.name!r} has {LABELED_DATASETS[config.data.name]} classes")
    if uses_labels(config) == "subset":
        if game.num_labeled % game.num_classes:
            raise ConfigError(f"game.num_labeled={game.num_labeled} must be a multiple of game.num_classes={game.num_classes} (balanced subset)")
        if game.labeled_batch_size > game.num_labeled:
            raise ConfigError(f"game.labeled_batch_size={game.labeled_batch_size} exceeds game.num_labeled={game.num_labeled}")
    if game.name == "infogan" and not (game.categorical_codes or game.continuous_codes):
        raise ConfigError("game.name='infogan' needs game.categorical_codes > 0 or game.continuous_codes > 0")
    if m.packing > 1:
        raise ConfigError(f"model.packing={m.packing} is for the unconditional GAN (game.name='gan'), not {game.name!r}")
    if config.clip_bound > 0 or config.historical_averaging > 0:
        raise ConfigError(f"clip_bound and historical_averaging are options of game.name='gan', not {game.name!r}")
    if m.d_minibatch_kernels or m.d_minibatch_std:
        raise ConfigError(f"minibatch discrimination / stddev layers are options of game.name='gan', not {game.name!r}")
    penalties = [name for name, w in config.penalties.items() if w > 0]
    if game.name in ("semi_supervised", "aae") and config.loss not in ("non_saturating", "minimax"):
        raise ConfigError(f"game.name={game.name!r} has a cross-entropy discriminator: loss must be 'non_saturating' "
                          f"or 'minimax', got {config.loss!r}")
    if game.name in ("semi_supervised", "aae") and penalties:
        raise ConfigError(f"penalties {penalties} are not available for game.name={game.name!r}")
    if game.name == "aae":
        if m.name != "mlp":
            raise ConfigError(f"game.name='aae' uses the paper's MLP encoder/decoder (model.name='mlp'), got {m.name!r}")
        if config.n_critic != 1:
            raise ConfigError(f"game.name='aae' makes one discriminator update per step; n_critic must be 1, got {config.n_critic}")
    if game.g_objective == "feature_matching" and game.name != "semi_supervised":
        raise ConfigError(f"game.g_objective='feature_matching' is for game.name='semi_supervised', not {game.name!r}")


def is_translation(config):
    return config.game.name in TRANSLATION_GAMES


def translation_choice(config, key):
    """translation.generator / translation.norm with "auto" resolved for the game."""
    value = config.translation[key]
    if value != "auto":
        return value
    pix2pix = config.game.name == "pix2pix"
    return {"generator": "unet" if pix2pix else "resnet", "norm": "batch" if pix2pix else "instance"}[key]


def _validate_translation(config):
    t, d, game = config.translation, config.data, config.game.name
    _one_of(t.generator, ("auto", "unet", "resnet"), "translation.generator")
    _one_of(t.norm, ("auto",) + nets.translation.NORMS, "translation.norm")
    for key in ("l1_weight", "cycle_weight", "identity_weight"):
        if t[key] < 0:
            raise ConfigError(f"translation.{key} is a weight and must be >= 0, got {t[key]}")
    if int(t.pool_size) != t.pool_size or t.pool_size < 0:
        raise ConfigError(f"translation.pool_size must be an integer >= 0 (0 = no pool), got {t.pool_size!r}")
    if not 0.0 <= t.dropout < 1.0:
        raise ConfigError(f"translation.dropout must be in [0, 1), got {t.dropout}")
    _positive_int(t.patch_layers, "translation.patch_layers")
    _positive_int(t.resnet_blocks, "translation.resnet_blocks")
    if int(t.unet_depth) != t.unet_depth or t.unet_depth < 0:
        raise ConfigError(f"translation.unet_depth must be an integer >= 0 (0 = down to 1x1), got {t.unet_depth!r}")
    if not is_translation(config):
        return
    if config.model.upsample not in ("auto",) + tuple(nets.dcgan.TRANSPOSED_FORMS):
        raise ConfigError(f"model.upsample={config.model.upsample!r}: the translation networks use the papers' "
                          f"transposed convolutions; choose one of {['auto', *nets.dcgan.TRANSPOSED_FORMS]}")
    if not translation_data.is_translation_data(d.name):
        raise ConfigError(f"game.name={game!r} needs translation data (data.name one of "
                          f"{sorted(translation_data.TASKS)}, {translation_data.PAIRS_NPZ!r} or 'cycle_gan/NAME'), "
                          f"got {d.name!r}")
    if game == "pix2pix" and not translation_data.is_paired(d.name):
        raise ConfigError(f"game.name='pix2pix' learns from aligned pairs; data.name={d.name!r} is unpaired "
                          "(use game.name='cyclegan')")
    if d.name.startswith(translation_data.CYCLE_GAN_PREFIX) and d.source != "tfds":
        raise ConfigError(f"data.name={d.name!r} is a TFDS dataset: data.source must be 'tfds', got {d.source!r}")
    if d.name in translation_data.TASKS and d.source not in ("idx", "tfds"):
        raise ConfigError(f"data.name={d.name!r} is made from MNIST / Fashion-MNIST: data.source must be 'idx' "
                          f"(data.dir holding mnist/ and fashion_mnist/) or 'tfds', got {d.source!r}")
    if d.name == translation_data.PAIRS_NPZ and not d.dir:
        raise ConfigError("data.name='pairs_npz' needs data.dir (the .npz file)")
    want = TRANSLATION_LOSSES[game]
    if config.loss != want:
        raise ConfigError(f"game.name={game!r} is defined with loss={want!r}; got loss={config.loss!r}")
    if config.n_critic != 1:
        raise ConfigError(f"game.name={game!r} makes one discriminator update per step; n_critic must be 1, got {config.n_critic}")
    others = [name for name, value in (("penalties", any(w > 0 for w in config.penalties.values())),
                                       ("clip_bound", config.clip_bound > 0),
                                       ("historical_averaging", config.historical_averaging > 0),
                                       ("model.packing", config.model.packing > 1),
                                       ("model.d_minibatch_kernels", config.model.d_minibatch_kernels > 0),
                                       ("model.d_minibatch_std", config.model.d_minibatch_std)) if value]
    if others:
        raise ConfigError(f"{others} are options of game.name='gan', not of the translation game {game!r}")
    if config.eval.metrics != "auto":
        raise ConfigError(f"translation runs are measured by jaxgan.translation_evaluation (held-out L1/PSNR, cycle "
                          f"error, domain accuracy); eval.metrics must be 'auto', got {config.eval.metrics!r}")
    source_shape, target_shape = translation_shapes(config)
    if game == "cyclegan" and source_shape != target_shape:
        raise ConfigError(f"game.name='cyclegan' needs both domains of one shape, got A {source_shape} and B {target_shape}")
    size = source_shape[0]
    if source_shape[0] != source_shape[1]:
        raise ConfigError(f"translation images must be square, got {source_shape}")
    if translation_choice(config, "generator") == "unet":
        depth = unet_depth(config)
        if size % 2**depth:
            raise ConfigError(f"translation.unet_depth={depth} halves {depth} times; {size}-pixel images are not divisible "
                              f"by {2**depth}")
    elif size % 4:
        raise ConfigError(f"the ResNet translator downsamples twice; image size {size} must be divisible by 4")


def unet_depth(config):
    """translation.unet_depth, with 0 = log2(image size) (a 1 x 1 bottleneck, the paper's)."""
    depth = config.translation.unet_depth
    return depth or int(translation_shapes(config)[0][0]).bit_length() - 1


def translation_shapes(config):
    """(source / domain A shape, target / domain B shape) of translation data."""
    d = config.data
    return translation_data.translation_shapes(d.name, source=d.source, directory=d.dir, image_size=d.image_size)


def validate(config):
    """Raise `ConfigError` for unknown keys, bad values or impossible combinations."""
    _check_keys(config, base_config())
    if not translation_data.is_translation_data(config.data.name):
        _one_of(config.data.name, DATASETS, "data.name")
    _one_of(config.model.name, MODELS, "model.name")
    _one_of(config.model.dtype, DTYPES, "model.dtype")
    _one_of(config.model.upsample, ("auto",) + nets.dcgan.UPSAMPLING, "model.upsample")
    _one_of(config.model.d_conv, ("auto",) + nets.dcgan.CONVOLUTIONS, "model.d_conv")
    _one_of(config.data.source, image_data.SOURCES, "data.source")
    _validate_data_and_model(config)
    _validate_game(config)
    _validate_translation(config)
    _validate_eval(config)
    _one_of(config.loss, LOSSES, "loss")
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


SYNTHETIC = ("ring", "grid")


def is_image(config):
    return config.data.name not in SYNTHETIC


def open_split(config, split):
    """Random-access real images of `split` ("train" / "test") for an image config."""
    d = config.data
    source = d.name if d.name in ("npz", "folder") else d.source
    return image_data.open_images(d.name, split, source=source, path=d.dir or None)


def data_shape(config):
    """Shape of one example: (2,) for the 2D mixtures, (H, W, C) for images."""
    if not is_image(config):
        return (2,)
    if translation_data.is_translation_data(config.data.name):
        return translation_shapes(config)[1]
    if config.data.name in image_data.IMAGE_DATASETS:
        spec = image_data.IMAGE_DATASETS[config.data.name]
        return (spec.size, spec.size, spec.channels)
    return tuple(open_split(config, "train").shape)


def upsampling(config, backend_name=None):
    """`model.upsample`, where "auto" is the backend's fastest form of the paper's transposed
    convolution (`backend.choices(backend_name).upsample`)."""
    if config.model.upsample != "auto":
        return config.model.upsample
    return backend.choices(backend_name).upsample


def critic_convolution(config, backend_name=None):
    """The DCGAN critic's convolution: `model.d_conv`, where "auto" is the backend's measured
    choice (`backend.choices`) for a critic that a gradient penalty differentiates twice or for
    one differentiated once (on XLA:CPU: "matmul" with a penalty, "xla" without)."""
    if config.model.d_conv != "auto":
        return config.model.d_conv
    chosen = backend.choices(backend_name)
    penalized = any(weight > 0 for weight in config.penalties.values())
    return chosen.critic_conv_with_penalty if penalized else chosen.critic_conv


def build_models(config, *, axis_name=None):
    """(generator, discriminator) flax modules for `config.model`, `config.data` and `config.game`."""
    m, game = config.model, config.game
    if is_translation(config):
        return _translation_models(config, axis_name)
    shape = data_shape(config)
    if game.name == "aae":
        generator = nets.AdversarialAutoencoder(
            image_shape=shape, code_dim=m.latent_dim, num_classes=game.num_classes if game.aae_mode != "unsupervised" else 0,
            infer_class=game.aae_mode == "semi_supervised", hidden=tuple(m.g_hidden))
        return generator, nets.CodeDiscriminators(hidden=tuple(m.d_hidden))
    generator, discriminator = _unconditional_models(config, shape, axis_name, features_only=game.name != "gan")
    if game.name == "gan":
        return generator, discriminator
    return generator, nets.AuxiliaryDiscriminator(
        body=discriminator,
        num_classes=game.num_classes,
        conditioning=game.conditioning if game.name == "cgan" else "none",
        class_head={"acgan": "separate", "semi_supervised": game.semi_supervised_head}.get(game.name, "none"),
        categorical_codes=game.categorical_codes if game.name == "infogan" else 0,
        continuous_codes=game.continuous_codes if game.name == "infogan" else 0,
        concat_as_channels=m.name != "mlp",
        feature_noise=m.d_hidden_noise,
        head_weight_norm_data_init=m.d_weight_norm_data_init,
    )


def _translation_models(config, axis_name):
    t, m = config.translation, config.model
    channels = data_shape(config)[-1]
    norm = translation_choice(config, "norm")
    dtype = DTYPES[m.dtype]

    def translator(out_channels):
        if translation_choice(config, "generator") == "unet":
            return nets.UNetGenerator(channels=out_channels, width=m.g_width, depth=unet_depth(config), norm=norm,
                                      dropout=t.dropout, axis_name=axis_name, dtype=dtype, upsample=upsampling(config))
        return nets.ResNetTranslator(channels=out_channels, width=m.g_width, num_blocks=t.resnet_blocks, norm=norm,
                                     axis_name=axis_name, dtype=dtype, upsample=upsampling(config))

    patchgan = lambda: nets.PatchGAN(width=m.d_width, num_layers=t.patch_layers, norm=norm, axis_name=axis_name,
                                     dtype=dtype)
    if config.game.name == "pix2pix":
        return translator(channels), patchgan()
    source_channels = translation_shapes(config)[0][-1]
    return (nets.CycleGenerators(translator(channels), translator(source_channels)),
            nets.DomainDiscriminators(patchgan(), patchgan()))


def _unconditional_models(config, shape, axis_name, features_only):
    m = config.model
    dtype = DTYPES[m.dtype]
    if m.name == "mlp":
        generator = nets.MLPGenerator(hidden=tuple(m.g_hidden), output_dim=shape[0], norm=m.g_norm, axis_name=axis_name,
                                      output_shape=shape if is_image(config) else None, init_std=m.init_std,
                                      activation=m.g_activation, output_weight_norm=m.g_output_weight_norm,
                                      dtype=dtype)
        discriminator = nets.MLPDiscriminator(
            hidden=tuple(m.d_hidden),
            norm=m.d_norm,
            axis_name=axis_name,
            spectral_norm=m.d_spectral_norm,
            maxout_pieces=m.d_maxout_pieces,
            minibatch_kernels=m.d_minibatch_kernels,
            minibatch_std=m.d_minibatch_std,
            weight_norm=m.d_weight_norm,
            weight_norm_data_init=m.d_weight_norm_data_init,
            activation=m.d_activation,
            input_noise=m.d_input_noise,
            hidden_noise=m.d_hidden_noise,
            features_only=features_only,
            init_std=m.init_std,
            dtype=dtype,
        )
    elif m.name == "dcgan":
        generator = nets.DCGANGenerator(size=shape[0], channels=shape[-1], width=m.g_width, upsample=upsampling(config),
                                        axis_name=axis_name, dtype=dtype)
        discriminator = nets.DCGANDiscriminator(size=shape[0], width=m.d_width, norm=m.d_norm,
                                                spectral_norm=m.d_spectral_norm, axis_name=axis_name, dtype=dtype,
                                                features_only=features_only, conv=critic_convolution(config))
    else:
        generator = nets.ResNetGenerator(channels=shape[-1], width=m.g_width, axis_name=axis_name, dtype=dtype)
        discriminator = nets.ResNetDiscriminator(width=m.d_width, features_only=features_only, dtype=dtype)
    if m.packing > 1:
        discriminator = nets.Packed(inner=discriminator, num_packed=m.packing)
    return generator, discriminator


def learning_rate(opt, num_steps):
    """The learning rate (a float, or an optax schedule of the update count) of `opt`."""
    if opt.schedule == "constant":
        return opt.learning_rate
    start = int(round(opt.decay_start * num_steps))
    return optax.join_schedules(
        [optax.constant_schedule(opt.learning_rate),
         optax.linear_schedule(opt.learning_rate, 0.0, max(num_steps - start, 1))], [start])


def build_optimizer(opt, num_steps=None):
    """The optax transformation of `optimizer.g` / `optimizer.d`; `num_steps` (train.num_steps)
    is needed by the linear_decay schedule."""
    if opt.schedule != "constant" and num_steps is None:
        raise ValueError(f"schedule {opt.schedule!r} needs num_steps")
    rate = learning_rate(opt, num_steps)
    if opt.name == "adam":
        return optax.adam(rate, b1=opt.b1, b2=opt.b2, eps=opt.eps, eps_root=opt.eps_root)
    if opt.name == "rmsprop":
        return optax.rmsprop(rate, decay=opt.decay)
    return optax.sgd(rate)


def build_optimizers(config):
    """(g_tx, d_tx) of a config. A schedule runs over each player's own number of updates: the
    generator's `train.num_steps`, the discriminator's `train.num_steps * n_critic` (it updates
    n_critic times per step), so that both decay over the whole run."""
    return (build_optimizer(config.optimizer.g, config.train.num_steps),
            build_optimizer(config.optimizer.d, config.train.num_steps * config.n_critic))


def per_example_discriminator(config):
    """Whether D scores each example on its own (no BatchNorm, minibatch features, packing or
    spectral norm, whose power iteration advances once per call), so that one D pass over
    concatenated batches is the same function as one pass per batch (`make_game_step`'s
    `joint_batches`)."""
    m = config.model
    return (m.name in ("mlp", "dcgan") and m.d_norm == "none" and not m.d_spectral_norm and not m.d_minibatch_kernels
            and not m.d_minibatch_std and m.packing == 1)


def build_prior(config):
    """The latent prior of a game (`latents.Prior`); None for the unconditional GAN (N(0, I))."""
    game = config.game
    z = config.model.latent_dim
    if game.name == "gan":
        return None
    if game.name in ("cgan", "acgan") or (game.name == "aae" and game.aae_mode != "unsupervised"):
        return Prior(noise_dim=z, num_classes=game.num_classes)
    if game.name == "infogan":
        return Prior(noise_dim=z, num_classes=game.categorical_codes, continuous_codes=game.continuous_codes)
    return Prior(noise_dim=z)


def latent_dim(config):
    prior = build_prior(config)
    return config.model.latent_dim if prior is None else prior.latent_dim


def generator_input_shape(config):
    """Shape of one generator input: the latent vector, or the source image of a translation."""
    return translation_shapes(config)[0] if is_translation(config) else (latent_dim(config),)


def initial_pools(config):
    """`TrainState.pools` of a fresh run: CycleGAN's two history pools, else None."""
    if config.game.name != "cyclegan":
        return None
    a_shape, b_shape = translation_shapes(config)
    size = config.translation.pool_size
    return {"a": init_pool(size, a_shape), "b": init_pool(size, b_shape)}


def sample_latent(config):
    """`sample_latent(key, shape)` for `steps.generate`: the game's prior."""
    prior = build_prior(config)
    return normal_latent if prior is None else prior.sample_latent


def discriminator_example(config):
    """A zero input of the discriminator's structure (for `state.create`)."""
    game = config.game
    if is_translation(config):
        a, b = (jnp.zeros((1,) + shape, jnp.float32) for shape in translation_shapes(config))
        return (a, b) if game.name == "pix2pix" else {"a": a, "b": b}
    x = jnp.zeros((config.model.packing,) + data_shape(config), jnp.float32)
    if game.name == "cgan":
        return x, jnp.zeros((config.model.packing,), jnp.int32)
    if game.name == "aae":
        codes = {"style": jnp.zeros((1, config.model.latent_dim))}
        if game.aae_mode == "semi_supervised":
            codes["category"] = jnp.zeros((1, game.num_classes))
        return codes
    return x


def build_step(config, *, axis_name=None):
    """The pure step for `config` (`jaxgan.steps.make_step`, or `jaxgan.games` for the games)."""
    d_loss, g_loss = LOSSES[config.loss]
    penalties = [Penalty(name, PENALTIES[name], weight) for name, weight in config.penalties.items() if weight > 0]
    game, t = config.game, config.translation
    if game.name == "pix2pix":
        return make_pix2pix_step(l1_weight=t.l1_weight, ema_decay=config.ema_decay or None, axis_name=axis_name)
    if game.name == "cyclegan":
        return make_cyclegan_step(cycle_weight=t.cycle_weight, identity_weight=t.identity_weight,
                                  ema_decay=config.ema_decay or None, axis_name=axis_name)
    if game.name == "aae":
        return make_aae_step(mode=game.aae_mode, prior=build_prior(config), adversarial_weight=game.adversarial_weight,
                             class_weight=game.class_weight, ema_decay=config.ema_decay or None, axis_name=axis_name)
    if game.name != "gan":
        return make_game_step(
            game=game.name, prior=build_prior(config), d_loss=d_loss, g_loss=g_loss, class_weight=game.class_weight,
            info_weights=(game.categorical_weight, game.continuous_weight),
            semi_supervised_head=game.semi_supervised_head, g_objective=game.g_objective,
            unlabeled_weight=game.unlabeled_weight, d_average_decay=game.d_average_decay or None, penalties=penalties,
            joint_batches=per_example_discriminator(config), n_critic=config.n_critic,
            ema_decay=config.ema_decay or None, axis_name=axis_name)
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

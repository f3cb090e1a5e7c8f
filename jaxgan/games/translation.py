"""What the image-to-image translation games (Pix2Pix, CycleGAN) share: their networks, built from
the `translation` config group; their checks, data source, batches and the `Game` factory."""

from typing import Any

import flax.linen as nn
import jax

from jaxgan import data
from jaxgan.data import Source
from jaxgan.data import translation as translation_data
from jaxgan.data.translation import TranslationSource
from jaxgan.games.settings import one_of, positive_int, reject, weights
from jaxgan.games.spec import Batch, Config, Game, ModelsFactory, StepFactory, leading_axes, no_extras, no_prior
from jaxgan.nets.dcgan import TRANSPOSED_FORMS
from jaxgan.nets.family import DTYPES, upsampling
from jaxgan.nets.translation import NORMS as TRANSLATION_NORMS
from jaxgan.nets.translation import PatchGAN, ResNetTranslator, UNetGenerator

# The model keys the translation networks read (they are the games' own, whatever model.name says).
MODEL_KEYS = ("g_width", "d_width", "upsample")
BATCH_KEYS = {"pix2pix": ("source", "target"), "cyclegan": ("a", "b")}


def patches(logits) -> jax.Array:
    """Patch logits (B, h, w, 1) -> (B * h * w,): every patch is one example of the loss, whose mean
    over the batch is then the mean over images and patches (Isola et al. 2017, Sec. 3.2.2)."""
    return logits.reshape(-1)


def check_image_batch(game, batch, keys) -> None:
    """Raise unless `batch` has exactly `keys`, each (1, B, H, W, C); pairs must match in B, H, W."""
    if sorted(batch) != sorted(keys):
        raise ValueError(f"game {game!r} takes a batch with keys {list(keys)}, got {sorted(batch)}")
    shapes = {name: batch[name].shape for name in keys}
    for name, shape in shapes.items():
        if len(shape) != 5 or shape[0] != 1:
            raise ValueError(f"batch[{name!r}] must be (1, B, H, W, C) (one critic update of NHWC images), got {shape}")
    if game == "pix2pix" and shapes["source"][:4] != shapes["target"][:4]:
        raise ValueError(
            f"pix2pix pairs: source {shapes['source']} and target {shapes['target']} must match in B, H, W"
        )


def translation_choice(config, key) -> str:
    """translation.generator / translation.norm with "auto" resolved for the game: Pix2Pix's U-Net
    with BatchNorm, CycleGAN's ResNet with InstanceNorm."""
    value = config.translation[key]
    if value != "auto":
        return value
    pix2pix = config.game.name == "pix2pix"
    return {"generator": "unet" if pix2pix else "resnet", "norm": "batch" if pix2pix else "instance"}[key]


def unet_depth(config) -> int:
    """translation.unet_depth, with 0 = log2(image size) (a 1 x 1 bottleneck, the paper's)."""
    depth = config.translation.unet_depth
    return depth or int(data.translation_shapes(config.data)[0][0]).bit_length() - 1


def translator(config, out_channels, axis_name=None) -> nn.Module:
    """The generator of one direction: a U-Net or a ResNet translator."""
    t, m = config.translation, config.model
    norm, dtype, upsample = translation_choice(config, "norm"), DTYPES[m.dtype], upsampling(m)
    if translation_choice(config, "generator") == "unet":
        return UNetGenerator(channels=out_channels, width=m.g_width, depth=unet_depth(config), norm=norm,
                             dropout=t.dropout, axis_name=axis_name, dtype=dtype, upsample=upsample)
    return ResNetTranslator(channels=out_channels, width=m.g_width, num_blocks=t.resnet_blocks, norm=norm,
                            axis_name=axis_name, dtype=dtype, upsample=upsample)


def patch_discriminator(config, axis_name=None) -> nn.Module:
    return PatchGAN(width=config.model.d_width, num_layers=config.translation.patch_layers,
                    norm=translation_choice(config, "norm"), axis_name=axis_name, dtype=DTYPES[config.model.dtype])


# The losses each translation game is defined with (Isola et al. 2017; Zhu et al. 2017, Sec. 4).
DEFINING_LOSS = {"pix2pix": "non_saturating", "cyclegan": "least_squares"}


def validate_translation(config) -> None:
    """What both translation games need: translation data of a square shape, their own loss, one
    critic update and networks that fit the images."""
    t, d, game = config.translation, config.data, config.game.name
    one_of(t.generator, ("auto", "unet", "resnet"), "translation.generator")
    one_of(t.norm, ("auto",) + TRANSLATION_NORMS, "translation.norm")
    weights(t, ("l1_weight", "cycle_weight", "identity_weight"), "translation")
    reject(int(t.pool_size) != t.pool_size or t.pool_size < 0,
           f"translation.pool_size must be an integer >= 0 (0 = no pool), got {t.pool_size!r}")
    reject(not 0.0 <= t.dropout < 1.0, f"translation.dropout must be in [0, 1), got {t.dropout}")
    positive_int(t.patch_layers, "translation.patch_layers")
    positive_int(t.resnet_blocks, "translation.resnet_blocks")
    reject(int(t.unet_depth) != t.unet_depth or t.unet_depth < 0,
           f"translation.unet_depth must be an integer >= 0 (0 = down to 1x1), got {t.unet_depth!r}")
    reject(config.model.upsample not in ("auto",) + tuple(TRANSPOSED_FORMS),
           f"model.upsample={config.model.upsample!r}: the translation networks use the papers' transposed "
           f"convolutions; choose one of {['auto', *TRANSPOSED_FORMS]}")
    reject(not translation_data.is_translation_data(d.name),
           f"game.name={game!r} needs translation data (data.name one of {sorted(translation_data.TASKS)}, "
           f"{translation_data.PAIRS_NPZ!r} or 'cycle_gan/NAME'), got {d.name!r}")
    reject(
        game == "pix2pix" and not translation_data.is_paired(d.name),
        f"game.name='pix2pix' learns from aligned pairs; data.name={d.name!r} is unpaired (use game.name='cyclegan')",
    )
    reject(d.name.startswith(translation_data.CYCLE_GAN_PREFIX) and d.source != "tfds",
           f"data.name={d.name!r} is a TFDS dataset: data.source must be 'tfds', got {d.source!r}")
    reject(d.name in translation_data.TASKS and d.source not in ("idx", "tfds"),
           f"data.name={d.name!r} is made from MNIST / Fashion-MNIST: data.source must be 'idx' (data.dir holding "
           f"mnist/ and fashion_mnist/) or 'tfds', got {d.source!r}")
    reject(d.name == translation_data.PAIRS_NPZ and not d.dir, "data.name='pairs_npz' needs data.dir (the .npz file)")
    want = DEFINING_LOSS[game]
    reject(config.loss != want, f"game.name={game!r} is defined with loss={want!r}; got loss={config.loss!r}")
    reject(config.n_critic != 1,
           f"game.name={game!r} makes one discriminator update per step; n_critic must be 1, got {config.n_critic}")
    reject(config.eval.metrics != "auto",
           f"translation runs are measured by jaxgan.evaluation.translation (held-out L1/PSNR, cycle error, domain "
           f"accuracy); eval.metrics must be 'auto', got {config.eval.metrics!r}")
    source_shape, target_shape = data.translation_shapes(d)
    reject(game == "cyclegan" and source_shape != target_shape,
           f"game.name='cyclegan' needs both domains of one shape, got A {source_shape} and B {target_shape}")
    size = source_shape[0]
    reject(source_shape[0] != source_shape[1], f"translation images must be square, got {source_shape}")
    if translation_choice(config, "generator") == "unet":
        depth = unet_depth(config)
        reject(size % 2**depth, f"translation.unet_depth={depth} halves {depth} times; {size}-pixel images are not "
                                f"divisible by {2**depth}")
    else:
        reject(size % 4, f"the ResNet translator downsamples twice; image size {size} must be divisible by 4")


def translation_source(config: Config, **common) -> Source:
    d = config.data
    a, b = translation_data.open_translation(d.name, "train", source=d.source, directory=d.dir,
                                             image_size=d.image_size)
    # CycleGAN reads even paired data in independent orders: it must not see the pairing.
    return TranslationSource(a, b, paired=config.game.name == "pix2pix" and translation_data.is_paired(d.name),
                             **common)


def translation_batch(config: Config, key: jax.Array, *, batch_size: int, fused: int) -> Batch:
    """Random image pairs of the data's shapes (domain A / source, domain B / target)."""
    lead = leading_axes(config, fused, n_critic=1)
    shapes = data.translation_shapes(config.data)
    return {name: jax.random.uniform(jax.random.fold_in(key, i), lead + (batch_size,) + tuple(shape),
                                     minval=-1, maxval=1)
            for i, (name, shape) in enumerate(zip(BATCH_KEYS[config.game.name], shapes, strict=True))}


def held_out_sources(config: Config, num: int) -> jax.Array:
    """The first `num` test sources (domain A) in [-1, 1]: what a translation run's samples translate."""
    d = config.data
    return translation_data.held_out(d.name, num, source=d.source, directory=d.dir, image_size=d.image_size)[0]


def translation_game(name: str, *, defaults: dict[str, Any], models: ModelsFactory, step: StepFactory,
                     discriminator_example, evaluator: str, extras=no_extras) -> Game:
    return Game(
        name=name, defaults=defaults, validate=validate_translation, models=models, step=step, prior=no_prior,
        generator_input_shape=lambda config: data.translation_shapes(config.data)[0],
        discriminator_example=discriminator_example, extras=extras, source=translation_source,
        example_batch=translation_batch, evaluators=lambda config: (evaluator,), model_keys=MODEL_KEYS,
        held_out_inputs=held_out_sources)


# generator: "auto" = unet (pix2pix) / resnet (cyclegan); unet_depth 0 = down to 1x1; norm "auto" =
# batch (pix2pix) / instance (cyclegan). The games fix their losses: Pix2Pix BCE + l1_weight * L1,
# CycleGAN LSGAN + cycle and identity terms.
TRANSLATION_DEFAULTS = {"translation.generator": "auto", "translation.unet_depth": 0, "translation.resnet_blocks": 9,
                        "translation.patch_layers": 3, "translation.norm": "auto", "translation.dropout": 0.5}

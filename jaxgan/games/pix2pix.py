"""Pix2Pix (Isola et al. 2017): image-to-image translation from aligned pairs, a conditional GAN
on (source, image) pairs with an L1 term.

The generator slot holds the translator (`nets.UNetGenerator`), the discriminator slot
`nets.PatchGAN` on (source, image) pairs. Batches: {"source": (1, B, H, W, C),
"target": (1, B, H, W, C)}, aligned pairs.
"""

import jax
import jax.numpy as jnp
from jax import lax

from jaxgan import data
from jaxgan.data import translation as translation_data
from jaxgan.data.translation import TranslationSource
from jaxgan.games._core import (NOISE_SALT, Game, apply, ema, gan_only_options, mean_over_devices, no_extras, no_labels,
                                one_of, optional, player_update, positive_int, reject, step_key, weights)
from jaxgan.losses import l1_loss, minimax_discriminator_loss, non_saturating_generator_loss
from jaxgan.nets.dcgan import TRANSPOSED_FORMS
from jaxgan.nets.registry import DTYPES, upsampling
from jaxgan.nets.translation import NORMS as TRANSLATION_NORMS
from jaxgan.nets.translation import PatchGAN, ResNetTranslator, UNetGenerator

BATCH_KEYS = ("source", "target")


def patches(logits):
    """Patch logits (B, h, w, 1) -> (B * h * w,): every patch is one example of the loss, whose mean
    over the batch is then the mean over images and patches (Isola et al. 2017, Sec. 3.2.2)."""
    return logits.reshape(-1)


def check_image_batch(game, batch, keys):
    """Raise unless `batch` has exactly `keys`, each (1, B, H, W, C); pairs must match in B, H, W."""
    if sorted(batch) != sorted(keys):
        raise ValueError(f"game {game!r} takes a batch with keys {list(keys)}, got {sorted(batch)}")
    shapes = {name: batch[name].shape for name in keys}
    for name, shape in shapes.items():
        if len(shape) != 5 or shape[0] != 1:
            raise ValueError(f"batch[{name!r}] must be (1, B, H, W, C) (one critic update of NHWC images), got {shape}")
    if game == "pix2pix" and shapes["source"][:4] != shapes["target"][:4]:
        raise ValueError(f"pix2pix pairs: source {shapes['source']} and target {shapes['target']} must match in B, H, W")


def make_pix2pix_step(*, l1_weight=100.0, d_scale=0.5, ema_decay=None, axis_name=None):
    """A Pix2Pix step (Isola et al. 2017, Eq. 1-4): conditional GAN with an L1 term.

    1. fake = G(x) (dropout on, the generator's noise).
    2. D, on (source, image) pairs, minimizes d_scale * BCE(D(x, y) real, D(x, G(x)) fake);
       d_scale = 1/2 is the paper's ("we divide the objective by 2 while optimizing D", Sec. 3.3).
    3. G minimizes -log D(x, G(x)) (the non-saturating form, Sec. 3.3) + l1_weight * |y - G(x)|
       (Eq. 3-4, lambda = 100), against the updated D. G's forward pass of step 1 is reused
       through `jax.vjp`, so G runs forward once per step.

    Metrics: `d_loss` (BCE, unscaled), `g_loss` (adversarial), `l1`, `g_total`, `real_logit`,
    `fake_logit` (patch means).
    """
    if l1_weight < 0:
        raise ValueError(f"l1_weight must be >= 0, got {l1_weight}")

    def step(state, batch):
        check_image_batch("pix2pix", batch, BATCH_KEYS)
        source, target = batch["source"][0], batch["target"][0]
        noise = jax.random.fold_in(step_key(state), NOISE_SALT)

        def translate(params):
            return apply(state.generator, params, state.g_state, source, train=True,
                          noise_key=jax.random.fold_in(noise, 0))

        fake, pullback, g_state = jax.vjp(translate, state.g_params, has_aux=True)
        fake_input = lax.stop_gradient(fake)

        def d_loss_fn(params):
            real_logits, d_state = apply(state.discriminator, params, state.d_state, (source, target), train=True)
            fake_logits, d_state = apply(state.discriminator, params, d_state, (source, fake_input), train=True)
            loss = minimax_discriminator_loss(patches(real_logits), patches(fake_logits))
            return d_scale * loss, (loss, d_state, jnp.mean(real_logits), jnp.mean(fake_logits))

        (_, (d_value, d_state, real_mean, fake_mean)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(state.d_params)
        d_value, real_mean, fake_mean = mean_over_devices((d_value, real_mean, fake_mean), axis_name)
        d_params, d_opt_state = player_update(state.d_tx, d_grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)

        def g_loss_fn(image):
            logits, _ = apply(state.discriminator, d_params, d_state, (source, image), train=True)
            adversarial = non_saturating_generator_loss(None, patches(logits))
            l1 = l1_loss(target, image)
            return adversarial + l1_weight * l1, (adversarial, l1)

        (g_total, (adversarial, l1)), image_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(fake)
        (g_grads,) = pullback(image_grads)
        g_total, adversarial, l1 = mean_over_devices((g_total, adversarial, l1), axis_name)
        g_params, g_opt_state = player_update(state.g_tx, g_grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        state = state.replace(
            step=state.step + 1, g_params=g_params, g_state=g_state, g_opt_state=g_opt_state, d_params=d_params,
            d_state=d_state, d_opt_state=d_opt_state, ema_params=ema(ema_decay, state.ema_params, g_params))
        return state, {"d_loss": d_value, "g_loss": adversarial, "l1": l1, "g_total": g_total,
                       "real_logit": real_mean, "fake_logit": fake_mean}

    return step


# The translation games' `Game` specs (CycleGAN shares these).

def translation_choice(config, key):
    """translation.generator / translation.norm with "auto" resolved for the game: Pix2Pix's U-Net
    with BatchNorm, CycleGAN's ResNet with InstanceNorm."""
    value = config.translation[key]
    if value != "auto":
        return value
    pix2pix = config.game.name == "pix2pix"
    return {"generator": "unet" if pix2pix else "resnet", "norm": "batch" if pix2pix else "instance"}[key]


def unet_depth(config):
    """translation.unet_depth, with 0 = log2(image size) (a 1 x 1 bottleneck, the paper's)."""
    depth = config.translation.unet_depth
    return depth or int(data.translation_shapes(config.data)[0][0]).bit_length() - 1


def translator(config, out_channels, axis_name=None):
    """The generator of one direction: a U-Net or a ResNet translator."""
    t, m = config.translation, config.model
    norm, dtype, upsample = translation_choice(config, "norm"), DTYPES[m.dtype], upsampling(m)
    if translation_choice(config, "generator") == "unet":
        return UNetGenerator(channels=out_channels, width=m.g_width, depth=unet_depth(config), norm=norm,
                             dropout=t.dropout, axis_name=axis_name, dtype=dtype, upsample=upsample)
    return ResNetTranslator(channels=out_channels, width=m.g_width, num_blocks=t.resnet_blocks, norm=norm,
                            axis_name=axis_name, dtype=dtype, upsample=upsample)


def patch_discriminator(config, axis_name=None):
    return PatchGAN(width=config.model.d_width, num_layers=config.translation.patch_layers,
                    norm=translation_choice(config, "norm"), axis_name=axis_name, dtype=DTYPES[config.model.dtype])


# The losses each translation game is defined with (Isola et al. 2017; Zhu et al. 2017, Sec. 4).
DEFINING_LOSS = {"pix2pix": "non_saturating", "cyclegan": "least_squares"}


def validate_translation(config):
    """What both translation games need: translation data of a square shape, their own loss, one
    critic update, none of the unconditional GAN's options, and networks that fit the images."""
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
    reject(game == "pix2pix" and not translation_data.is_paired(d.name),
           f"game.name='pix2pix' learns from aligned pairs; data.name={d.name!r} is unpaired (use game.name='cyclegan')")
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
    others = gan_only_options(config)
    reject(others, f"{others} are options of game.name='gan', not of the translation game {game!r}")
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


def translation_source(config, **common):
    d = config.data
    a, b = translation_data.open_translation(d.name, "train", source=d.source, directory=d.dir,
                                             image_size=d.image_size)
    # CycleGAN reads even paired data in independent orders: it must not see the pairing.
    return TranslationSource(a, b, paired=config.game.name == "pix2pix" and translation_data.is_paired(d.name),
                             **common)


def translation_game(name, *, defaults, models, step, discriminator_example, evaluator, extras=no_extras):
    return Game(
        name=name, defaults=defaults, validate=validate_translation, models=models, step=step,
        prior=lambda config: None,
        generator_input_shape=lambda config: data.translation_shapes(config.data)[0],
        discriminator_example=discriminator_example, extras=extras,
        batch_keys=lambda config: BATCH_KEYS if name == "pix2pix" else ("a", "b"),
        labels=no_labels, source=translation_source, evaluators=lambda config: (evaluator,))


def _zeros(config):
    return tuple(jnp.zeros((1,) + shape, jnp.float32) for shape in data.translation_shapes(config.data))


# generator: "auto" = unet (pix2pix) / resnet (cyclegan); unet_depth 0 = down to 1x1; norm "auto" =
# batch (pix2pix) / instance (cyclegan). The games fix their losses: Pix2Pix BCE + l1_weight * L1,
# CycleGAN LSGAN + cycle and identity terms.
TRANSLATION_DEFAULTS = {"translation.generator": "auto", "translation.unet_depth": 0, "translation.resnet_blocks": 9,
                        "translation.patch_layers": 3, "translation.norm": "auto", "translation.dropout": 0.5}

GAME = translation_game(
    "pix2pix", defaults={**TRANSLATION_DEFAULTS, "translation.l1_weight": 100.0},
    models=lambda config, axis_name=None: (translator(config, data.translation_shapes(config.data)[1][-1], axis_name),
                                           patch_discriminator(config, axis_name)),
    step=lambda config, axis_name=None: make_pix2pix_step(l1_weight=config.translation.l1_weight,
                                                          ema_decay=optional(config.ema_decay), axis_name=axis_name),
    discriminator_example=_zeros, evaluator="paired_translation")

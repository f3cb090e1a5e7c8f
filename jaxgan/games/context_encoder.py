"""The context encoder (Pathak, Krahenbuhl, Donahue, Darrell & Efros 2016, CVPR, "Context
Encoders: Feature Learning by Inpainting"; the authors' code, pathak22/context-encoder): a
generator fills a hole in an image from its context, trained on a masked L2 reconstruction loss
and an adversarial loss on the filled region, at the paper's weights 0.999 and 0.001 (Eq. 1-3).

L_rec = || M (.) (x - F((1 - M) (.) x)) ||^2 (Eq. 1), L_adv = max_D log D(x) + log(1 - D(F((1 -
M) (.) x))) (Eq. 2), L = lambda_rec L_rec + lambda_adv L_adv (Eq. 3). As the authors' code:
- the hole is filled with the data's mean before the generator sees it (`game.hole_fill`);
- "center" (the paper's central block): G predicts the central block, half the image side,
  whose inner part is the hole and whose border of `game.overlap` pixels (their overlapPred, 4
  of 64) it still sees; the L2 loss is the mean over the block with weight 1 in the hole and
  `game.context_weight` (their overlapL2Weight, 10) on the border; D judges the block alone;
- "random_region" (the paper's random region): smooth random blobs covering 20-30% of the
  image (`masks.random_region_holes`); G predicts the whole image; the L2 loss is the mean over
  it with weight 1 in the hole and `game.context_weight` elsewhere; D judges the whole output;
- the generator's learning rate is 10 times the discriminator's (set in the recipe).

Batches: {"x": (1, B, H, W, C)}, the training images. The generator slot holds
`nets.context_encoder.ContextEncoderGenerator` (masked image -> image with its predicted region
pasted in), the discriminator slot `RegionDiscriminator`. The samples of a run are held-out
(test split) images completed with its fills of their holes; `inpainting` measures them (L1, L2
and PSNR of the hole, the classifier's accuracy), `fid` their realism.

PyTorch-GAN's `context_encoder` departs from the paper: an L1 pixel loss, a least-squares
adversarial loss with a patch discriminator, 64-pixel squares at a random position, and one
learning rate for both players.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxgan import data, masks
from jaxgan.data.images import to_model_range
from jaxgan.games.settings import config_losses, ema_settings, image_source, one_of, reject, weights
from jaxgan.games.spec import Game, Step, no_prior, unconditional_batch
from jaxgan.games.steps import (
    CRITIC,
    apply,
    check_batch,
    example_keys,
    global_indices,
    mean_over_devices,
    player_update,
    step_key,
)
from jaxgan.losses import minimax_discriminator_loss, non_saturating_generator_loss
from jaxgan.nets.context_encoder import ContextEncoderGenerator, RegionDiscriminator
from jaxgan.nets.dcgan import TRANSPOSED_FORMS
from jaxgan.nets.family import DTYPES, upsampling
from jaxgan.techniques import ema

BATCH_KEYS = ("x",)
MASKS = ("center", "random_region")
HELD_OUT_SALT = 0  # the held-out images' masks come from jax.random.key(HELD_OUT_SALT): one set for every run


def region_of(mask: str, size: int) -> masks.Region:
    """The region the generator predicts: the central block, or the whole image."""
    one_of(mask, MASKS, "game.mask")
    return masks.center_region(size) if mask == "center" else masks.whole_region(size)


def holes(mask: str, key: jax.Array, indices: jax.Array, size: int, *, overlap: int) -> jax.Array:
    """The holes (B, size, size, 1) of the examples with global `indices`: the central block's
    inner part for every example, or one random region per example from fold_in(key, index)."""
    if mask == "center":
        return jnp.broadcast_to(masks.center_hole(size, overlap), (indices.shape[0], size, size, 1))
    return jax.vmap(lambda k: masks.random_region_holes(k, 1, size)[0])(example_keys(key, indices))


def reconstruction_weights(hole_in_region: jax.Array, context_weight: float) -> jax.Array:
    """Per-pixel weights of the L2 loss over the predicted region: 1 in the hole, `context_weight`
    on what the generator also saw."""
    return jnp.where(hole_in_region, 1.0, context_weight)


def make_context_encoder_step(*, mask: str = "center", overlap: int = 1, hole_fill: float = 0.0,
                              lambda_rec: float = 0.999, lambda_adv: float = 0.001,
                              context_weight: float = 10.0,
                              d_loss: Callable = minimax_discriminator_loss,
                              g_loss: Callable = non_saturating_generator_loss,
                              ema_decay: float | None = None, axis_name: str | None = None) -> Step:
    """A context encoder step (Pathak et al. 2016, Eq. 1-3, as the authors' train.lua /
    train_random.lua):

    1. holes M (the central block's inner part, or a random region per example), the masked
       input x_M = x with the hole set to `hole_fill`, and F(x_M) (G in training mode);
    2. D, on the predicted region R, minimizes d_loss(D(R(x)), D(R(F(x_M))));
    3. G minimizes lambda_rec * mean_R(w (F(x_M) - x)^2) + lambda_adv *
       g_loss(D(R(F(x_M)))) against the updated D, w = 1 in the hole and `context_weight` in
       the rest of R. G's forward pass of step 1 is reused through `jax.vjp`. (The authors'
       G gradient is also the updated D's; the loss value they print is the D's before.)

    `lambda_adv=0` is the paper's L2-only model (D still trains, and its logits tell how
    recognizable the fills are). Metrics: `d_loss`, `g_loss` (adversarial), `reconstruction`
    (the weighted L2), `hole_l2` (the mean squared error over the hole pixels, pixels in [-1,
    1]), `g_total`, `real_logit`, `fake_logit`.
    """
    one_of(mask, MASKS, "mask")
    for name, value in (("lambda_rec", lambda_rec), ("lambda_adv", lambda_adv),
                        ("context_weight", context_weight)):
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    if not -1.0 <= hole_fill <= 1.0:
        raise ValueError(f"hole_fill is a pixel value in the model's range [-1, 1], got {hole_fill}")

    def step(state, batch):
        check_batch("context_encoder", batch, BATCH_KEYS, 1)
        real = batch["x"][0]
        size = real.shape[1]
        region = region_of(mask, size)
        indices = global_indices(real.shape[0], axis_name)
        hidden = holes(mask, jax.random.fold_in(step_key(state), CRITIC), indices, size, overlap=overlap)
        masked = masks.fill(real, hidden, hole_fill)

        def complete(params):
            return apply(state.generator, params, state.g_state, masked, train=True)

        fake, pullback, g_state = jax.vjp(complete, state.g_params, has_aux=True)
        real_region, fake_region = region.crop(real), lax.stop_gradient(region.crop(fake))

        def d_loss_fn(params):
            real_logits, d_state = apply(state.discriminator, params, state.d_state, real_region, train=True)
            fake_logits, d_state = apply(state.discriminator, params, d_state, fake_region, train=True)
            return d_loss(real_logits, fake_logits), (d_state, jnp.mean(real_logits), jnp.mean(fake_logits))

        (d_value, (d_state, real_mean, fake_mean)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
            state.d_params)
        d_params, d_opt_state = player_update(state.d_tx, d_grads, state.d_opt_state, state.d_params,
                                              axis_name=axis_name)
        hole_region = region.crop(hidden)
        w = reconstruction_weights(hole_region, context_weight)

        def g_loss_fn(image):
            predicted = region.crop(image)
            logits, _ = apply(state.discriminator, d_params, d_state, predicted, train=True)
            adversarial = g_loss(None, logits)
            squared = jnp.square(predicted - real_region)
            reconstruction = jnp.mean(w * squared)
            total = lambda_rec * reconstruction + lambda_adv * adversarial
            # the hole's squared error and size per example: their ratio over the global batch
            hole_error = jnp.mean(jnp.where(hole_region, squared, 0.0).sum(axis=(1, 2, 3)))
            hole_size = jnp.mean(hole_region.sum(axis=(1, 2, 3)) * real.shape[-1])
            return total, (adversarial, reconstruction, hole_error, hole_size)

        (g_total, (adversarial, reconstruction, hole_error, hole_size)), image_grads = jax.value_and_grad(
            g_loss_fn, has_aux=True)(fake)
        (g_grads,) = pullback(image_grads)
        g_params, g_opt_state = player_update(state.g_tx, g_grads, state.g_opt_state, state.g_params,
                                              axis_name=axis_name)
        metrics = mean_over_devices({"d_loss": d_value, "g_loss": adversarial, "reconstruction": reconstruction,
                                     "hole_error": hole_error, "hole_size": hole_size, "g_total": g_total,
                                     "real_logit": real_mean, "fake_logit": fake_mean}, axis_name)
        metrics["hole_l2"] = metrics.pop("hole_error") / jnp.maximum(metrics.pop("hole_size"), 1.0)
        state = state.replace(
            step=state.step + 1, g_params=g_params, g_state=g_state, g_opt_state=g_opt_state, d_params=d_params,
            d_state=d_state, d_opt_state=d_opt_state,
            ema_params=ema(ema_decay, state.ema_params, g_params, state.step + 1))
        return state, metrics

    return step


# The `Game` spec: `game.mask`, `game.overlap`, `game.hole_fill`, `game.lambda_rec`,
# `game.lambda_adv`, `game.context_weight`, `game.bottleneck`; the networks are the game's
# own, with `model.g_width` (nef = ngf), `model.d_width` (ndf) and `model.upsample`.

MODEL_KEYS = ("g_width", "d_width", "upsample")


def validate_inpainting(config) -> None:
    """What the inpainting games (the context encoder, CCGAN) need: single square images of at
    least 16 pixels, a hole value in [-1, 1], the context encoder's generator options, one
    critic update per step."""
    g, d, name = config.game, config.data, config.game.name
    reject(not data.is_image(d) or data.is_translation_data(d),
           f"game.name={name!r} fills holes in images; data.name={d.name!r} is not an image dataset")
    reject(getattr(data.IMAGE_DATASETS.get(d.name), "coupled", False),
           f"game.name={name!r} takes single images; data.name={d.name!r} holds coupled pairs (CoGAN's)")
    shape = data.known_shape(d)
    reject(shape is not None and (shape[0] != shape[1] or shape[0] < 16),
           f"game.name={name!r} takes square images of at least 16 pixels, got {shape}")
    reject(not -1.0 <= g.hole_fill <= 1.0,
           f"game.hole_fill is the pixel value of the hole in the model's range [-1, 1], got {g.hole_fill}")
    reject(int(g.bottleneck) != g.bottleneck or g.bottleneck < 1,
           f"game.bottleneck must be a positive integer, got {g.bottleneck!r}")
    reject(config.model.upsample not in ("auto", *TRANSPOSED_FORMS),
           f"model.upsample={config.model.upsample!r}: the context encoder's generator uses the paper's transposed "
           f"convolutions; choose one of {['auto', *TRANSPOSED_FORMS]}")
    reject(config.n_critic != 1,
           f"game.name={name!r} makes one discriminator update per step; n_critic must be 1, got {config.n_critic}")


def inpainting_generator(config, region: masks.Region, axis_name=None) -> ContextEncoderGenerator:
    """The context encoder's generator of `config` (`model.g_width`, `game.bottleneck`)."""
    m = config.model
    return ContextEncoderGenerator(region=region, width=m.g_width, bottleneck=config.game.bottleneck,
                                   axis_name=axis_name, dtype=DTYPES[m.dtype], form=TRANSPOSED_FORMS[upsampling(m)])


def _validate(config):
    g = config.game
    validate_inpainting(config)
    one_of(g.mask, MASKS, "game.mask")
    weights(g, ("lambda_rec", "lambda_adv", "context_weight"), "game")
    reject(g.lambda_rec == 0, "game.lambda_rec must be > 0: the context encoder is trained to reconstruct the hole "
                              "(0.999 is the paper's)")
    reject(int(g.overlap) != g.overlap or g.overlap < 0, f"game.overlap must be an integer >= 0, got {g.overlap!r}")
    shape = data.known_shape(config.data)
    if shape is not None and g.mask == "center":
        side = masks.center_region(shape[0]).side
        reject(not 0 <= 2 * g.overlap < side, f"game.overlap={g.overlap} leaves no hole in the {side}-pixel central "
                                              f"block; expected an integer in [0, {(side - 1) // 2}]")
    reject(config.model.packing != 1, f"game.name='context_encoder' judges single regions; model.packing must be 1, "
                                      f"got {config.model.packing}")


def _models(config, axis_name=None):
    m, g = config.model, config.game
    size = data.example_shape(config.data)[0]
    return (inpainting_generator(config, region_of(g.mask, size), axis_name),
            RegionDiscriminator(width=m.d_width, axis_name=axis_name, dtype=DTYPES[m.dtype]))


def _step(config, axis_name=None):
    g = config.game
    d_loss, g_loss = config_losses(config)
    return make_context_encoder_step(mask=g.mask, overlap=g.overlap, hole_fill=g.hole_fill,
                                     lambda_rec=g.lambda_rec,
                                     lambda_adv=g.lambda_adv, context_weight=g.context_weight,
                                     d_loss=d_loss, g_loss=g_loss, ema_decay=ema_settings(config), axis_name=axis_name)


def test_images(config, num: int) -> np.ndarray:
    """The first `num` test images, in [-1, 1]."""
    test = data.open_split(config.data, "test")
    return to_model_range(test.take(np.arange(min(num, len(test)))))


def held_out_images(config, num: int) -> tuple[np.ndarray, jax.Array]:
    """The first `num` test images in [-1, 1] and their holes (from `HELD_OUT_SALT`, the same for
    every run of one `game.mask`)."""
    images = test_images(config, num)
    size = images.shape[1]
    hidden = holes(config.game.mask, jax.random.key(HELD_OUT_SALT), jnp.arange(len(images)), size,
                   overlap=config.game.overlap)
    return images, hidden


def held_out_inputs(config, num: int) -> jax.Array:
    """What a run's samples fill: the held-out images, masked."""
    images, hidden = held_out_images(config, num)
    return masks.fill(jnp.asarray(images), hidden, config.game.hole_fill)


def completions(held_out: Callable) -> Callable:
    """The `held_out_samples` of an inpainting game whose `held_out(config, num)` gives the
    held-out images and holes: the known pixels kept, the hole taken from the outputs."""

    def complete(config, outputs):
        images, hidden = held_out(config, outputs.shape[-4])
        return np.where(np.asarray(hidden), outputs, np.asarray(images))

    return complete


def _discriminator_example(config):
    size = data.example_shape(config.data)[0]
    side = region_of(config.game.mask, size).side
    return jnp.zeros((1, side, side, data.example_shape(config.data)[-1]), jnp.float32)


GAME: Game = Game(
    name="context_encoder",
    defaults={"game.mask": "center", "game.overlap": 1, "game.hole_fill": 0.0, "game.lambda_rec": 0.999,
              "game.lambda_adv": 0.001, "game.context_weight": 10.0, "game.bottleneck": 4000},
    validate=_validate, models=_models, step=_step, prior=no_prior,
    generator_input_shape=lambda config: data.example_shape(config.data),
    discriminator_example=_discriminator_example, extras=lambda config: None,
    source=lambda config, **common: image_source(config, with_labels=False, **common),
    example_batch=unconditional_batch, evaluators=lambda config: ("inpainting",), model_keys=MODEL_KEYS,
    held_out_inputs=held_out_inputs, held_out_samples=completions(held_out_images))

"""CCGAN, the context-conditional GAN (Denton, Gross & Fergus 2016, arXiv:1611.06430,
"Semi-Supervised Learning with Context-Conditional Generative Adversarial Networks"): the
semi-supervised GAN of Odena 2016 / Salimans et al. 2016 (`games.semi_supervised`) whose fakes
are not drawn from noise but in-painted: the generator fills a hole cut at a random position in
each training image, and the discriminator, a K + 1 class classifier, must tell the in-painted
images (class K + 1) from real ones while classifying the few labeled images (Sec. 3).

x_I = (1 - m) (.) x + m (.) G((1 - m) (.) x): the image with hole m (a `game.hole_side` square at
a uniformly random position, `masks.random_square_holes`; pixels in the hole set to
`game.hole_fill`) is completed with the generator's pixels in the hole only, so D cannot tell
fakes by their context. D's loss is the semi-supervised one (`losses.k_plus_one_discriminator_loss`:
cross-entropy of the labeled batch, the unlabeled batch as "not fake", x_I as "fake"); G's the
non-saturating loss on D's real-vs-fake logit of x_I. The in-painted images are those of the
unlabeled batch itself. The generator is the context encoder's (`nets.context_encoder`,
predicting the whole image), without a noise input as the context encoder's; the discriminator
the family's body (`model.name`) with the K + 1 class head.

Batches: {"x": unlabeled (1, B, ...), "x_labeled": (1, L, ...), "y_labeled": (1, L) int}. The
`test_error` evaluator scores D's classifier on the test split. Deviations, named: no CC-GAN^2
low-resolution input to G; MNIST-sized networks (the paper trains VGG-A' on STL-10 and PASCAL
VOC). PyTorch-GAN's `ccgan` departs further: it learns no classifier at all (D is a least-squares
PatchGAN on CIFAR-10) and G outputs the whole image, context included.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan import data, masks
from jaxgan.games._labeled import common_step_options, labeled_game, labeled_models
from jaxgan.games.context_encoder import completions, inpainting_generator, test_images, validate_inpainting
from jaxgan.games.semi_supervised import make_semi_supervised_step, validate_semi_supervised
from jaxgan.games.settings import config_losses, optional, reject
from jaxgan.games.spec import Step, no_prior
from jaxgan.games.steps import apply, salted

HOLE_SALT = 3  # the holes of an update come from fold_in(example key, HOLE_SALT)
HELD_OUT_KEY = 0


def inpainted_fakes(*, hole_side: int, hole_fill: float) -> Callable:
    """The `generate` of `make_labeled_step` that in-paints the batch's unlabeled images:
    returns (x_I, the generator's collections, {"y": None, "holes": m})."""

    def generate(state, params, collections, batch, keys):
        real = batch["x"]
        size = real.shape[1]
        holes = jax.vmap(lambda k: masks.random_square_holes(k, 1, size, hole_side)[0])(salted(keys, HOLE_SALT))
        output, collections = apply(state.generator, params, collections, masks.fill(real, holes, hole_fill),
                                    train=True)
        return jnp.where(holes, output, real), collections, {"y": None, "holes": holes}

    return generate


def make_ccgan_step(*, hole_side: int, hole_fill: float = 0.0, **semi_supervised) -> Step:
    """A CCGAN step: `make_semi_supervised_step` (its keyword options, `prior` excepted) whose
    fakes are the unlabeled images in-painted in a random `hole_side` square."""
    if not -1.0 <= hole_fill <= 1.0:
        raise ValueError(f"hole_fill is a pixel value in the model's range [-1, 1], got {hole_fill}")
    return make_semi_supervised_step(prior=None, generate=inpainted_fakes(hole_side=hole_side, hole_fill=hole_fill),
                                     **semi_supervised)


def _validate(config):
    g = config.game
    validate_semi_supervised(config)
    validate_inpainting(config)
    reject(g.g_objective != "adversarial",
           f"game.name='ccgan' trains its generator on D's real-vs-fake logit of the in-painted images; "
           f"game.g_objective must be 'adversarial', got {g.g_objective!r}")
    shape = data.known_shape(config.data)
    if shape is not None:
        reject(int(g.hole_side) != g.hole_side or not 0 < g.hole_side < shape[0],
               f"game.hole_side={g.hole_side!r} must be an integer in [1, {shape[0] - 1}] for {shape[0]}-pixel images")


def _models(config, axis_name=None):
    size = data.example_shape(config.data)[0]
    discriminator = labeled_models(config, axis_name, class_head=config.game.semi_supervised_head)[1]
    return inpainting_generator(config, masks.whole_region(size), axis_name), discriminator


def _step(config, axis_name=None):
    g = config.game
    _, g_loss = config_losses(config)
    return make_ccgan_step(hole_side=g.hole_side, hole_fill=g.hole_fill, head=g.semi_supervised_head, g_loss=g_loss,
                           unlabeled_weight=g.unlabeled_weight, d_average_decay=optional(g.d_average_decay),
                           **common_step_options(config, axis_name))


def held_out_images(config, num: int) -> tuple[np.ndarray, jax.Array]:
    """The first `num` test images in [-1, 1] and their holes (from key `HELD_OUT_KEY`)."""
    images = test_images(config, num)
    holes = masks.random_square_holes(jax.random.key(HELD_OUT_KEY), len(images), images.shape[1],
                                      config.game.hole_side)
    return images, holes


def held_out_inputs(config, num: int) -> jax.Array:
    """What a run's samples fill: held-out test images with their holes."""
    images, holes = held_out_images(config, num)
    return masks.fill(jnp.asarray(images), holes, config.game.hole_fill)


GAME = labeled_game(
    "ccgan",
    defaults={"game.num_classes": 10, "game.semi_supervised_head": "k_plus_one", "game.num_labeled": 100,
              "game.labeled_batch_size": 100, "game.g_objective": "adversarial", "game.unlabeled_weight": 1.0,
              "game.d_average_decay": 0.0, "game.hole_side": 14, "game.hole_fill": 0.0, "game.bottleneck": 4000},
    validate=_validate, models=_models, step=_step, prior=no_prior, labels="subset", evaluators=("test_error",),
    model_keys=("g_width", "upsample"), state_options=lambda config: {"d_average": config.game.d_average_decay > 0},
)._replace(generator_input_shape=lambda config: data.example_shape(config.data), held_out_inputs=held_out_inputs,
            held_out_samples=completions(held_out_images))

"""The step shared by the games whose discriminator is an `nets.AuxiliaryDiscriminator` (a dict
of logits) and whose generator takes `latents.Prior` latents `[one_hot(y), c, z]`: CGAN, ACGAN,
the semi-supervised GANs and InfoGAN. Each of those modules states its objectives as `Rules`;
this module runs them: n_critic critic updates, then one generator update and the EMA.
"""

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan import data
from jaxgan.data import Source
from jaxgan.data.labeled import SemiSupervisedSource
from jaxgan.games.settings import ema_settings, family_networks, image_source, reject, reject_translation_data
from jaxgan.games.spec import Batch, Game, Step, leading_axes, no_phases, random_images
from jaxgan.games.steps import (
    AUGMENT_FAKE,
    AUGMENT_PENALTY,
    AUGMENT_REAL,
    NOISE_SALT,
    Penalty,
    apply,
    check_batch,
    check_critic_updates,
    critic_keys,
    example_keys,
    generator_key,
    global_indices,
    mean_over_devices,
    player_update,
    salted,
    scan_or_unroll,
    step_key,
)
from jaxgan.latents import Prior
from jaxgan.nets.heads import AuxiliaryDiscriminator
from jaxgan.nets.registry import FAMILIES
from jaxgan.techniques import Augment, augment_settings, ema, update_debiased_ema


class Rules(NamedTuple):
    """What a labeled game adds to the common step.

    name: the game's name (for error messages).
    batch_keys: the keys of its batch.
    conditioned: whether D takes (x, y) (CGAN) rather than x.
    d_objective: `(outs, batch, draws) -> (adversarial, total, terms)`: D's loss from its outputs
      on [real, fake, *extra] (each a dict of logits), the batch of this critic update and the
      prior's draws for the fakes.
    g_objective: `(real_out, fake_out, draws) -> loss`: G's loss.
    labeled_input: whether D also scores `batch["x_labeled"]` (the semi-supervised games).
    """

    name: str
    batch_keys: tuple
    conditioned: bool
    d_objective: Callable
    g_objective: Callable
    labeled_input: bool = False


def draws(prior, keys) -> dict[str, jax.Array]:
    """The prior's draws {"y", "c", "z"} per example key, from `fold_in(key, 0)`."""
    return jax.vmap(lambda k: prior.draw(jax.random.fold_in(k, 0)))(keys)


def prior_fakes(prior: Prior) -> Callable:
    """The `generate` of the games whose generator maps the prior's latents to images."""

    def generate(state, params, collections, batch, keys):
        drawn = draws(prior, keys)
        fake, collections = apply(state.generator, params, collections, prior.latent(drawn), train=True)
        return fake, collections, drawn

    return generate


def make_labeled_step(rules: Rules, *, prior: Prior | None, penalties: Sequence[Penalty] = (), n_critic: int = 1,
                      ema_decay: float | None = None, d_average_decay: float | None = None, joint_batches: bool = False,
                      augment: Augment | None = None, generate: Callable | None = None,
                      axis_name: str | None = None) -> Step:
    """The step of the game `rules` describes (see `jaxgan.games.conditional` and its peers).

    generate: `(state, g_params, g_collections, batch, keys) -> (fakes, g_collections, draws)`:
      the fakes of a critic or generator update from its batch and per-example keys, with the
      draws the objectives read ({"y": labels or None, ...}); None: `prior_fakes(prior)`, G on
      the prior's latents (CCGAN instead fills holes in the batch's images).

    penalties: `Penalty` terms on the real-vs-fake logit (CGAN: conditioned on the batch labels).
    d_average_decay: if set, `state.param_averages["d_ema"]` (from `create(..., d_average=True)`)
      follows D's parameters as a bias-corrected exponential moving average
      (`update_debiased_ema`, once per step after its n_critic updates).
    joint_batches: run D once on the concatenation of the batches it scores in an update (real,
      fake and labeled; one noise draw for all) instead of once per batch. The same function
      only for a discriminator without cross-example layers (no BatchNorm, minibatch features or
      packing), which `config` checks; XLA:CPU multiplies 300-row matrices about twice as fast
      per row as 100-row ones.
    augment: DiffAugment's T (`techniques.Augment` with a policy; ADA's adaptive p and the
      regularizers with state are composed by the unconditional GAN's step only) on every image D
      sees: real, generated and labeled, in both players' updates and inside the penalties (the
      labels are not transformed).
    """
    check_critic_updates(n_critic)
    if generate is None:
        if prior is None:
            raise ValueError("make_labeled_step needs a prior, or a generate function")
        generate = prior_fakes(prior)
    if augment is not None and augment.ada_pipeline:
        raise ValueError("the labeled games compose DiffAugment; ADA's adaptive p is the GAN step's (games.gan)")
    if d_average_decay is not None and not 0.0 <= d_average_decay < 1.0:
        raise ValueError(f"d_average_decay must be in [0, 1) or None, got {d_average_decay!r}")
    penalties = tuple(Penalty(*p) for p in penalties)

    def discriminate(state, params, collections, x, labels, noise):
        inputs = (x, labels) if rules.conditioned else x
        return apply(state.discriminator, params, collections, inputs, train=True, noise_key=noise)

    def discriminate_batches(state, params, collections, inputs, noise):
        """D's outputs for each (x, labels) of `inputs`: batch i draws its noise from
        fold_in(noise, i), or all from fold_in(noise, 0) in one pass with `joint_batches`."""
        if not joint_batches:
            outs = []
            for i, (x, labels) in enumerate(inputs):
                out, collections = discriminate(state, params, collections, x, labels, jax.random.fold_in(noise, i))
                outs.append(out)
            return outs, collections
        sizes = [x.shape[0] for x, _ in inputs]
        x = jnp.concatenate([x for x, _ in inputs])
        labels = jnp.concatenate([labels for _, labels in inputs]) if rules.conditioned else None
        out, collections = discriminate(state, params, collections, x, labels, jax.random.fold_in(noise, 0))
        offsets = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
        return [jax.tree.map(lambda a: a[offsets[i]:offsets[i + 1]], out) for i in range(len(sizes))], collections

    def seen(images, keys, salt):
        """What D sees of `images` (per-example keys, so the same for any batch split)."""
        return images if augment is None else augment(salted(keys, salt), images)

    def labeled_seen(batch, key):
        labeled = batch["x_labeled"]
        return seen(labeled, example_keys(jax.random.fold_in(key, AUGMENT_REAL),
                                          global_indices(labeled.shape[0], axis_name)), AUGMENT_REAL)

    def critic_update(state, carry, inputs):
        d_params, d_state, d_opt_state = carry
        batch, key = inputs
        real = batch["x"]
        keys = example_keys(key, global_indices(real.shape[0], axis_name))
        fake, _, drawn = generate(state, state.g_params, state.g_state, batch, keys)
        fake = jax.lax.stop_gradient(fake)
        real_labels = batch.get("y")
        noise = jax.random.fold_in(key, NOISE_SALT)

        def loss_fn(params):
            inputs = [(seen(real, keys, AUGMENT_REAL), real_labels), (seen(fake, keys, AUGMENT_FAKE), drawn["y"])]
            if rules.labeled_input:
                inputs.append((labeled_seen(batch, key), None))
            outs, collections = discriminate_batches(state, params, d_state, inputs, noise)
            adversarial, total, terms = rules.d_objective(outs, batch, drawn)
            for i, p in enumerate(penalties):
                critic = lambda x: discriminate(state, params, collections, seen(x, keys, AUGMENT_PENALTY),
                                                real_labels, jax.random.fold_in(noise, 3))[0]["logit"]
                terms[p.name] = p.fn(critic, real, fake, key=jax.vmap(lambda k: jax.random.fold_in(k, 1 + i))(keys))
                total = total + p.weight * terms[p.name]
            metrics = {"d_loss": adversarial, "d_total": total, "real_logit": jnp.mean(outs[0]["logit"]),
                       "fake_logit": jnp.mean(outs[1]["logit"]), **terms}
            return total, (collections, metrics)

        grads, (d_state, metrics) = jax.grad(loss_fn, has_aux=True)(d_params)
        d_params, d_opt_state = player_update(state.d_tx, grads, d_opt_state, d_params, axis_name=axis_name)
        return (d_params, d_state, d_opt_state), mean_over_devices(metrics, axis_name)

    def average_critic(state, d_params):
        if d_average_decay is None:
            return state
        if "d_ema" not in state.param_averages:
            raise ValueError("d_average_decay needs a state from create(..., d_average=True)")
        count = state.step + 1  # averaged once per step, after its n_critic updates
        d_ema = update_debiased_ema(state.param_averages["d_ema"], d_params, d_average_decay, count)
        return state.replace(param_averages={**state.param_averages, "d_ema": d_ema})

    def generator_update(state, batch, key):
        real = batch["x"]
        keys = example_keys(key, global_indices(real.shape[0], axis_name))
        noise = jax.random.fold_in(key, NOISE_SALT)

        def loss_fn(params):
            fake, g_state, drawn = generate(state, params, state.g_state, batch, keys)
            inputs = [(seen(real, keys, AUGMENT_REAL), batch.get("y")), (seen(fake, keys, AUGMENT_FAKE), drawn["y"])]
            (real_out, fake_out), _ = discriminate_batches(state, state.d_params, state.d_state, inputs, noise)
            return rules.g_objective(real_out, fake_out, drawn), g_state

        (loss, g_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.g_params)
        g_params, g_opt_state = player_update(state.g_tx, grads, state.g_opt_state, state.g_params, axis_name=axis_name)
        state = state.replace(g_params=g_params, g_state=g_state, g_opt_state=g_opt_state,
                              ema_params=ema(ema_decay, state.ema_params, g_params, state.step + 1))
        return state, mean_over_devices(loss, axis_name)

    def step(state, batch):
        check_batch(rules.name, batch, rules.batch_keys, n_critic)
        key = step_key(state)
        (d_params, d_state, d_opt_state), critic_metrics = scan_or_unroll(
            lambda carry, inputs: critic_update(state, carry, inputs),
            (state.d_params, state.d_state, state.d_opt_state),
            (batch, critic_keys(key, n_critic)),
        )
        state = average_critic(state.replace(d_params=d_params, d_state=d_state, d_opt_state=d_opt_state), d_params)
        last = jax.tree.map(lambda x: x[-1], batch)
        state, g_loss_value = generator_update(state, last, generator_key(key))
        metrics = jax.tree.map(jnp.mean, critic_metrics)
        metrics["g_loss"] = g_loss_value
        return state.replace(step=state.step + 1), metrics

    return step


# The parts of the labeled games' `Game` specs they share.

def labeled_models(config, axis_name=None, **head) -> tuple[nn.Module, nn.Module]:
    """The generator and an `AuxiliaryDiscriminator` with the `head` options (conditioning,
    class_head, codes) on the discriminator body of `model.name`."""
    m = config.model
    generator, body = family_networks(config, axis_name, features_only=True)
    return generator, AuxiliaryDiscriminator(
        body=body, num_classes=config.game.num_classes, concat_as_channels=m.name != "mlp",
        feature_noise=m.d_hidden_noise, head_weight_norm_data_init=m.d_weight_norm_data_init,
        spectral_norm=FAMILIES[m.name].sn_heads, axis_name=axis_name, **head)


def image_example(config) -> jax.Array:
    return jnp.zeros((config.model.packing,) + data.example_shape(config.data), jnp.float32)


def common_step_options(config, axis_name, *, per_example_head=True) -> dict:
    """The step options every labeled game takes from the config; `per_example_head=False` for a
    head with batch statistics of its own (InfoGAN's Q with `game.q_norm="batch"`)."""
    return dict(n_critic=config.n_critic, ema_decay=ema_settings(config),
                joint_batches=per_example_head and per_example_discriminator(config.model),
                augment=augment_settings(config.techniques), axis_name=axis_name)


def per_example_discriminator(model) -> bool:
    """Whether D scores each example on its own (no BatchNorm, minibatch features, packing or
    spectral norm, whose power iteration advances once per call), so that one D pass over
    concatenated batches is the same function as one pass per batch (`joint_batches`)."""
    return (model.name in ("mlp", "dcgan") and model.d_norm == "none" and not model.d_spectral_norm
            and not model.d_minibatch_kernels and not model.d_minibatch_std and model.packing == 1)


def validate_labeled(config, labels) -> None:
    """What every game with labels, codes or an autoencoder needs: image data; the dataset's
    labels when training reads them (`labels` "all" / "subset"); none of the unconditional GAN's
    own options."""
    game, name = config.game, config.game.name
    reject_translation_data(config)
    reject(not data.is_image(config.data),
           f"game.name={name!r} is for image datasets; data.name={config.data.name!r} is 2D")
    if labels != "none":
        classes = data.num_classes(config.data)
        labeled = sorted(k for k, spec in data.IMAGE_DATASETS.items() if spec.classes)
        reject(not classes, f"game.name={name!r} reads class labels; data.name={config.data.name!r} has none "
                            f"(labeled datasets: {labeled})")
        reject(game.num_classes != classes, f"game.num_classes={game.num_classes} but {config.data.name!r} has "
                                            f"{classes} classes")
    if labels == "subset":
        reject(game.num_labeled % game.num_classes, f"game.num_labeled={game.num_labeled} must be a multiple of "
                                                    f"game.num_classes={game.num_classes} (balanced subset)")
        reject(game.labeled_batch_size > game.num_labeled, f"game.labeled_batch_size={game.labeled_batch_size} "
                                                           f"exceeds game.num_labeled={game.num_labeled}")
        reject(config.data.train_size, f"data.train_size={config.data.train_size} limits the training images of "
                                       f"the other games; game.name={name!r} limits its labels (game.num_labeled)")


def validate_cross_entropy(config) -> None:
    """For the games whose discriminator is a classifier: a BCE / cross-entropy loss, no penalties."""
    name = config.game.name
    reject(config.loss not in ("non_saturating", "minimax"),
           f"game.name={name!r} has a cross-entropy discriminator: loss must be 'non_saturating' or 'minimax', "
           f"got {config.loss!r}")
    penalties = [p for p, w in config.penalties.items() if w > 0]
    reject(penalties, f"penalties {penalties} are not available for game.name={name!r}")


def labeled_source(config, labels, **common) -> Source:
    """The training source of a game reading `labels` ("all", "subset" or "none")."""
    if labels == "subset":
        g = config.game
        return SemiSupervisedSource(data.open_split(config.data, "train"), labeled_batch_size=g.labeled_batch_size,
                                    num_labeled=g.num_labeled, num_classes=g.num_classes, **common)
    return image_source(config, with_labels=labels == "all", **common)


def class_prior(config) -> Prior:
    return Prior(noise_dim=config.model.latent_dim, num_classes=config.game.num_classes)


def noise_prior(config) -> Prior:
    return Prior(noise_dim=config.model.latent_dim)


def labeled_batch(config: Any, key: jax.Array, *, batch_size: int, fused: int, labels: str) -> Batch:
    """A random batch of a game reading `labels` ("all": {"x", "y"}, "subset": {"x", "x_labeled",
    "y_labeled"}, "none": {"x"}), labels uniform over `game.num_classes`."""
    lead = leading_axes(config, fused)
    shape = data.example_shape(config.data)
    classes = lambda k, n: jax.random.randint(k, tuple(lead) + (n,), 0, config.game.num_classes)
    keys = jax.random.split(key, 4)
    batch = {"x": random_images(keys[0], lead, batch_size, shape)}
    if labels == "all":
        batch["y"] = classes(keys[1], batch_size)
    elif labels == "subset":
        size = config.game.labeled_batch_size
        batch["x_labeled"], batch["y_labeled"] = random_images(keys[2], lead, size, shape), classes(keys[3], size)
    return batch


def labeled_game(name, *, defaults, validate, models, step, prior, labels, evaluators, example=image_example,
                 generator_phases=no_phases, techniques=(), model_keys=(), state_options=None) -> Game:
    """A `Game` of the labeled family; `labels` is "all" / "subset" / "none" or a function of the
    config (which class labels training reads)."""
    labels_of = labels if callable(labels) else (lambda config: labels)

    def check(config):
        validate_labeled(config, labels_of(config))
        validate(config)

    def batch_sizes(config):
        sizes = (config.data.batch_size,)
        return sizes + (config.game.labeled_batch_size,) if labels_of(config) == "subset" else sizes

    return Game(
        name=name, defaults=defaults, validate=check, models=models, step=step, prior=prior,
        generator_input_shape=lambda config: (prior(config).latent_dim,),
        discriminator_example=example, extras=lambda config: None,
        source=lambda config, **common: labeled_source(config, labels_of(config), **common),
        example_batch=lambda config, key, *, batch_size, fused: labeled_batch(
            config, key, batch_size=batch_size, fused=fused, labels=labels_of(config)),
        evaluators=evaluators if callable(evaluators) else (lambda config: evaluators),
        generator_phases=generator_phases, techniques=frozenset(techniques), model_keys=tuple(model_keys),
        state_options=state_options or (lambda config: {}), batch_sizes=batch_sizes)

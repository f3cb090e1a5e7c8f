"""ClusterGAN (Mukherjee, Asnani, Lin & Kannan 2019, AAAI; arXiv:1809.03627): the latent mixes a
one-hot class c and Gaussian noise z_n ~ N(0, sigma^2 I); an encoder E, trained with G, must
recover both from G(z): beta_n ||z_n - E_n(G(z))||^2 + beta_c CE(c, E_c(G(z))), beside the
adversarial loss (WGAN-GP in the paper). E then clusters real data: the `clustering`
evaluator scores it on the test split (`metrics.clustering`).

Batches: {"x": (n_critic, B, ...)}. The generator slot holds `nets.ClusterGANNetworks` (G and
E), the discriminator slot the family's critic.
"""

import jax
import jax.numpy as jnp

from jaxgan import data
from jaxgan.games.gan import make_gan_step
from jaxgan.games.settings import config_losses, config_penalties, ema_settings, family_networks, reject, weights
from jaxgan.games.spec import Game, Step, plain_game
from jaxgan.games.steps import apply
from jaxgan.latents import Prior
from jaxgan.nets.clustergan import ClusterGANNetworks


def recovery_terms(out, latent, num_classes) -> dict:
    """ClusterGAN's latent recovery from E's outputs `out` on G(latent): `noise_recovery`, the
    mean squared error of z_n over examples and dimensions (the authors' reduce_mean), and
    `class_recovery`, the cross-entropy of E's class logits against the one-hot c."""
    target = latent[:, :num_classes]
    noise = latent[:, num_classes:]
    log_probs = jax.nn.log_softmax(out["logits"], axis=-1)
    return {"noise_recovery": jnp.mean(jnp.square(out["noise"] - noise)),
            "class_recovery": -jnp.mean(jnp.sum(target * log_probs, axis=-1))}


def make_clustergan_step(*, prior: Prior, beta_n: float = 10.0, beta_c: float = 10.0, **gan_options) -> Step:
    """A ClusterGAN step: `make_gan_step` (its losses, penalties, n_critic, ...) whose generator
    loss adds beta_n * `noise_recovery` + beta_c * `class_recovery` (`recovery_terms`), both
    differentiated with G's and E's parameters (one optimizer), the latents drawn from `prior`
    (K = `prior.num_classes` classes, z_n of `prior.noise_dim` scaled by `prior.noise_scale`).

    Returns:
      `step(state, batch) -> (state, metrics)`; `make_gan_step`'s metrics and the two
      (unweighted) recovery terms.
    """
    if not prior.num_classes or prior.continuous_codes:
        raise ValueError(f"ClusterGAN's prior is a one-hot class and noise: num_classes > 0 and no continuous "
                         f"codes, got {prior}")
    if min(beta_n, beta_c) < 0:
        raise ValueError(f"beta_n and beta_c are weights >= 0, got {beta_n!r} and {beta_c!r}")

    def generator_terms(state, params, latent, fake):
        out, _ = apply(state.generator, params, state.g_state, fake, train=True, method="encode")
        terms = recovery_terms(out, latent, prior.num_classes)
        return beta_n * terms["noise_recovery"] + beta_c * terms["class_recovery"], terms

    return make_gan_step(sample_latent=prior.sample_latent, generator_terms=generator_terms, **gan_options)


# The `Game` spec: `game.num_classes` (K), `game.noise_std` (sigma), `game.beta_n`, `game.beta_c`;
# `model.latent_dim` is z_n's size; G and D are the family's, E its discriminator's body.

def _prior(config):
    return Prior(noise_dim=config.model.latent_dim, num_classes=config.game.num_classes,
                 noise_scale=config.game.noise_std)


def _validate(config):
    game, m = config.game, config.model
    reject(int(game.num_classes) != game.num_classes or game.num_classes < 2,
           f"game.num_classes (ClusterGAN's K) must be an integer >= 2, got {game.num_classes!r}")
    reject(not game.noise_std > 0, f"game.noise_std (sigma of z_n) must be positive, got {game.noise_std!r}")
    weights(game, ("beta_n", "beta_c"), "game")
    reject(not data.is_image(config.data), f"game.name='clustergan' clusters images; {config.data.name!r} is not")
    reject(m.d_norm == "batch", "game.name='clustergan' builds E as the discriminator's body; "
                                               "model.d_norm='batch' would give E BatchNorm state: use 'none' or "
                                               "'layer'")


def _models(config, axis_name=None):
    generator, critic = family_networks(config, axis_name)
    _, body = family_networks(config, axis_name, features_only=True)
    networks = ClusterGANNetworks(generator=generator, encoder=body, num_classes=config.game.num_classes,
                                  noise_dim=config.model.latent_dim, image_shape=data.example_shape(config.data))
    return networks, critic


def _step(config, axis_name=None):
    d_loss, g_loss = config_losses(config)
    return make_clustergan_step(prior=_prior(config), beta_n=config.game.beta_n, beta_c=config.game.beta_c,
                                d_loss=d_loss, g_loss=g_loss, penalties=config_penalties(config),
                                n_critic=config.n_critic, ema_decay=ema_settings(config), axis_name=axis_name)


GAME: Game = plain_game(
    "clustergan", step=_step, validate=_validate,
    defaults={"game.num_classes": 10, "game.noise_std": 0.1, "game.beta_n": 10.0, "game.beta_c": 10.0},
    techniques=("gradient_penalties",),
    evaluators=lambda config: ("clustering",),
)._replace(models=_models, prior=_prior, generator_input_shape=lambda config: (_prior(config).latent_dim,))

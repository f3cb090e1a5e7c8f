"""CoGAN, the coupled GAN (Liu & Tuzel 2016, NeurIPS; arXiv:1606.07536): a pair of GANs, one per
image domain, whose generators share their first layers and whose discriminators share their
last layers, trained on unpaired images of the two domains; the sharing makes the two generators
draw corresponding images (the same digit, as a digit and as its edges) from one z.

The objective (Sec. 3, Eq. 4) is the sum of the two GANs' objectives, max over (g1, g2), min
over (f1, f2): V(f1, f2, g1, g2) = E[log f1(x1)] + E[log(1 - f1(g1(z)))] + E[log f2(x2)] +
E[log(1 - f2(g2(z)))], subject to the sharing. The authors' code (mingyuliutw/CoGAN) trains it
as one discriminator and one generator over both domains (alternating Adam updates; G on the
non-saturating cross-entropy), which is what this game is: `make_gan_step` on coupled pairs.
A coupled pair is one example of two channels, domain A's image in channel 0 and domain B's in
channel 1 (`data.name` "mnist_edges" / "mnist_negatives", `jaxgan.data.coupled`); the
generator slot holds `nets.cogan.CoupledGenerator` (both generators), the discriminator slot
`CoupledDiscriminator` (both discriminators, logits of A's then B's images), so the losses'
means over the 2B logits are the two GANs' losses averaged. Batches: {"x": (n_critic, B, 28,
28, 2)}. The `pair_agreement` evaluator measures the correspondence (the paper's Table 1).
"""

from jaxgan.data import IMAGE_DATASETS
from jaxgan.games.gan import make_gan_step
from jaxgan.games.settings import config_losses, ema_settings, one_of, reject
from jaxgan.games.spec import Game, plain_game
from jaxgan.latents import NOISES, Prior

COUPLED_DATA = tuple(name for name, spec in IMAGE_DATASETS.items() if spec.coupled)


def _prior(config):
    return Prior(noise_dim=config.model.latent_dim, noise=config.game.noise)


def _validate(config):
    one_of(config.game.noise, NOISES, "game.noise")
    reject(config.data.name not in COUPLED_DATA,
           f"game.name='cogan' learns a joint distribution of two domains from coupled data: data.name must be one "
           f"of {list(COUPLED_DATA)}, got {config.data.name!r}")
    reject(config.model.name != "cogan",
           f"game.name='cogan' shares layers between two generators and two discriminators: model.name must be "
           f"'cogan', got {config.model.name!r}")


def _step(config, axis_name=None):
    d_loss, g_loss = config_losses(config)
    return make_gan_step(d_loss=d_loss, g_loss=g_loss, n_critic=config.n_critic, ema_decay=ema_settings(config),
                         sample_latent=_prior(config).sample_latent, axis_name=axis_name)


GAME: Game = plain_game(
    "cogan", step=_step, validate=_validate, defaults={"game.noise": "normal"},
    evaluators=lambda config: ("pair_agreement",),
)._replace(prior=_prior)

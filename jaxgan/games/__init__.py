"""The games: one module per GAN variant, each a config-free step factory for research code
(`make_<game>_step(*, ..., axis_name=None) -> step(state, batch) -> (state, metrics)`, pure) and
a `Game` spec on top for the run machinery (`games.spec`; `plain_game` builds an unconditional
game's). `games.steps` holds, once, what every step is made of (running a network, keys, the
player update, batch checks, the critic loop); `games.settings` what the specs read from a config.

    gan              make_gan_step              unconditional; WGAN / -GP / LSGAN / hinge / RaGAN ...
    ebgan            make_ebgan_step            energy-based, autoencoder D, pulling-away term
    began            make_began_step            boundary equilibrium: autoencoder D, the control of k_t
    clustergan       make_clustergan_step       one-hot + noise latent, an encoder recovering it
    cogan            make_gan_step on pairs     two domains, generators and discriminators sharing layers
    context_encoder  make_context_encoder_step  inpainting: masked L2 + adversarial loss on the filled region
    ccgan            make_ccgan_step            semi-supervised K+1 D whose fakes are in-painted images
    unrolled         make_unrolled_step         G's loss through K unrolled D optimizer steps
    stylegan2        make_stylegan2_step        StyleGAN2: lazy R1, lazy path length, style mixing
    conditional      make_cgan_step, make_acgan_step
    semi_supervised  make_semi_supervised_step
    infogan          make_infogan_step
    aae              make_aae_step
    pix2pix          make_pix2pix_step          paired translation
    cyclegan         make_cyclegan_step         unpaired translation (translation.py: what both share)

Adding a game: a module with its step factory and `GAME`, one line in `GAMES` below.
"""

from jaxgan.games import (
    aae,
    began,
    ccgan,
    clustergan,
    cogan,
    conditional,
    context_encoder,
    cyclegan,
    ebgan,
    gan,
    infogan,
    pix2pix,
    semi_supervised,
    stylegan2,
    unrolled,
)
from jaxgan.games._labeled import make_labeled_step
from jaxgan.games.aae import make_aae_step
from jaxgan.games.began import make_began_step
from jaxgan.games.ccgan import make_ccgan_step
from jaxgan.games.clustergan import make_clustergan_step
from jaxgan.games.conditional import make_acgan_step, make_cgan_step
from jaxgan.games.context_encoder import make_context_encoder_step
from jaxgan.games.cyclegan import make_cyclegan_step
from jaxgan.games.ebgan import make_ebgan_step
from jaxgan.games.gan import make_gan_step
from jaxgan.games.infogan import make_infogan_step
from jaxgan.games.pix2pix import make_pix2pix_step
from jaxgan.games.semi_supervised import make_semi_supervised_step
from jaxgan.games.spec import Config, Game, Step, plain_game
from jaxgan.games.steps import (
    Penalty,
    apply,
    decode,
    fuse_steps,
    generate,
    normal_latent,
    player_update,
    scan_or_unroll,
)
from jaxgan.games.stylegan2 import make_stylegan2_step

# config.game.name -> its `Game` spec: the one place the run machinery learns which games exist.
GAMES = {game.name: game for game in (gan.GAME, conditional.CGAN, conditional.ACGAN, semi_supervised.GAME, ccgan.GAME,
                                      infogan.GAME, aae.GAME, pix2pix.GAME, cyclegan.GAME, ebgan.GAME, began.GAME,
                                      clustergan.GAME, cogan.GAME, context_encoder.GAME, unrolled.GAME,
                                      stylegan2.GAME)}


def get(name: str) -> Game:
    """The `Game` spec of `config.game.name`."""
    if name not in GAMES:
        raise ValueError(f"game.name={name!r} is not one of {list(GAMES)}")
    return GAMES[name]


def build_models(config: Config, axis_name: str | None = None) -> tuple:
    """(generator, discriminator) of a validated run config: its game's `models`."""
    return get(config.game.name).models(config, axis_name)


__all__ = ["GAMES", "Config", "Game", "Penalty", "Step", "apply", "build_models", "decode", "fuse_steps", "generate",
           "get", "make_aae_step", "make_acgan_step", "make_began_step", "make_ccgan_step", "make_cgan_step",
           "make_clustergan_step", "make_context_encoder_step", "make_cyclegan_step", "make_ebgan_step",
           "make_gan_step", "make_infogan_step", "make_labeled_step", "make_pix2pix_step",
           "make_semi_supervised_step", "make_stylegan2_step", "normal_latent", "plain_game", "player_update",
           "scan_or_unroll"]

"""Losses and penalties by name, with their hyperparameters: the keyword-only arguments (with
defaults) of the registered functions, so that adding a loss with hyperparameters is one function
plus one line here, and a run's config can set them (`loss_options.<loss>.<name>`,
`penalty_options.<penalty>.<name>`)."""

import functools
import inspect
from collections.abc import Callable

from jaxgan.losses import adversarial, penalties

# name: (discriminator loss, generator loss)
ADVERSARIAL = {
    "minimax": (adversarial.minimax_discriminator_loss, adversarial.minimax_generator_loss),
    "non_saturating": (adversarial.minimax_discriminator_loss, adversarial.non_saturating_generator_loss),
    "wasserstein": (adversarial.wasserstein_discriminator_loss, adversarial.wasserstein_generator_loss),
    "least_squares": (adversarial.least_squares_discriminator_loss, adversarial.least_squares_generator_loss),
    "hinge": (adversarial.hinge_discriminator_loss, adversarial.hinge_generator_loss),
    "relativistic": (adversarial.relativistic_discriminator_loss, adversarial.relativistic_generator_loss),
    "relativistic_average": (adversarial.relativistic_average_discriminator_loss,
                             adversarial.relativistic_average_generator_loss),
    "boundary_seeking": (adversarial.minimax_discriminator_loss, adversarial.boundary_seeking_generator_loss),
    "softmax": (adversarial.softmax_discriminator_loss, adversarial.softmax_generator_loss),
}
PENALTIES = {
    "wgan_gp": penalties.gradient_penalty,
    "wgan_lp": penalties.lipschitz_penalty,
    "wgan_div": penalties.divergence_penalty,
    "dragan": penalties.dragan_penalty,
    "r1": penalties.r1_penalty,
    "r2": penalties.r2_penalty,
}


def hyperparameters(fn) -> dict:
    """{name: default} of `fn`'s keyword-only arguments with defaults (not the penalty's `key`)."""
    return {name: p.default for name, p in inspect.signature(fn).parameters.items()
            if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}


def loss_hyperparameters(name) -> dict:
    """{name: default} of both sides of the adversarial loss `name`."""
    d_loss, g_loss = _lookup(ADVERSARIAL, name, "loss")
    return {**hyperparameters(d_loss), **hyperparameters(g_loss)}


def penalty_hyperparameters(name) -> dict:
    return hyperparameters(_lookup(PENALTIES, name, "penalty"))


def adversarial_losses(name, **options) -> tuple[Callable, Callable]:
    """(d_loss, g_loss) of `name` with `options` bound to the side(s) that take them, e.g.
    `adversarial_losses("least_squares", a=-1.0, b=1.0, c=0.0)`."""
    d_loss, g_loss = _lookup(ADVERSARIAL, name, "loss")
    _check_options(options, loss_hyperparameters(name), f"loss {name!r}")
    return _bind(d_loss, options), _bind(g_loss, options)


def penalty(name, **options) -> Callable:
    """The penalty `name` with `options` bound, e.g. `penalty("wgan_div", k=2.0, p=6.0)`."""
    fn = _lookup(PENALTIES, name, "penalty")
    _check_options(options, hyperparameters(fn), f"penalty {name!r}")
    return _bind(fn, options)


def _lookup(table, name, kind):
    if name not in table:
        raise ValueError(f"unknown {kind} {name!r}; expected one of {list(table)}")
    return table[name]


def _check_options(options, known, what):
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"{what} takes no hyperparameter(s) {unknown}; it takes {sorted(known) or 'none'}")


def _bind(fn, options):
    mine = {k: v for k, v in options.items() if k in hyperparameters(fn)}
    return functools.partial(fn, **mine) if mine else fn

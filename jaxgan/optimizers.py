"""The players' optimizers: the `optimizer.g` / `optimizer.d` config groups (their keys,
defaults and validation) and the optax transformations built from them."""

from typing import Any

import jax
import jax.numpy as jnp
import optax

from jaxgan.errors import ConfigError
from jaxgan.losses.regularizers import orthogonal_regularization_sum

OPTIMIZERS = ("adam", "rmsprop", "sgd")
SCHEDULES = ("constant", "linear_decay")


def defaults(learning_rate: float) -> dict[str, Any]:
    """One player's `optimizer` group.

    name: adam, rmsprop or sgd. eps, eps_root: Adam's update m / (sqrt(v + eps_root) + eps)
    (optax.adam); the Improved-GAN code's Adam is eps 0, eps_root 1e-8. decay: RMSProp's.
    momentum: SGD's (heavy ball, optax.sgd; 0 = plain SGD). schedule "linear_decay": constant
    until decay_start * train.num_steps, then linearly to 0 at train.num_steps (CycleGAN: 100
    epochs constant, 100 decaying, decay_start 0.5). weight_decay: L2 decay added to the gradient
    before the optimizer, w * theta on every kernel (parameters of 2 or more axes; biases and
    normalization parameters are not decayed), as Caffe's weight_decay with decay_mult 0 on biases
    (CoGAN's code: 5e-4); 0 = off. orthogonal: beta of BigGAN's orthogonal regularization (Brock
    et al. 2019, Sec. 3.1, `losses.regularizers.orthogonal_regularization`), its gradient added to
    the gradient before the optimizer, on every kernel but BigGAN's shared embedding (the paper's
    G: 1e-4); 0 = off.
    """
    return {"name": "adam", "learning_rate": learning_rate, "b1": 0.5, "b2": 0.999, "eps": 1e-8, "eps_root": 0.0,
            "decay": 0.99, "momentum": 0.0, "schedule": "constant", "decay_start": 0.5, "weight_decay": 0.0,
            "orthogonal": 0.0}


def validate(opt: Any, side: str) -> None:
    """Raise `ConfigError` for a bad `optimizer.<side>` group."""
    prefix = f"optimizer.{side}"
    for key, choices in (("name", OPTIMIZERS), ("schedule", SCHEDULES)):
        if opt[key] not in choices:
            raise ConfigError(f"{prefix}.{key}={opt[key]!r} is not one of {list(choices)}")
    if not 0.0 <= opt.decay_start <= 1.0:
        raise ConfigError(f"{prefix}.decay_start is a fraction of train.num_steps in [0, 1], got {opt.decay_start}")
    if not opt.learning_rate > 0:
        raise ConfigError(f"{prefix}.learning_rate must be positive")
    if opt.eps < 0 or opt.eps_root < 0 or not opt.eps + opt.eps_root > 0:
        raise ConfigError(f"{prefix}.eps and eps_root must be >= 0 and not both 0 (a zero gradient would divide 0 by "
                          f"0), got eps={opt.eps}, eps_root={opt.eps_root}")
    if not opt.weight_decay >= 0:
        raise ConfigError(f"{prefix}.weight_decay must be >= 0 (0 = off), got {opt.weight_decay!r}")
    if not opt.orthogonal >= 0:
        raise ConfigError(f"{prefix}.orthogonal must be >= 0 (0 = off), got {opt.orthogonal!r}")
    if not 0.0 <= opt.momentum < 1.0:
        raise ConfigError(f"{prefix}.momentum must be in [0, 1), got {opt.momentum}")
    if opt.momentum and opt.name != "sgd":
        raise ConfigError(f"{prefix}.momentum={opt.momentum} is SGD's; {prefix}.name is {opt.name!r} (set it to "
                          f"'sgd', or b1 for adam)")


def learning_rate(opt: Any, num_steps: int | None) -> float | optax.Schedule:
    """The learning rate (a float, or an optax schedule of the update count) of `opt`."""
    if opt.schedule == "constant":
        return opt.learning_rate
    start = int(round(opt.decay_start * num_steps))
    return optax.join_schedules(
        [optax.constant_schedule(opt.learning_rate),
         optax.linear_schedule(opt.learning_rate, 0.0, max(num_steps - start, 1))], [start])


def build_optimizer(opt: Any, num_steps: int | None = None) -> optax.GradientTransformation:
    """The optax transformation of `optimizer.g` / `optimizer.d`; `num_steps` (the player's number
    of updates) is needed by the linear_decay schedule."""
    if opt.schedule != "constant" and num_steps is None:
        raise ValueError(f"schedule {opt.schedule!r} needs num_steps")
    rate = learning_rate(opt, num_steps)
    if opt.name == "adam":
        tx = optax.adam(rate, b1=opt.b1, b2=opt.b2, eps=opt.eps, eps_root=opt.eps_root)
    elif opt.name == "rmsprop":
        tx = optax.rmsprop(rate, decay=opt.decay)
    else:
        tx = optax.sgd(rate, momentum=opt.momentum or None)
    regularizers = []
    if opt.weight_decay:
        regularizers.append(optax.add_decayed_weights(opt.weight_decay, mask=kernels))
    if opt.orthogonal:
        regularizers.append(add_orthogonal_regularization(opt.orthogonal))
    return optax.chain(*regularizers, tx) if regularizers else tx


def add_orthogonal_regularization(beta: float) -> optax.GradientTransformation:
    """Adds beta times the gradient of `orthogonal_regularization_sum(params)` to the gradient
    (BigGAN's "modified orthogonal regularization", applied as its authors do: to the gradient
    before the optimizer, not through the loss)."""
    grad_fn = jax.grad(orthogonal_regularization_sum)

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("orthogonal regularization needs the parameters (optax update(..., params))")
        return jax.tree.map(lambda u, g: u + beta * g.astype(u.dtype), updates, grad_fn(params)), state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


def kernels(params: Any) -> Any:
    """True for the parameters of 2 or more axes (weights; not biases, scales or slopes)."""
    return jax.tree.map(lambda p: jnp.ndim(p) >= 2, params)


def phased_optimizer(transforms: dict[str, optax.GradientTransformation]) -> optax.GradientTransformation:
    """One optax transformation made of a transformation per named phase (a player updated in
    several phases per step, each with its own optimizer state: the phased AAE). Its state is
    {phase: state}; `update` takes gradients {phase: grads} for the phases updated now, advances
    only their states and returns the sum of their updates."""
    transforms = dict(transforms)

    def init(params):
        return {name: tx.init(params) for name, tx in transforms.items()}

    def update(grads, state, params=None):
        unknown = sorted(set(grads) - set(transforms))
        if unknown or not grads:
            raise ValueError(f"phased optimizer: gradients must be keyed by some of the phases {sorted(transforms)}, "
                             f"got {sorted(grads)}")
        state, total = dict(state), None
        for name, phase_grads in grads.items():
            updates, state[name] = transforms[name].update(phase_grads, state[name], params)
            total = updates if total is None else jax.tree.map(jnp.add, total, updates)
        return total, state

    return optax.GradientTransformation(init, update)

"""LeCam regularization (Tseng et al. 2021, "Regularizing Generative Adversarial Networks under
Limited Data", CVPR, Eq. 3; code: google/lecam-gan): the discriminator's loss gets

    R_LC = E_x[ relu(D(x) - alpha_F)^2 ] + E_z[ relu(alpha_R - D(G(z)))^2 ],

alpha_R and alpha_F exponential moving averages of D's mean output on real and generated images.
The paper writes plain squares ||D(x) - alpha_F||^2; the authors' code (biggan_cifar/losses.py,
stylegan2/lecam_loss.py) and StudioGAN penalize only outputs beyond the anchors, with the ReLU:
`one_sided=True` (the default) is the code's form. The anchors follow the authors' BigGAN code and
StudioGAN: updated with each critic update's batch before the penalty is computed, equal to the
batch's mean (decay 0) for the first `start` critic updates, during which the penalty is off
(theirs: decay 0.99, start 1,000, weight 0.3 on CIFAR-10).

Config: `techniques.lecam` = {weight (0 = off), decay, start, one_sided}. The anchors are in
`state.extras["lecam"]`, so a resume is exact.
"""

import jax
import jax.numpy as jnp


def init_lecam() -> dict:
    """The anchors and the number of critic updates they have seen."""
    zero = jnp.zeros((), jnp.float32)
    return {"real": zero, "fake": zero, "updates": zero}


def update_anchors(anchors: dict, real_logits: jax.Array, fake_logits: jax.Array, *, decay: float,
                   start: int, axis_name: str | None = None) -> dict:
    """alpha <- d alpha + (1 - d) mean(D(.)), with d = 0 for the first `start` updates (and for the
    very first, so the anchors never start from an arbitrary value). The means are over the global
    batch (over the pmap axis `axis_name` too, when given)."""
    d = jnp.where(anchors["updates"] < max(start, 1), 0.0, decay)

    def mean(logits):
        value = jnp.mean(jax.lax.stop_gradient(logits))
        return value if axis_name is None else jax.lax.pmean(value, axis_name)

    return {"real": d * anchors["real"] + (1 - d) * mean(real_logits),
            "fake": d * anchors["fake"] + (1 - d) * mean(fake_logits),
            "updates": anchors["updates"] + 1}


def lecam_penalty(real_logits: jax.Array, fake_logits: jax.Array, anchors: dict, *,
                  one_sided: bool = True) -> jax.Array:
    """R_LC of one batch against the (already updated) anchors."""
    clip = jax.nn.relu if one_sided else (lambda v: v)
    return (jnp.mean(jnp.square(clip(real_logits - anchors["fake"])))
            + jnp.mean(jnp.square(clip(anchors["real"] - fake_logits))))


def lecam_active(anchors: dict, start: int) -> jax.Array:
    """Whether the penalty counts at this update (after the first `start` updates)."""
    return anchors["updates"] > start

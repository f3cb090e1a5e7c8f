"""The unrolled GAN (Metz et al. 2017): the generator's gradient through K unrolled discriminator
steps, against the closed form of a linear critic and generator, and the game through the
ordinary loop."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from experiments import load_recipe
from jaxgan import losses
from jaxgan import state as state_lib
from jaxgan.config import ConfigError, validate
from jaxgan.games.steps import GENERATOR, example_keys, latents, normal_latent, step_key
from jaxgan.games.unrolled import make_unrolled_step


class Linear(nn.Module):
    """x (B, 1) -> w x: the critic D(x) = w x (logits (B,)) or the generator G(z) = theta z."""

    critic: bool = False

    @nn.compact
    def __call__(self, x, *, train):
        out = nn.Dense(1, use_bias=False, kernel_init=nn.initializers.constant(0.7 if self.critic else 1.3))(x)
        return out[:, 0] if self.critic else out


@pytest.mark.parametrize("unroll_steps", [0, 1, 3])
def test_the_generator_gradient_is_the_closed_form_through_k_sgd_steps(unroll_steps):
    """Wasserstein losses, D(x) = w x, G(z) = theta z, SGD at eta_d for D: each unrolled step
    moves w by -eta_d (theta zbar - xbar), so after K steps w_K = w - K eta_d (theta zbar - xbar)
    and G's loss -w_K theta zbar has derivative -w zbar + K eta_d (2 theta zbar^2 - xbar zbar)."""
    eta_d, eta_g = 0.3, 0.05
    state = state_lib.create(generator=Linear(), discriminator=Linear(critic=True), g_tx=optax.sgd(eta_g),
                             d_tx=optax.sgd(eta_d), latent_shape=(1,), sample_x=jnp.zeros((1, 1)), key=0)
    real = jax.random.normal(jax.random.key(1), (1, 16, 1)) + 2.0
    step = make_unrolled_step(d_loss=losses.wasserstein_discriminator_loss, g_loss=losses.wasserstein_generator_loss,
                              unroll_steps=unroll_steps)
    new, metrics = jax.jit(step)(state, {"x": real})
    keys = example_keys(jax.random.fold_in(step_key(state), GENERATOR), jnp.arange(16))
    zbar = float(jnp.mean(latents(state, keys, normal_latent)))
    xbar, w, theta = float(jnp.mean(real)), 0.7, 1.3
    gradient = -w * zbar + unroll_steps * eta_d * (2 * theta * zbar**2 - xbar * zbar)
    np.testing.assert_allclose(new.g_params["Dense_0"]["kernel"][0, 0], theta - eta_g * gradient, rtol=1e-5)
    np.testing.assert_allclose(new.d_params["Dense_0"]["kernel"][0, 0], w - eta_d * (theta * zbar - xbar), rtol=1e-5)
    w_k = w - unroll_steps * eta_d * (theta * zbar - xbar)
    np.testing.assert_allclose(metrics["g_loss"], -w_k * theta * zbar, rtol=1e-5)


def test_the_recipe_trains_through_the_loop_with_adam_unrolled(tmp_path):
    from jaxgan.run import train

    config = load_recipe("unrolled_gan_2d").get_config()
    config.update_from_flattened_dict({"data.batch_size": 64, "model.latent_dim": 8, "model.g_hidden": (16, 16),
                                       "model.d_hidden": (16, 16), "train.num_steps": 20, "train.fused_steps": 10,
                                       "train.checkpoint_every": 10, "train.progress": False,
                                       "train.tensorboard": False, "eval.num_samples": 200})
    result = train(validate(config), str(tmp_path / "run"))
    assert result["step"] == 20 and 0 <= result["evaluation"]["per_seed"][0]["modes"] <= 8


@pytest.mark.parametrize("overrides, message", [
    ({"game.unroll_steps": -1}, "game.unroll_steps must be an integer >= 0"),
    ({"n_critic": 2}, "n_critic must be 1"),
    ({"penalties.wgan_gp": 1.0}, "(gradient_penalties) is a technique of game.name in"),
])
def test_bad_unrolled_configs_are_rejected(overrides, message):
    config = load_recipe("unrolled_gan_2d").get_config()
    config.update_from_flattened_dict(overrides)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate(config)

"""PacGAN as its authors' code trains it (fjxmlzn/PacGAN, ALI's training algorithm): the
generator's BatchNorm per pack slot, simultaneous updates, N(0, 0.02) initialization and the
running averages' 0.05 weight, each checked against a hand computation."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import ADAM, max_abs_diff, ns_step, real_batches, small_state

from experiments.two_d import pacgan_2d
from jaxgan import data, losses
from jaxgan.config import ConfigError, base_config, validate
from jaxgan.games.steps import apply, critic_keys, example_keys, generator_key, latents, normal_latent, step_key
from jaxgan.nets import MLPGenerator
from jaxgan.nets.registry import build_networks
from jaxgan.techniques import per_slot

EPS = 1e-5  # flax BatchNorm's epsilon


def test_per_slot_batch_norm_normalizes_each_slot_with_its_own_statistics():
    """A one-hidden-layer generator on 6 latents in 2 slots: slot i holds latents i, i + 2, i + 4;
    each slot's pre-activations are normalized with that slot's mean and (biased) variance, and
    the running averages move by 0.1 of the mean of the two slots' statistics."""
    generator = MLPGenerator(hidden=(3,), output_dim=2, norm="batch")
    z = jax.random.normal(jax.random.key(0), (6, 4))
    variables = generator.init(jax.random.key(1), z, train=False)
    params, stats = variables["params"], {"batch_stats": variables["batch_stats"]}
    run = lambda inputs: apply(generator, params, stats, inputs, train=True)
    out, updated = per_slot(run, z, 2)

    w1, w2, b2 = (np.asarray(params[layer][name], np.float64)
                  for layer, name in (("Dense_0", "kernel"), ("Dense_1", "kernel"), ("Dense_1", "bias")))
    h = np.asarray(z, np.float64) @ w1
    expected = np.zeros((6, 2))
    means, variances = [], []
    for slot in range(2):
        rows = h[slot::2]
        mean, var = rows.mean(0), rows.var(0)
        means.append(mean)
        variances.append(var)
        expected[slot::2] = np.maximum((rows - mean) / np.sqrt(var + EPS), 0) @ w2 + b2
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-4, atol=1e-5)
    bn = updated["batch_stats"]["BatchNorm_0"]
    np.testing.assert_allclose(bn["mean"], 0.1 * np.mean(means, 0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(bn["var"], 0.9 + 0.1 * np.mean(variances, 0), rtol=1e-4)
    joint, _ = run(z)
    assert float(jnp.max(jnp.abs(joint - out))) > 1e-2  # the joint batch's statistics differ
    with pytest.raises(ValueError, match="batch size 6 is not divisible by the packing degree 4"):
        per_slot(run, z, 4)


def test_the_gan_step_runs_its_generator_per_slot():
    """With generator_slots=2 the G update's BatchNorm averages are those of `per_slot` on the
    update's latents; with 1 they are the joint batch's."""
    state = small_state()
    batch = real_batches(1, 1, 8)[0]
    z = latents(state, example_keys(generator_key(step_key(state)), jnp.arange(8)), normal_latent)
    for slots in (2, 1):
        new_state, _ = jax.jit(ns_step(generator_slots=slots))(state, batch)
        run = lambda inputs: apply(state.generator, state.g_params, state.g_state, inputs, train=True)
        _, expected = per_slot(run, z, slots) if slots > 1 else run(z)
        assert max_abs_diff(new_state.g_state, expected) < 1e-6
    with pytest.raises(ValueError, match="generator_slots must be a positive integer"):
        ns_step(generator_slots=0)


def test_simultaneous_update_is_two_optimizer_steps_from_the_same_state():
    """ALI's algorithm: D's and G's gradients at the starting parameters, on the same real batch
    and the same latents, each applied by its own optimizer."""
    state = small_state(d_norm="none")
    batch = real_batches(1, 1, 8)[0]
    real = batch["x"][0]
    z = latents(state, example_keys(critic_keys(step_key(state), 1)[0], jnp.arange(8)), normal_latent)
    critic = lambda params, x: apply(state.discriminator, params, state.d_state, x, train=True)[0]
    generate = lambda params: apply(state.generator, params, state.g_state, z, train=True)[0]

    fake = generate(state.g_params)
    d_grads = jax.grad(lambda p: losses.minimax_discriminator_loss(critic(p, real), critic(p, fake)))(state.d_params)
    g_grads = jax.grad(lambda p: losses.non_saturating_generator_loss(
        critic(state.d_params, real), critic(state.d_params, generate(p))))(state.g_params)
    d_updates, _ = ADAM.update(d_grads, state.d_opt_state, state.d_params)
    g_updates, _ = ADAM.update(g_grads, state.g_opt_state, state.g_params)

    new_state, _ = jax.jit(ns_step(simultaneous=True))(state, batch)
    assert max_abs_diff(new_state.d_params, optax.apply_updates(state.d_params, d_updates)) < 1e-6
    assert max_abs_diff(new_state.g_params, optax.apply_updates(state.g_params, g_updates)) < 1e-6
    alternating, _ = jax.jit(ns_step())(state, batch)
    assert max_abs_diff(alternating.d_params, new_state.d_params) == 0.0  # D's update is the same
    assert max_abs_diff(alternating.g_params, new_state.g_params) > 1e-5  # G's sees another D
    with pytest.raises(ValueError, match="simultaneous updates take one critic update per step"):
        ns_step(simultaneous=True, n_critic=5)


def test_pacgan_2d_starts_from_the_authors_initialization():
    """Every kernel N(0, 0.02^2), every bias 0, BatchNorm scale 1 and offset 0 (their
    IsotropicGaussian(0.02) and Constant(0)); the generator's hidden layers have no bias."""
    config = pacgan_2d.get_config(4)
    generator, critic = build_networks(config.model, data.example_shape(config.data), image=False,
                                       features_only=False, axis_name=None, penalized=False)
    g_vars = generator.init(jax.random.key(0), jnp.zeros((8, 2)), train=False)
    d_vars = critic.init(jax.random.key(1), jnp.zeros((8, 2)), train=False)
    kernels = [x for path, x in jax.tree_util.tree_leaves_with_path((g_vars["params"], d_vars["params"]))
               if "kernel" in jax.tree_util.keystr(path)]
    big = np.concatenate([np.ravel(k) for k in kernels if k.size >= 10_000])
    assert big.size == 3 * 400 * 400 + 2 * 200 * 1000  # G 400 -> 400 thrice, D 200 -> 200 x 5 pieces twice
    assert abs(big.std() - 0.02) < 0.0002 and abs(big.mean()) < 0.0002
    assert all(abs(np.std(k) - 0.02) < 0.006 for k in kernels)
    others = [(jax.tree_util.keystr(p), x) for p, x in jax.tree_util.tree_leaves_with_path(
        (g_vars["params"], d_vars["params"])) if "kernel" not in jax.tree_util.keystr(p)]
    assert others and all(np.all(x == (1.0 if "scale" in name else 0.0)) for name, x in others)
    g_dense = {name: sorted(layer) for name, layer in g_vars["params"].items() if name.startswith("Dense")}
    assert g_dense == {**{f"Dense_{i}": ["kernel"] for i in range(4)}, "Dense_4": ["bias", "kernel"]}


def test_bn_momentum_sets_the_running_averages_weight():
    generator = MLPGenerator(hidden=(5,), output_dim=2, norm="batch", bn_momentum=0.95)
    z = jax.random.normal(jax.random.key(0), (16, 3))
    variables = generator.init(jax.random.key(1), z, train=False)
    _, updated = apply(generator, variables["params"], {"batch_stats": variables["batch_stats"]}, z, train=True)
    h = np.asarray(z @ variables["params"]["Dense_0"]["kernel"])
    np.testing.assert_allclose(updated["batch_stats"]["BatchNorm_0"]["mean"], 0.05 * h.mean(0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(updated["batch_stats"]["BatchNorm_0"]["var"], 0.95 + 0.05 * h.var(0), rtol=1e-4)


def test_pacgan_2d_defaults_are_the_authors_and_the_options_are_checked():
    config = pacgan_2d.get_config(4)
    assert (config.game.packing_bn, config.game.updates, config.model.init_std, config.model.bn_momentum) == (
        "per_slot", "simultaneous", 0.02, 0.95)
    validate(config)
    validate(pacgan_2d.get_config(1))  # one slot: per-slot BatchNorm is the joint one
    for key, value, message in (("game.packing_bn", "slots", "game.packing_bn='slots' is not one of"),
                                ("game.updates", "together", "game.updates='together' is not one of"),
                                ("model.bn_momentum", 1.0, "model.bn_momentum")):
        bad = pacgan_2d.get_config(4)
        bad.update_from_flattened_dict({key: value})
        with pytest.raises(ConfigError, match=message):
            validate(bad)
    bad = pacgan_2d.get_config(4)
    bad.n_critic = 5
    with pytest.raises(ConfigError, match="game.updates='simultaneous' takes one critic update per step"):
        validate(bad)
    other_game = base_config()
    other_game.game.name = "unrolled"
    other_game.game.updates = "simultaneous"
    with pytest.raises(ConfigError, match="game.updates"):
        validate(other_game)

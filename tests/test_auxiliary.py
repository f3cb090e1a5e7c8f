"""Auxiliary, semi-supervised, InfoGAN and reconstruction terms against hand-computed values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.special import log_softmax, logsumexp
from scipy.stats import norm

from jaxgan import losses, techniques

# TF-GAN's ACGAN vectors (losses_impl_test.py)
GEN = jnp.array([[10.0, 4.4, -5.5, 3.6], [-4.0, 4.4, 5.2, 4.6], [1.1, 2.4, -3.5, 5.6], [1.1, 2.4, -3.5, 5.6]])
REAL = jnp.array([[-2.0, 0.4, 12.5, 2.7], [-1.2, 1.9, 12.3, 2.6], [-2.4, -1.7, 2.5, 2.7], [1.1, 2.4, -3.5, 5.6]])
LABELS = jnp.array([1, 2, 0, 0])


def test_acgan_tfgan_vectors():
    np.testing.assert_allclose(losses.classification_loss(GEN, LABELS), 3.84974, atol=1e-5)
    np.testing.assert_allclose(
        losses.classification_loss(REAL, LABELS) + losses.classification_loss(GEN, LABELS), 9.43950, atol=1e-5
    )


def test_classification_takes_logits_not_probabilities():
    """Fails if the loss applied softmax to already-normalized inputs or expected probabilities."""
    expected = -np.mean(log_softmax(np.asarray(GEN), axis=1)[np.arange(4), np.asarray(LABELS)])
    np.testing.assert_allclose(losses.classification_loss(GEN, LABELS), expected, rtol=1e-6)
    probabilities = jax.nn.softmax(GEN)
    assert abs(float(losses.classification_loss(probabilities, LABELS)) - expected) > 0.5


def test_classification_rejects_bad_shapes_and_dtypes():
    with pytest.raises(ValueError, match=r"\(B, K\)"):
        losses.classification_loss(jnp.zeros(4), LABELS)
    with pytest.raises(ValueError, match=r"labels of shape \(4,\)"):
        losses.classification_loss(GEN, jnp.zeros((4, 1), jnp.int32))
    with pytest.raises(TypeError, match="integers"):
        losses.classification_loss(GEN, jnp.zeros(4))


def test_k_plus_one_loss_by_hand():
    lab, unl, fake = np.asarray(REAL), np.asarray(GEN), np.asarray(GEN[::-1])
    k = 3  # four logits: three classes and "fake"
    expected = (
        -np.mean(log_softmax(lab, 1)[np.arange(4), np.asarray(LABELS)])
        - np.mean(np.log(1 - np.exp(log_softmax(unl, 1)[:, k])))
        - np.mean(log_softmax(fake, 1)[:, k])
    )
    got = losses.k_plus_one_discriminator_loss(REAL, LABELS, GEN, GEN[::-1])
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_salimans_k_logit_loss_by_hand_and_as_k_plus_one_with_zero_fake_logit():
    lab, unl, fake = REAL[:, :3], GEN[:, :3], GEN[::-1, :3]
    labels = jnp.array([1, 2, 0, 0])
    z_real, z_fake = np.exp(logsumexp(np.asarray(unl), 1)), np.exp(logsumexp(np.asarray(fake), 1))
    expected = (
        -np.mean(log_softmax(np.asarray(lab), 1)[np.arange(4), np.asarray(labels)])
        - np.mean(np.log(z_real / (z_real + 1)))
        - np.mean(np.log(1 / (z_fake + 1)))
    )
    np.testing.assert_allclose(losses.salimans_discriminator_loss(lab, labels, unl, fake), expected, rtol=1e-5)
    pad = lambda l: jnp.concatenate([l, jnp.zeros((l.shape[0], 1))], axis=1)
    unsupervised_k1 = losses.k_plus_one_discriminator_loss(
        pad(lab), labels, pad(unl), pad(fake)
    ) - losses.classification_loss(pad(lab), labels)
    unsupervised_salimans = losses.salimans_discriminator_loss(lab, labels, unl, fake) - losses.classification_loss(
        lab, labels
    )
    np.testing.assert_allclose(unsupervised_salimans, unsupervised_k1, rtol=1e-5)


def test_info_gan_code_losses():
    codes = jnp.array([2, 0, 1])
    logits = jnp.array([[0.1, 0.2, 3.0], [1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(losses.categorical_code_loss(logits, codes), losses.classification_loss(logits, codes))
    mean = jnp.array([[0.0, 1.0], [0.5, -0.5], [2.0, 0.0]])
    log_std = jnp.array([[0.0, 0.3], [-0.2, 0.0], [0.1, 0.1]])
    c = jnp.array([[0.3, 0.7], [0.5, 1.0], [-1.0, 0.2]])
    expected = -np.mean(np.sum(norm.logpdf(np.asarray(c), np.asarray(mean), np.exp(np.asarray(log_std))), axis=1))
    np.testing.assert_allclose(losses.gaussian_code_loss(mean, log_std, c), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="share a shape"):
        losses.gaussian_code_loss(mean, log_std[:2], c)


def test_feature_matching_and_reconstruction_terms():
    real = jnp.arange(12.0).reshape(3, 2, 2)
    fake = jnp.ones((3, 2, 2))
    diff = np.asarray(real).reshape(3, -1).mean(0) - 1.0
    np.testing.assert_allclose(losses.feature_matching_loss(real, fake), np.sum(diff**2), rtol=1e-6)
    assert float(losses.feature_matching_loss(real, real[::-1])) == 0.0  # only batch means matter
    x, y = jnp.array([1.0, -2.0]), jnp.array([0.0, 1.0])
    np.testing.assert_allclose(losses.l1_loss(x, y), 2.0)
    np.testing.assert_allclose(losses.l2_loss(x, y), 5.0)
    np.testing.assert_allclose(losses.identity_loss(x, y), 2.0)
    # TF-GAN's cycle_consistency_loss vector is 5.25, the average of the two terms; ours sums them.
    np.testing.assert_allclose(
        losses.cycle_consistency_loss(
            jnp.array([[1.0, 2, 3], [4, 5, 6]]),
            jnp.array([[7.0, 8, 9], [10, 11, 12]]),
            jnp.array([1.0, 9]),
            jnp.array([-2.0, 3]),
        ),
        2 * 5.25,
    )


def test_historical_average_running_mean_and_penalty():
    history = [{"w": jnp.array([1.0, 2.0])}, {"w": jnp.array([3.0, -2.0])}, {"w": jnp.array([5.0, 3.0])}]
    average = history[0]
    for count, params in enumerate(history[1:], start=2):
        average = techniques.update_running_average(average, params, count)
    np.testing.assert_allclose(average["w"], [3.0, 1.0])
    np.testing.assert_allclose(techniques.historical_average_penalty({"w": jnp.array([4.0, 4.0])}, average), 1.0 + 9.0)


@pytest.mark.parametrize(
    "fn, args",
    [
        (losses.feature_matching_loss, (jnp.array([[0.3, 1.0], [2.0, -1.0]]), jnp.array([[0.1, 0.2], [0.4, 0.5]]))),
        (losses.l2_loss, (jnp.array([0.3, 1.0]), jnp.array([0.1, 0.2]))),
        (lambda l: losses.classification_loss(l, LABELS), (GEN / 4,)),
        (lambda l: losses.salimans_discriminator_loss(l, LABELS, l * 0.5, -l), (GEN / 4,)),
        (lambda l: losses.k_plus_one_discriminator_loss(l, LABELS, l * 0.5, -l), (GEN / 4,)),
        (
            lambda m, s: losses.gaussian_code_loss(m, s, jnp.ones_like(m)),
            (jnp.array([[0.2, 0.1]]), jnp.array([[0.1, -0.3]])),
        ),
    ],
)
def test_auxiliary_gradients_match_finite_differences(fn, args):
    check_grads(fn, args, order=2, modes=["rev"], atol=1e-2, rtol=1e-2)


def test_remaining_terms_gradients_and_jit():
    a, b = jnp.array([0.3, -1.0, 2.0]), jnp.array([0.1, 0.2, -0.4])
    for fn in (losses.l1_loss, losses.identity_loss, lambda x, y: losses.cycle_consistency_loss(x, y, y, x)):
        check_grads(fn, (a, b), order=1, modes=["rev"], atol=1e-2, rtol=1e-2)
        np.testing.assert_allclose(jax.jit(fn)(a, b), fn(a, b), rtol=1e-6)
    check_grads(
        lambda p: techniques.historical_average_penalty({"w": p}, {"w": b}),
        (a,),
        order=2,
        modes=["rev"],
        atol=1e-2,
        rtol=1e-2,
    )

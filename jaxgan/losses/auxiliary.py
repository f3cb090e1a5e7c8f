"""Auxiliary, semi-supervised, information and reconstruction terms (pure, batch means).

Class logits have shape (B, K) and integer labels shape (B,); softmax lives here, inside
`optax.softmax_cross_entropy_with_integer_labels`. Pass logits, never probabilities.
"""

import jax
import jax.numpy as jnp
import optax


def _check_class_logits(logits, labels=None):
    if logits.ndim != 2:
        raise ValueError(f"expected class logits of shape (B, K), got {logits.shape}")
    if labels is not None and labels.shape != logits.shape[:1]:
        raise ValueError(f"expected integer labels of shape ({logits.shape[0]},), got {labels.shape}")
    if labels is not None and not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(f"labels must be integers (class indices), got dtype {labels.dtype}")


def classification_loss(class_logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy -log softmax(l)_y of class logits (B, K) at integer labels (B,).

    The ACGAN auxiliary loss (Odena et al. 2017, Eq. 2, L_C): both players minimize it, D on real
    and fake images, G on its fakes with the requested classes. TF-GAN's `acgan_generator_loss`
    is `classification_loss(fake_logits, labels)` and its discriminator loss the sum over the real
    and fake batches.
    """
    _check_class_logits(class_logits, labels)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(class_logits, labels))


def k_plus_one_discriminator_loss(labeled_logits: jax.Array, labels: jax.Array, unlabeled_logits: jax.Array,
                                  fake_logits: jax.Array, *, unlabeled_weight: float = 1.0) -> jax.Array:
    """Semi-supervised discriminator with K + 1 classes, the last one "fake" (Odena 2016;
    Salimans et al. 2016, Sec. 5). Logits (B, K + 1).

    L = E_labeled[-log p(y | x)] + w (E_unlabeled[-log(1 - p(K+1 | x))] + E_fake[-log p(K+1 | x)]),
    with -log(1 - p(K+1 | x)) = logsumexp(l) - logsumexp(l[:K]) and w = `unlabeled_weight`.
    """
    for logits in (labeled_logits, unlabeled_logits, fake_logits):
        _check_class_logits(logits)
    fake_class = labeled_logits.shape[1] - 1
    supervised = classification_loss(labeled_logits, labels)
    unsupervised_real = jnp.mean(
        jax.nn.logsumexp(unlabeled_logits, axis=1) - jax.nn.logsumexp(unlabeled_logits[:, :fake_class], axis=1)
    )
    fake_labels = jnp.full((fake_logits.shape[0],), fake_class)
    return supervised + unlabeled_weight * (unsupervised_real + classification_loss(fake_logits, fake_labels))


def salimans_discriminator_loss(labeled_logits: jax.Array, labels: jax.Array, unlabeled_logits: jax.Array,
                                fake_logits: jax.Array, *, unlabeled_weight: float = 1.0) -> jax.Array:
    """Semi-supervised discriminator with K logits (Salimans et al. 2016, Sec. 5): the fake logit
    is fixed at 0, so D(x) = Z(x) / (Z(x) + 1) with Z = sum_k exp l_k, i.e. logit D = logsumexp(l).

    L = E_labeled[-log p(y | x)] + w (E_unlabeled[softplus(-lse(l))] + E_fake[softplus(lse(l))]).
    The paper's L_supervised + L_unsupervised is w = 1; its released MNIST code
    (train_mnist_feature_matching.py, `loss_unl`) weights the unlabeled terms by w = 0.5.
    Pair it with `feature_matching_loss` for G, as the paper does.
    """
    for logits in (labeled_logits, unlabeled_logits, fake_logits):
        _check_class_logits(logits)
    real_lse = jax.nn.logsumexp(unlabeled_logits, axis=1)
    fake_lse = jax.nn.logsumexp(fake_logits, axis=1)
    unsupervised = jnp.mean(jax.nn.softplus(-real_lse)) + jnp.mean(jax.nn.softplus(fake_lse))
    return classification_loss(labeled_logits, labels) + unlabeled_weight * unsupervised


def categorical_code_loss(code_logits: jax.Array, codes: jax.Array) -> jax.Array:
    """InfoGAN mutual-information term for a categorical code (Chen et al. 2016, Eq. 4-5):
    -E[log Q(c | G(z, c))], the negative of the variational lower bound L_I up to the constant
    entropy H(c). `code_logits` (B, K) from the Q head, `codes` (B,) the sampled categories."""
    return classification_loss(code_logits, codes)


def gaussian_code_loss(mean: jax.Array, log_std: jax.Array, codes: jax.Array) -> jax.Array:
    """InfoGAN term for continuous codes with a factored Gaussian Q (Chen et al. 2016, Sec. 5):
    -E[log Q(c | x)] = mean over the batch of sum_d [(c_d - mu_d)^2 / (2 s_d^2) + log s_d + log(2 pi)/2].
    Shapes (B, D) each; `log_std = 0` gives the fixed-variance form the paper used."""
    if not mean.shape == log_std.shape == codes.shape:
        raise ValueError(
            f"mean, log_std and codes must share a shape, got {mean.shape}, {log_std.shape}, {codes.shape}"
        )
    nll = 0.5 * jnp.square((codes - mean) * jnp.exp(-log_std)) + log_std + 0.5 * jnp.log(2 * jnp.pi)
    return jnp.mean(jnp.sum(nll.reshape(nll.shape[0], -1), axis=1))


def feature_matching_loss(real_features: jax.Array, fake_features: jax.Array) -> jax.Array:
    """Feature matching (Salimans et al. 2016, Sec. 3.1): ||E_x f(x) - E_z f(G(z))||_2^2 over an
    intermediate layer's features (B, ...), flattened per example."""
    real = real_features.reshape(real_features.shape[0], -1)
    fake = fake_features.reshape(fake_features.shape[0], -1)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature sizes differ: {real_features.shape} vs {fake_features.shape}")
    return jnp.sum(jnp.square(jnp.mean(real, axis=0) - jnp.mean(fake, axis=0)))


def l1_loss(target: jax.Array, prediction: jax.Array) -> jax.Array:
    """Mean absolute error, the L1 reconstruction term (Pix2Pix, Isola et al. 2017, Eq. 3)."""
    return jnp.mean(jnp.abs(target - prediction))


def l2_loss(target: jax.Array, prediction: jax.Array) -> jax.Array:
    """Mean squared error, the L2 reconstruction term (e.g. AAE reconstruction, context encoders)."""
    return jnp.mean(jnp.square(target - prediction))


def cycle_consistency_loss(x: jax.Array, x_cycled: jax.Array, y: jax.Array, y_cycled: jax.Array) -> jax.Array:
    """CycleGAN cycle loss (Zhu et al. 2017, Eq. 2): E||F(G(x)) - x||_1 + E||G(F(y)) - y||_1,
    each term a mean absolute error. (TF-GAN averages the two terms: half of this value.)"""
    return l1_loss(x, x_cycled) + l1_loss(y, y_cycled)


def identity_loss(y: jax.Array, g_of_y: jax.Array) -> jax.Array:
    """CycleGAN identity loss (Zhu et al. 2017, Sec. 5.2, from Taigman et al. 2017):
    E||G(y) - y||_1 for y already in G's target domain."""
    return l1_loss(y, g_of_y)


def pulling_away_term(embeddings: jax.Array) -> jax.Array:
    """EBGAN's pulling-away term (Zhao et al. 2017, Eq. 7) on a batch of embeddings S (N, E):
    f_PT = 1 / (N (N - 1)) sum_{i != j} (S_i . S_j / (|S_i| |S_j|))^2, the mean squared cosine
    similarity of distinct pairs; it pushes a batch of fakes apart in D's code space."""
    s = embeddings.reshape(embeddings.shape[0], -1)
    n = s.shape[0]
    unit = s / jnp.maximum(jnp.linalg.norm(s, axis=1, keepdims=True), 1e-12)
    cosine = unit @ unit.T
    return (jnp.sum(jnp.square(cosine)) - jnp.sum(jnp.square(jnp.diagonal(cosine)))) / (n * (n - 1))

"""Discriminator heads for conditional, auxiliary-classifier, semi-supervised and InfoGAN games.

`AuxiliaryDiscriminator` puts heads on a feature body (any discriminator built with
`features_only=True`) and returns a dict of logits, never probabilities:
  "logit"        (B,)   real-vs-fake logit,
  "features"     (B, F) the body's last features (feature matching),
  "class_logits" (B, K) ACGAN's auxiliary classifier, or (B, K+1) / (B, K) semi-supervised,
  "code_logits"  (B, Kc), "code_mean" (B, C): InfoGAN's Q head.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.nets.layers import WeightNormDense
from jaxgan.techniques import spectral_norm

CONDITIONING = ("none", "projection", "concat")
CLASS_HEADS = ("none", "separate", "k_plus_one", "salimans")
Q_NORMS = ("none", "batch")


class AuxiliaryDiscriminator(nn.Module):
    """Heads on a discriminator body.

    conditioning (CGAN, Mirza & Osindero 2014): the input is `(x, labels)`.
      "concat": one-hot labels join the input (as constant channels for image bodies when
        `concat_as_channels`, else appended to the flattened input), Mirza's form.
      "projection": logit = psi(phi(x)) + <embed(y), phi(x)> (Miyato & Koyama 2018, Eq. 3).
    class_head:
      "separate": a K-way auxiliary classifier beside the logit (ACGAN, Odena et al. 2017).
      "k_plus_one": K+1 logits, the last one "fake" (Odena 2016); the real-vs-fake logit is
        log sum_{k<K} exp l_k - l_K, i.e. log p(real) - log p(fake).
      "salimans": K logits with the fake logit fixed at 0 (Salimans et al. 2016, Sec. 5); the
        real-vs-fake logit is logsumexp(l).
    feature_noise: standard deviation of Gaussian noise added to the body's features before the
      heads while training (the Improved-GAN MNIST discriminator's noise after its last hidden
      layer; `out["features"]` stays clean, the layer its feature matching reads).
    head_weight_norm_data_init: the K / K+1 class head is a `WeightNormDense` with data-dependent
      initialization and a trainable scale (the Improved-GAN code's output layer).
    spectral_norm: the logit head, the projection embedding and the class head are spectrally
      normalized (Miyato & Koyama 2018's projection discriminator and BigGAN, whose bodies are;
      `Family.sn_heads`); their power iterations advance in training calls only.
    categorical_codes, continuous_codes: InfoGAN's Q network (Chen et al. 2016, App. C): it shares
      the body and adds one hidden layer of `q_hidden` units, BatchNorm'd before its LeakyReLU when
      `q_norm="batch"` (the authors' code, openai/InfoGAN `regularized_gan.py`: fc 128 ->
      fc_batch_norm -> leaky_rectify); its statistics are synchronized over `axis_name`, as the
      body's.

    Example:
      >>> d = AuxiliaryDiscriminator(body=MLPDiscriminator(hidden=(64,), features_only=True),
      ...                            num_classes=10, class_head="separate")
      >>> out = d.apply(d.init(key, x, train=False), x, train=False)   # out["class_logits"]: (B, 10)
    """

    body: nn.Module
    num_classes: int = 0
    conditioning: str = "none"
    class_head: str = "none"
    categorical_codes: int = 0
    continuous_codes: int = 0
    q_hidden: int = 128
    q_norm: str = "none"
    axis_name: str | None = None
    concat_as_channels: bool = False
    feature_noise: float = 0.0
    head_weight_norm_data_init: bool = False
    spectral_norm: bool = False

    @nn.compact
    def __call__(self, inputs, *, train: bool):
        if self.conditioning not in CONDITIONING or self.class_head not in CLASS_HEADS or self.q_norm not in Q_NORMS:
            raise ValueError(f"conditioning must be one of {CONDITIONING}, class_head one of {CLASS_HEADS} and "
                             f"q_norm one of {Q_NORMS}, got {self.conditioning!r}, {self.class_head!r}, "
                             f"{self.q_norm!r}")
        labels = None
        if self.conditioning == "none":
            x = inputs
        else:
            x, labels = inputs
            if labels.shape != x.shape[:1] or not jnp.issubdtype(labels.dtype, jnp.integer):
                raise ValueError(f"expected integer labels of shape ({x.shape[0]},), got {labels.dtype} {labels.shape}")
        if self.conditioning == "concat":
            one_hot = jax.nn.one_hot(labels, self.num_classes, dtype=x.dtype)
            if self.concat_as_channels:
                maps = jnp.broadcast_to(one_hot[:, None, None, :], x.shape[:-1] + (self.num_classes,))
                x = jnp.concatenate([x, maps], axis=-1)
            else:
                x = jnp.concatenate([x.reshape(x.shape[0], -1), one_hot], axis=1)
        features = self.body(x, train=train)
        out = {"features": features}
        head = lambda layer, inputs: spectral_norm.normalized(layer, inputs, train=train, on=self.spectral_norm)
        h = features
        if train and self.feature_noise:
            h = h + self.feature_noise * jax.random.normal(self.make_rng("noise"), h.shape, h.dtype)
        if self.class_head in ("k_plus_one", "salimans"):
            units = self.num_classes + (self.class_head == "k_plus_one")
            if self.head_weight_norm_data_init:
                logits = WeightNormDense(units, data_init=True, name="class_head")(h)
            else:
                logits = head(nn.Dense(units, name="class_head"), h)
            out["class_logits"] = logits
            real = jax.nn.logsumexp(logits[:, : self.num_classes], axis=1)
            out["logit"] = real - logits[:, self.num_classes] if self.class_head == "k_plus_one" else real
        else:
            logit = head(nn.Dense(1, name="logit_head"), h)[:, 0]
            if self.conditioning == "projection":
                embedding = head(nn.Embed(self.num_classes, h.shape[-1], name="projection"), labels)
                logit = logit + jnp.sum(embedding * h, axis=1)
            out["logit"] = logit
            if self.class_head == "separate":
                out["class_logits"] = head(nn.Dense(self.num_classes, name="class_head"), h)
        if self.categorical_codes or self.continuous_codes:
            q = nn.Dense(self.q_hidden, use_bias=self.q_norm == "none", name="q_hidden")(h)
            if self.q_norm == "batch":
                q = nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=self.axis_name,
                                 name="q_batch_norm")(q)
            q = nn.leaky_relu(q, 0.2)
            if self.categorical_codes:
                out["code_logits"] = nn.Dense(self.categorical_codes, name="q_categorical")(q)
            if self.continuous_codes:
                out["code_mean"] = nn.Dense(self.continuous_codes, name="q_continuous")(q)
        return out

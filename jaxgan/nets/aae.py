"""Adversarial autoencoder networks (Makhzani et al. 2016): MLP encoder and decoder, and
discriminators on the code."""

import math
from collections.abc import Sequence

import flax.linen as nn
import jax.numpy as jnp

from jaxgan.nets.mlp import MLPDiscriminator


class AdversarialAutoencoder(nn.Module):
    """Encoder x -> {"style": z (B, code_dim), "class_logits": (B, K) when num_classes and
    `infer_class`} and decoder latent -> x in [-1, 1].

    Calling the module decodes, so it sits in the generator slot of the train state and
    `games.generate` samples from the prior through the decoder. The decoder's input is the
    `latents.Prior` layout `[one_hot(y) (K), z]`: K = 0 unsupervised, the given label in the
    supervised variant, the encoder's softmax(y) in the semi-supervised one (Makhzani Sec. 2.3, 5).
    The paper's MNIST networks: two hidden ReLU layers of 1000 units each side.
    """

    image_shape: Sequence[int] = (28, 28, 1)
    code_dim: int = 8
    num_classes: int = 0
    infer_class: bool = False
    hidden: Sequence[int] = (1000, 1000)

    def setup(self):
        self.encoder_layers = [nn.Dense(w) for w in self.hidden]
        self.style_out = nn.Dense(self.code_dim)
        self.class_out = nn.Dense(self.num_classes) if self.infer_class else None
        self.decoder_layers = [nn.Dense(w) for w in reversed(self.hidden)]
        self.image_out = nn.Dense(math.prod(self.image_shape))

    def encode(self, x, *, train: bool = False):
        h = x.reshape(x.shape[0], -1)
        for layer in self.encoder_layers:
            h = nn.relu(layer(h))
        out = {"style": self.style_out(h)}
        if self.infer_class:
            out["class_logits"] = self.class_out(h)
        return out

    def __call__(self, latent, *, train: bool = False):
        if self.is_initializing():  # create both halves' parameters in one `init`
            self.encode(jnp.zeros((1,) + tuple(self.image_shape)), train=train)
        h = latent
        for layer in self.decoder_layers:
            h = nn.relu(layer(h))
        return jnp.tanh(self.image_out(h)).reshape((latent.shape[0],) + tuple(self.image_shape))


class CodeDiscriminators(nn.Module):
    """Discriminators on codes: {"style": (B, Z) [, "category": (B, K)]} -> logits of the same
    keys, one MLP each (the semi-supervised AAE has a second one on the categorical code)."""

    hidden: Sequence[int] = (1000, 1000)

    @nn.compact
    def __call__(self, codes, *, train: bool):
        return {name: MLPDiscriminator(hidden=tuple(self.hidden), name=name)(codes[name], train=train)
                for name in sorted(codes)}

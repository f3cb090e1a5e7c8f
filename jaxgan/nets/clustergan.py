"""ClusterGAN's generator with its encoder beside it (Mukherjee et al. 2019, AAAI; their code,
sudiptodip15/ClusterGAN): the encoder E has the discriminator's architecture with a linear output
of the latent's size, and is trained with the generator."""

from collections.abc import Sequence

import flax.linen as nn
import jax.numpy as jnp


class ClusterGANNetworks(nn.Module):
    """Calling it generates: G(latent) with the `latents.Prior` layout [one_hot(c) (K), z_n];
    `encode(x)` gives E(x) = {"logits": zeta_c logits (B, K), "noise": zeta_n (B, noise_dim)},
    a linear layer on `encoder`'s features (the family's discriminator body, `features_only`).

    It sits in the generator slot of the train state (as the AAE's autoencoder does), so G and E
    share one optimizer, as in the authors' code (one Adam over both variable lists).
    """

    generator: nn.Module
    encoder: nn.Module
    num_classes: int = 10
    noise_dim: int = 30
    image_shape: Sequence[int] = (28, 28, 1)

    def setup(self):
        self.head = nn.Dense(self.num_classes + self.noise_dim)

    def encode(self, x, *, train: bool = False):
        out = self.head(self.encoder(x, train=train)).astype(jnp.float32)
        return {"logits": out[:, :self.num_classes], "noise": out[:, self.num_classes:]}

    def __call__(self, latent, *, train: bool = False):
        if self.is_initializing():  # create the encoder's parameters in the same `init`
            self.encode(jnp.zeros((1,) + tuple(self.image_shape)), train=train)
        return self.generator(latent, train=train)

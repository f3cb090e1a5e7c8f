"""EBGAN's discriminator: an autoencoder whose reconstruction error is the energy (Zhao et al.
2017, Sec. 2.3)."""

from collections.abc import Sequence

import flax.linen as nn
import jax.numpy as jnp


class AutoencoderDiscriminator(nn.Module):
    """D(x) = mean over pixels of (Dec(Enc(x)) - x)^2, per example, with an MLP encoder
    x -> hidden[0] -> ... -> hidden[-1] (the embedding S) and its mirror as decoder.

    Returns {"energy": (B,), "embedding": (B, hidden[-1])}; the embedding feeds EBGAN's
    pulling-away term. `train` is accepted for the step's calling convention (nothing here
    depends on it).
    """

    hidden: Sequence[int] = (256, 64)

    @nn.compact
    def __call__(self, x, train=True):
        del train
        flat = x.reshape(x.shape[0], -1).astype(jnp.float32)
        h = flat
        for i, width in enumerate(self.hidden):
            h = nn.Dense(width, name=f"encoder_{i}")(h)
            if i < len(self.hidden) - 1:
                h = nn.relu(h)
        embedding = h
        for i, width in enumerate(reversed(self.hidden[:-1])):
            h = nn.relu(nn.Dense(width, name=f"decoder_{i}")(h))
        reconstruction = nn.Dense(flat.shape[1], name="decoder_out")(h)
        return {"energy": jnp.mean(jnp.square(reconstruction - flat), axis=1), "embedding": embedding}

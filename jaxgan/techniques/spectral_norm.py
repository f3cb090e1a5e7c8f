"""Spectral normalization (Miyato et al. 2018, "Spectral Normalization for Generative
Adversarial Networks", Eq. 8 and Algorithm 1): each layer's weight divided by its largest
singular value, estimated by one power iteration per training call. The power-iteration vectors
are flax variables (collection `batch_stats`), so they live in the train state's `d_state`, are
checkpointed and resume exactly.

Config: `model.d_spectral_norm` (the MLP and DCGAN critics; the SNGAN ResNet has it always).
"""

import flax.linen as nn
import jax


def normalized(layer: nn.Module, x: jax.Array, *, train: bool, on: bool = True) -> jax.Array:
    """`layer(x)` with the layer spectrally normalized (when `on`); the power iteration advances
    only in training calls."""
    return nn.SpectralNorm(layer)(x, update_stats=train) if on else layer(x)

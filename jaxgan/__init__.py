"""jaxgan: generative adversarial networks in JAX/Flax.

Pure losses and penalties (`jaxgan.losses`), Flax networks (`jaxgan.nets`), one immutable train
state (`jaxgan.state`), the games and their step factories (`jaxgan.games`), data-parallel wrappers
(`jaxgan.parallel`) and the run machinery (`jaxgan.run`: the compiled program and the training loop).
"""

__version__ = "0.1.0"

"""jaxgan: generative adversarial networks in JAX/Flax.

Pure losses and penalties (`jaxgan.losses`), Flax networks (`jaxgan.nets`), one immutable train
state (`jaxgan.state`), a step factory (`jaxgan.steps`), data-parallel wrappers
(`jaxgan.parallel`) and a training loop (`jaxgan.train`).
"""

__version__ = "0.1.0"

"""Synthetic 2D Gaussian mixtures for mode-coverage studies (DESIGN.md section 4).

ring: 8 Gaussians on the unit circle at angles 2 pi k / 8 (k = 0..7), std 0.01.
grid: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05.
(As in VEEGAN, Srivastava et al. 2017, and PacGAN, Lin et al. 2018, Table 1. Note that
`linspace(0, 2 pi, 8)` would give only 7 distinct ring modes.)
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxgan.errors import DataError


class Mixture(NamedTuple):
    """An equal-weight isotropic Gaussian mixture: centers (K, 2) and a common std."""

    centers: np.ndarray
    std: float


def ring(num_modes=8, radius=1.0, std=0.01) -> Mixture:
    angles = 2.0 * np.pi * np.arange(num_modes) / num_modes
    return Mixture(radius * np.stack([np.cos(angles), np.sin(angles)], axis=1), std)


def grid(values=(-4.0, -2.0, 0.0, 2.0, 4.0), std=0.05) -> Mixture:
    xs, ys = np.meshgrid(np.asarray(values), np.asarray(values), indexing="ij")
    return Mixture(np.stack([xs.ravel(), ys.ravel()], axis=1), std)


MIXTURES = {"ring": ring(), "grid": grid()}


def sample_mixture(key, mixture, num) -> jax.Array:
    """`num` samples (num, 2) float32: a uniformly chosen mode plus isotropic Gaussian noise."""
    centers = jnp.asarray(mixture.centers, jnp.float32)
    mode_key, noise_key = jax.random.split(key)
    modes = jax.random.randint(mode_key, (num,), 0, centers.shape[0])
    return centers[modes] + mixture.std * jax.random.normal(noise_key, (num, 2))


@functools.partial(jax.jit, static_argnames=("mixture_name", "count", "n_critic", "batch_size"))
def _draw(stream_keys, start, example_offset, *, mixture_name, count, n_critic, batch_size):
    """Example i of critic slice c of batch t in stream s comes from
    fold_in(fold_in(fold_in(stream_key_s, t), c), i), with i the global example index."""
    mixture = MIXTURES[mixture_name]

    def one(key, t, c, i):
        key = jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(key, t), c), i)
        return sample_mixture(key, mixture, 1)[0]

    t = start + jnp.arange(count)
    c = jnp.arange(n_critic)
    i = example_offset + jnp.arange(batch_size)
    f = jax.vmap(one, (None, None, None, 0))
    f = jax.vmap(f, (None, None, 0, None))
    f = jax.vmap(f, (None, 0, None, None))
    f = jax.vmap(f, (0, None, None, None))
    return f(stream_keys, t, c, i)


# Tags folded into a stream's key for the fixed training set and its epoch permutations, so they
# are independent of the fresh draws (which fold in the batch index first).
_TRAINING_SET, _EPOCH = 0x7E57, 0xE90C


def training_set(stream_key, mixture_name, size) -> jax.Array:
    """The fixed training set (size, 2) of one stream: `size` draws from the mixture."""
    return sample_mixture(jax.random.fold_in(stream_key, _TRAINING_SET), MIXTURES[mixture_name], size)


@functools.partial(jax.jit, static_argnames=("count", "n_critic", "batch_size", "global_batch"))
def _draw_from_set(stream_keys, points, start, example_offset, *, count, n_critic, batch_size, global_batch):
    """Example i of critic slice c of batch t in stream s is element perm_{s,e}[g mod size] of the
    stream's training set, with g = (t * n_critic + c) * global_batch + i the global example
    counter, e = g // size the epoch and perm_{s,e} a permutation drawn from (stream key, e)."""
    size = points.shape[1]
    t = start + jnp.arange(count)
    c = jnp.arange(n_critic)
    i = example_offset + jnp.arange(batch_size)
    counter = (t[:, None, None] * n_critic + c[None, :, None]) * global_batch + i[None, None, :]
    first_epoch = (start * n_critic * global_batch) // size
    # A call reads count * n_critic * global_batch consecutive examples: at most this many epochs.
    epochs = first_epoch + jnp.arange((count * n_critic * global_batch) // size + 2)

    def one_stream(key, stream_points):
        perms = jax.vmap(
            lambda e: jax.random.permutation(jax.random.fold_in(jax.random.fold_in(key, _EPOCH), e), size)
        )(epochs)
        return stream_points[perms[counter // size - first_epoch, counter % size]]

    return jax.vmap(one_stream)(stream_keys, points)


class SyntheticSource:
    """Endless batches from a named mixture, a pure function of (seed, stream, position).

    `next(count)` returns float32 arrays of shape (num_streams, count, n_critic, B_local, 2),
    where stream s (one per trained seed) uses seed `seed + s` and B_local is this process's
    share of the global batch (examples [p*B/P, (p+1)*B/P) for process p of P), so the data do
    not depend on how many processes read them.

    train_size: 0 draws every example afresh from the mixture (an infinite training set). N > 0
      trains on a fixed set of N points per stream, drawn once from the stream's seed and read in
      epochs, each a fresh permutation (as PacGAN trains: 100,000 examples, Lin et al. 2018,
      fjxmlzn/PacGAN `num_sample`, fuel's ShuffledScheme).
    """

    def __init__(self, name, *, batch_size, n_critic=1, seed=0, num_streams=1,
                 process_index=0, process_count=1, train_size=0):
        if name not in MIXTURES:
            raise DataError(f"unknown synthetic dataset {name!r}; expected one of {sorted(MIXTURES)}")
        if batch_size % process_count:
            raise DataError(f"batch size {batch_size} is not divisible by {process_count} processes")
        if train_size < 0:
            raise DataError(f"train_size must be >= 0 (0 = fresh draws), got {train_size}")
        self.name = name
        self.mixture = MIXTURES[name]
        self.n_critic = n_critic
        self.batch_size = batch_size
        self.train_size = train_size
        self.local_batch = batch_size // process_count
        self.example_offset = process_index * self.local_batch
        self.stream_keys = jax.vmap(jax.random.key)(seed + jnp.arange(num_streams))
        self.points = None  # the fixed training sets (streams, train_size, 2), drawn at first use
        self.position = 0

    def next(self, count):
        shape = dict(count=count, n_critic=self.n_critic, batch_size=self.local_batch)
        if self.train_size:
            if self.points is None:
                self.points = jax.jit(jax.vmap(training_set, (0, None, None)), static_argnums=(1, 2))(
                    self.stream_keys, self.name, self.train_size)
            batch = _draw_from_set(self.stream_keys, self.points, self.position, self.example_offset, **shape,
                                   global_batch=self.batch_size)
        else:
            batch = _draw(self.stream_keys, self.position, self.example_offset, mixture_name=self.name, **shape)
        self.position += count
        return {"x": batch}

    def get_state(self):
        return {"position": self.position}

    def set_state(self, state):
        self.position = int(state["position"])

    def records(self, seed):
        """JSON records the run keeps beside its checkpoints: none for this source."""
        return {}

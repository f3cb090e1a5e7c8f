"""What an evaluator is handed: a `Sampler` of the trained generators (a declared `Protocol`, all
an evaluator may call; the run layer implements it over its compiled program and train state,
and `tests/test_layering.py` checks that evaluators use nothing else of it), and the `Context`
of one evaluation (config, key, step, caches).
"""

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

import jax
import numpy as np

from jaxgan.latents import Prior
from jaxgan.state import TrainState


class Sampler(Protocol):
    """The trained generators of a run, one per seed trained side by side.

    Attributes:
      num_seeds: S, the seeds trained side by side.
      prior: the generator's input prior with its labels and codes; None for z ~ N(0, I) (or a
        translation's source images).
    """

    num_seeds: int
    prior: Prior | None

    def samples(self, key: jax.Array, num: int, use_ema: bool) -> np.ndarray:
        """(S, num, ...) generator outputs in its range; drawn from the prior with `key`, or for a
        translation run the translations of the first `num` held-out sources."""

    def decode(self, latents: np.ndarray, use_ema: bool) -> np.ndarray:
        """(S, N, ...) generator outputs of given latents (N, latent_dim), for every seed."""

    def seed_states(self) -> list[TrainState]:
        """Host copies of each seed's train state (its networks, for the measures that run them)."""


@dataclasses.dataclass(frozen=True)
class MetricSettings:
    """The knobs of the sample-quality metrics; all are written into the protocol."""

    kid_subsets: int = 100
    kid_subset_size: int = 1000
    pr_k: int = 3
    dc_k: int = 5
    is_splits: int = 10
    manifold_samples: int = 10_000  # k-NN metrics use at most this many of each set (memory is N^2)


@dataclasses.dataclass
class Context:
    """One evaluation of a run: what every evaluator reads.

    Attributes:
      config: the run config.
      sampler: the `Sampler` of the run's generators.
      key: the evaluation key (samples, subsets and projections derive from it).
      use_ema: evaluate the EMA generator (else the raw one).
      step: the checkpoint's step.
      workdir: where figures may go (None: write nothing).
      settings: the metrics' knobs.
      run_cache: kept across the evaluations of a run (feature networks, reference features).
      cache: this evaluation's (samples and their features), shared by its evaluators.
    """

    config: Any
    sampler: Sampler
    key: jax.Array
    use_ema: bool
    step: int = 0
    workdir: str | None = None
    settings: MetricSettings = MetricSettings()
    run_cache: dict = dataclasses.field(default_factory=dict)
    cache: dict = dataclasses.field(default_factory=dict)

    def memo(self, name: Any, make: Callable[[], Any], *, per_run: bool = False) -> Any:
        """`make()` once per evaluation (or once per run, `per_run`), under `name`."""
        store = self.run_cache if per_run else self.cache
        if name not in store:
            store[name] = make()
        return store[name]

    def samples(self) -> np.ndarray:
        """The evaluation's samples (S, eval.num_samples, ...), drawn once."""
        return self.memo("samples", lambda: self.sampler.samples(self.key, self.config.eval.num_samples, self.use_ema))

    @property
    def num_seeds(self) -> int:
        return self.sampler.num_seeds

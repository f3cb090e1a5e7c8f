"""The run machinery, above everything else: the compiled program of a config
(`jaxgan.run.program`: `Program`, the data source, optimizers) and the training loop
(`jaxgan.run.loop`: `train`, prefetching, checkpoints, signals, evaluation records)."""

from jaxgan.run.loop import (Interrupted, NonFiniteError, Prefetcher, eval_key, record_evaluation,
                             save_samples_figure, train)
from jaxgan.run.program import (DATA_INIT_SALT, Program, build_optimizer, build_optimizers, data_init_batch,
                                learning_rate, make_source, phased_optimizer)

__all__ = ["DATA_INIT_SALT", "Interrupted", "NonFiniteError", "Prefetcher", "Program", "build_optimizer",
           "build_optimizers", "data_init_batch", "eval_key", "learning_rate", "make_source", "phased_optimizer",
           "record_evaluation", "save_samples_figure", "train"]

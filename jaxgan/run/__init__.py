"""The run machinery, above everything else: the compiled program of a config
(`jaxgan.run.program`: `Program`, its `ProgramSampler` for evaluators, the data source,
optimizers) and the training loop (`jaxgan.run.loop`: `train`, prefetching, checkpoints,
signals, evaluation records). It knows no game by name: the game's spec supplies what differs."""

from jaxgan.run.loop import (
    Interrupted,
    NonFiniteError,
    Prefetcher,
    evaluation_path,
    record_evaluation,
    save_samples_figure,
    train,
)
from jaxgan.run.program import DATA_INIT_SALT, Program, ProgramSampler, build_optimizers, data_init_batch, make_source

__all__ = ["DATA_INIT_SALT", "Interrupted", "NonFiniteError", "Prefetcher", "Program", "ProgramSampler",
           "build_optimizers", "data_init_batch", "evaluation_path", "make_source", "record_evaluation",
           "save_samples_figure", "train"]

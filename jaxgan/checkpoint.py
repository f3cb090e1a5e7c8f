"""Checkpoints of the whole train state and the data position (orbax `CheckpointManager`).

Saves are atomic (orbax writes to a temporary directory and renames it), keep the newest
`keep` steps, and are made by every process together (orbax coordinates multi-host saves).
Typed PRNG keys are stored as their raw key data and re-wrapped on restore.
"""

import os

import jax
import orbax.checkpoint as ocp


def _saveable(state):
    return state.replace(key=jax.random.key_data(state.key))


def _from_saveable(saved, like):
    return saved.replace(key=jax.random.wrap_key_data(saved.key, impl=jax.random.key_impl(like.key)))


class Checkpointer:
    """Save and restore `(state, data_state)` under `directory`."""

    def __init__(self, directory, *, keep=3):
        self.directory = os.path.abspath(directory)
        self.manager = ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=keep, create=True)
        )

    def latest_step(self):
        return self.manager.latest_step()

    def all_steps(self):
        return list(self.manager.all_steps())

    def save(self, step, state, data_state):
        """Write checkpoint `step` and wait until it is complete on disk."""
        self.manager.save(
            int(step),
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(_saveable(state)), data=ocp.args.JsonSave(data_state)
            ),
            force=True,
        )
        self.manager.wait_until_finished()

    def restore(self, like, step=None):
        """Restore into the structure, shapes, dtypes and shardings of the state `like`.

        Returns (state, data_state); the static fields (apply functions, optimizers) come from
        `like`. `step=None` restores the newest checkpoint.
        """
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"no checkpoint in {self.directory}")
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, _saveable(like))
        restored = self.manager.restore(
            step,
            args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract), data=ocp.args.JsonRestore()),
        )
        return _from_saveable(restored["state"], like), dict(restored["data"])

    def close(self):
        self.manager.close()

"""Checkpoints of the whole train state and the data position: orbax, checksummed, finite only.

What is guaranteed:
- **Only finite states are saved.** `save` refuses a state with a NaN or infinity in any
  floating-point leaf (both players' parameters and collections, both optimizer states, the EMA,
  historical averages) with `NonFiniteStateError`, naming the leaves.
- **Every checkpoint is checksummed.** Orbax writes the step folder atomically (a temporary folder,
  renamed when complete); then `jaxgan_checksums.json` (size and SHA-256 of every file in it) is
  written atomically beside the data. A checkpoint is *intact* when every listed file is there
  with its size and hash.
- **Restore verifies first.** A damaged or incomplete checkpoint (a flipped byte, a truncated or
  missing file, an emptied folder) is reported with its step and the reason, and `restore` falls
  back to the newest intact one. A checkpoint with no checksum file (the process died between
  orbax's rename and ours, or an older jaxgan wrote it) is used only when no intact one exists.
- **Rotation never deletes an intact checkpoint for an unverified one**: it keeps the newest
  `keep` intact checkpoints and deletes only checkpoints older than all of them.
- **Readers are safe during rotation.** A reader (`create=False`: `sample`, `evaluate`) hard-links
  the files of the checkpoint it reads into DIRECTORY.readers/ before verifying and restoring
  them, so a running trainer's rotation cannot take them away; one deleted before that is
  replaced by the newest intact checkpoint, with a line saying so.

Saves are made by every process together (orbax coordinates multi-host saves); process 0 writes
the checksums. Typed PRNG keys are stored as their raw key data and re-wrapped on restore.
"""

import contextlib
import dataclasses
import gc
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from jaxgan.errors import StorageError, UserError
from jaxgan.files import write_json
from jaxgan.workdir import process_alive

CHECKSUM_FILE = "jaxgan_checksums.json"
_UNVERIFIABLE = f"it has no {CHECKSUM_FILE}"  # complete-looking, but nothing to check it against
_DISK_ERRNOS = {28, 122, 27}  # ENOSPC, EDQUOT, EFBIG
# TensorStore (under orbax) reports an OS error as text: "... File too large [os_error_code='27']".
_TENSORSTORE_ERRNO = re.compile(r"os_error_code='(\d+)'")


# A reader (`sample`, `evaluate`) retries this often when a running trainer deletes the checkpoint
# it is reading; each retry takes the newest intact checkpoint then on disk.
ROTATION_RETRIES = 5


class _Vanished(Exception):
    """The checkpoint of `step` was deleted while it was being read."""

    def __init__(self, step):
        super().__init__(step)
        self.step = step


class CheckpointError(UserError):
    """No usable checkpoint: none is intact, the asked-for step is missing or damaged, or the
    checkpoint holds networks of other shapes than the config builds."""


class NonFiniteStateError(RuntimeError):
    """The state to be saved holds NaN or infinite values; `leaves` names them. Nothing was saved."""

    def __init__(self, step, leaves):
        shown = ", ".join(leaves[:3]) + (f" and {len(leaves) - 3} more" if len(leaves) > 3 else "")
        super().__init__(f"non-finite values in the state at step {step} ({shown}); it was not saved")
        self.step = step
        self.leaves = leaves


def _path_name(path):
    """'g_params/params/Dense_0/kernel' for a tree path."""
    parts = []
    for entry in path:
        for attribute in ("name", "key", "idx"):
            if hasattr(entry, attribute):
                parts.append(str(getattr(entry, attribute)))
                break
    return "/".join(parts)


@jax.jit
def _finite_per_leaf(leaves):
    return [jnp.all(jnp.isfinite(x)) for x in leaves]


def non_finite_leaves(tree):
    """Names ('g_params/params/Dense_0/kernel', ...) of the floating-point leaves of `tree` that
    hold a NaN or an infinity; [] when all are finite."""
    flat = [(path, x) for path, x in jax.tree_util.tree_flatten_with_path(tree)[0]
            if jnp.issubdtype(jnp.result_type(x), jnp.inexact)]
    finite = jax.device_get(_finite_per_leaf([x for _, x in flat]))
    return [_path_name(path) for (path, _), ok in zip(flat, finite) if not ok]


def _saveable(state):
    return state.replace(key=jax.random.key_data(state.key))


# TrainState fields renamed since checkpoints were first written: {new name: old name}. A
# checkpoint that has the old name restores into the new field (`pools` became `extras` when the
# games moved to jaxgan/games/).
RENAMED_FIELDS = {"extras": "pools"}


def _state_fields(state):
    """The names of a train state's pytree fields (not the static modules and optimizers)."""
    return [f.name for f in dataclasses.fields(state) if f.metadata.get("pytree_node", True)]


def _from_saveable(saved, like):
    return saved.replace(key=jax.random.wrap_key_data(saved.key, impl=jax.random.key_impl(like.key)))


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder):
    """Relative paths of the files under `folder`, sorted, without the checksum file."""
    found = []
    for root, _, names in os.walk(folder):
        for name in names:
            relative = os.path.relpath(os.path.join(root, name), folder)
            if relative != CHECKSUM_FILE:
                found.append(relative)
    return sorted(found)


def write_checksums(folder):
    """Write `folder/jaxgan_checksums.json` (size and SHA-256 of every file), atomically."""
    files = {name: [os.path.getsize(os.path.join(folder, name)), _sha256(os.path.join(folder, name))]
             for name in _files(folder)}
    write_json(os.path.join(folder, CHECKSUM_FILE), {"format": 1, "files": files}, indent=1)


def verify(folder):
    """None when the checkpoint folder is intact, else why not (one line)."""
    if not os.path.isdir(folder):
        return "its folder is missing"
    listing = os.path.join(folder, CHECKSUM_FILE)
    if not os.path.exists(listing):
        if not _files(folder):
            return "its folder is empty"
        return f"{_UNVERIFIABLE} (the save was interrupted, or an older jaxgan wrote it)"
    try:
        with open(listing) as f:
            files = json.load(f)["files"]
    except FileNotFoundError:
        return "its folder is missing"
    except (ValueError, KeyError) as error:
        return f"its {CHECKSUM_FILE} is unreadable ({error})"
    for name, (size, digest) in files.items():
        path = os.path.join(folder, name)
        try:
            if os.path.getsize(path) != size:
                return f"{name} has {os.path.getsize(path)} bytes, {size} were written"
            if _sha256(path) != digest:
                return f"{name} differs from what was written (checksum mismatch)"
        except FileNotFoundError:  # missing, or deleted while it was checked
            return f"{name} is missing"
    return None


def _disk_errno(error):
    """The errno of a full disk, quota or file-size limit in `error`'s chain, else None."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in _DISK_ERRNOS:
            return error.errno
        for code in _TENSORSTORE_ERRNO.findall(str(error)):
            if int(code) in _DISK_ERRNOS:
                return int(code)
        error = error.__cause__ or error.__context__
    return None


class _HeldOutput(logging.Handler):
    """Holds the absl log records and the stderr text of a save: orbax logs a failed write from
    each of its threads, and TensorStore prints a traceback per pending write, before the error
    arrives. On leaving, they are passed on, unless `drop` was set (a full disk, which one line
    says better)."""

    def __init__(self):
        super().__init__()
        self.records = []
        self.drop = False
        self.logger = logging.getLogger("absl")
        self.stderr = io.StringIO()

    def __enter__(self):
        self._propagate = self.logger.propagate
        self._handlers = self.logger.handlers[:]
        self.logger.handlers = [self]
        self.logger.propagate = False
        self._redirect = contextlib.redirect_stderr(self.stderr)
        self._redirect.__enter__()
        return self

    def emit(self, record):
        self.records.append(record)

    def settle(self, quiet=0.5, limit=10.0):
        """Keep holding until nothing new was printed for `quiet` seconds (the failed writes'
        callbacks arrive after the error), at most `limit` seconds."""
        deadline = time.monotonic() + limit
        size = -1
        while size != len(self.stderr.getvalue()) and time.monotonic() < deadline:
            size = len(self.stderr.getvalue())
            time.sleep(quiet)

    def __exit__(self, *exc):
        self._redirect.__exit__(*exc)
        self.logger.handlers = self._handlers
        self.logger.propagate = self._propagate
        if not self.drop:
            sys.stderr.write(self.stderr.getvalue())
            for record in self.records:
                self.logger.handle(record)


class _DropFailedWriteTasks(logging.Filter):
    """Drops asyncio's "Task exception was never retrieved" records whose error is a full disk:
    after a failed save, orbax leaves one such task per pending write, and the interpreter
    collects them whenever it likes (during the next save, at exit), each printing a traceback
    after the one line that already said what happened. Other asyncio records pass."""

    def filter(self, record):
        if not record.getMessage().startswith("Task exception was never retrieved"):
            return True
        error = record.exc_info[1] if record.exc_info else None
        return error is None or _disk_errno(error) is None


_DROP_FAILED_WRITE_TASKS = _DropFailedWriteTasks()


def _bytes(tree):
    return sum(int(np.size(x)) * jnp.dtype(jnp.result_type(x)).itemsize for x in jax.tree.leaves(tree))


def _sync(name):
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def _rotation_safe(open_steps):
    """`open_steps()` (which lists the step folders), again when a folder it listed was deleted
    before it was looked at (a running trainer's rotation)."""
    for _ in range(ROTATION_RETRIES - 1):
        try:
            return open_steps()
        except FileNotFoundError:
            time.sleep(0.05)
    return open_steps()


class Checkpointer:
    """Save and restore `(state, data_state)` under `directory` (see the module docstring for
    what is guaranteed). `create=False` opens an existing directory only (for `sample`,
    `evaluate`), raising `CheckpointError` when there is none."""

    def __init__(self, directory, *, keep=3, create=True):
        self.directory = os.path.abspath(directory)
        self.keep = keep
        self._reader = not create  # reads a directory a running trainer may rotate: restores from links
        self._intact = set()  # steps this process wrote or verified: rotation does not hash them again
        if not create and not os.path.isdir(self.directory):
            raise CheckpointError(f"no checkpoint folder {self.directory}: has this run saved a checkpoint yet?")
        self.manager = _rotation_safe(lambda: ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=None, create=create)))

    def folder(self, step):
        return os.path.join(self.directory, str(int(step)))

    def all_steps(self):
        return sorted(self.manager.all_steps())

    def latest_step(self):
        """The newest step on disk, intact or not (see `latest_intact_step`)."""
        steps = self.all_steps()
        return steps[-1] if steps else None

    def verify(self, step):
        """None when checkpoint `step` is intact, else why not."""
        return verify(self.folder(step))

    def intact_steps(self):
        return [s for s in self.all_steps() if self.verify(s) is None]

    def latest_intact_step(self):
        intact = self.intact_steps()
        return intact[-1] if intact else None

    def save(self, step, state, data_state):
        """Write checkpoint `step`, wait until it is complete on disk, checksum it, then rotate.

        Raises `NonFiniteStateError` (nothing written) when the state is not finite, and
        `StorageError` when the disk is full or not writable (older checkpoints are kept)."""
        saveable = _saveable(state)
        bad = non_finite_leaves(saveable)
        if bad:
            raise NonFiniteStateError(step, bad)
        step = int(step)
        if step in self.manager.all_steps():
            raise RuntimeError(f"checkpoint step {step} already exists in {self.directory}")
        needed, free = _bytes(saveable) * 11 // 10 + (1 << 20), shutil.disk_usage(self.directory).free
        if free < needed:
            raise self._storage_error(f"not enough disk space to write checkpoint step {step} in {self.directory}: "
                                      f"it needs about {needed / 1e6:.1f} MB, {free / 1e6:.1f} MB are free")
        errno = None
        # Before the save, not after its failure: the failed write tasks can be collected (and
        # logged to a handler that holds the real stderr) while the error is still on its way.
        asyncio_logger = logging.getLogger("asyncio")
        if _DROP_FAILED_WRITE_TASKS not in asyncio_logger.filters:
            asyncio_logger.addFilter(_DROP_FAILED_WRITE_TASKS)
        with _HeldOutput() as held:
            try:
                self.manager.save(
                    step,
                    args=ocp.args.Composite(state=ocp.args.StandardSave(saveable), data=ocp.args.JsonSave(data_state)),
                    force=True,
                )
                self.manager.wait_until_finished()
                if jax.process_index() == 0:
                    write_checksums(self.folder(step))
                _sync(f"jaxgan_checksums_{step}")
                self._intact.add(step)
            except Exception as error:  # an unverifiable checkpoint may fail in any way
                errno = _disk_errno(error)
                if errno is None:
                    raise
                held.settle()
                held.drop = True
                gc.collect()  # collect the failed tasks now, while their output is held
        if errno is not None:
            self._discard_partial(step)
            raise self._storage_error(f"could not write checkpoint step {step} in {self.directory}: "
                                      f"{os.strerror(errno)}") from None
        self._rotate()

    def _storage_error(self, what):
        return StorageError(f"{what}; the intact checkpoints {self.intact_steps()} are kept. Free space and run "
                            f"the same command again to resume")

    def _discard_partial(self, step):
        """Remove what a failed save of `step` left (orbax's temporary folder, or the step folder
        without checksums), so it neither takes space nor passes for a checkpoint."""
        if jax.process_index() == 0:
            for name in os.listdir(self.directory):
                if name == str(step) or name.startswith(f"{step}.orbax-checkpoint-tmp"):
                    shutil.rmtree(os.path.join(self.directory, name), ignore_errors=True)
        _sync(f"jaxgan_discard_{step}")
        self.manager.reload()

    def _rotate(self):
        intact = [s for s in self.all_steps() if s in self._intact or self.verify(s) is None]
        self._intact.update(intact)
        if len(intact) >= self.keep:
            for step in self.all_steps():
                if step < intact[-self.keep]:
                    self.manager.delete(step)  # by every process: orbax's primary deletes, the others wait
        _sync("jaxgan_rotate")

    def restore(self, like, step=None, *, report=None):
        """Restore into the structure, shapes, dtypes and shardings of the state `like`.

        Returns (state, data_state); the static fields (apply functions, optimizers) come from
        `like`. `step=None` restores the newest intact checkpoint, telling `report` (a function
        of one line) about every newer one it skipped and why; a given `step` must be intact.
        Raises `CheckpointError` when there is no usable checkpoint."""
        report = report or (lambda line: None)
        steps = self.all_steps()
        if not steps:
            raise CheckpointError(f"no checkpoint in {self.directory}")
        if step is not None:
            if step not in steps:
                raise CheckpointError(f"no checkpoint step {step} in {self.directory}; the steps there are {steps}")
            reason = self.verify(step)
            if reason is not None:
                raise CheckpointError(f"checkpoint step {step} in {self.directory} is damaged: {reason}; "
                                      f"the intact steps are {self.intact_steps()}")
            return self._restore(like, step)
        for _ in range(ROTATION_RETRIES):
            try:
                return self._restore_newest(like, steps, report)
            except _Vanished as vanished:
                report(f"checkpoint step {vanished.step} was deleted while it was read (rotation by the running "
                       "trainer); using the newest intact one")
                _rotation_safe(self.manager.reload)
                steps = self.all_steps()
        raise CheckpointError(f"the checkpoints in {self.directory} were deleted {ROTATION_RETRIES} times before "
                              "their files could be linked: is a trainer saving and rotating faster than files can be "
                              "linked?")

    def _vanished(self, step):
        return not os.path.isdir(self.folder(step))

    def _restore_newest(self, like, steps, report):
        """`restore` of the newest intact step of `steps`; `_Vanished` when one of them was deleted
        before it could be read (a running trainer's rotation, which deletes the oldest first: the
        listing is then stale)."""
        unverifiable = []
        for candidate in reversed(steps):
            reason, restored = self._verified_restore(like, candidate)
            if reason is None:
                if candidate != steps[-1]:
                    report(f"using checkpoint step {candidate}, the newest intact one")
                return restored
            if self._reader and self._newer_than(steps):  # a rotation: list again, rather than report damage
                raise _Vanished(candidate)
            if reason.startswith(_UNVERIFIABLE):
                unverifiable.append(candidate)
                report(f"checkpoint step {candidate} cannot be verified: {reason}; trying an older one")
            else:
                report(f"checkpoint step {candidate} is damaged: {reason}; trying an older one")
        for candidate in unverifiable:  # no intact checkpoint: try the unverifiable ones, newest first
            try:
                restored = self._restore(like, candidate)
            except CheckpointError:
                raise
            except Exception as error:
                if self._reader and (self._vanished(candidate) or self._newer_than(steps)):
                    raise _Vanished(candidate) from None
                report(f"checkpoint step {candidate} does not restore either ({type(error).__name__})")
                continue
            report(f"restored step {candidate} without checksums: no intact checkpoint is left")
            return restored
        raise CheckpointError(f"no usable checkpoint in {self.directory}: steps {steps} are all damaged")

    def _verified_restore(self, like, step):
        """(None, (state, data_state)) when checkpoint `step` is intact, else (why not, None).

        A reader (`create=False`) first hard-links the checkpoint's files into a folder of its
        own (`_snapshot`), then verifies and restores the links: a rotation that deletes the
        checkpoint meanwhile cannot take the files away. Raises `_Vanished` when the checkpoint
        was deleted before that. Without links (another filesystem, a read-only workdir), it
        verifies and reads in place."""
        snapshot = self._snapshot(step) if self._reader else None
        if snapshot is None:
            reason = self.verify(step)
            if reason is not None:
                if self._vanished(step):
                    raise _Vanished(step)
                return reason, None
            try:
                return None, self._restore(like, step)
            except CheckpointError:
                raise
            except Exception:
                if self._vanished(step):
                    raise _Vanished(step) from None
                raise
        try:
            reason = verify(os.path.join(snapshot, str(step)))
            if reason is not None:
                return reason, None
            links = Checkpointer(snapshot, create=False)
            try:
                return None, links._restore(like, step)
            except CheckpointError as error:
                raise CheckpointError(str(error).replace(snapshot, self.directory)) from None
            finally:
                links.close()
        finally:
            shutil.rmtree(snapshot, ignore_errors=True)

    def _newer_than(self, steps):
        """Whether a step newer than all of `steps` is on disk now: a trainer saved one after
        they were listed, and its rotation may be deleting them."""
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return False
        return any(name.isdigit() and int(name) > max(steps) for name in names)

    def _snapshot(self, step):
        """A folder (beside the checkpoints, on their filesystem) holding hard links to every file
        of checkpoint `step` in the same layout, or None when links cannot be made there.
        Raises `_Vanished` when the checkpoint is deleted while it is linked."""
        source = self.folder(step)
        if not os.path.isdir(source):
            raise _Vanished(step)
        parent = self.directory + ".readers"
        try:
            os.makedirs(parent, exist_ok=True)
            for name in os.listdir(parent):  # the links of readers that were killed
                pid = name.split("-")[0]
                if pid.isdigit() and not process_alive(int(pid)):
                    shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
            snapshot = tempfile.mkdtemp(prefix=f"{os.getpid()}-{step}-", dir=parent)
        except OSError:
            return None
        try:
            names = _files(source) + ([CHECKSUM_FILE] if os.path.exists(os.path.join(source, CHECKSUM_FILE)) else [])
            for name in names:
                target = os.path.join(snapshot, str(step), name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.link(os.path.join(source, name), target)
        except FileNotFoundError:
            shutil.rmtree(snapshot, ignore_errors=True)
            raise _Vanished(step) from None
        except OSError:  # no hard links here
            shutil.rmtree(snapshot, ignore_errors=True)
            return None
        if self._vanished(step):  # deleted while it was walked: the links may be a part of it
            shutil.rmtree(snapshot, ignore_errors=True)
            raise _Vanished(step)
        return snapshot

    def _restore(self, like, step):
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, _saveable(like))
        renamed = self._renamed_fields(step, abstract)
        # Compare shapes first: a failed orbax restore leaves asyncio tasks that print tracebacks.
        differences = self._shape_differences(step, abstract, renamed)
        if differences:
            raise CheckpointError(f"checkpoint step {step} in {self.directory} holds networks of other shapes than "
                                  f"this config builds: {differences} (a workdir whose config.json predates an "
                                  f"option takes that option's current default: set it to what the run trained "
                                  f"with)")
        target = abstract
        if renamed:  # restore by the checkpoint's field names, then put the values in today's fields
            target = {renamed.get(name, name): getattr(abstract, name) for name in _state_fields(abstract)}
        restored = self.manager.restore(
            step, args=ocp.args.Composite(state=ocp.args.StandardRestore(target), data=ocp.args.JsonRestore()))
        state = restored["state"]
        if renamed:
            state = abstract.replace(**{name: state[renamed.get(name, name)] for name in _state_fields(abstract)})
        return _from_saveable(state, like), dict(restored["data"])

    def _saved_tree(self, step):
        """The metadata tree of checkpoint `step`'s state (None when unreadable)."""
        absl_logger = logging.getLogger("absl")
        level = absl_logger.level
        absl_logger.setLevel(logging.ERROR)
        try:
            metadata = ocp.StandardCheckpointer().metadata(os.path.join(self.folder(step), "state"))
        except Exception:  # unreadable metadata: the caller re-raises the restore error
            return None
        finally:
            absl_logger.setLevel(level)
        return getattr(metadata, "item_metadata", metadata)

    def _renamed_fields(self, step, abstract):
        """{today's field: the checkpoint's name} for the `RENAMED_FIELDS` the checkpoint still
        has under their old name."""
        saved = self._saved_tree(step)
        try:
            names = set(saved.keys())  # orbax's tree metadata is a mapping of the saved fields
        except AttributeError:
            return {}
        fields = _state_fields(abstract)
        return {new: old for new, old in RENAMED_FIELDS.items() if new in fields and new not in names and old in names}

    def _shape_differences(self, step, abstract, renamed=None):
        """One line naming how the saved tree differs from `abstract` (shapes, missing or extra
        leaves), or '' when it does not; `renamed` ({today's field: saved name}) maps old names."""
        metadata = self._saved_tree(step)
        if metadata is None:
            return ""
        old_to_new = {old: new for new, old in (renamed or {}).items()}

        def today(name):
            head, _, rest = name.partition("/")
            return "/".join(filter(None, [old_to_new.get(head, head), rest]))

        saved = {today(_path_name(p)): tuple(m.shape) for p, m in jax.tree_util.tree_flatten_with_path(metadata)[0]
                 if hasattr(m, "shape")}
        if not saved:  # no readable tree: not a question of shapes
            return ""
        wanted = {_path_name(p): tuple(a.shape) for p, a in jax.tree_util.tree_flatten_with_path(abstract)[0]}
        differ = sorted((name for name, shape in wanted.items() if name in saved and saved[name] != shape),
                        key=lambda name: not name.startswith(("g_params/", "d_params/")))  # the networks first
        notes = [f"{name} is {saved[name]} there, {wanted[name]} here" for name in differ[:2]]
        if len(differ) > 2:
            notes.append(f"{len(differ) - 2} more leaves differ")
        missing = [name for name in wanted if name not in saved]
        extra = [name for name in saved if name not in wanted]
        if missing:
            notes.append(f"{len(missing)} leaves of this config are not in it (e.g. {missing[0]})")
        if extra:
            notes.append(f"it has {len(extra)} leaves this config lacks (e.g. {extra[0]})")
        return "; ".join(notes)

    def set_aside(self, steps, why):
        """Move checkpoint folders `steps` out of the way (to DIRECTORY.set_aside/), keeping them
        for inspection; returns the new paths."""
        moved = []
        if jax.process_index() == 0 and steps:
            target = self.directory + ".set_aside"
            os.makedirs(target, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            for step in steps:
                destination = os.path.join(target, f"{step}.{why}.{stamp}")
                shutil.move(self.folder(step), destination)
                moved.append(destination)
        _sync("jaxgan_set_aside")
        self.manager.reload()
        return moved

    def close(self):
        self.manager.close()


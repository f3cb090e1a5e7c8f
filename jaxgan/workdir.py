"""The run directory of `train`: one writer at a time, a record of config changes, logs that
match the checkpoints.

- `WorkdirLock`: an exclusive `flock` on `WORKDIR/train.lock`, held for the run's lifetime and
  released by the operating system on any exit (kill -9 included); the file names the holder
  (pid, host, start time, command), so a second `train` on the same workdir is refused with a
  message naming it. Where the filesystem has no `flock`, the pid in the file decides: a lock of
  a process that no longer runs on this host is stale and taken over.
- `config_changes` / `record_config`: a resumed run is compared key by key with the config it was
  trained with; `config_history.jsonl` records the initial config and every change with the step
  it took effect.
- `truncate_metrics`: after a restart, `metrics.jsonl` lines past the restored step (steps that
  are trained again) are dropped, so every step appears once.
"""

import datetime
import errno
import fcntl
import json
import os
import socket
import sys

from jaxgan.errors import UsageError, UserError
from jaxgan.files import append_line, write_text

LOCK_FILE = "train.lock"
HISTORY_FILE = "config_history.jsonl"
# Keys that change how a run is watched or stored, not what it computes: they may differ on resume.
RUN_CONTROL_KEYS = ("train.progress", "train.log_every", "train.checkpoint_every", "train.eval_every",
                    "train.plot_every", "train.keep_checkpoints", "train.tensorboard", "train.memory_check", "data.dir")
RUN_CONTROL_PREFIXES = ("eval.",)


class WorkdirLocked(UserError):
    """Another `jaxgan train` holds the workdir."""


class ConfigChanged(UserError):
    """A resumed run's config differs from the saved one in keys that change what it computes."""


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_holder(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def describe_holder(holder):
    if not holder:
        return "a process that did not say who it is"
    return (f"pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('started')}: "
            f"{holder.get('command', '?')}")


class WorkdirLock:
    """`with WorkdirLock(workdir) as lock:` holds the workdir for one `train`; `lock.stale` is the
    holder record a dead process left behind (None when there was none)."""

    def __init__(self, workdir):
        self.path = os.path.join(workdir, LOCK_FILE)
        self.workdir = workdir
        self.stale = None
        self._fd = None

    def __enter__(self):
        os.makedirs(self.workdir, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        holder = _read_holder(self.path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WorkdirLocked(self._refusal(holder)) from None
        except OSError as error:  # no flock on this filesystem: decide by the recorded pid
            if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                os.close(fd)
                raise
            if holder and holder.get("host") == socket.gethostname() and process_alive(holder.get("pid", -1)) \
                    and holder.get("pid") != os.getpid():
                os.close(fd)
                raise WorkdirLocked(self._refusal(holder)) from None
        if holder and holder.get("pid") != os.getpid():
            self.stale = holder
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": datetime.datetime.now().isoformat(timespec="seconds"),
              "command": " ".join(sys.argv)[:500]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        self._fd = fd
        return self

    def _refusal(self, holder):
        pid = holder.get("pid") if holder else None
        hint = f" (`kill -TERM {pid}` stops it with a checkpoint)" if pid else ""
        return (f"workdir {self.workdir} is in use by another `jaxgan train`: {describe_holder(holder)}. "
                f"Wait for it to finish{hint}, or use another --workdir")

    def __exit__(self, *exc):
        if self._fd is not None:
            # The file stays (deleting it would let a waiting process lock an unlinked inode); an
            # empty file is a free lock.
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def read_run_config(workdir):
    """The config a workdir was trained with (its config.json), with keys added to jaxgan since
    filled with their defaults; `UsageError` when there is none or it does not fit."""
    from jaxgan.config import base_config

    if not os.path.exists(workdir):
        raise UsageError(f"no run folder {workdir!r} (the folder of a `jaxgan train` run was expected)")
    if not os.path.isdir(workdir):
        raise UsageError(f"{workdir!r} is a file, not a run folder (the folder of a `jaxgan train` run was expected)")
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise UsageError(f"no config.json in {workdir!r}: is it the workdir of a `jaxgan train` run?")
    try:
        with open(path) as f:
            saved = json.load(f)
    except ValueError as error:
        raise UsageError(f"{path} is not valid JSON ({error})") from None
    config = base_config()
    try:
        config.update(saved)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise UsageError(f"{path} does not fit this jaxgan's config ({type(error).__name__}: {error})") from None
    return config


def flatten(tree, prefix=""):
    """{'train.num_steps': 2000, ...} of a nested dict (lists stay values)."""
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def config_changes(saved, new):
    """{key: (saved value, new value)} of two JSON-form configs (nested dicts), key by key; a key
    one of them lacks counts as a change."""
    a, b = flatten(saved), flatten(new)
    missing = object()
    return {key: (a.get(key), b.get(key)) for key in sorted(set(a) | set(b))
            if a.get(key, missing) != b.get(key, missing)}


def changes_needing_consent(changes, new):
    """The keys of `changes` that change what the run computes. `train.num_steps` only does when a
    learning-rate schedule depends on it."""
    schedules = {new["optimizer"][side].get("schedule", "constant") for side in ("g", "d")}
    free = set(RUN_CONTROL_KEYS) | ({"train.num_steps"} if schedules == {"constant"} else set())
    return [key for key in changes if key not in free and not key.startswith(RUN_CONTROL_PREFIXES)]


def _format_value(value):
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe_changes(changes, keys):
    return ", ".join(f"{key} ({_format_value(changes[key][0])} -> {_format_value(changes[key][1])})" for key in keys)


def check_config_change(saved, new, *, allow, workdir):
    """The changes of `new` against `saved` (both JSON-form). Raises `ConfigChanged` when some
    change what the run computes and `allow` is False."""
    changes = config_changes(saved, new)
    needing = changes_needing_consent(changes, new)
    if needing and not allow:
        raise ConfigChanged(
            f"the config differs from the one {workdir} was trained with (its config.json) in "
            f"{describe_changes(changes, needing)}. Pass --allow-config-change to go on with the new values "
            f"(the change is recorded in {HISTORY_FILE} with its step), or use another --workdir"
        )
    return changes


def record_config(workdir, step, config_json, changes=None, *, devices=None, processes=None):
    """Append to `config_history.jsonl`: the whole config at step 0 of a new run, else the
    changes (possibly none) of a resume at `step`; with the devices and processes it runs on."""
    entry = {"step": int(step), "time": datetime.datetime.now().isoformat(timespec="seconds")}
    if devices is not None:
        entry.update(devices=int(devices), processes=int(processes or 1))
    if changes is None:
        entry["config"] = config_json
    else:
        entry["changes"] = {key: list(values) for key, values in changes.items()}
    append_line(os.path.join(workdir, HISTORY_FILE), json.dumps(entry))


def recorded_devices(workdir):
    """The device count of the latest start or resume in `config_history.jsonl` (None: not recorded)."""
    path = os.path.join(workdir, HISTORY_FILE)
    if not os.path.exists(path):
        return None
    devices = None
    with open(path) as f:
        for line in f:
            try:
                devices = json.loads(line).get("devices", devices)
            except ValueError:  # a torn line of an older, non-atomic writer
                continue
    return devices


def truncate_metrics(path, step):
    """Drop the lines of the JSON-lines file `path` past `step` (and any torn last line), atomically;
    returns how many were dropped."""
    if not os.path.exists(path):
        return 0
    kept, dropped = [], 0
    with open(path) as f:
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                dropped += 1
                continue
            if record.get("step", 0) <= step:
                kept.append(line if line.endswith("\n") else line + "\n")
            else:
                dropped += 1
    if dropped:
        write_text(path, "".join(kept))
    return dropped

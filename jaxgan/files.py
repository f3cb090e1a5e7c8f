"""Atomic file output: every file a command writes appears whole or not at all.

A file is written under a temporary name in its own folder (same filesystem), flushed to disk
and renamed over the target (`os.replace`, atomic on POSIX), so a process killed at any moment
leaves the old file or the new one, never a torn one, and at worst a `.*.partial*` file that
the next write of the same target replaces. Appending to a small log (`append_line`) rewrites
the whole file the same way.

`writable_folder` checks a folder a command will write before any work is done, so that a file
in its place or a read-only filesystem is one line (exit 2 or 3), not a traceback at the end.
"""

import contextlib
import json
import os
import tempfile

from jaxgan.errors import StorageError, UsageError


def _temporary(path):
    folder, name = os.path.split(os.path.abspath(path))
    stem, extension = os.path.splitext(name)
    # The extension stays last: PIL, matplotlib and NumPy choose the format (or add a suffix) by it.
    return os.path.join(folder, f".{stem}.partial-{os.getpid()}{extension}")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; when the block ends without an error, the file
    written there is synced and renamed to `path`. On an error it is removed."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = _temporary(path)
    try:
        yield temporary
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def write_text(path, text):
    with atomic_path(path) as temporary, open(temporary, "w") as f:
        f.write(text)


def write_json(path, value, *, indent=2):
    write_text(path, json.dumps(value, indent=indent) + "\n")


def append_line(path, line):
    """Append `line` (a newline is added) to the small text file `path`, atomically: the result
    is the old content plus the whole line, or the old content."""
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        if old and not old.endswith("\n"):
            old += "\n"
    write_text(path, old + line.rstrip("\n") + "\n")


def save_npz(path, **arrays):
    import numpy as np

    path = os.fspath(path)
    if not path.endswith(".npz"):
        raise ValueError(f"save_npz writes .npz files, not {path!r}")
    with atomic_path(path) as temporary:
        np.savez(temporary, **arrays)


def writable_folder(path, *, what):
    """Create folder `path` if needed and check that a file can be written in it. `what` names it
    in the errors (e.g. "--workdir '/runs/a'"): `UsageError` when a file is in its place,
    `StorageError` (exit 3) when it cannot be created or written."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{what} is a file, not a folder: name a folder (it is created when missing)")
    try:
        os.makedirs(path, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(prefix=".jaxgan-write-check-", dir=path)
        os.close(descriptor)
        os.remove(probe)
    except (FileExistsError, NotADirectoryError):  # a file in the way higher up the path
        raise UsageError(f"{what} cannot be created: a part of the path is a file") from None
    except OSError as error:
        raise StorageError(f"{what} cannot be written: {error.strerror}") from None

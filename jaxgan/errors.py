"""Errors that name what a user can change.

Every error a user can fix derives from `UserError`: the `jaxgan` command prints its message as
one line and exits with code 2 (no traceback unless `--debug` or `JAXGAN_DEBUG=1`). Anything else
is a bug and keeps its traceback.
"""

import importlib


class UserError(Exception):
    """A bad argument, config, data file, checkpoint or workdir; the message names it and says
    what was expected."""


class UsageError(UserError):
    """A bad command-line argument, recipe file or run directory."""


class ConfigError(UserError, ValueError):
    """A configuration that cannot run; the message names the key and what was expected."""


class DataError(UserError, ValueError):
    """A data file that cannot be read as what it should be; the message names the file."""


class MissingDataError(DataError, FileNotFoundError):
    """A data file or folder that does not exist; the message names it and where to get it."""


class MissingDependencyError(UserError, ImportError):
    """An optional package that the requested feature needs is not installed; the message names
    the package, the feature that needs it and the way around it."""


class StorageError(Exception):
    """The workdir could not be written (disk full, quota, permissions): exit code 3. Nothing
    already on disk was lost; the message says which checkpoints are intact."""


def require(module, *, feature, instead):
    """Import `module` for `feature`, or raise `MissingDependencyError` saying to install it or
    to do `instead`."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.split(".")[0].replace("_", "-")
        raise MissingDependencyError(
            f"{feature} needs the package {package!r}, which is not installed: `pip install {package}`, or {instead}"
        ) from error

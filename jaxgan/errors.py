"""Errors that name what a user can change."""

import importlib


class MissingDependencyError(ImportError):
    """An optional package that the requested feature needs is not installed; the message names
    the package, the feature that needs it and the way around it."""


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

"""JAX's persistent compilation cache for the `jaxgan` commands.

Every `train`, resume, `sample`, `evaluate`, `translate` and `bench` compiles its programs; with
the cache, a relaunch of the same program on the same backend reads the executable from disk
instead of compiling it again (README "Speed" has the measured relaunch times). The cache is
JAX's own (`jax_compilation_cache_dir`): entries are keyed by the program, the compiler options,
the backend and the jax/jaxlib versions, so a stale entry is never used.

Where it is, in order: `--compilation-cache DIR` of the command; the environment variable
`JAXGAN_COMPILATION_CACHE`; JAX's own `JAX_COMPILATION_CACHE_DIR` when set (left as JAX reads
it); else `$XDG_CACHE_HOME/jaxgan/xla` (`~/.cache/jaxgan/xla`). The value `off` turns it off.
From Python, `use_compilation_cache(path)` does the same for your own programs.
"""

import os

import jax

ENVIRONMENT_VARIABLE = "JAXGAN_COMPILATION_CACHE"
OFF = "off"
# JAX caches only programs that took at least this long to compile (its default is 1 s). A
# relaunch also compiles programs of 0.1-1 s (initialization, restore, sampling, the finiteness
# check); caching them too made `jaxgan sample` of a 2D run 3.5 -> 2.7 s and its resume 2.0 ->
# 1.8 s to the first step (benchmarks/relaunch.py, medians of 3). Entries are tens of kB.
MIN_COMPILE_SECONDS = 0.1


def default_directory():
    """`$XDG_CACHE_HOME/jaxgan/xla`, or `~/.cache/jaxgan/xla` when XDG_CACHE_HOME is unset."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "jaxgan", "xla")


def resolve(flag=None):
    """The cache folder the commands use: `flag`, else $JAXGAN_COMPILATION_CACHE, else None when
    JAX_COMPILATION_CACHE_DIR is set (JAX's own setting stands), else the default folder; `OFF`
    when turned off."""
    for value in (flag, os.environ.get(ENVIRONMENT_VARIABLE)):
        if value:
            return OFF if value.strip().lower() == OFF else os.path.abspath(os.path.expanduser(value))
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return None
    return default_directory()


def use_compilation_cache(directory):
    """Cache compiled programs in `directory` (created if needed), or turn the cache off with
    `OFF`. Call before the first compilation: JAX reads the setting once per process."""
    if directory == OFF:
        jax.config.update("jax_enable_compilation_cache", False)
        return
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        from jaxgan.errors import UsageError

        raise UsageError(f"cannot create the compilation cache folder {directory!r} ({error.strerror}); "
                         f"choose another with --compilation-cache DIR or {ENVIRONMENT_VARIABLE}=DIR, "
                         f"or turn it off with --compilation-cache off") from None
    jax.config.update("jax_enable_compilation_cache", True)
    jax.config.update("jax_compilation_cache_dir", directory)
    if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)


def configure(flag=None):
    """Set the cache of a `jaxgan` command from its `--compilation-cache` value (see `resolve`);
    returns the folder in use, `OFF`, or JAX's own setting."""
    directory = resolve(flag)
    if directory is None:
        return os.environ["JAX_COMPILATION_CACHE_DIR"]
    use_compilation_cache(directory)
    return directory

"""The `jaxgan` commands' persistent compilation cache: where it is, that a relaunch reads it
instead of compiling, and that it can be moved and turned off."""

import json
import os
import subprocess
import sys

import pytest

from jaxgan import compilation_cache


@pytest.fixture
def clean_environment(monkeypatch):
    for name in ("JAXGAN_COMPILATION_CACHE", "JAX_COMPILATION_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_flag_beats_the_variable_which_beats_jax_own_setting_and_the_default(clean_environment, tmp_path):
    monkeypatch = clean_environment
    monkeypatch.setenv("HOME", str(tmp_path))
    assert compilation_cache.resolve() == str(tmp_path / ".cache" / "jaxgan" / "xla")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert compilation_cache.resolve() == str(tmp_path / "xdg" / "jaxgan" / "xla")
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "jax"))
    assert compilation_cache.resolve() is None  # JAX reads its own variable
    monkeypatch.setenv("JAXGAN_COMPILATION_CACHE", "~/mine")
    assert compilation_cache.resolve() == str(tmp_path / "mine")
    assert compilation_cache.resolve("OFF") == compilation_cache.OFF
    assert compilation_cache.resolve(str(tmp_path / "flag")) == str(tmp_path / "flag")
    monkeypatch.setenv("JAXGAN_COMPILATION_CACHE", "off")
    assert compilation_cache.resolve() == compilation_cache.OFF


def test_an_unwritable_cache_folder_is_a_user_error_naming_the_way_out(tmp_path):
    from jaxgan.errors import UsageError

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match=r"cannot create the compilation cache folder .*--compilation-cache off"):
        compilation_cache.use_compilation_cache(str(blocker / "cache"))


def _jaxgan(*arguments, **environment):
    # Not the test session's cache settings (conftest): the commands' own defaults.
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("JAX_COMPILATION_CACHE_DIR", "JAXGAN_COMPILATION_CACHE", "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS")
    }
    done = subprocess.run([sys.executable, "-m", "jaxgan.cli", *arguments], capture_output=True, text=True,
                          env={**env, **environment})
    assert done.returncode == 0, done.stderr
    return done


def _entries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith("-cache")) if os.path.isdir(folder) else []


def test_a_relaunch_reads_every_program_from_the_cache_and_off_writes_nothing(tmp_path):
    cache, other, workdir = tmp_path / "cache", tmp_path / "other", tmp_path / "run"
    config = ["--config", "experiments/two_d/gan_ns_2d.py", "--config.num_seeds=1", "--config.train.fused_steps=10",
              "--config.train.log_every=0", "--config.train.plot_every=0", "--config.eval.num_samples=200",
              "--config.train.progress=False", "--workdir", str(workdir)]
    _jaxgan("train", *config, "--config.train.num_steps=10", "--compilation-cache", str(cache))
    cold = _entries(cache)
    assert any(name.startswith("jit_step_on_mesh") for name in cold), cold  # the train step (4 virtual devices)
    # The resume (JAXGAN_COMPILATION_CACHE) compiles the restore path's programs once; a second
    # relaunch then finds everything it compiles. Both cache every program, however fast it
    # compiled: with MIN_COMPILE_SECONDS, a program compiled near it is cached or not by the
    # machine's load (a small program crossed it once, with the cores shared).
    every = {"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
    _jaxgan("train", *config, "--config.train.num_steps=20", JAXGAN_COMPILATION_CACHE=str(cache), **every)
    warm = _entries(cache)
    done = _jaxgan("train", *config, "--config.train.num_steps=30", JAXGAN_COMPILATION_CACHE=str(cache),
                   JAX_LOGGING_LEVEL="DEBUG", **every)
    assert _entries(cache) == warm
    assert "Persistent compilation cache hit for 'jit_step_on_mesh'" in done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["step"] == 30
    _jaxgan("sample", "--workdir", str(workdir), "--num", "10", "--compilation-cache", "off",
            JAXGAN_COMPILATION_CACHE=str(other))
    assert _entries(other) == []

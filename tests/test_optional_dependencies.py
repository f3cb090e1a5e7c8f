"""jaxgan runs where tensorflow-datasets and tensorboardX are not installed (the GPU image has
neither): they are imported only by the features that need them, and a missing one is one clear
error naming the way around it."""

import json
import os
import subprocess
import sys

import pytest

from jaxgan import cli
from jaxgan.data.images import open_images
from jaxgan.errors import MissingDependencyError
from jaxgan.writers import MetricWriter, read_jsonl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_training_code_imports_neither_tfds_nor_tensorboardx_nor_torch():
    code = (
        "import sys, jaxgan.run, jaxgan.cli, jaxgan.config, jaxgan.evaluation, benchmarks.throughput; "
        "print(sorted(m for m in ('tensorflow_datasets', 'tensorboardX', 'tensorflow', 'torch') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _without(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError


def test_metrics_without_tensorboardx(monkeypatch, tmp_path):
    _without(monkeypatch, "tensorboardX")
    writer = MetricWriter(str(tmp_path), tensorboard=False)
    writer.write(3, {"d_loss": 0.5})
    writer.close()
    assert read_jsonl(str(tmp_path / "metrics.jsonl")) == [{"step": 3, "d_loss": 0.5}]
    assert not (tmp_path / "tensorboard").exists()
    with pytest.raises(
        MissingDependencyError, match=r"'tensorboardX'.*pip install tensorboardX.*train\.tensorboard=False"
    ):
        MetricWriter(str(tmp_path), tensorboard=True)


def test_tfds_source_without_tensorflow_datasets_names_the_offline_way(monkeypatch, tmp_path):
    _without(monkeypatch, "tensorflow_datasets")
    with pytest.raises(MissingDependencyError, match=r"data.source='tfds' \(dataset 'mnist'\).*data.source='idx'"):
        open_images("mnist", "train", source="tfds", path=str(tmp_path))


def _train_2d(tmp_path, *extra):
    return cli.main(
        [
            "train",
            "--config",
            os.path.join(ROOT, "experiments", "two_d", "gan_ns_2d.py"),
            "--config.train.num_steps=2",
            "--config.train.fused_steps=1",
            "--config.train.log_every=1",
            "--config.train.checkpoint_every=2",
            "--config.eval.num_samples=10",
            "--config.train.progress=False",
            *extra,
            "--workdir",
            str(tmp_path),
        ]
    )


def test_train_without_tensorboardx_is_one_clear_error_or_runs_with_tensorboard_off(monkeypatch, tmp_path, capsys):
    _without(monkeypatch, "tensorboardX")
    assert _train_2d(tmp_path / "on") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--config.train.tensorboard=False" in err[0] and "Traceback" not in err[0]
    assert _train_2d(tmp_path / "off", "--config.train.tensorboard=False") == 0
    steps = [row["step"] for row in read_jsonl(str(tmp_path / "off" / "metrics.jsonl")) if "d_loss" in row]
    assert steps == [1, 2]
    with open(tmp_path / "off" / "config.json") as f:
        assert json.load(f)["train"]["tensorboard"] is False


def _run_script_functions(*calls):
    """Output of `calls` (bash) with ./run's extras functions defined (the script itself not run)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "run")) as f:
        script = f.read()
    functions = [script[script.index(f"{name}() {{"):] for name in ("needs_extras", "extras_cover")]
    functions = [text[: text.index("\n}\n") + 3] for text in functions]
    done = subprocess.run(["bash", "-c", "\n".join(functions + list(calls))], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("command, extras", [
    ("main", []), ("python -m experiments.studies.mode_coverage", []), ("jaxgan train --config x.py", []),
    ("jaxgan bench --config x.py", []), ("jaxgan data prepare mnist", ["prepare"]), ("test -x", ["dev"]),
])
def test_run_installs_only_the_extras_a_command_needs(command, extras):
    assert _run_script_functions(f"needs_extras {command}") == extras


def test_run_reinstalls_only_when_an_extra_is_missing():
    checks = [
        'extras_cover "" "" && echo core-covered',
        'extras_cover "dev" "prepare" || echo prepare-missing',
        'extras_cover "dev,prepare" "prepare" && echo prepare-covered',
        'extras_cover "" "dev" || echo dev-missing',
    ]
    assert _run_script_functions(*checks) == ["core-covered", "prepare-missing", "prepare-covered", "dev-missing"]


def test_the_core_install_has_no_tensorflow_and_the_dev_extra_keeps_every_test():
    """`./run main` installs the core package: TensorFlow only comes with the prepare (and dev)
    extra, so every test can still run under `./run test`."""
    import tomllib

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    core = " ".join(project["dependencies"]).lower()
    assert "tensorflow-cpu" not in core and "torch" not in core and "pytest" not in core
    extras = project["optional-dependencies"]
    assert any(d.startswith("tensorflow-cpu") for d in extras["prepare"])
    assert any(d.startswith("pytest") for d in extras["dev"]) and "jaxgan[prepare]" in extras["dev"]

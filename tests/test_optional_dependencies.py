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
    code = ("import sys, jaxgan.train, jaxgan.cli, jaxgan.config, jaxgan.evaluation, benchmarks.throughput; "
            "print(sorted(m for m in ('tensorflow_datasets', 'tensorboardX', 'tensorflow', 'torch') if m in sys.modules))")
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
    with pytest.raises(MissingDependencyError, match=r"'tensorboardX'.*pip install tensorboardX.*train\.tensorboard=False"):
        MetricWriter(str(tmp_path), tensorboard=True)


def test_tfds_source_without_tensorflow_datasets_names_the_offline_way(monkeypatch, tmp_path):
    _without(monkeypatch, "tensorflow_datasets")
    with pytest.raises(MissingDependencyError, match=r"data.source='tfds' \(dataset 'mnist'\).*data.source='idx'"):
        open_images("mnist", "train", source="tfds", path=str(tmp_path))


def _train_2d(tmp_path, *extra):
    return cli.main(["train", "--config", os.path.join(ROOT, "experiments", "gan_ns_2d.py"), "--config.train.num_steps=2",
                     "--config.train.fused_steps=1", "--config.train.log_every=1", "--config.train.checkpoint_every=2", "--config.eval.num_samples=10",
                     "--config.train.progress=False", *extra, "--workdir", str(tmp_path)])


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

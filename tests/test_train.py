"""The training loop: exact resume, non-finite stop, signals, config validation, the CLI."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest
from conftest import max_abs_diff
from ml_collections import ConfigDict

from experiments import load_recipe
from jaxgan import cli
from jaxgan.checkpoint import Checkpointer
from jaxgan.config import ConfigError, base_config, validate
from jaxgan.run import NonFiniteError, Program, train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_config(**overrides):
    config = base_config()
    config.model.g_hidden = (16, 16)
    config.model.d_hidden = (16, 16)
    config.model.g_norm = "batch"
    config.model.latent_dim = 4
    config.data.batch_size = 32
    config.train.num_steps = 20
    config.train.checkpoint_every = 10
    config.train.log_every = 5
    config.train.progress = False
    config.eval.num_samples = 200
    config.ema_decay = 0.9
    return with_overrides(config, overrides)


def with_overrides(config, overrides):
    """Set dotted keys ("train.num_steps": 4) on `config`; returns it."""
    config.update_from_flattened_dict(overrides)
    return config


def restored_state(config, workdir, step=None):
    checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"))
    state, data = checkpointer.restore(Program(config).init_state(), step=step)
    checkpointer.close()
    return state, data


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"num_seeds": 2, "train.fused_steps": 5, "loss": "wasserstein", "penalties.wgan_gp": 1.0, "n_critic": 2},
    ],
    ids=["ns", "wgan_gp_2seeds_fused"],
)
def test_resume_is_bit_exact(tmp_path, overrides):
    straight = tiny_config(**overrides)
    train(straight, str(tmp_path / "straight"))
    first_half = tiny_config(**overrides)
    first_half.train.num_steps = 10
    train(first_half, str(tmp_path / "resumed"))
    assert Checkpointer(str(tmp_path / "resumed" / "checkpoints")).latest_step() == 10
    result = train(straight, str(tmp_path / "resumed"))  # resumes at 10, runs to 20
    assert result["step"] == 20
    a, data_a = restored_state(straight, str(tmp_path / "straight"))
    b, data_b = restored_state(straight, str(tmp_path / "resumed"))
    assert data_a == data_b == {"position": 20}
    assert max_abs_diff(a, b) == 0.0
    assert max_abs_diff(a.g_params, Program(straight).init_state().g_params) > 0  # it trained


def test_non_finite_training_stops_and_every_checkpoint_left_is_finite(tmp_path):
    healthy = tiny_config(**{"train.checkpoint_every": 1, "train.num_steps": 5})
    train(healthy, str(tmp_path))
    # Continue the same run with an absurd learning rate: it diverges within a few steps. The
    # parameters turn NaN one step before the loss does, so the state check at the save stops it.
    config = tiny_config(**{"train.checkpoint_every": 1, "train.num_steps": 50})
    config.optimizer.g.learning_rate = 1e30
    config.optimizer.d.learning_rate = 1e30
    with pytest.raises(NonFiniteError, match=r"non-finite .* at step (\d+)") as error:
        train(config, str(tmp_path), allow_config_change=True)
    bad_step = int(re.search(r"at step (\d+)", str(error.value)).group(1))
    checkpointer = Checkpointer(str(tmp_path / "checkpoints"))
    last = checkpointer.latest_step()
    assert last == bad_step - 1 and bad_step > 5
    assert f"the last good checkpoint is step {last}" in str(error.value)
    for step in checkpointer.all_steps():
        state, _ = restored_state(config, str(tmp_path), step=step)
        assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree.leaves(
            (state.g_params, state.d_params, state.ema_params, state.g_opt_state, state.d_opt_state)))


def test_metrics_logs_and_plots_are_written(tmp_path):
    result = train(tiny_config(), str(tmp_path))
    records = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [r["step"] for r in records] == [5, 10, 15, 20]
    assert {"d_loss", "g_loss", "d_total", "real_logit", "fake_logit"} <= set(records[0])
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(tmp_path / "tensorboard"))
    assert os.path.exists(tmp_path / "samples" / "step_00000020.png")
    saved = json.load(open(tmp_path / "eval" / "step_00000020.json"))
    assert saved["protocol"]["n_fake"] == 200 and saved["protocol"]["generator"] == "ema"
    assert 0 <= result["evaluation"]["summary"]["modes"]["mean"] <= 25


def _write_recipe(tmp_path, config):
    path = tmp_path / "recipe.py"
    path.write_text(
        "from ml_collections import ConfigDict\n"
        "from jaxgan.config import base_config\n"
        "def get_config():\n"
        "    config = base_config()\n"
        f"    config.update(ConfigDict({config.to_dict()!r}))\n"
        "    return config\n"
    )
    return str(path)


def test_sigterm_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    config = tiny_config(**{"train.num_steps": 1_000_000, "train.checkpoint_every": 0})
    recipe = _write_recipe(tmp_path, config)
    workdir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jaxgan.cli", "train", "--config", recipe, "--workdir", str(workdir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.time() + 240
    while not (workdir / "metrics.jsonl").exists() or os.path.getsize(workdir / "metrics.jsonl") == 0:
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[1][-2000:]
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert "stopped by signal SIGTERM" in stderr and "Traceback" not in stderr
    step = Checkpointer(str(workdir / "checkpoints")).latest_step()
    assert step is not None and step >= 5
    state, data = restored_state(config, str(workdir))
    assert int(state.step) == step == data["position"]


def test_cli_train_sample_evaluate(tmp_path, capsys):
    recipe = _write_recipe(tmp_path, tiny_config(**{"train.num_steps": 10}))
    workdir = str(tmp_path / "run")
    assert cli.main(["train", "--config", recipe, "--config.data.name=ring", "--workdir", workdir]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["step"] == 10
    assert cli.main(["sample", "--workdir", workdir, "--num", "64", "--out", str(tmp_path / "s.png")]) == 0
    samples = np.load(tmp_path / "s.npz")["samples"]
    assert samples.shape == (1, 64, 2) and os.path.exists(tmp_path / "s.png")
    assert cli.main(["evaluate", "--workdir", workdir]) == 0
    evaluation = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(evaluation["summary"]) == {"modes", "high_quality", "reverse_kl"}
    assert cli.main(["evaluate", "--workdir", workdir, "--metrics", "modes,fid,kid,pr,dc", "--num-samples", "300",
                     "--batch-size", "64", "--raw"]) == 0
    evaluation = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"modes", "fid", "kid", "precision", "recall", "density", "coverage"} <= set(evaluation["summary"])
    record = json.load(open(evaluation["record"]))
    protocol = record["protocol"]
    assert protocol["n_fake"] == 300 and protocol["batch_size"] == 64 and protocol["generator"] == "raw"
    assert protocol["checkpoint_step"] == 10 and protocol["feature_network"]["name"] == "points (identity)"
    assert protocol["reference"]["n_real"] == 300 and protocol["knn"]["pr_k"] == 3
    assert cli.main(["evaluate", "--workdir", workdir, "--metrics", "fid,is"]) == 2  # 2D points have no logits
    assert "needs class logits" in capsys.readouterr().err
    assert json.load(open(os.path.join(workdir, "config.json")))["data"]["name"] == "ring"


def test_cli_rejects_unknown_override_and_missing_run(tmp_path, capsys):
    recipe = _write_recipe(tmp_path, tiny_config())
    assert cli.main(["train", "--config", recipe, "--config.n_critc=3", "--workdir", str(tmp_path / "r")]) == 2
    assert "unknown config key 'n_critc'" in capsys.readouterr().err
    assert cli.main(["sample", "--workdir", str(tmp_path / "nothing")]) == 2
    assert "no run folder" in capsys.readouterr().err
    assert cli.main(["train", "--config", recipe, "--config.loss=hinge_typo", "--workdir", str(tmp_path / "r")]) == 2
    assert "loss='hinge_typo' is not one of" in capsys.readouterr().err


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c.__setitem__("n_critc", 5), "unknown config key 'n_critc'"),
        (lambda c: c.data.__setitem__("name", "imagenet"), "data.name='imagenet' is not one of"),
        (lambda c: c.model.__setitem__("name", "dcgan"), "model.name='dcgan' is an image model"),
        (lambda c: c.data.update(name="cifar10", source="idx", dir="/x"), "data.source='idx' reads the official MNIST"),
        (lambda c: c.data.update(name="npz"), "needs data.dir"),
        (lambda c: c.eval.__setitem__("metrics", "fid,bogus"), "unknown metric(s) ['bogus']"),
        (lambda c: c.eval.__setitem__("metrics", "fid,is"), "needs class logits"),
        (lambda c: (c.data.update(name="cifar10"), c.eval.__setitem__("metrics", "fid")), "set eval.inception_weights"),
        (
            lambda c: (
                c.data.update(name="cifar10"),
                c.model.update(name="dcgan"),
                c.eval.__setitem__("feature_network", "mnist"),
            ),
            "takes 28x28 grey images",
        ),
        (lambda c: (c.data.update(name="celeb_a"), c.model.update(name="resnet")), "is for 32x32 images"),
        (
            lambda c: (
                c.data.update(name="mnist", source="idx", dir="/x"),
                c.game.update(name="aae"),
                c.model.update(dtype="bfloat16"),
            ),
            "the AAE networks compute in float32 only",
        ),
        (lambda c: c.model.__setitem__("dtype", "float16"), "model.dtype='float16' is not one of"),
        (lambda c: c.__setitem__("n_critic", 0), "n_critic must be a positive integer"),
        (lambda c: c.__setitem__("ema_decay", 1.0), "ema_decay must be in"),
        (lambda c: c.__setitem__("ema_rampup", -0.05), "ema_rampup must be >= 0"),
        (lambda c: c.__setitem__("loss", "wasserstein"), "needs a Lipschitz constraint"),
        (
            lambda c: (c.penalties.__setitem__("wgan_gp", 10.0), c.model.__setitem__("d_norm", "batch")),
            "BatchNorm in the critic",
        ),
        (lambda c: (c.penalties.__setitem__("wgan_gp", 10.0), c.__setitem__("clip_bound", 0.01)), "choose one"),
        (lambda c: c.train.__setitem__("fused_steps", 3), "multiple of train.fused_steps=3"),
        (lambda c: c.optimizer.g.__setitem__("name", "adamw"), "optimizer.g.name='adamw'"),
        (lambda c: c.model.__setitem__("packing", 3), "not divisible by model.packing=3"),
        (lambda c: (c.penalties.__setitem__("r1", 1.0), c.model.__setitem__("d_minibatch_std", True)), "minibatch"),
        (lambda c: c.__setitem__("historical_averaging", -1.0), "historical_averaging is a weight"),
        (lambda c: c.model.__setitem__("d_maxout_pieces", -1), "model.d_maxout_pieces=-1 must be an integer >= 0"),
        (lambda c: c.data.__setitem__("train_size", -5), "data.train_size must be an integer >= 0"),
        (lambda c: c.data.update(name="pairs_npz", dir="/x", train_size=100), "is translation data"),
        (lambda c: c.model.update(d_maxout_pieces=5, d_norm="layer"), "set model.d_norm='none'"),
        (
            lambda c: (
                c.data.update(name="mnist", source="idx", dir="/x"),
                c.model.update(name="dcgan", d_maxout_pieces=5),
            ),
            "model.d_maxout_pieces=5 is an option of the MLP networks",
        ),
        (lambda c: c.model.update(d_dense=(1024,)), "model.d_dense=(1024,) is an option of the DCGAN networks"),
        (
            lambda c: (c.data.update(name="mnist", source="idx", dir="/x"), c.model.update(name="dcgan", g_dense=(0,))),
            "model.g_dense=(0,) must be a tuple of positive layer widths",
        ),
    ],
)
def test_config_errors_are_clear(mutate, message):
    config = ConfigDict(base_config().to_dict())  # unlocked copy, so bad keys can be added
    mutate(config)
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate(config)


def test_config_type_errors_are_clear():
    with pytest.raises(ConfigError, match="config key 'seed' must be like 0, got 'zero'"):
        validate(ConfigDict({**base_config().to_dict(), "seed": "zero"}))
    with pytest.raises(ConfigError, match="'data' must be a group of keys"):
        validate(ConfigDict({**base_config().to_dict(), "data": 3}))


def test_recipes_validate():

    for name in ("gan_ns_2d", "gan_minimax_2d", "wgan_gp_2d", "pacgan_ns_2d", "pacgan_2d", "stacked_mnist"):
        validate(load_recipe(name).get_config())


def test_locked_base_config_rejects_typos_in_recipes():
    config = base_config()
    with pytest.raises(AttributeError):
        config.n_critc = 5


def test_training_loop_gives_the_same_run_on_one_device_jit_mesh_and_pmap(tmp_path):
    finals = {}
    for mode in ("single", "jit", "pmap"):
        config = tiny_config(**{"train.parallel": mode, "train.num_steps": 6, "train.fused_steps": 3,
                                "train.log_every": 3, "train.checkpoint_every": 0, "n_critic": 2})
        train(config, str(tmp_path / mode))
        finals[mode] = restored_state(config, str(tmp_path / mode))[0]
    assert int(finals["single"].step) == 6
    assert max_abs_diff(finals["jit"], finals["single"]) < 1e-5
    assert max_abs_diff(finals["pmap"], finals["single"]) < 1e-5


@pytest.mark.parametrize(
    "overrides",
    [
        {"model.packing": 2, "loss": "hinge", "model.d_spectral_norm": True, "data.train_size": 40},
        {
            "model.d_minibatch_kernels": 8,
            "model.d_minibatch_std": True,
            "historical_averaging": 0.01,
            "loss": "least_squares",
            "model.d_maxout_pieces": 3,
        },
        {
            "loss": "relativistic_average",
            "penalties.r1": 1.0,
            "penalties.wgan_lp": 1.0,
            "penalties.wgan_div": 1.0,
            "penalties.dragan": 1.0,
            "penalties.r2": 1.0,
            "model.g_norm": "none",
        },
        {"loss": "softmax"},
    ],
    ids=["pacgan_sn_hinge_fixed_set", "minibatch_layers_maxout_hist_avg_lsgan", "ragan_all_penalties", "softmax_gan"],
)
def test_technique_configs_train_and_resume_exactly(tmp_path, overrides):
    """Every technique the config exposes trains through the same loop, finitely, and resumes
    bit for bit (its extra state -- spectral-norm vectors, parameter averages -- included)."""
    straight = tiny_config(
        **overrides, **{"train.num_steps": 6, "train.checkpoint_every": 3, "train.fused_steps": 3, "train.log_every": 3}
    )
    train(straight, str(tmp_path / "a"))
    half = tiny_config(
        **overrides, **{"train.num_steps": 3, "train.checkpoint_every": 3, "train.fused_steps": 3, "train.log_every": 3}
    )
    train(half, str(tmp_path / "b"))
    train(straight, str(tmp_path / "b"))
    a, _ = restored_state(straight, str(tmp_path / "a"))
    b, _ = restored_state(straight, str(tmp_path / "b"))
    assert max_abs_diff(a, b) == 0.0
    assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree.leaves((a.g_params, a.d_params)))

"""Fault cases: no run is lost or silently corrupted, and every user error is one clear line.

Checkpoints: a non-finite state is never saved; a flipped byte, a truncated file, an emptied step
folder or a missing checksum file is detected, named, and restore falls back to the newest intact
checkpoint; rotation never deletes an intact checkpoint for a damaged one; kill -9 at random
moments during saves leaves a run that resumes to the uninterrupted result bit for bit. Workdir: a
second trainer is refused while the first runs, a dead one's lock is taken over. Config changes on
resume need consent and are recorded. Bad configs, arguments and data files: exit code 2 and one
line naming the key or file. A full disk: exit code 3, older checkpoints kept.
"""

import gzip
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import max_abs_diff, small_state
from test_train import ROOT, _write_recipe, restored_state, tiny_config

from jaxgan import checkpoint as checkpoint_lib
from jaxgan import cli
from jaxgan.checkpoint import CHECKSUM_FILE, Checkpointer, CheckpointError, NonFiniteStateError
from jaxgan.errors import DataError, UsageError
from jaxgan.run import train
from jaxgan.workdir import HISTORY_FILE, LOCK_FILE


def _states(count):
    """Distinct small states (different parameters and step), stacked in a list."""
    return [small_state(seed=i).replace(step=jnp.asarray(i, jnp.int32)) for i in range(1, count + 1)]


def _save_all(directory, states, keep=10):
    checkpointer = Checkpointer(directory, keep=keep)
    for i, state in enumerate(states, start=1):
        checkpointer.save(i, state, {"position": i})
    return checkpointer


def _largest_file(folder):
    files = [os.path.join(root, name) for root, _, names in os.walk(folder) for name in names if name != CHECKSUM_FILE]
    return max(files, key=os.path.getsize)


def damage(folder, how):
    """Damage a checkpoint folder as a failing disk, a killed copy or a careless user would."""
    if how == "flipped_byte":
        path = _largest_file(folder)
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0x01]))
    elif how == "truncated_file":
        path = _largest_file(folder)
        os.truncate(path, os.path.getsize(path) // 2)
    elif how == "emptied_folder":
        for root, dirs, names in os.walk(folder, topdown=False):
            for name in names:
                os.remove(os.path.join(root, name))
            for name in dirs:
                os.rmdir(os.path.join(root, name))
    elif how == "no_checksums":
        os.remove(os.path.join(folder, CHECKSUM_FILE))
    else:
        raise ValueError(how)


REASONS = {"flipped_byte": "checksum mismatch", "truncated_file": "bytes", "emptied_folder": "folder is empty",
           "no_checksums": f"no {CHECKSUM_FILE}"}


# --- checkpoints -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["g_params", "d_opt_state", "ema_params", "g_state"])
def test_a_non_finite_state_is_never_saved(tmp_path, field):
    state = small_state(g_norm="batch")
    poisoned = jax.tree.map(lambda x: x.at[(0,) * x.ndim].set(jnp.nan) if jnp.issubdtype(x.dtype, jnp.floating) else x,
                            getattr(state, field))
    checkpointer = Checkpointer(str(tmp_path))
    with pytest.raises(NonFiniteStateError, match=rf"non-finite values in the state at step 7 \({field}/") as error:
        checkpointer.save(7, state.replace(**{field: poisoned}), {"position": 7})
    assert all(leaf.startswith(field + "/") for leaf in error.value.leaves)
    assert checkpointer.all_steps() == [] and os.listdir(tmp_path) == []


@pytest.mark.parametrize("how", sorted(REASONS))
def test_a_damaged_newest_checkpoint_is_named_and_restore_falls_back(tmp_path, how):
    states = _states(3)
    checkpointer = _save_all(str(tmp_path), states)
    assert checkpointer.intact_steps() == [1, 2, 3]
    damage(checkpointer.folder(3), how)
    assert REASONS[how] in checkpointer.verify(3)
    reports = []
    restored, data = checkpointer.restore(states[0], report=reports.append)
    assert data == {"position": 2} and max_abs_diff(restored, states[1]) == 0.0
    state_of = "cannot be verified" if how == "no_checksums" else "is damaged"
    assert reports[0].startswith(f"checkpoint step 3 {state_of}: ") and REASONS[how] in reports[0]
    assert reports[1:] == ["using checkpoint step 2, the newest intact one"]
    with pytest.raises(CheckpointError, match=r"checkpoint step 3 in .* is damaged: .*the intact steps are \[1, 2\]"):
        checkpointer.restore(states[0], step=3)
    with pytest.raises(CheckpointError, match=r"no checkpoint step 9 .* the steps there are \[1, 2, 3\]"):
        checkpointer.restore(states[0], step=9)


def test_a_checkpoint_written_before_a_field_rename_restores_into_the_new_field(tmp_path):
    """`TrainState.pools` became `extras`: a checkpoint that has the old name (written here as the
    old code wrote it, the state's fields as a dict) restores into today's state, pools included."""
    from jaxgan.techniques import init_pool

    state = small_state(seed=3).replace(extras={"a": init_pool(2, (2,)), "b": init_pool(2, (2,))})
    state = state.replace(extras=jax.tree.map(lambda x: x + 1, state.extras))
    saveable = checkpoint_lib._saveable(state)
    old_layout = {("pools" if name == "extras" else name): getattr(saveable, name)
                  for name in checkpoint_lib._state_fields(saveable)}
    checkpointer = Checkpointer(str(tmp_path))
    checkpointer.manager.save(7, args=checkpoint_lib.ocp.args.Composite(
        state=checkpoint_lib.ocp.args.StandardSave(old_layout), data=checkpoint_lib.ocp.args.JsonSave({"position": 7})))
    checkpointer.manager.wait_until_finished()
    checkpoint_lib.write_checksums(checkpointer.folder(7))
    like = small_state(seed=0).replace(extras={"a": init_pool(2, (2,)), "b": init_pool(2, (2,))})
    restored, data = Checkpointer(str(tmp_path)).restore(like)
    assert data == {"position": 7} and max_abs_diff(restored, state) == 0.0
    assert int(restored.extras["a"]["count"]) == 1


def _rotate_away(folder):
    shutil.rmtree(folder)


def _half_delete(folder):  # a rotation caught mid-way: the checksum file gone, the folder still there
    os.remove(os.path.join(folder, checkpoint_lib.CHECKSUM_FILE))


@pytest.mark.parametrize("rotation", [_rotate_away, _half_delete], ids=["deleted", "half_deleted"])
def test_a_checkpoint_deleted_while_it_is_read_is_replaced_by_the_newest_intact_one(tmp_path, rotation):
    """The trainer saves step 4 and rotates step 3 away as the reader comes to it: deleted before
    it was linked, or half deleted (the links then fail to verify, but a newer step on disk says
    rotation, not damage: CI once failed with "steps [23] are all damaged", keep 1). Either way the
    reader lists again and restores step 4, with one line saying so."""
    states = _states(4)
    trainer = _save_all(str(tmp_path), states[:3])
    reader = Checkpointer(str(tmp_path), create=False)
    link = reader._snapshot

    def rotated_meanwhile(step):
        if step == 3 and not os.path.exists(trainer.folder(4)):
            trainer.save(4, states[3], {"position": 4})
            rotation(trainer.folder(3))
        return link(step)

    reader._snapshot = rotated_meanwhile
    reports = []
    restored, data = reader.restore(states[0], report=reports.append)
    assert data == {"position": 4} and max_abs_diff(restored, states[3]) == 0.0
    assert reports == ["checkpoint step 3 was deleted while it was read (rotation by the running trainer); using "
                       "the newest intact one"]
    assert os.listdir(str(tmp_path) + ".readers") == []  # the reader's links are gone with the read


def test_a_reader_holds_its_checkpoint_against_deletion_once_linked(tmp_path):
    states = _states(2)
    trainer = _save_all(str(tmp_path), states)
    reader = Checkpointer(str(tmp_path), create=False)
    link = reader._snapshot

    def deleted_after_linking(step):
        snapshot = link(step)
        shutil.rmtree(trainer.folder(step))
        return snapshot

    reader._snapshot = deleted_after_linking
    reports = []
    restored, data = reader.restore(states[0], report=reports.append)
    assert data == {"position": 2} and max_abs_diff(restored, states[1]) == 0.0 and reports == []


def test_a_damaged_checkpoint_with_no_newer_one_is_still_reported_as_damaged(tmp_path):
    """The rotation check does not hide real damage: with nothing newer on disk, a reader reports
    the damaged step and restores the newest intact one."""
    states = _states(3)
    trainer = _save_all(str(tmp_path), states)
    with open(os.path.join(trainer.folder(3), checkpoint_lib.CHECKSUM_FILE), "w") as f:
        f.write("{")
    reports = []
    restored, data = Checkpointer(str(tmp_path), create=False).restore(states[0], report=reports.append)
    assert data == {"position": 2} and max_abs_diff(restored, states[1]) == 0.0
    assert reports[0].startswith("checkpoint step 3 is damaged: its jaxgan_checksums.json is unreadable")
    assert reports[1:] == ["using checkpoint step 2, the newest intact one"]


READER = """
import sys, time
sys.path.insert(0, {tests!r})
from test_train import tiny_config
from jaxgan.checkpoint import Checkpointer
from jaxgan.run import Program
config = tiny_config()
like = Program(config).init_state()
reports, steps, deadline = [], [], time.time() + {seconds}
while time.time() < deadline:
    reader = Checkpointer({directory!r}, create=False)
    state, data = reader.restore(like, report=reports.append)
    reader.close()
    steps.append(int(state.step))
print(len(steps), min(steps), max(steps), sum("was deleted while it was read" in r for r in reports), flush=True)
"""


def test_readers_never_fail_while_a_trainer_rotates_every_step(tmp_path):
    """A trainer that saves and rotates at every step (keep 1) while a reader restores in a loop:
    every read succeeds, with the newest intact checkpoint of its moment."""
    config = tiny_config(**{"train.num_steps": 100_000, "train.checkpoint_every": 1, "train.keep_checkpoints": 1,
                            "train.log_every": 1000, "train.tensorboard": False})
    workdir = tmp_path / "run"
    trainer = subprocess.Popen([sys.executable, "-m", "jaxgan.cli", "train", "--config",
                                _write_recipe(tmp_path, config), "--workdir", str(workdir)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while not (workdir / "checkpoints" / "5").exists() and time.time() < deadline:
            time.sleep(0.2)
        reader = subprocess.run([sys.executable, "-c", READER.format(tests=os.path.dirname(__file__), seconds=20,
                                                                     directory=str(workdir / "checkpoints"))],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        trainer.kill()
        trainer.wait()
    assert reader.returncode == 0, reader.stderr[-3000:]
    reads, first, last, retried = map(int, reader.stdout.split())
    assert reads >= 10 and last > first >= 5, reader.stdout


def test_rotation_never_deletes_an_intact_checkpoint_for_a_damaged_one(tmp_path):
    states = _states(4)
    checkpointer = _save_all(str(tmp_path), states[:2], keep=2)
    damage(checkpointer.folder(2), "flipped_byte")
    checkpointer = Checkpointer(str(tmp_path), keep=2)  # a new process: nothing verified yet
    checkpointer.save(3, states[2], {"position": 3})
    assert checkpointer.all_steps() == [1, 2, 3]  # 1 stays: with 2 damaged, it is one of the 2 newest intact
    checkpointer.save(4, states[3], {"position": 4})
    assert checkpointer.all_steps() == [3, 4]


def test_checkpoints_without_checksums_are_used_only_when_none_is_intact(tmp_path):
    states = _states(2)
    checkpointer = _save_all(str(tmp_path), states)
    for step in (1, 2):
        damage(checkpointer.folder(step), "no_checksums")
    reports = []
    restored, _ = checkpointer.restore(states[0], report=reports.append)
    assert max_abs_diff(restored, states[1]) == 0.0
    assert reports[-1] == "restored step 2 without checksums: no intact checkpoint is left"
    damage(checkpointer.folder(2), "emptied_folder")
    damage(checkpointer.folder(1), "truncated_file")
    with pytest.raises(CheckpointError, match=r"no usable checkpoint in .*: steps \[1, 2\] are all damaged"):
        checkpointer.restore(states[0], report=reports.append)


def test_another_network_shape_is_named_in_one_line(tmp_path):
    checkpointer = _save_all(str(tmp_path), _states(1))
    wider = small_state(latent=8)
    with pytest.raises(CheckpointError, match=r"holds networks of other shapes than this config builds: "
                                              r"g_params/Dense_0/kernel is \(4, 16\) there, \(8, 16\) here") as error:
        checkpointer.restore(wider)
    assert "\n" not in str(error.value)
    assert "predates an option" in str(error.value)


# --- the training loop -------------------------------------------------------------------------


def _metric_steps(workdir):
    return [json.loads(line)["step"] for line in open(os.path.join(workdir, "metrics.jsonl"))]


def test_train_resumes_from_the_newest_intact_checkpoint_bit_for_bit(tmp_path, capsys):
    config = tiny_config(**{"train.checkpoint_every": 5, "train.keep_checkpoints": 5})
    train(config, str(tmp_path / "straight"))
    workdir = str(tmp_path / "damaged")
    train(tiny_config(**{"train.checkpoint_every": 5, "train.keep_checkpoints": 5, "train.num_steps": 15}), workdir)
    damage(os.path.join(workdir, "checkpoints", "15"), "flipped_byte")
    capsys.readouterr()
    result = train(config, workdir)
    err = capsys.readouterr().err
    assert "checkpoint step 15 is damaged: " in err and "checksum mismatch" in err
    assert "resuming from step 10; the newer checkpoints [15] were moved to" in err
    assert result["step"] == 20
    assert os.listdir(os.path.join(workdir, "checkpoints.set_aside"))[0].startswith("15.damaged.")
    a, data_a = restored_state(config, str(tmp_path / "straight"))
    b, data_b = restored_state(config, workdir)
    assert data_a == data_b and max_abs_diff(a, b) == 0.0
    assert _metric_steps(workdir) == [5, 10, 15, 20]


def test_train_step_resumes_from_a_chosen_checkpoint(tmp_path, capsys):
    config = tiny_config(**{"train.checkpoint_every": 5})
    recipe = _write_recipe(tmp_path, config)
    workdir = str(tmp_path / "run")
    assert cli.main(["train", "--config", recipe, "--workdir", workdir]) == 0
    final, _ = restored_state(config, workdir)
    assert Checkpointer(os.path.join(workdir, "checkpoints")).all_steps() == [10, 15, 20]
    capsys.readouterr()
    assert cli.main(["train", "--config", recipe, "--workdir", workdir, "--step", "10"]) == 0
    assert "the newer checkpoints [15, 20] were moved to" in capsys.readouterr().err
    again, _ = restored_state(config, workdir)
    assert max_abs_diff(final, again) == 0.0
    assert sorted(name.split(".")[:2] for name in os.listdir(os.path.join(workdir, "checkpoints.set_aside"))) == [
        ["15", "superseded"], ["20", "superseded"]]
    assert _metric_steps(workdir) == [5, 10, 15, 20]
    assert cli.main(["train", "--config", recipe, "--workdir", workdir, "--step", "12"]) == 2
    assert "no checkpoint step 12" in capsys.readouterr().err


def test_a_config_change_on_resume_needs_consent_and_is_recorded(tmp_path, capsys):
    recipe = _write_recipe(tmp_path, tiny_config(**{"train.num_steps": 10}))
    workdir = str(tmp_path / "run")
    assert cli.main(["train", "--config", recipe, "--workdir", workdir]) == 0
    capsys.readouterr()
    changed = ["train", "--config", recipe, "--workdir", workdir, "--config.train.num_steps=15",
               "--config.optimizer.d.learning_rate=0.01"]
    assert cli.main(changed) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "optimizer.d.learning_rate (0.0001 -> 0.01)" in err, err
    assert "train.num_steps" not in err and "--allow-config-change" in err
    assert json.load(open(os.path.join(workdir, "config.json")))["optimizer"]["d"]["learning_rate"] == 0.0001
    assert cli.main([*changed, "--allow-config-change"]) == 0
    history = [json.loads(line) for line in open(os.path.join(workdir, HISTORY_FILE))]
    assert [entry["step"] for entry in history] == [0, 10]
    assert history[0]["config"]["optimizer"]["d"]["learning_rate"] == 0.0001
    assert history[1]["changes"] == {"optimizer.d.learning_rate": [0.0001, 0.01], "train.num_steps": [10, 15]}
    # Only a longer run, and how it is watched: no consent needed, still recorded.
    assert cli.main([*changed[:-2], "--config.train.num_steps=20", "--config.optimizer.d.learning_rate=0.01",
                     "--config.train.log_every=10"]) == 0
    history = [json.loads(line) for line in open(os.path.join(workdir, HISTORY_FILE))]
    assert history[-1]["step"] == 15 and set(history[-1]["changes"]) == {"train.num_steps", "train.log_every"}
    capsys.readouterr()
    # Another network shape, with consent: one line naming the shapes; the checkpoints stay.
    assert cli.main([*changed, "--config.model.g_hidden=(32, 16)", "--allow-config-change",
                     "--config.optimizer.d.learning_rate=0.01", "--config.train.num_steps=20"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err.count("\n") == 0
        and "holds networks of other shapes" in err
        and "g_params/BatchNorm_0/bias is (16,) there, (32,) here" in err
    )
    assert Checkpointer(os.path.join(workdir, "checkpoints")).intact_steps() == [10, 15, 20]


def test_a_longer_run_needs_consent_only_when_a_schedule_spreads_over_it():
    from jaxgan.workdir import changes_needing_consent, config_changes

    saved = json.loads(tiny_config().to_json())
    longer = json.loads(tiny_config(**{"train.num_steps": 40, "eval.num_samples": 50}).to_json())
    changes = config_changes(saved, longer)
    assert set(changes) == {"train.num_steps", "eval.num_samples"} and changes_needing_consent(changes, longer) == []
    for run in (saved, longer):
        run["optimizer"]["g"]["schedule"] = "linear_decay"
    assert changes_needing_consent(config_changes(saved, longer), longer) == ["train.num_steps"]


def test_metrics_of_replayed_steps_replace_the_lines_of_the_crashed_run(tmp_path):
    config = tiny_config(**{"train.num_steps": 10})
    workdir = str(tmp_path)
    train(config, workdir)
    with open(os.path.join(workdir, "metrics.jsonl"), "a") as f:  # what a run killed after step 15 leaves
        f.write(json.dumps({"step": 15, "d_loss": 0.5}) + "\n" + '{"step": 20, "d_lo')
    train(tiny_config(), workdir)
    assert _metric_steps(workdir) == [5, 10, 15, 20]
    assert json.loads(open(os.path.join(workdir, "metrics.jsonl")).readlines()[2])["d_loss"] != 0.5


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    os.makedirs(tmp_path, exist_ok=True)
    with open(tmp_path / LOCK_FILE, "w") as f:
        json.dump({"pid": dead.pid, "host": os.uname().nodename, "started": "then", "command": "jaxgan train"}, f)
    train(tiny_config(**{"train.num_steps": 5, "train.checkpoint_every": 5}), str(tmp_path))
    assert f"took over the lock of a run that is no longer running (pid {dead.pid}" in capsys.readouterr().err
    assert open(tmp_path / LOCK_FILE).read() == ""  # released


def _launch(recipe, workdir, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "jaxgan.cli", "train", "--config", recipe, "--workdir", workdir, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _steps_on_disk(directory):
    return sorted(int(name) for name in os.listdir(directory) if name.isdigit()) if os.path.isdir(directory) else []


def _wait_for_checkpoint(proc, workdir, deadline_s=240):
    deadline = time.time() + deadline_s
    directory = os.path.join(workdir, "checkpoints")
    while not (os.path.isdir(directory) and any(name.isdigit() for name in os.listdir(directory))):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[1][-3000:]
        time.sleep(0.2)


def test_a_second_trainer_is_refused_while_the_first_runs(tmp_path, capsys):
    config = tiny_config(**{"train.num_steps": 1_000_000, "train.checkpoint_every": 5})
    recipe = _write_recipe(tmp_path, config)
    workdir = str(tmp_path / "run")
    first = _launch(recipe, workdir)
    try:
        _wait_for_checkpoint(first, workdir)
        assert cli.main(["train", "--config", recipe, "--workdir", workdir]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and f"is in use by another `jaxgan train`: pid {first.pid} on" in err
        assert f"kill -TERM {first.pid}" in err
    finally:
        first.kill()  # kill -9: the operating system releases the lock
        first.communicate()
    assert cli.main(["train", "--config", recipe, "--workdir", workdir, "--config.train.num_steps=5",
                     "--step", str(Checkpointer(os.path.join(workdir, "checkpoints")).latest_intact_step())]) == 0
    assert "took over the lock" in capsys.readouterr().err


@pytest.mark.parametrize("kills", [pytest.param(1, id="1kill"), pytest.param(6, id="6kills", marks=pytest.mark.slow)])
def test_kill_9_at_random_moments_during_saves_then_resume_is_bit_exact(tmp_path, kills):
    config = tiny_config(**{"train.num_steps": 120, "train.checkpoint_every": 1, "train.log_every": 1})
    straight = tiny_config(**{"train.num_steps": 120, "train.checkpoint_every": 0, "train.log_every": 1})
    train(straight, str(tmp_path / "straight"))
    recipe = _write_recipe(tmp_path, config)
    workdir = str(tmp_path / "killed")
    moments = random.Random(kills)
    checkpoints = os.path.join(workdir, "checkpoints")
    for _ in range(kills):
        before = _steps_on_disk(checkpoints)
        proc = _launch(recipe, workdir)
        _wait_for_checkpoint(proc, workdir)
        while _steps_on_disk(checkpoints)[-1:] == before[-1:]:  # it is saving again
            assert proc.poll() is None
            time.sleep(0.05)
        time.sleep(moments.uniform(0.0, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        checkpointer = Checkpointer(checkpoints)
        intact, steps = checkpointer.intact_steps(), checkpointer.all_steps()
        checkpointer.close()
        assert intact and intact[-1] >= steps[-1] - 1, (intact, steps)  # at most the save in flight is lost
    assert train(config, workdir)["step"] == 120
    a, data_a = restored_state(config, str(tmp_path / "straight"))
    b, data_b = restored_state(config, workdir)
    assert data_a == data_b and max_abs_diff(a, b) == 0.0
    assert _metric_steps(workdir) == list(range(1, 121))


# --- one-line user errors ----------------------------------------------------------------------


def _one_line_error(capsys, argv, code=2):
    assert cli.main(argv) == code
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


RECIPE_FAULTS = {
    "missing_file": (None, "config file {path!r} does not exist"),
    "syntax_error": ("def get_config(:\n", "{path}, line 1: syntax error"),
    "wrong_type": (
        "from jaxgan.config import base_config\ndef get_config():\n    c = base_config()\n    c.seed = 'zero'\n"
        "    return c\n",
        "{path}, line 4: get_config() raised TypeError: Could not override field 'seed'",
    ),
    "no_get_config": ("x = 1\n", "has no get_config() function"),
    "not_a_config": (
        "def get_config():\n    return {'seed': 0}\n",
        "returned a dict, not an ml_collections ConfigDict",
    ),
    "import_error": ("import no_such_module\n", "{path}, line 1: importing the config file raised ModuleNotFoundError"),
}


@pytest.mark.parametrize("fault", sorted(RECIPE_FAULTS))
def test_a_bad_recipe_file_is_one_line_naming_it(tmp_path, capsys, fault):
    text, message = RECIPE_FAULTS[fault]
    path = str(tmp_path / "recipe.py")
    if text is not None:
        with open(path, "w") as f:
            f.write(text)
    err = _one_line_error(capsys, ["train", "--config", path, "--workdir", str(tmp_path / "run")])
    assert message.format(path=path) in err
    assert not os.path.exists(tmp_path / "run")


OVERRIDE_FAULTS = {
    "--config.model.foo=1": "unknown config key 'model.foo' (no 'foo' in 'model')",
    "--config.modl.g_hidden=(8,)": "unknown config key 'modl.g_hidden' (no 'modl'); did you mean 'model'?",
    "--config.n_critic=abc": "flag --config.n_critic=abc: invalid literal for int()",
    "--config.train.num_steps=1.5": "flag --config.train.num_steps=1.5: invalid literal for int()",
    "--config.seed.x=1": "'seed' is a value, not a group of keys",
    "--config.loss=hinge_typo": "loss='hinge_typo' is not one of",
    "--config.model.packing=3": "not divisible by model.packing=3",
}


@pytest.mark.parametrize("override", sorted(OVERRIDE_FAULTS))
def test_a_bad_override_is_one_line_naming_the_key(tmp_path, capsys, override):
    recipe = _write_recipe(tmp_path, tiny_config())
    err = _one_line_error(capsys, ["train", "--config", recipe, override, "--workdir", str(tmp_path / "run")])
    assert err.startswith("jaxgan train: ") and OVERRIDE_FAULTS[override] in err


@pytest.fixture(scope="module")
def trained_workdir(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("trained"))
    train(tiny_config(**{"train.num_steps": 5, "train.checkpoint_every": 5}), workdir)
    return workdir


@pytest.mark.parametrize("args, message", [
    (["sample", "--num", "0"], "argument --num: must be >= 1, got 0"),
    (["sample", "--num", "-5"], "argument --num: must be >= 1, got -5"),
    (["sample", "--step", "x"], "argument --step: expected an integer, got 'x'"),
    (["evaluate", "--num-samples", "0"], "argument --num-samples: must be >= 1, got 0"),
])
def test_bad_command_line_numbers_are_refused_by_the_parser(trained_workdir, capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        cli.main([*args, "--workdir", trained_workdir])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_sample_and_evaluate_errors_are_one_line(tmp_path, trained_workdir, capsys):
    err = _one_line_error(capsys, ["evaluate", "--workdir", trained_workdir, "--metrics", "bogus"])
    assert "unknown metric(s) ['bogus']; expected a comma-separated subset of ['modes', 'fid'" in err
    err = _one_line_error(capsys, ["sample", "--workdir", trained_workdir, "--step", "3"])
    assert "no checkpoint step 3" in err and "the steps there are [5]" in err
    empty = tmp_path / "no_checkpoints"
    empty.mkdir()
    (empty / "config.json").write_text(open(os.path.join(trained_workdir, "config.json")).read())
    err = _one_line_error(capsys, ["sample", "--workdir", str(empty)])
    assert "no checkpoint folder" in err and not (empty / "checkpoints").exists()
    err = _one_line_error(capsys, ["evaluate", "--workdir", str(tmp_path / "nowhere")])
    assert "no run folder" in err
    (tmp_path / "not_a_run").mkdir()
    err = _one_line_error(capsys, ["evaluate", "--workdir", str(tmp_path / "not_a_run")])
    assert "no config.json in" in err


def test_debug_shows_the_traceback_of_a_user_error(tmp_path, monkeypatch):
    with pytest.raises(UsageError, match="does not exist"):
        cli.main(["train", "--config", str(tmp_path / "none.py"), "--workdir", str(tmp_path), "--debug"])
    monkeypatch.setenv("JAXGAN_DEBUG", "1")
    with pytest.raises(UsageError, match="does not exist"):
        cli.main(["train", "--config", str(tmp_path / "none.py"), "--workdir", str(tmp_path)])


# --- bad data files ----------------------------------------------------------------------------


def _idx_gz(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _mnist_folder(folder, count=64):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    for images, labels in {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                                    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}.values():
        _idx_gz(os.path.join(folder, images), rng.integers(0, 256, (count, 28, 28)))
        _idx_gz(os.path.join(folder, labels), rng.integers(0, 10, (count,)))
    return os.path.join(folder, "train-images-idx3-ubyte.gz")


def _garble(path, how):
    data = open(path, "rb").read()
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "garbled":
        middle = len(data) // 2
        data = data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :]
    elif how == "not_gzip":
        data = b"<html>404 Not Found</html>"
    open(path, "wb").write(data)


@pytest.mark.parametrize("how, message", [("truncated", "ends early"), ("garbled", "is not a valid gzip file"),
                                          ("not_gzip", "is not a valid gzip file")])
def test_a_bad_mnist_file_is_named(tmp_path, how, message):
    from jaxgan.data.idx import read_idx

    path = _mnist_folder(str(tmp_path))
    _garble(path, how)
    with pytest.raises(DataError, match=message) as error:
        read_idx(path)
    assert str(error.value).startswith(path)


def test_a_bad_mnist_file_stops_train_with_one_line(tmp_path, capsys):
    path = _mnist_folder(str(tmp_path / "mnist"))
    _garble(path, "truncated")
    err = _one_line_error(capsys, ["train", "--config", os.path.join(ROOT, "experiments", "images", "dcgan.py"),
                                   "--config.data.name=mnist", "--config.data.source=idx",
                                   f"--config.data.dir={tmp_path / 'mnist'}", "--workdir", str(tmp_path / "run")])
    assert f"{path} ends early" in err


@pytest.mark.parametrize("content, message", [
    (b"this is not a zip", "is not a readable .npz archive"),
    ("truncated", "is not a readable .npz archive"),
    ("npy", "is a single .npy array, not an .npz archive"),
])
def test_a_bad_npz_file_is_named(tmp_path, content, message):
    from jaxgan.data.images import load_npz

    path = str(tmp_path / "images.npz")
    if content == "truncated":
        np.savez(path, images=np.zeros((64, 8, 8), np.uint8))
        data = open(path, "rb").read()
        open(path, "wb").write(data[: len(data) // 2])
    elif content == "npy":
        with open(path, "wb") as f:
            np.save(f, np.zeros((4, 8, 8), np.uint8))
    else:
        open(path, "wb").write(content)
    with pytest.raises(DataError, match=message) as error:
        load_npz(path)
    assert str(error.value).startswith(path)


def test_an_unprepared_tfds_dataset_says_what_to_run(tmp_path):
    pytest.importorskip("tensorflow_datasets")
    from jaxgan.data.images import IMAGE_DATASETS, TfdsImages
    from jaxgan.errors import MissingDataError

    with pytest.raises(MissingDataError) as error:
        TfdsImages("mnist", "train", str(tmp_path), IMAGE_DATASETS["mnist"])
    message = str(error.value)
    assert f"jaxgan data prepare mnist --data-dir {tmp_path}" in message
    assert "TFRECORD" not in message and "already prepared" not in message and "\n" not in message


# --- a full disk -------------------------------------------------------------------------------


def test_a_full_disk_keeps_the_older_checkpoints_and_exits_3(tmp_path, capsys, monkeypatch):
    config = tiny_config(**{"train.num_steps": 10, "train.checkpoint_every": 5})
    recipe = _write_recipe(tmp_path, config)
    workdir = str(tmp_path / "run")
    assert cli.main(["train", "--config", recipe, "--workdir", workdir, "--config.train.num_steps=5"]) == 0
    real = checkpoint_lib.shutil.disk_usage
    monkeypatch.setattr(checkpoint_lib.shutil, "disk_usage", lambda path: real(path)._replace(free=1000))
    err = _one_line_error(capsys, ["train", "--config", recipe, "--workdir", workdir], code=3)
    assert "not enough disk space to write checkpoint step 10" in err and "the intact checkpoints [5] are kept" in err
    monkeypatch.undo()
    assert cli.main(["train", "--config", recipe, "--workdir", workdir]) == 0  # space freed: it resumes


def test_a_failing_write_exits_3_in_one_line_and_leaves_no_partial_checkpoint(tmp_path):
    config = tiny_config(**{"train.num_steps": 10, "train.checkpoint_every": 5, "model.g_hidden": (256, 256)})
    recipe = _write_recipe(tmp_path, config)
    workdir = str(tmp_path / "run")
    assert cli.main(["train", "--config", recipe, "--workdir", workdir, "--config.train.num_steps=5"]) == 0
    # A file-size limit makes the checkpoint's data file fail to write (EFBIG), as a full disk would.
    limit = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
             "resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000)); from jaxgan.cli import console; "
             f"sys.argv[1:] = ['train', '--config', {recipe!r}, '--workdir', {workdir!r}]; console()")
    # the subprocess on this process's device count, so that resuming says nothing else
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if "xla_force_host_platform_device_count" not in f]
    devices = f"--xla_force_host_platform_device_count={jax.device_count()}"
    env = {**os.environ, "XLA_FLAGS": " ".join(flags + [devices])}
    proc = subprocess.run([sys.executable, "-c", limit], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 3, proc.stderr[-3000:]
    err = proc.stderr.strip()
    assert err.count("\n") == 0 and "could not write checkpoint step 10" in err and "File too large" in err, err[-3000:]
    checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"))
    assert checkpointer.all_steps() == [5] == checkpointer.intact_steps()
    assert sorted(os.listdir(checkpointer.directory)) == ["5"]


def test_never_retrieved_write_tasks_of_a_full_disk_are_dropped_and_other_asyncio_records_pass(tmp_path):
    def record(message, error):
        exc_info = (type(error), error, None) if error is not None else None
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, message, None, exc_info)

    disk = ValueError("OUT_OF_RANGE: Failed to write 104859 bytes to file 9: File too large [os_error_code='27']")
    other = ValueError("OUT_OF_RANGE: Failed to write: permission denied [os_error_code='13']")
    drop = checkpoint_lib._DropFailedWriteTasks()
    assert not drop.filter(record("Task exception was never retrieved\nfuture: <Task finished>", disk))
    assert not drop.filter(record("Task exception was never retrieved", OSError(28, "No space left on device")))
    assert drop.filter(record("Task exception was never retrieved\nfuture: <Task finished>", other))
    assert drop.filter(record("Task exception was never retrieved", None))
    assert drop.filter(record("Unclosed event loop", disk))
    # the filter is in place from a save's start, not from its failure: a failed save's tasks can
    # be collected and logged (to a handler holding the real stderr) before its error arrives
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.removeFilter(checkpoint_lib._DROP_FAILED_WRITE_TASKS)
    _save_all(str(tmp_path), _states(1))
    assert checkpoint_lib._DROP_FAILED_WRITE_TASKS in asyncio_logger.filters

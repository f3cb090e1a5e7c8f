"""Fault cases of the second round: what commands write and where.

Every command over a missing, a file-instead-of-folder and a read-only workdir ends in one line
with the documented exit code (2: a user error; 3: the workdir cannot be written), before any
work; every file a command writes appears whole or not at all, whatever moment a kill comes.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from conftest import max_abs_diff
from test_train import ROOT, _write_recipe, tiny_config

from jaxgan import cli
from jaxgan.errors import ConfigError, DataError, UsageError
from jaxgan.files import append_line, atomic_path, save_npz, writable_folder, write_json
from jaxgan.run import train
from jaxgan.workdir import HISTORY_FILE


@pytest.fixture(scope="module")
def trained_workdir(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("trained"))
    train(tiny_config(**{"train.num_steps": 5, "train.checkpoint_every": 5}), workdir)
    return workdir


def _read_only_copy(source, target):
    """A read-only copy of folder `source` at `target`: a read-only bind mount when running as root
    (root ignores permission bits), else the permission bits."""
    shutil.copytree(source, target + ".source")
    os.makedirs(target)
    if os.geteuid() != 0:
        for root, folders, _ in os.walk(target + ".source"):
            for folder in folders:
                os.chmod(os.path.join(root, folder), 0o555)
        os.chmod(target + ".source", 0o555)
        os.rmdir(target)
        os.symlink(target + ".source", target)
        return lambda: None
    mounted = subprocess.run(["mount", "--bind", target + ".source", target], capture_output=True)
    if mounted.returncode == 0:
        mounted = subprocess.run(["mount", "-o", "remount,ro,bind", target], capture_output=True)
    if mounted.returncode != 0:
        subprocess.run(["umount", target], capture_output=True)
        pytest.skip(f"cannot make a read-only folder here (root without mount: {mounted.stderr.decode().strip()})")
    return lambda: subprocess.run(["umount", target], check=True)


@pytest.fixture
def bad_workdirs(tmp_path, trained_workdir):
    """{fault: path}: a missing folder, a file in the folder's place, and a trained run that is
    read-only."""
    (tmp_path / "a_file").write_text("not a folder")
    release = _read_only_copy(trained_workdir, str(tmp_path / "read_only"))
    yield {"missing": str(tmp_path / "missing"), "file": str(tmp_path / "a_file"),
           "read_only": str(tmp_path / "read_only")}
    release()


TRAIN = ["train", f"--config={ROOT}/experiments/two_d/gan_ns_2d.py", "--config.num_seeds=1",
         "--config.train.num_steps=100", "--config.train.progress=False", "--config.train.tensorboard=False"]
# (command, fault): (exit code, what the one line says; {path} is the workdir). A missing workdir
# is where `train` starts a new run, so that case trains (exit 0).
EXPECTED = {
    ("train", "missing"): (0, None),
    ("train", "file"): (2, "--workdir '{path}' is a file, not a folder"),
    ("train", "read_only"): (3, "--workdir '{path}' cannot be written: Read-only file system"),
    ("sample", "missing"): (2, "no run folder '{path}'"),
    ("sample", "file"): (2, "'{path}' is a file, not a run folder"),
    ("sample", "read_only"): (3, "the folder of the samples, '{path}/samples', cannot be written: Read-only file "
                                 "system; pass --out to write the samples elsewhere"),
    ("evaluate", "missing"): (2, "no run folder '{path}'"),
    ("evaluate", "file"): (2, "'{path}' is a file, not a run folder"),
    ("evaluate", "read_only"): (3, "the folder of the evaluation record, '{path}/eval', cannot be written: "
                                   "Read-only file system; pass --out"),
    ("translate", "missing"): (2, "no run folder '{path}'"),
    ("translate", "file"): (2, "'{path}' is a file, not a run folder"),
    ("translate", "read_only"): (2, "is a 'gan' run; translate needs game pix2pix or cyclegan"),
}


def _argv(command, path, tmp_path):
    if command == "train":
        return [*TRAIN, "--workdir", path]
    if command == "translate":
        return ["translate", "--checkpoint", path, "--input", str(tmp_path)]
    return [command, "--workdir", path] + (["--metrics", "modes"] if command == "evaluate" else [])


@pytest.mark.parametrize("fault", ["missing", "file", "read_only"])
@pytest.mark.parametrize("command", ["train", "sample", "evaluate", "translate"])
def test_every_command_on_a_bad_workdir_ends_in_one_line_with_its_exit_code(tmp_path, bad_workdirs, capsys, command,
                                                                            fault):
    path = bad_workdirs[fault]
    code, message = EXPECTED[command, fault]
    assert cli.main(_argv(command, path, tmp_path)) == code
    err = capsys.readouterr().err.strip()
    if message is None:
        assert os.path.exists(os.path.join(path, "checkpoints", "100"))
        return
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert err.startswith(f"jaxgan {command}: ") and message.format(path=path) in err, err


def test_a_read_only_run_is_sampled_and_evaluated_with_out(tmp_path, bad_workdirs, capsys):
    path = bad_workdirs["read_only"]
    assert cli.main(["sample", "--workdir", path, "--num", "16", "--out", str(tmp_path / "s" / "grid.png")]) == 0
    assert np.load(tmp_path / "s" / "grid.npz")["samples"].shape[:2] == (1, 16)
    assert cli.main(["evaluate", "--workdir", path, "--metrics", "modes", "--out", str(tmp_path / "e.json")]) == 0
    record = json.loads((tmp_path / "e.json").read_text())
    assert record["protocol"]["checkpoint_step"] == 5 and "modes" in record["summary"]
    capsys.readouterr()


def test_other_outputs_in_a_file_or_a_read_only_folder_are_one_line(tmp_path, bad_workdirs, trained_workdir,
                                                                    capsys):
    read_only = bad_workdirs["read_only"]
    images = tmp_path / "images.npz"
    np.savez(images, images=np.zeros((4, 28, 28, 1), np.uint8))
    assert cli.main(["evaluate", "--samples", str(images), "--dataset", "mnist", "--out",
                     f"{read_only}/record.json"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"the folder of the evaluation record, '{read_only}', cannot be written" in err
    assert cli.main(["sample", "--workdir", trained_workdir, "--out", f"{bad_workdirs['file']}/grid.png"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is a file, not a folder" in err


def test_writable_folder_names_the_fault():
    with pytest.raises(UsageError, match="'x' is a file, not a folder"):
        writable_folder(__file__, what="'x'")
    with pytest.raises(UsageError, match="a part of the path is a file"):
        writable_folder(os.path.join(__file__, "sub"), what="'x'")


def test_a_write_error_the_checks_could_not_foresee_is_exit_3_in_one_line(trained_workdir, capsys, monkeypatch):
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/runs/a/samples/x.npz")

    monkeypatch.setattr("jaxgan.files.save_npz", full)
    assert cli.main(["sample", "--workdir", trained_workdir, "--num", "4"]) == 3
    err = capsys.readouterr().err.strip()
    assert err == "jaxgan sample: could not write '/runs/a/samples/x.npz': No space left on device"


# ----------------------------------------------------------------------------- atomic outputs


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path):
    path = tmp_path / "eval" / "step_1.json"
    write_json(path, {"fid": 1.0})
    with pytest.raises(RuntimeError, match="killed"), atomic_path(path) as temporary:
        with open(temporary, "w") as f:
            f.write('{"fid": 2')  # torn
        raise RuntimeError("killed mid-write")
    assert json.loads(path.read_text()) == {"fid": 1.0}
    assert os.listdir(tmp_path / "eval") == ["step_1.json"]


def test_append_line_keeps_every_line_whole(tmp_path):
    path = tmp_path / HISTORY_FILE
    path.write_text('{"step": 0}\n{"step": 5, "to')  # a torn line of an older, non-atomic writer
    append_line(path, json.dumps({"step": 10}))
    assert path.read_text() == '{"step": 0}\n{"step": 5, "to\n{"step": 10}\n'
    with pytest.raises(ValueError, match="writes .npz files"):
        save_npz(tmp_path / "x.png", a=np.zeros(2))


WRITER = textwrap.dedent("""
    import sys, numpy as np
    from jaxgan.files import append_line, save_npz, write_json
    from jaxgan.plots import save_image_grid
    folder, k = sys.argv[1], 0
    print("ready", flush=True)
    while True:
        k += 1
        write_json(folder + "/record.json", {"k": k, "values": list(range(20000))})
        append_line(folder + "/history.jsonl", '{"k": %d, "pad": "%s"}' % (k, "x" * 5000))
        save_npz(folder + "/samples.npz", samples=np.full((64, 28, 28, 1), k % 7, np.float32))
        save_image_grid(np.full((64, 28, 28, 1), (k % 3) - 1.0, np.float32), folder + "/grid.png", rows=8)
""")


def test_outputs_killed_at_random_moments_are_old_or_new_never_torn(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for _ in range(6):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, cwd=ROOT)
        assert process.stdout.readline().strip() == b"ready"
        time.sleep(0.3 + 0.4 * rng.random())
        process.send_signal(signal.SIGKILL)
        process.wait()
        record = json.loads((tmp_path / "record.json").read_text())
        assert record["values"][-1] == 19999
        lines = (tmp_path / "history.jsonl").read_text().splitlines()
        assert all(json.loads(line)["pad"] == "x" * 5000 for line in lines)
        if (tmp_path / "samples.npz").exists():
            assert np.load(tmp_path / "samples.npz")["samples"].shape == (64, 28, 28, 1)
        if (tmp_path / "grid.png").exists():
            Image.open(tmp_path / "grid.png").load()
    assert len(lines) >= 6, "the writer should have finished several rounds between the kills"


# ----------------------------------------------------------------------------- elastic resume


def _history(workdir):
    return [json.loads(line) for line in open(os.path.join(workdir, HISTORY_FILE))]


@pytest.mark.parametrize("parallel", ["jit", "pmap"])
def test_a_run_resumes_on_another_device_count_as_a_run_on_that_count_would(tmp_path, capsys, parallel):
    """Checkpointed on 4 devices, resumed on 2 and on 1 (and 2 -> 4): every continuation equals the
    uninterrupted run up to the float reassociation of a different split (the split changes no
    number beyond it), with the same data position and every step logged once."""
    import jax
    from test_train import restored_state


    devices = jax.devices()
    assert len(devices) == 4
    config = tiny_config(**{"train.parallel": parallel, "train.num_steps": 8, "train.checkpoint_every": 4,
                            "train.log_every": 1, "train.tensorboard": False})
    half = tiny_config(**{"train.parallel": parallel, "train.num_steps": 4, "train.checkpoint_every": 4,
                          "train.log_every": 1, "train.tensorboard": False})
    train(config, str(tmp_path / "straight"), devices=devices)
    reference, reference_data = restored_state(config, str(tmp_path / "straight"))
    for first, then in ((4, 2), (4, 1), (2, 4)):
        workdir = str(tmp_path / f"from_{first}_to_{then}")
        train(half, workdir, devices=devices[:first])
        capsys.readouterr()
        train(config, workdir, devices=devices[:then])
        assert f"jaxgan: resuming step 4 on {then} device(s); it was trained on {first}" in capsys.readouterr().err
        state, data = restored_state(config, workdir)
        assert data == reference_data
        assert int(state.step) == 8
        assert max_abs_diff(state, reference) < 1e-5, (first, then)
        steps = [json.loads(line)["step"] for line in open(os.path.join(workdir, "metrics.jsonl"))]
        assert steps == list(range(1, 9))
        assert [(entry["step"], entry["devices"]) for entry in _history(workdir)] == [(0, first), (4, then)]


def test_a_batch_the_new_device_count_does_not_divide_names_the_nearest_counts(tmp_path, capsys):
    config = tiny_config(**{"data.batch_size": 30, "train.num_steps": 2, "train.checkpoint_every": 2,
                            "train.parallel": "jit"})
    import jax

    train(config, str(tmp_path / "run"), devices=jax.devices()[:3])
    with pytest.raises(ConfigError) as error:
        train(config, str(tmp_path / "run"), devices=jax.devices()[:4])
    assert str(error.value) == (
        "batch size 30 is not divisible by the 4 devices of the data-parallel mesh; choose a multiple of the device "
        "count, or run on 3 or 5 devices (the nearest counts that divide it; `jaxgan train --devices N`)")


def test_the_cli_resumes_a_run_on_fewer_devices(tmp_path):
    """`jaxgan train --devices`, in fresh processes (4 virtual CPU devices, then 2)."""
    config = tiny_config(**{"train.num_steps": 4, "train.checkpoint_every": 4, "train.tensorboard": False})
    recipe = _write_recipe(tmp_path, config)
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    workdir = str(tmp_path / "run")
    for devices, steps in ((4, 4), (2, 8)):
        done = subprocess.run([sys.executable, "-m", "jaxgan.cli", "train", "--config", recipe, "--workdir", workdir,
                               "--devices", str(devices), f"--config.train.num_steps={steps}"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    assert "resuming step 4 on 2 device(s); it was trained on 4" in done.stderr
    assert [entry["devices"] for entry in _history(workdir)] == [4, 2]


# ----------------------------------------------------------------------------- memory before compute


def test_a_step_that_does_not_fit_is_one_line_naming_the_sizes_and_the_largest_batch(tmp_path, capsys, monkeypatch):
    """The host is made to have less memory than the step's plan needs (the plans are XLA's own):
    exit 2 before the first step, with the plan's size, the memory's and the largest batch that
    fits by the plans' linear scaling (checked against the plan at that batch)."""
    import jax

    from jaxgan.bench import lower_step
    from jaxgan.run import memory

    config = tiny_config(**{"data.batch_size": 64, "train.num_steps": 2, "train.parallel": "single"})
    cpu = jax.devices()[0]

    def need(batch):
        return memory.needed_bytes(memory.memory_plan(lower_step(config, batch)[0].compile()), cpu, 1)

    limit = (need(64) + need(32)) // 2  # between the two: about batch 48 fits
    monkeypatch.setattr(memory, "available_bytes", lambda device: (limit, "the host's available memory"))
    recipe = _write_recipe(tmp_path, config)
    assert cli.main(["train", "--config", recipe, "--workdir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    fits = memory.largest_batch(64, need(64), 32, need(32), limit, 1)
    assert 32 < fits < 64 and abs(need(fits) - limit) <= 0.1 * limit  # plans are linear up to XLA's layouts
    assert err == (f"jaxgan train: the compiled train step at batch 64 needs {need(64) / 2**30:.2f} GiB for 1 CPU "
                   f"device(s), the host's available memory is {limit / 2**30:.2f} GiB; the largest batch that fits "
                   f"is about {fits} (XLA's plans at batches 32 and 64, linear in the batch). Lower "
                   "--config.data.batch_size, or pass --config.train.memory_check=False to try anyway")
    assert not os.path.exists(tmp_path / "run" / "checkpoints" / "0")
    assert cli.main(["train", "--config", recipe, "--workdir", str(tmp_path / "run"),
                     "--config.train.memory_check=False"]) == 0


def test_largest_batch_is_the_linear_extrapolation_rounded_to_the_device_count():
    from jaxgan.run.memory import largest_batch

    # need = 100 + 10 b: b <= (1000 - 100) / 10 = 90, rounded down to a multiple of 4
    assert largest_batch(64, 740, 32, 420, 1000, 4) == 88
    assert largest_batch(64, 740, 32, 420, 50, 4) == 0
    assert largest_batch(8, 80, 8, 80, 100, 1) == 10  # one point: proportional


# ----------------------------------------------------------------------------- data errors mid-run


class _FailingOnce:
    """A source whose `fail_at`-th batch is an unreadable record (the first time it is read)."""

    def __init__(self, source, fail_at):
        self.source, self.fail_at, self.calls = source, fail_at, 0

    def next(self, count):
        self.calls += 1
        if self.calls == self.fail_at:
            raise DataError("tfds:mnist/train record 4242 is unreadable (OSError: bad CRC)")
        return self.source.next(count)

    def __getattr__(self, name):
        return getattr(self.source, name)


def test_an_unreadable_record_mid_run_stops_with_a_checkpoint_and_one_line(tmp_path, capsys, monkeypatch):
    from test_train import restored_state

    from jaxgan.run import loop

    config = tiny_config(**{"train.num_steps": 8, "train.checkpoint_every": 0, "train.tensorboard": False})
    make_source = loop.make_source
    monkeypatch.setattr(loop, "make_source", lambda c: _FailingOnce(make_source(c), fail_at=6))
    recipe = _write_recipe(tmp_path, config)
    workdir = str(tmp_path / "run")
    assert cli.main(["train", "--config", recipe, "--workdir", workdir]) == 2
    err = capsys.readouterr().err.strip()
    # The prefetcher reads one batch ahead: the 6th read is the batch of step 6, so 5 steps are kept.
    assert err == ("jaxgan train: tfds:mnist/train record 4242 is unreadable (OSError: bad CRC); the run stopped at "
                   "step 5 with a checkpoint: replace or remove it and run the same command to resume")
    monkeypatch.setattr(loop, "make_source", make_source)  # the record is fixed
    assert cli.main(["train", "--config", recipe, "--workdir", workdir]) == 0
    train(config, str(tmp_path / "straight"))
    resumed, resumed_data = restored_state(config, workdir)
    straight, straight_data = restored_state(config, str(tmp_path / "straight"))
    assert resumed_data == straight_data and max_abs_diff(resumed, straight) == 0.0


def test_an_unreadable_tfds_record_is_named():
    from jaxgan.data.images import TfdsImages

    class Broken:
        def __getitem__(self, index):
            raise ValueError("corrupted record")

    images = object.__new__(TfdsImages)
    images.source, images.origin = Broken(), "tfds:mnist/train"
    with pytest.raises(DataError, match=r"^tfds:mnist/train record 7 is unreadable \(ValueError: corrupted record\)$"):
        images.take([7])


# ----------------------------------------------------------------------------- the chaos soak, short


def test_a_run_killed_in_every_way_ends_equal_to_the_uninterrupted_one(tmp_path):
    """The soak's short form (`benchmarks/chaos_soak.py`; its long form, 30 minutes and 20 kills
    on changing device counts, is run by hand): SIGKILL at a random moment, during a save and
    after an evaluation, then SIGTERM or SIGINT, each followed by a relaunch: the final state equals
    the uninterrupted run's bit for bit, every step is logged once, every record parses."""
    from conftest import shared_dataset_dir

    from benchmarks import chaos_soak

    report = chaos_soak.main(["--minutes", "0", "--kills", "4", "--steps", "200", "--checkpoint-every", "20",
                              "--eval-every", "100", "--devices", "2", "--max-wait-s", "20", "--data-dir",
                              shared_dataset_dir("mnist"), "--out", str(tmp_path / "soak")])
    assert report["kills"] >= 3 and report["by_kind"]["kill_during_save"] >= 1, report["launch_log"]
    assert report["state_equal_bit_for_bit"] and report["data_position_equal"]
    assert report["metrics_every_step_once"]
    assert report["evaluation_records"] == report["evaluation_records_parsed"] >= 2


# ----------------------------------------------------------------------------- signals during startup


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_startup_stops_the_run_at_its_first_step(tmp_path, signum):
    """Found by the chaos soak: a SIGINT 1 s after launch raised a KeyboardInterrupt inside a
    destructor ("Exception ignored"), and the launch trained to its end. `jaxgan train` now
    records SIGTERM / SIGINT from its first line, before the imports, and stops at its next step."""
    config = tiny_config(**{"train.num_steps": 100_000, "train.checkpoint_every": 0, "train.tensorboard": False})
    process = subprocess.Popen([sys.executable, "-m", "jaxgan.cli", "train", "--config",
                                _write_recipe(tmp_path, config), "--workdir", str(tmp_path / "run")], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # in the imports, long before the first step
    process.send_signal(signum)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 128 + signum, err[-3000:]
    # At step 0 when the signal lands in the imports; with a warm compilation cache the first
    # steps may already have run. Swallowed, the run would train its 100,000 steps and exit 0.
    stopped = re.fullmatch(rf"jaxgan train: stopped by signal {signal.Signals(signum).name} at step (\d+); "
                           "checkpoint saved", err.strip().splitlines()[-1])
    assert stopped and int(stopped.group(1)) < 1000, err[-3000:]

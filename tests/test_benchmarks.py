"""The throughput benchmark's measuring tools: XLA's FLOP count and buffer sizes against closed
forms, and one tiny model measured end to end (its numbers are not checked: timing belongs to
benchmarks, never to tests)."""

import filecmp
import glob
import json
import os

import jax
import jax.numpy as jnp
import pytest

from benchmarks import throughput
from experiments import load_recipe
from jaxgan import bench


def test_step_flops_counts_a_matmul_as_2mnk_and_bytes_as_its_buffers():
    m, k, n = 32, 48, 16
    compiled = jax.jit(jnp.dot).lower(jnp.zeros((m, k)), jnp.zeros((k, n))).compile()
    assert bench.step_flops(compiled) == pytest.approx(2 * m * k * n, rel=0.01)
    size = bench.step_bytes(compiled)
    assert size is None or size >= 4 * (m * k + k * n + m * n)


def test_measure_runs_a_model_and_reports_every_field():
    row = throughput.measure("mlp_2d", 32, repeats=2, peak=1e9)
    assert row["model"] == "mlp_2d" and row["batch"] == 32 and row["finite"]
    assert row["step_ms_min"] <= row["step_ms_median"] <= row["step_ms_max"]
    assert row["gflop_per_step"] > 0 and row["images_per_s"] == pytest.approx(32e3 / row["step_ms_median"])
    assert "| mlp_2d | 32 |" in bench.table([row], 1e9)


class _FakeTorch:
    """Eager 100 ms, then 50 ms, then 200 ms per round; torch.compile fails (as for WGAN-GP)."""

    def __init__(self):
        self.eager = iter([100.0, 50.0, 200.0])

    def measure(self, model, batch, repeats, compile_mode, dtype="float32"):
        if compile_mode:
            return {"error": "RuntimeError: no double backward"}
        return {"model": model, "step_ms_median": next(self.eager), "warmup_s": 1.0}


def test_compare_takes_the_median_of_per_round_ratios(monkeypatch):
    jax_seconds = iter([0.040, 0.040, 0.060, 0.060, 0.050, 0.050])  # rounds of 2 steps: 40, 60, 50 ms
    facts = {"model": "dcgan32", "what": "", "batch": 64, "devices": 1, "fused_steps": 1, "cpu_convolutions": "eigen",
             "dtype": "float32", "compile_s": 1.0, "flops": 1e9, "xla_bytes": 10, "finite": lambda: True}
    monkeypatch.setattr(throughput, "prepare",
                        lambda name, batch, cpu_convolutions, overrides=None: (lambda: next(jax_seconds), facts))
    row = throughput.compare("dcgan32", 64, rounds=3, repeats=2, peak=1e10, torch=_FakeTorch())
    assert row["ratio_to_torch_eager_rounds"] == pytest.approx([0.4, 1.2, 0.25])
    assert row["ratio_to_torch_eager"] == pytest.approx(0.4)  # not 50 ms / 100 ms of the pooled medians
    assert row["torch_eager_ms"] == 100.0 and row["step_ms_median"] == pytest.approx(50.0)
    assert row["torch_compile_error"].startswith("RuntimeError") and "torch_compile_ms" not in row
    lines = throughput.ratio_table([row]).splitlines()
    assert lines[2] == "| dcgan32 | 64 | eigen | 50.0 | 100.0 | - | 0.40 | - | 3 |"


@pytest.mark.parametrize("recipe, keys", [("cgan", {"x", "y"}), ("improved_gan_ssl", {"x", "x_labeled", "y_labeled"}),
                                          ("pix2pix", {"source", "target"})])
def test_random_batches_have_the_keys_each_game_takes(recipe, keys):

    from jaxgan.run import Program

    config = load_recipe(recipe).get_config()
    config.data.batch_size = 4
    program = Program(config)
    batch = bench.random_batch(program, config, 4, jax.random.key(0))
    assert set(batch) == keys
    if "y" in batch:
        assert batch["y"].shape == (1, config.n_critic, 4) and int(batch["y"].max()) < config.game.num_classes


def test_compile_times_lists_every_recipe_and_times_one():
    from benchmarks import compile_times

    names = compile_times.recipes()
    assert {"dcgan", "wgan_gp", "sngan_resnet", "cyclegan", "aae", "gan_ns_2d"} <= set(names)
    row = compile_times.compile_time("gan_ns_2d")
    assert row["recipe"] == "gan_ns_2d" and 0 < row["compile_s"] < 600


def test_flops_are_counted_on_the_lowered_program_as_the_closed_form():
    """The lowered HLO's count is backend-independent (a GPU executable hands its convolutions to
    cuDNN, whose custom calls XLA counts as 0 FLOPs): a 4x4 stride-2 convolution without padding
    (XLA leaves taps on padding uncounted) counts 2 B Ho Wo 16 C F."""
    b, h, c, f = 8, 18, 12, 20
    conv = lambda x, w: jax.lax.conv_general_dilated(x, w, (2, 2), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    lowered = jax.jit(conv).lower(jnp.zeros((b, h, h, c)), jnp.zeros((4, 4, c, f)))
    assert bench.step_flops(lowered) == pytest.approx(2 * b * 8 * 8 * 16 * c * f, rel=0.01)


def _device_rows(out):
    import json

    with open(out / "results.jsonl") as f:
        return [json.loads(line) for line in f]


def test_device_script_runs_every_section_on_cpu_at_a_tiny_size(tmp_path):
    """benchmarks/device.py end to end at toy sizes, so it is ready whenever a GPU is."""
    import os

    from conftest import SHARED_DATASETS

    from benchmarks import device

    data_dir = os.path.join(SHARED_DATASETS, "mnist")
    device.main(["--size", "tiny", "--out", str(tmp_path), "--budget-s", "900", "--torch-python", "none",
                 "--models", "wgan_gp28", "--choices", "max_unrolled", "--data-dir", data_dir,
                 "--workdir", str(tmp_path / "work")])
    rows = _device_rows(tmp_path)
    assert {"env", "peak", "train", "compile_phase", "targets", "choices", "compile"} <= {r["section"] for r in rows}
    assert not [r for r in rows if r.get("status") == "failed"]
    env = rows[0]
    assert (
        env["platform"] == "cpu"
        and env["versions"]["jax"] == jax.__version__
        and env["choices"]["upsample"] == "transpose"
    )
    train = next(r for r in rows if r["section"] == "train")
    if os.path.isdir(data_dir):
        assert train["status"] == "done" and train["steps"] == 4 and "fid" in train["summary"]
        assert (tmp_path / "samples.png").exists()
    else:
        assert train["status"] == "skipped" and data_dir in train["reason"]
    targets = {r["dtype"]: r for r in rows if r["section"] == "targets"}
    assert set(targets) == {"float32", "bfloat16"} and all(
        r["status"] == "done" and r["finite"] for r in targets.values()
    )
    assert targets["bfloat16"]["overrides"]["model.dtype"] == "bfloat16"
    # the same computation in another dtype: the same FLOPs (plus the dtype conversions)
    assert targets["bfloat16"]["gflop_per_step"] == pytest.approx(targets["float32"]["gflop_per_step"], rel=0.03)
    unrolled = {r["option"]: r for r in rows if r["section"] == "choices"}
    assert set(unrolled) == {"8", "0"} and all(r["status"] == "done" for r in unrolled.values())
    compiled = [r for r in rows if r["section"] == "compile"]
    assert {r["recipe"] for r in compiled} == {"gan_ns_2d", "wgan_gp"} and all(r["compile_s"] > 0 for r in compiled)
    report = (tmp_path / "report.md").read_text()
    assert "| wgan_gp28 | 8 | bfloat16 |" in report and "max_unrolled" in report and "Compile time" in report


def test_device_script_records_what_the_budget_did_not_reach(tmp_path):
    from benchmarks import device

    device.main(["--size", "tiny", "--out", str(tmp_path), "--budget-s", "0", "--torch-python", "none",
                 "--sections", "env,targets", "--models", "dcgan64", "--workdir", str(tmp_path / "work")])
    rows = _device_rows(tmp_path)
    skipped = [r for r in rows if r.get("status") == "skipped"]
    assert {r["section"] for r in skipped} == {"peak", "targets"} and len(skipped) == 4
    assert all("budget" in r["reason"] for r in skipped)
    assert "## Not measured" in (tmp_path / "report.md").read_text()


@pytest.fixture
def small_peak(monkeypatch):
    """The matmul peak measured on 256^3 products once (the full 2048^3 x 7 costs seconds per
    command; these tests check how the peak is used, not its value)."""
    measure = bench.matmul_peaks
    monkeypatch.setattr(bench, "matmul_peaks", lambda: measure(n=256, repeats=1))


def _bench(tmp_path, capsys, *args):
    from jaxgan import cli

    out = tmp_path / "bench.jsonl"
    code = cli.main(["bench", *args, "--steps", "2", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    return lines[0], lines[1:], captured.out


def _check_row(row, peaks, *, batch, seeds=1):
    assert row["batch"] == batch and row["finite"] and row["repeats"] == 2
    assert row["step_ms_min"] <= row["step_ms_median"] <= row["step_ms_max"]
    assert row["images_per_s"] == pytest.approx(batch * seeds * 1e3 / row["step_ms_median"])
    assert row["gflop_per_s"] == pytest.approx(row["gflop_per_step"] * 1e3 / row["step_ms_median"])
    assert row["fraction_of_matmul_peak"] == pytest.approx(row["gflop_per_s"] * 1e9 / peaks["peak"])
    plan = row["xla_memory"]
    assert plan["total"] == plan["argument"] + plan["output"] + plan["temp"] - plan["alias"] == row["xla_bytes"]
    assert row["compile_s"] > 0 and row["gflop_per_step"] > 0


@pytest.mark.parametrize("recipe, overrides, seeds, batches", [
    ("two_d/gan_ns_2d.py", ["--config.train.fused_steps=10", "--config.num_seeds=3"], 3, [4, 8]),
    ("labels/cgan.py", ["--config.model.g_width=8", "--config.model.d_width=8"], 1, [4]),
    ("translation/pix2pix.py", ["--config.model.g_width=8", "--config.model.d_width=8"], 1, [4]),
])
def test_bench_times_a_recipe_and_writes_every_field(tmp_path, capsys, small_peak, recipe, overrides, seeds, batches):
    header, rows, printed = _bench(tmp_path, capsys, "--config", f"experiments/{recipe}", *overrides,
                                   "--batch", ",".join(map(str, batches)))
    peaks = header["matmul_peaks"]
    assert peaks["peak"] == max(peaks["xla_dot"], peaks["numpy_blas"]) and peaks["source"] in ("xla_dot", "numpy_blas")
    assert header["environment"]["versions"]["jax"] == jax.__version__ and header["environment"]["platform"] == "cpu"
    assert header["recipe"] == f"experiments/{recipe}" and header["overrides"] == overrides
    assert [r["batch"] for r in rows] == batches
    for row in rows:
        _check_row(row, peaks, batch=row["batch"], seeds=seeds)
        assert row["devices"] == 4 and row["parallel"] == "jit" and row["seeds"] == seeds
        assert f"| {row['batch']} | 4 | eigen |" in printed
    if len(rows) == 2:  # FLOPs grow with the batch (the parameters' update does not, so less than twice)
        assert rows[0]["gflop_per_step"] < rows[1]["gflop_per_step"] <= 2 * rows[0]["gflop_per_step"]


def test_bench_flops_are_one_iteration_of_the_unfused_step(tmp_path, capsys, small_peak):
    """A fused step of 10 iterations reports the FLOPs of one (counted on the unfused step),
    equal to the unfused recipe's, and the time of one iteration."""
    base = ["--config", "experiments/two_d/gan_ns_2d.py", "--config.num_seeds=1", "--batch", "16", "--devices", "1"]
    _, (fused,), _ = _bench(tmp_path, capsys, *base, "--config.train.fused_steps=10")
    (tmp_path / "bench.jsonl").unlink()
    _, (single,), _ = _bench(tmp_path, capsys, *base, "--config.train.fused_steps=1")
    assert fused["gflop_per_step"] == pytest.approx(single["gflop_per_step"], rel=1e-6)
    assert fused["fused_steps"] == 10 and single["fused_steps"] == 1
    assert fused["devices"] == single["devices"] == 1 and fused["parallel"] == "single"


def test_bench_asks_for_more_virtual_cpu_devices_in_a_fresh_process(tmp_path):
    """This process has 4 virtual devices; --devices 8 measures in a child that has 8."""
    import subprocess
    import sys

    out = tmp_path / "bench.jsonl"
    done = subprocess.run([sys.executable, "-m", "jaxgan.cli", "bench", "--config", "experiments/two_d/gan_ns_2d.py",
                           "--config.num_seeds=1", "--config.train.fused_steps=1", "--batch", "16", "--steps", "1",
                           "--devices", "8", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    header, row = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["devices"] == 8 and header["environment"]["devices"] == 8


@pytest.mark.parametrize("args, message", [
    (["--config", "experiments/images/dcgan.py", "--config.model.widht=8"], "unknown config key 'model.widht'"),
    (["--config", "experiments/nope.py"], "config file 'experiments/nope.py' does not exist"),
    (["--config", "experiments/images/dcgan.py", "--config.data.batch_size=6", "--devices", "4"], "not divisible"),
])
def test_bench_bad_recipe_is_the_same_one_line_error_as_train(capsys, args, message):
    from jaxgan import cli

    assert cli.main(["bench", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("jaxgan bench: ") and err.count("\n") == 1


def _recipes():
    import glob
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = sorted(glob.glob(os.path.join(root, "experiments", "*", "*.py")))
    return [os.path.relpath(p, root) for p in paths if "def get_config" in open(p).read()]


@pytest.mark.slow
@pytest.mark.parametrize("recipe", _recipes())
def test_bench_runs_every_recipe(tmp_path, capsys, small_peak, recipe):
    """Every recipe in experiments/ compiles and runs under `jaxgan bench` at its own networks
    (batch 8, two timed calls; 21 recipes in 1 min 50 s on 2 cores)."""
    header, (row,), _ = _bench(tmp_path, capsys, "--config", recipe, "--batch", "8", "--devices", "1")
    _check_row(row, header["matmul_peaks"], batch=8, seeds=row["seeds"])


BENCHMARKS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "*.py")))


REQUIRED_ARGUMENTS = {"pytorch_gan": ["--repo", "PyTorch-GAN"]}


# torch_reference runs in a Python with torch installed (benchmarks.throughput --torch-python).
@pytest.mark.parametrize("module", [m for m in BENCHMARKS if m not in ("__init__", "torch_reference")])
def test_every_benchmark_imports_and_parses_its_arguments(module, monkeypatch):
    """Every benchmark script imports (its library calls exist) and parses its default arguments."""
    import argparse
    import importlib

    class Parsed(Exception):
        pass

    original = argparse.ArgumentParser.parse_args
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args",
                        lambda self, args=None, namespace=None: (_ for _ in ()).throw(Parsed(original(self, args))))
    loaded = importlib.import_module(f"benchmarks.{module}")
    if hasattr(loaded, "main"):
        with pytest.raises(Parsed):
            loaded.main(REQUIRED_ARGUMENTS.get(module, []))


def test_pytorch_gan_harness_maps_each_script_to_a_zoo_row_and_places_mnist_where_it_looks(tmp_path):
    from conftest import shared_dataset_dir

    from benchmarks import pytorch_gan
    from experiments.studies import image_zoo

    assert {row for row, _ in pytorch_gan.SCRIPTS.values() if row} <= set(image_zoo.ROWS)
    repo = tmp_path / "repo"
    (repo / "implementations" / "dcgan").mkdir(parents=True)
    (repo / "implementations" / "dcgan" / "dcgan.py").write_text("print('their script')\n")
    script = pytorch_gan.prepare(str(repo), "dcgan", shared_dataset_dir("mnist"), str(tmp_path / "out"))
    # their scripts read "../../data/mnist" relative to their own folder
    raw = os.path.join(os.path.dirname(script), "..", "..", "data", "mnist", "MNIST", "raw")
    assert sorted(os.listdir(raw)) == sorted(pytorch_gan.MNIST_FILES)
    assert open(script).read() == "print('their script')\n"
    with pytest.raises(SystemExit, match="must be a checkout of eriklindernoren/PyTorch-GAN"):
        pytorch_gan.prepare(str(repo), "wgan", shared_dataset_dir("mnist"), str(tmp_path / "out"))


def test_pytorch_gan_stand_in_mnist_reads_the_official_files(tmp_path):
    import importlib.util

    from conftest import shared_dataset_dir

    path = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "pytorch_gan_env", "torchvision", "datasets.py")
    spec = importlib.util.spec_from_file_location("stand_in_datasets", path)
    datasets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(datasets)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in os.listdir(shared_dataset_dir("mnist")):
        if name.endswith(".gz"):
            os.symlink(os.path.join(shared_dataset_dir("mnist"), name), raw / name)
    train, test = datasets.MNIST(str(tmp_path), train=True), datasets.MNIST(str(tmp_path), train=False, download=True)
    assert (len(train), len(test)) == (60_000, 10_000)
    image, label = train[0]
    assert image.size == (28, 28) and label == 5  # MNIST's first training digit is a 5
    assert [test[i][1] for i in range(5)] == [7, 2, 1, 0, 4]


def test_pytorch_gan_table_puts_the_zoo_runs_of_the_same_d_steps_beside_theirs(tmp_path):
    from benchmarks import pytorch_gan
    from experiments.studies import image_zoo

    assert pytorch_gan.NETWORKS == image_zoo.NETWORKS
    for networks, n_critic, ema, raw in (("recipe", 5, 40.0, 45.0), ("lucic", 5, 12.5, None)):
        workdir = tmp_path / "zoo" / "runs" / f"mnist_{networks}_wgan_gp"
        (workdir / "eval").mkdir(parents=True)
        (workdir / "config.json").write_text(json.dumps({"n_critic": n_critic}))
        (workdir / "cost.json").write_text(json.dumps({"ms_per_iteration": 500.0}))
        for name, fid in (("step", ema), ("raw_step", raw)):
            if fid is not None:
                record = json.dumps({"summary": {"fid": {"mean": fid}}})
                (workdir / "eval" / f"{name}_{200:08d}.json").write_text(record)
    results = {"wgan_gp": {"batches": 1000, "seconds": 80.0, "evaluation": {"summary": {"fid": {"mean": 60.0}}}}}
    report = pytorch_gan.table(results, str(tmp_path / "zoo"))
    assert "| wgan_gp | 1,000 | 60.00 | 80 | 40.00 / 45.00 | 100 | 12.50 / - | 100 | - | - |" in report
    # --report: one table from earlier runs' results.json, each script at its own batches
    for folder, script, batches in (("a", "wgan_gp", 1000), ("b", "dcgan", 2000)):
        (tmp_path / folder).mkdir()
        record = {script: {**results["wgan_gp"], "batches": batches}}
        (tmp_path / folder / "results.json").write_text(json.dumps(record))
    merged = pytorch_gan.main(["--report", f"{tmp_path / 'a'},{tmp_path / 'b'}", "--zoo", str(tmp_path / "zoo"),
                               "--out", str(tmp_path / "all")])
    assert set(merged) == {"wgan_gp", "dcgan"}
    table = (tmp_path / "all" / "table.md").read_text()
    assert "| wgan_gp | 1,000 | 60.00 | 80 | 40.00 / 45.00 |" in table and "| dcgan | 2,000 | 60.00 | 80 | - |" in table
    with pytest.raises(SystemExit):
        pytorch_gan.main(["--report", str(tmp_path / "none"), "--out", str(tmp_path / "x")])


@pytest.mark.skipif(not os.environ.get("JAXGAN_TORCH_PYTHON") or not os.environ.get("JAXGAN_PYTORCH_GAN_REPO"),
                    reason="needs an interpreter with torch ($JAXGAN_TORCH_PYTHON) and a checkout of "
                    "eriklindernoren/PyTorch-GAN ($JAXGAN_PYTORCH_GAN_REPO)")
def test_pytorch_gan_harness_runs_their_script_unchanged_and_scores_its_samples(tmp_path):
    from conftest import shared_dataset_dir

    from benchmarks import pytorch_gan

    data_dir = os.path.dirname(shared_dataset_dir("mnist"))
    results = pytorch_gan.main(["--repo", os.environ["JAXGAN_PYTORCH_GAN_REPO"], "--scripts", "dcgan",
                                "--batches", "6", "--num-samples", "100", "--data-dir", data_dir,
                                "--out", str(tmp_path)])
    record = results["dcgan"]
    assert record["batches"] == 6 and record["options"]["img_size"] == 32
    assert record["evaluation"]["protocol"]["n_fake"] == 100
    assert 0 < record["evaluation"]["summary"]["fid"]["mean"] < 2000
    assert filecmp.cmp(os.path.join(os.environ["JAXGAN_PYTORCH_GAN_REPO"], "implementations", "dcgan", "dcgan.py"),
                       tmp_path / "runs" / "dcgan" / "implementations" / "dcgan" / "dcgan.py", shallow=False)


def test_step_parts_times_every_lucic_layer_pass_with_its_closed_form_flops():
    """benchmarks.step_parts --layers: the 7 layers of Lucic et al.'s networks, 3 passes each; a fully
    connected pass counts 2 B K N FLOPs, and the FLOP-weighted row is the sums' ratio."""
    from benchmarks import step_parts

    batch = 2
    measured = step_parts.layers(batch, repeats=1)
    assert len(measured) == 21 and {part for _, part in measured} == {"forward", "input gradient", "kernel gradient"}
    for part in ("forward", "input gradient", "kernel gradient"):
        assert measured["D FC 6272->1024", part][1] == 2 * batch * 6272 * 1024
        assert measured["G FC 1024->6272", part][1] == 2 * batch * 1024 * 6272
    conv_flops = measured["D conv 64->128, 14->7", "forward"][1]
    closed_form = 2 * batch * 7 * 7 * 16 * 64 * 128
    assert 0.8 * closed_form < conv_flops <= closed_form  # XLA leaves the taps on padding uncounted
    lines = step_parts.layer_table(batch, 1, peak=1e11)
    assert len(lines) == 2 + 21 + 1 and lines[-1].startswith("| all layers, FLOP-weighted |")

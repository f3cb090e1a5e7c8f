"""The throughput benchmark's measuring tools: XLA's FLOP count and buffer sizes against closed
forms, and one tiny model measured end to end (its numbers are not checked: timing belongs to
benchmarks, never to tests)."""

import jax
import jax.numpy as jnp
import pytest

from benchmarks import throughput


def test_step_flops_counts_a_matmul_as_2mnk_and_bytes_as_its_buffers():
    m, k, n = 32, 48, 16
    compiled = jax.jit(jnp.dot).lower(jnp.zeros((m, k)), jnp.zeros((k, n))).compile()
    assert throughput.step_flops(compiled) == pytest.approx(2 * m * k * n, rel=0.01)
    size = throughput.step_bytes(compiled)
    assert size is None or size >= 4 * (m * k + k * n + m * n)


def test_measure_runs_a_model_and_reports_every_field():
    row = throughput.measure("mlp_2d", 32, repeats=2, peak=1e9)
    assert row["model"] == "mlp_2d" and row["batch"] == 32 and row["finite"]
    assert row["step_ms_min"] <= row["step_ms_median"] <= row["step_ms_max"]
    assert row["gflop_per_step"] > 0 and row["images_per_s"] == pytest.approx(32e3 / row["step_ms_median"])
    assert "| mlp_2d | 32 |" in throughput.table([row], 1e9)


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


def test_fused_model_reports_time_per_iteration():
    row = throughput.measure("mlp_2d_fused100", 16, repeats=1, peak=1e9)
    single = throughput.measure("mlp_2d", 16, repeats=1, peak=1e9)
    assert row["fused_steps"] == 100 and single["fused_steps"] == 1
    assert row["gflop_per_step"] == pytest.approx(single["gflop_per_step"], rel=0.05)


@pytest.mark.parametrize("recipe, keys", [("cgan", {"x", "y"}), ("improved_gan_ssl", {"x", "x_labeled", "y_labeled"}),
                                          ("pix2pix", {"source", "target"})])
def test_random_batches_have_the_keys_each_game_takes(recipe, keys):
    import importlib

    from jaxgan.train import Program

    config = importlib.import_module(f"experiments.{recipe}").get_config()
    config.data.batch_size = 4
    program = Program(config)
    batch = throughput.random_batch(program, config, 4, jax.random.key(0))
    assert set(batch) == keys
    if "y" in batch:
        assert batch["y"].shape == (1, config.n_critic, 4) and int(batch["y"].max()) < config.game.num_classes


def test_compile_times_lists_every_recipe_and_times_one():
    from benchmarks import compile_times

    names = compile_times.recipes()
    assert {"dcgan", "wgan_gp", "sngan_resnet", "cyclegan", "aae", "gan_ns_2d"} <= set(names)
    row = compile_times.compile_time("gan_ns_2d")
    assert row["recipe"] == "gan_ns_2d" and 0 < row["compile_s"] < 600

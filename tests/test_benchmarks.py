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


def test_ratio_table_divides_by_the_references_of_the_same_model_and_batch():
    rows = [{"model": "dcgan32", "batch": 64, "step_ms_median": 200.0}, {"model": "cyclegan32", "batch": 64, "step_ms_median": 9.0}]
    reference = [{"model": "dcgan32", "batch": 64, "mode": "eager", "step_ms_median": 250.0},
                 {"model": "dcgan32", "batch": 64, "mode": "compile", "step_ms_median": 400.0},
                 {"model": "dcgan32", "batch": 128, "mode": "eager", "step_ms_median": 1.0}]
    lines = throughput.ratio_table(rows, reference).splitlines()
    assert lines[2] == "| dcgan32 | 64 | 200.0 | 250.0 | 400.0 | 0.80 | 0.50 |"
    assert len(lines) == 3  # cyclegan32 has no PyTorch reference

"""The main job end to end (small), and the headline mode-coverage claim (slow)."""

import json
import os

import jax
import jax.numpy as jnp
import pytest

from experiments.studies import mode_coverage


def test_main_job_writes_table_plots_and_results(tmp_path, capsys):
    mode_coverage.main(["--seeds", "2", "--steps-scale", "0.05", "--variants", "gan_ns_2d,wgan_gp_2d",
                        "--datasets", "ring", "--out", str(tmp_path)])
    for name in ("table.md", "results.json", "samples.png", "loss_curves.png", "coverage_curves.png"):
        assert os.path.getsize(tmp_path / name) > 0, name
    results = json.load(open(tmp_path / "results.json"))
    ring = results["wgan_gp_2d/ring"]["evaluation"]
    assert len(ring["per_seed"]) == 2 and ring["protocol"]["n_fake"] == 2500
    assert ring["protocol"]["modes"]["num_modes"] == 8
    table = open(tmp_path / "table.md").read()
    assert "| WGAN-GP |" in table and "over 2 seeds" in table
    # PacGAN's Table 1 beside ours (ring modes, high quality %, KL; grid the same)
    assert "| paper: PacGAN4, 400k iterations | 7.8 +- 0.1 | 95.9 +- 1.4 | 0.070 +- 0.020 | 24.8 +- 0.2 |" in table
    # ten evaluations per run for the curves: 0.05 x 4000 steps = 200, fused 100 -> at 100 and 200
    steps = sorted(int(name[5:13]) for name in os.listdir(tmp_path / "runs" / "wgan_gp_2d_ring" / "eval"))
    assert steps == [100, 200]
    assert "| variant |" in capsys.readouterr().out


def test_main_job_rejects_unknown_variant(tmp_path):
    with pytest.raises(SystemExit):
        mode_coverage.main(["--variants", "gan_typo", "--out", str(tmp_path)])


@pytest.mark.slow
def test_wgan_gp_covers_the_grid_at_the_papers_modes_and_kl_over_10_seeds(tmp_path):
    """The main job's grid row: PacGAN4's Table 1 has 24.8 modes and reverse KL 0.04 at 400k."""
    mode_coverage.main(["--seeds", "10", "--variants", "wgan_gp_2d", "--datasets", "grid", "--out", str(tmp_path)])
    summary = json.load(open(tmp_path / "results.json"))["wgan_gp_2d/grid"]["evaluation"]["summary"]
    assert summary["modes"]["mean"] >= 24.5 and summary["reverse_kl"]["mean"] <= 0.1, summary  # README: main job


@pytest.mark.parametrize("packing", [1, 2, 3, 4])
def test_pacgan_recipe_has_the_papers_networks_batch_and_training_set(packing):
    """fjxmlzn/PacGAN 2D config: G 2-400x4-2 (BatchNorm, no hidden bias), D 3 x 200 maxout with 5
    pieces on m packed points, Adam(1e-4, 0.8), 100 packs per batch, 100,000 packs per seed."""
    from experiments.two_d import pacgan_2d
    from jaxgan.config import validate
    from jaxgan.games import build_models

    config = validate(pacgan_2d.get_config(packing))
    assert config.data.batch_size == 100 * packing and config.data.train_size == 100_000 * packing
    assert (
        (config.optimizer.g.learning_rate, config.optimizer.g.b1)
        == (config.optimizer.d.learning_rate, config.optimizer.d.b1)
        == (1e-4, 0.8)
    )
    generator, critic = build_models(config)
    g = generator.init(jax.random.key(0), jnp.zeros((4, 2)), train=False)["params"]
    kernels = [g[f"Dense_{k}"]["kernel"].shape for k in range(5)]
    assert kernels == [(2, 400), (400, 400), (400, 400), (400, 400), (400, 2)]
    assert all("bias" not in g[f"Dense_{k}"] for k in range(4)) and "bias" in g["Dense_4"]
    d = critic.init(jax.random.key(0), jnp.zeros((4 * packing, 2)), train=False)["params"]
    d = d.get("inner", d)
    assert [d[f"Maxout_{k}"]["Dense_0"]["kernel"].shape for k in range(3)] == [
        (2 * packing, 1000),
        (200, 1000),
        (200, 1000),
    ]
    assert d["Dense_0"]["kernel"].shape == (200, 1)

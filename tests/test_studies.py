"""The reproduction studies: log-spaced segments that resume, the tables beside the papers, the
Stacked MNIST recipes."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.images import stacked_mnist
from experiments.studies import pacgan_study, study
from experiments.two_d import gan_ns_2d, pacgan_2d


@pytest.mark.parametrize("max_steps, expected", [
    (10_000, [1000, 2000, 5000, 10_000]),
    (400_000, [1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 400_000]),
    (1500, [1000, 1500]),
    (700, [700]),
])
def test_evaluation_steps_are_1_2_5_per_decade_then_the_last(max_steps, expected):
    assert study.evaluation_steps(max_steps) == expected


def test_evaluation_steps_reject_a_non_positive_budget():
    with pytest.raises(ValueError, match="positive"):
        study.evaluation_steps(0)


def _tiny_2d_config():
    config = gan_ns_2d.get_config()
    config.num_seeds = 2
    config.data.batch_size = 32
    config.model.g_hidden = (16, 16)
    config.model.d_hidden = (16,)
    config.train.fused_steps = 5
    config.train.progress = False
    config.train.tensorboard = False
    config.eval.num_samples = 500
    return config


def test_train_to_stops_at_each_evaluation_step_and_a_rerun_continues_the_same_run(tmp_path):
    first = study.train_to(_tiny_2d_config(), str(tmp_path / "run"), 30, first=10, log=lambda line: None)
    assert [e["step"] for e in first["curve"]] == [10, 20, 30] and first["final"]["step"] == 30
    assert first["samples"].shape == (2, 500, 2) and first["ms_per_iteration"] > 0
    again = study.train_to(_tiny_2d_config(), str(tmp_path / "run"), 30, first=10, log=lambda line: None)
    assert again["samples"] is None and again["final"] == first["final"]  # nothing retrained
    longer = study.train_to(_tiny_2d_config(), str(tmp_path / "run"), 50, first=10, log=lambda line: None)
    assert [e["step"] for e in longer["curve"]] == [10, 20, 30, 50]
    # each trained segment's cost is kept as it ends (a run stopped mid-study keeps its wall time)
    cost = json.load(open(tmp_path / "run" / "cost.json"))
    assert [s["to_step"] for s in cost["segments"]] == [10, 20, 30, 50]
    assert cost["ms_per_iteration"] == pytest.approx(np.median([s["ms_per_iteration"] for s in cost["segments"]]))
    assert longer["ms_per_iteration"] == cost["ms_per_iteration"]
    # the stops and resumes change nothing: one straight run to 50 evaluates the same samples
    straight = study.train_to(_tiny_2d_config(), str(tmp_path / "straight"), 50, first=50, log=lambda line: None)
    assert straight["final"]["per_seed"] == longer["final"]["per_seed"]


def test_pacgan_study_writes_ours_beside_the_papers_table_1(tmp_path, capsys):
    pacgan_study.main(["--steps", "100", "--seeds", "2", "--rows", "gan,ns_r1", "--datasets", "grid",
                       "--out", str(tmp_path)])
    for name in ("table.md", "results.json", "curves.png", "samples.png"):
        assert os.path.getsize(tmp_path / name) > 0, name
    table = open(tmp_path / "table.md").read()
    gan_line = next(line for line in table.splitlines() if line.startswith("| grid | GAN | 100 |"))
    assert "| 17.3 +- 0.8 |" in gan_line and "| 94.8 +- 0.7 |" in gan_line and "| 0.70 +- 0.07 |" in gan_line
    r1_line = next(line for line in table.splitlines() if line.startswith("| grid | GAN + R1"))
    assert r1_line.count("| - |") == 3
    results = json.load(open(tmp_path / "results.json"))
    final = results["grid/gan"]["final"]
    assert final["step"] == 100 and len(final["per_seed"]) == 2
    assert final["summary"]["modes"]["mean"] == sum(s["modes"] for s in final["per_seed"]) / 2
    assert "over 2 seeds" in capsys.readouterr().out


def test_pacgan_study_extra_rows_keep_the_papers_networks_and_data():
    paper = pacgan_study.row_config("gan", "ring", seeds=10)
    for row in ("wgan_gp", "ns_r1"):
        config = pacgan_study.row_config(row, "ring", seeds=10)
        for key in ("model", "data"):
            assert config[key].to_dict() == paper[key].to_dict(), (row, key)
    wgan = pacgan_study.row_config("wgan_gp", "grid", seeds=1)
    assert (wgan.loss, wgan.penalties.wgan_gp, wgan.n_critic, wgan.optimizer.d.b1, wgan.optimizer.d.b2) == (
        "wasserstein", 10.0, 5, 0.5, 0.9)
    assert pacgan_study.row_config("ns_r1", "grid", seeds=1).penalties.r1 == 0.1
    with pytest.raises(ValueError, match="unknown row 'pacgan9'"):
        pacgan_study.row_config("pacgan9", "grid", seeds=1)
    with pytest.raises(SystemExit):
        pacgan_study.main(["--datasets", "spiral"])


def test_paper_table_1_is_what_the_study_compares_against():
    # Lin et al. 2018, Table 1: PacGAN4 on grid-25, GAN on ring-8
    assert pacgan_2d.PAPER_TABLE1["grid"]["PacGAN4"] == ((24.8, 0.2), (93.6, 0.6), (0.04, 0.01))
    assert pacgan_2d.PAPER_TABLE1["ring"]["GAN"] == ((6.3, 0.5), (98.2, 0.2), (0.45, 0.09))


@pytest.mark.parametrize("packing", [1, 2, 4])
def test_stacked_mnist_recipe_packs_channels_and_batches_64_packs(packing):
    from jaxgan.config import validate
    from jaxgan.games import build_models

    config = validate(stacked_mnist.get_config(packing))
    assert (config.data.name, config.data.batch_size, config.model.packing) == ("stacked_mnist", 64 * packing, packing)
    assert (config.model.latent_dim, config.optimizer.g.learning_rate, config.optimizer.g.b1) == (100, 2e-4, 0.5)
    assert config.ema_decay == 0.0 and config.eval.num_samples == 26_000 and config.train.num_steps == 100_000
    generator, critic = build_models(config)
    images = generator.apply(generator.init(jax.random.key(0), jnp.zeros((2, 100)), train=False),
                             jnp.zeros((2, 100)), train=False)
    assert images.shape == (2, 28, 28, 3)
    params = critic.init(jax.random.key(0), jnp.zeros((packing, 28, 28, 3)), train=False)["params"]
    params = params.get("inner", params)
    assert params["Conv_0"]["kernel"].shape == (
        4,
        4,
        3 * packing,
        config.model.d_width,
    )  # m images' channels side by side


def test_stacked_mnist_wgan_gp_row_is_gdpps_and_rejects_packing():
    config = stacked_mnist.get_config(1, loss="wasserstein")
    assert (config.penalties.wgan_gp, config.n_critic, config.model.d_norm, config.train.num_steps) == (
        10.0,
        5,
        "layer",
        15_000,
    )
    with pytest.raises(ValueError, match="packing=2"):
        stacked_mnist.get_config(2, loss="wasserstein")
    with pytest.raises(ValueError, match="'hinge'"):
        stacked_mnist.get_config(1, loss="hinge")


def _accelerator_report(tmp_path, monkeypatch, plan, name="coverage", budget_s=540):
    from conftest import shared_dataset_dir

    from experiments.studies import accelerator_studies

    data_dir = os.path.dirname(shared_dataset_dir("mnist"))
    monkeypatch.setitem(accelerator_studies.PLANS, name, plan)
    accelerator_studies.main(["--size", "tiny", "--plan", name, "--data-dir", data_dir, "--out", str(tmp_path),
                              "--budget-s", str(budget_s)])
    return open(tmp_path / "report.md").read()


@pytest.mark.slow  # minutes; the images plan's row keeps the accelerator script in the default suite
def test_accelerator_studies_run_a_2d_and_a_stacked_mnist_row_on_the_cpu(tmp_path, monkeypatch):
    report = _accelerator_report(tmp_path, monkeypatch, (("2d", "grid", "pacgan2"), ("ablation", "grid", "gan"),
                                                         ("stacked", None, "pacdcgan2")))
    assert "size tiny" in report and "## PacGAN Table 1 (2D)" in report and "## Stacked MNIST" in report
    assert "| GAN | ours | 200 |" in report
    assert "| grid | PacGAN2 | 200 |" in report and "| 23.8 +- 0.7 |" in report
    assert "| PacDCGAN2 | 8 | 20 |" in report and "| 1000.0 +- 0.0 |" in report
    results = json.load(open(tmp_path / "stacked_mnist" / "results.json"))
    assert [e["step"] for e in results["pacdcgan2"]["curve"]] == [20]
    assert results["pacdcgan2"]["final"]["protocol"]["n_fake"] == 26_000


@pytest.mark.slow
def test_accelerator_studies_run_their_whole_plan_on_the_cpu_at_tiny_size(tmp_path, monkeypatch):
    from experiments.studies import accelerator_studies

    report = _accelerator_report(tmp_path, monkeypatch, accelerator_studies.PLANS["coverage"])
    for row in ("| ring | PacGAN4 | 200 |", "| grid | WGAN-GP (ours, same nets) | 200 |", "| PacGAN4 | ours | 200 |",
                "| DCGAN | 8 | 20 |",
                "| WGAN-GP | 8 | 20 |"):
        assert row in report, row


def test_a_study_stops_at_its_deadline_and_reports_what_it_reached(tmp_path):
    import time

    config = _tiny_2d_config()
    done = study.train_to(config, str(tmp_path / "run"), 20, first=10, log=lambda line: None)
    stopped = study.train_to(_tiny_2d_config(), str(tmp_path / "run"), 50, first=10, log=lambda line: None,
                             deadline=time.perf_counter())
    assert stopped["final"] == done["final"] and stopped["final"]["step"] == 20 and not stopped["complete"]
    assert done["complete"]
    assert study.train_to(_tiny_2d_config(), str(tmp_path / "empty"), 50, first=10, log=lambda line: None,
                          deadline=time.perf_counter()) is None


def test_labels_study_merges_single_seed_programs_on_the_steps_all_reached():
    from experiments.studies import labels_study

    def run(seed, steps, complete):
        curve = [{"step": s, "summary": {"fid": {}}, "per_seed": [{"fid": 100.0 * seed + s}]} for s in steps]
        return {"curve": curve, "final": curve[-1], "complete": complete, "samples": f"s{seed}", "wall_s": 10.0,
                "ms_per_iteration": 500.0 + seed}

    merged = labels_study.merge_seeds([run(0, [200, 400, 1000], True), run(1, [200, 400], False),
                                       run(2, [200, 400, 1000], True)])
    assert [e["step"] for e in merged["curve"]] == [200, 400] and merged["final"]["step"] == 400
    assert [s["fid"] for s in merged["final"]["per_seed"]] == [400.0, 500.0, 600.0]
    assert "summary" not in merged["final"] and not merged["complete"]
    assert merged["ms_per_iteration"] == 1503.0 and merged["wall_s"] == 30.0
    done = labels_study.merge_seeds([run(0, [200], True), run(1, [200], True)])
    assert done["complete"] and len(done["final"]["per_seed"]) == 2
    assert labels_study.merge_seeds([run(0, [200], True), None]) is None


def test_labels_study_table_reports_the_final_evaluation_per_seed_beside_the_paper(tmp_path, monkeypatch):
    from experiments.studies import labels_study

    def evaluation(step, errors):
        return {"step": step, "per_seed": [{"test_error": e, "test_error_raw": 2 * e, "fid": 10.0 * (i + 1)}
                                           for i, e in enumerate(errors)]}

    curve = [evaluation(600, [0.3, 0.2, 0.25]), evaluation(1200, [0.02, 0.01, 0.015])]  # the last, not the best
    results = {"ssl": {"curve": curve, "final": curve[-1], "ms_per_iteration": 135.0, "batch": 100, "width": None}}
    table = labels_study.format_table(results)
    row = table.splitlines()[2]
    assert row.startswith("| Improved-GAN semi-supervised, 100 labels | 1,200 (100) | 3 | 1.50 +- 0.29 % test error "
                          "(current D: 3.00 +- 0.58) |")
    assert "| 2.00, 1.00, 1.50 | 20.0 +- 5.8 | 0.93 % test error (Salimans et al. 2016" in row
    assert "| <= 1.2: not met | 135 |" in row
    config = labels_study.row_config("aae_ssl", seeds=2, data_dir="/nowhere", width=16)
    assert (config.game.aae_mode, config.model.latent_dim, config.num_seeds) == ("semi_supervised", 10, 2)
    assert labels_study.row_config("infogan", seeds=1, data_dir="/nowhere", width=16).model.d_width == 16
    # CGAN, the reference, on ACGAN's networks
    acgan, cgan = (labels_study.row_config(row, seeds=1, data_dir="/nowhere") for row in ("acgan", "cgan"))
    assert (cgan.model.g_width, cgan.model.d_width) == (acgan.model.g_width, acgan.model.d_width) == (32, 32)
    with pytest.raises(ValueError, match="unknown row 'gan'"):
        labels_study.row_config("gan", seeds=1, data_dir="/nowhere")
    assert set(labels_study.FULL_STEPS) == set(labels_study.ROWS)
    (path,) = labels_study.curves_figures(results, str(tmp_path))
    assert os.path.getsize(path) > 0
    # rows run one invocation at a time build one table: a later invocation keeps the others' rows
    path = str(tmp_path / "results.json")
    labels_study.merge_results(path, results)
    infogan = {"curve": curve, "final": curve[0], "ms_per_iteration": 600.0, "batch": 128, "width": None,
               "complete": True}
    merged = labels_study.merge_results(path, {"infogan": infogan})
    assert list(merged) == ["ssl", "infogan"] and merged["ssl"]["final"]["step"] == 1200
    assert "complete" not in merged["infogan"] and json.load(open(path)) == merged
    rerun = labels_study.merge_results(path, {"ssl": {**results["ssl"], "final": curve[0]}})
    assert rerun["ssl"]["final"]["step"] == 600 and rerun["infogan"]["batch"] == 128
    # ACGAN's curve is drawn with CGAN's beside it, each the mean +- s.e. over its own seeds
    def accuracy(step, values):
        return {"step": step, "per_seed": [{"class_accuracy": v} for v in values]}

    labeled = {"acgan": {"curve": [accuracy(600, [0.5, 0.7]), accuracy(6000, [0.9, 0.96])]},
               "cgan": {"curve": [accuracy(600, [0.8]), accuracy(3000, [0.95]), accuracy(6000, [0.98])]}}
    steps, means, stderrs = labels_study._curve(labeled["acgan"], "class_accuracy", 100.0)
    assert steps == [600, 6000] and np.allclose(means, [60.0, 93.0]) and np.allclose(stderrs, [10.0, 3.0])
    drawn = {}
    monkeypatch.setattr(labels_study.study, "curves_figure",
                        lambda panels, path, **kw: drawn.setdefault(os.path.basename(path), (panels, kw)))
    labels_study.curves_figures(labeled, str(tmp_path))
    (title, lines), = drawn["curves_acgan.png"][0]
    assert [line[0] for line in lines] == ["ACGAN", "CGAN"] and lines[1][1] == [600, 3000, 6000]
    assert drawn["curves_acgan.png"][1]["paper_steps"] == 6000 and len(drawn["curves_cgan.png"][0][0][1]) == 1


def test_labels_study_probe_changes_the_recipe_names_the_change_and_reports_no_gate():
    from experiments.studies import labels_study

    changes = labels_study.parse_changes(["game.classification_learning_rate=1e-3", "game.aae_phases=True",
                                          "optimizer.g.name=sgd"])
    assert changes == {"game.classification_learning_rate": 1e-3, "game.aae_phases": True, "optimizer.g.name": "sgd"}
    config = labels_study.row_config("aae_ssl", seeds=1, data_dir="/nowhere", changes=changes)
    assert (config.game.classification_learning_rate, config.optimizer.g.name) == (1e-3, "sgd")
    assert labels_study.row_config("aae_ssl", seeds=1, data_dir="/nowhere").game.classification_learning_rate == 0.0
    with pytest.raises(ValueError, match=r"--set 'rate': expected KEY=VALUE"):
        labels_study.parse_changes(["rate"])
    with pytest.raises(ValueError, match=r"--set game.nope=1: the 'aae_ssl' row's config has no key 'game.nope'"):
        labels_study.row_config("aae_ssl", seeds=1, data_dir="/nowhere", changes={"game.nope": 1})
    with pytest.raises(ValueError, match=r"--set game.class_weight='abc': .*cannot be casted"):
        labels_study.row_config("aae_ssl", seeds=1, data_dir="/nowhere", changes={"game.class_weight": "abc"})
    with pytest.raises(SystemExit):  # the command line refuses before training
        labels_study.main(["--rows", "aae_ssl", "--steps", "10", "--set", "game.nope=1", "--out", "/nonexistent/x"])
    evaluation = {"step": 5000, "per_seed": [{"test_error": 0.1}]}
    probe = {"curve": [evaluation], "final": evaluation, "ms_per_iteration": 100.0, "batch": 100,
             "changes": {"game.classification_learning_rate": 1e-3}}
    row = labels_study.format_table({"aae_ssl": probe}).splitlines()[2]
    assert row.startswith("| AAE semi-supervised, 100 labels [probe: game.classification_learning_rate=0.001] |")
    assert "10.00" in row and "met" not in row


@pytest.mark.slow  # minutes; the images plan's row keeps the accelerator script in the default suite
def test_accelerator_labels_plan_runs_the_semi_supervised_and_infogan_rows_on_the_cpu(tmp_path, monkeypatch):
    report = _accelerator_report(tmp_path, monkeypatch, (("labels", None, "ssl"), ("labels", None, "infogan")),
                                 name="labels")
    assert "## Labels, codes and autoencoders (MNIST)" in report
    assert "| Improved-GAN semi-supervised, 100 labels | 20 (100) | 2 |" in report
    assert "| InfoGAN categorical code, DCGAN width 8 | 20 (128) | 2 |" in report
    results = json.load(open(tmp_path / "labels" / "results.json"))
    assert [e["step"] for e in results["ssl"]["curve"]] == [10, 20]
    # on the CPU the convolutional row trains each seed as its own program (seed k: config.seed + k)
    for k in range(2):
        seed_config = json.load(open(tmp_path / "labels" / "runs" / "infogan_w8" / f"seed_{k}" / "config.json"))
        assert (seed_config["seed"], seed_config["num_seeds"]) == (k, 1)
    assert len(results["infogan"]["final"]["per_seed"]) == 2
    final = results["ssl"]["final"]["per_seed"]
    assert all("test_error_raw" in s and 0 <= s["test_error"] <= 1 for s in final)  # the averaged D and the raw one
    subsets = json.load(open(tmp_path / "labels" / "runs" / "ssl" / "labeled_subset.json"))
    assert [s["seed"] for s in subsets] == [0, 1] and subsets[0]["indices"] != subsets[1]["indices"]


@pytest.mark.slow
def test_accelerator_labels_plan_runs_whole_on_the_cpu_at_tiny_size(tmp_path, monkeypatch):
    from experiments.studies import accelerator_studies

    report = _accelerator_report(tmp_path, monkeypatch, accelerator_studies.PLANS["labels"], name="labels")
    for row in ("| ACGAN, DCGAN width 8 | 20 (64) | 2 |", "| CGAN, DCGAN width 8 | 20 (64) | 2 |",
                "| AAE semi-supervised, 100 labels | 20 (100) | 2 |"):
        assert row in report, row


def test_accelerator_images_plan_runs_a_zoo_row_on_the_cpu(tmp_path, monkeypatch):
    report = _accelerator_report(tmp_path, monkeypatch, (("zoo", "mnist:recipe", "dcgan,wgan_gp"),), name="images")
    assert "## The image zoo (Lucic et al. 2018's protocol)" in report
    assert "| mnist | recipe | DCGAN (NS GAN) | 20 (1) | 20 |" in report
    assert "| mnist | recipe | WGAN-GP | 4 (5) | 20 |" in report
    results = json.load(open(tmp_path / "image_zoo" / "results.json"))
    assert results["mnist_recipe_dcgan"]["raw"]["protocol"]["generator"] == "raw"


@pytest.mark.slow  # minutes; the images plan's row keeps the accelerator script in the default suite
def test_accelerator_data_efficient_plan_runs_a_limited_data_row_on_the_cpu(tmp_path, monkeypatch):
    from experiments.studies import accelerator_studies

    assert [item[1] for item in accelerator_studies.PLANS["data_efficient"]][0] == "mnist,fashion_mnist:1%"
    report = _accelerator_report(tmp_path, monkeypatch, (("data_efficient", "mnist:1%", "baseline,ada"),),
                                 name="data_efficient")
    assert "## Training with little data" in report
    assert "| mnist | 100 (0.17%) | SNGAN | 4 |" in report and "| mnist | 100 (0.17%) | + ADA | 4 |" in report
    results = json.load(open(tmp_path / "data_efficient" / "results.json"))
    assert sorted(results) == ["mnist_100_ada", "mnist_100_baseline"]


@pytest.mark.slow
def test_accelerator_images_plan_runs_whole_on_the_cpu_at_tiny_size(tmp_path, monkeypatch):
    from experiments.studies import accelerator_studies

    # 42 tiny runs take about 10 min on 2 cores: a budget that lets every item start
    report = _accelerator_report(tmp_path, monkeypatch, accelerator_studies.PLANS["images"], name="images",
                                 budget_s=3600)
    for row in ("| fashion_mnist | lucic | LSGAN | 20 (1) | 20 |", "| mnist | recipe | EBGAN | 20 (1) | 20 |",
                "| fashion_mnist | lucic | WGAN-div | 4 (5) | 20 |"):
        assert row in report, row


@pytest.mark.slow
def test_accelerator_catalogue_plan_runs_a_began_row_on_the_cpu(tmp_path, monkeypatch):
    """The BEGAN zoo row at tiny size; the ClusterGAN rows (Lucic et al.'s full-size networks, 10,000
    samples and k-means at each evaluation: minutes here) are tested in test_clustergan.py."""
    report = _accelerator_report(tmp_path, monkeypatch, (("zoo", "mnist:recipe", "began"),), name="catalogue")
    assert "## ClusterGAN, CoGAN, CCGAN and the context encoder" in report
    assert "## PyTorch-GAN's catalogue in the image zoo" in report
    assert "| mnist | recipe | BEGAN (gamma 0.5) | 20 (1) | 20 |" in report


def test_pacgan_ablation_variants_are_the_authors_choices_one_at_a_time():
    from experiments.studies import pacgan_ablation
    from jaxgan.config import base_config

    defaults = base_config()
    authors = pacgan_ablation.variant_config("pacgan4", "authors", seeds=10).to_dict()
    assert authors["model"] == pacgan_2d.get_config(4).to_dict()["model"]
    assert authors["game"] == pacgan_2d.get_config(4).to_dict()["game"]
    ours = pacgan_ablation.variant_config("pacgan4", "ours", seeds=10)
    assert (ours.game.packing_bn, ours.game.updates, ours.model.init_std, ours.model.bn_momentum) == (
        defaults.game.packing_bn, defaults.game.updates, defaults.model.init_std, defaults.model.bn_momentum)
    def value(config, key):
        group, name = key.split(".")
        return config[group][name]

    for variant, (key, authors_value) in (("per_slot_bn", ("game.packing_bn", "per_slot")),
                                          ("simultaneous", ("game.updates", "simultaneous")),
                                          ("init", ("model.init_std", 0.02)),
                                          ("bn_momentum", ("model.bn_momentum", 0.95))):
        config = pacgan_ablation.variant_config("gan", variant, seeds=10)
        different = {k for k in pacgan_ablation.OURS if value(config, k) != value(ours, k)}
        assert different == {key} and value(config, key) == authors_value, variant
    assert ("gan", "per_slot_bn") not in pacgan_ablation.runs(["gan", "pacgan4"], ["ours", "per_slot_bn"])


def test_pacgan_ablation_writes_every_run_beside_table_1(tmp_path):
    from experiments.studies import pacgan_ablation

    pacgan_ablation.main(["--steps", "100", "--seeds", "2", "--rows", "gan,pacgan4", "--variants", "ours,per_slot_bn",
                          "--out", str(tmp_path)])
    for name in ("table.md", "results.json", "curves.png"):
        assert os.path.getsize(tmp_path / name) > 0, name
    results = json.load(open(tmp_path / "results.json"))
    assert sorted(results) == ["gan/ours", "pacgan4/ours", "pacgan4/per_slot_bn"]
    assert all(r["final"]["step"] == 100 and len(r["final"]["per_seed"]) == 2 for r in results.values())
    table = open(tmp_path / "table.md").read()
    assert "| PacGAN4 | paper (Table 1) | 400,000 | 24.8 +- 0.2 | 93.6 +- 0.6 | 0.04 +- 0.01 | - |" in table
    assert table.count("| PacGAN4 | per_slot_bn | 100 |") == 1

"""An image GAN end to end on the official MNIST files: train, resume exactly, evaluate with the
shipped domain network and a recorded protocol, write a sample grid."""

import json
import os

import jax
import numpy as np
import pytest
from conftest import max_abs_diff, shared_dataset_dir
from test_train import restored_state, tiny_config, with_overrides

from jaxgan import cli
from jaxgan.config import base_config
from jaxgan.run import Program, train


def image_config(**overrides):
    config = tiny_config(**{
        "data.name": "mnist", "data.source": "idx", "data.dir": shared_dataset_dir("mnist"), "data.batch_size": 16,
        "model.name": "dcgan", "model.g_width": 4, "model.d_width": 4, "model.d_norm": "batch", "model.latent_dim": 8,
        "train.num_steps": 4, "train.checkpoint_every": 2, "train.log_every": 2,
        "eval.num_samples": 100, "eval.num_reference": 300, "eval.batch_size": 50,
    })
    for key in ("g_hidden", "d_hidden", "g_norm"):  # the MLP's options, which DCGAN does not take
        config.model[key] = base_config().model[key]
    return with_overrides(config, overrides)


def test_image_run_resumes_exactly_and_records_its_evaluation(tmp_path):
    straight = image_config()
    result = train(straight, str(tmp_path / "straight"))
    half = image_config(**{"train.num_steps": 2})
    train(half, str(tmp_path / "resumed"))
    train(straight, str(tmp_path / "resumed"))
    a, data_a = restored_state(straight, str(tmp_path / "straight"))
    b, data_b = restored_state(straight, str(tmp_path / "resumed"))
    assert data_a == data_b == {"position": 4} and max_abs_diff(a, b) == 0.0
    assert max_abs_diff(a.g_params, Program(straight).init_state().g_params) > 0

    assert result["samples"].shape == (1, 100, 28, 28, 1)
    record = json.load(open(tmp_path / "straight" / "eval" / "step_00000004.json"))
    protocol = record["protocol"]
    assert protocol["feature_network"]["name"] == "domain_classifier/mnist"
    assert len(protocol["feature_network"]["weights_sha256"]) == 64
    assert protocol["reference"]["n_real"] == 300 and protocol["reference"]["split"] == "test"
    assert protocol["n_fake"] == 100 and protocol["generator"] == "ema" and protocol["checkpoint_step"] == 4
    assert {"fid", "kid", "precision", "recall", "density", "coverage", "is"} <= set(record["summary"])
    assert 1.0 <= record["summary"]["is"]["mean"] <= 10.0 and record["summary"]["fid"]["mean"] > 0
    assert os.path.getsize(tmp_path / "straight" / "samples" / "step_00000004.png") > 0


def test_seeds_one_after_another_equal_the_vmapped_seeds_and_each_seed_alone(tmp_path):
    """`train.seed_loop="unrolled"` (the CPU's choice for images: no grouped convolutions) trains
    the seeds as `vmap` does, and seed k as a one-seed run with seed + k, up to float rounding."""
    runs = {}
    for loop in ("unrolled", "vmap"):
        config = image_config(**{"num_seeds": 2, "train.seed_loop": loop, "train.num_steps": 2,
                                 "train.checkpoint_every": 2})
        result = train(config, str(tmp_path / loop))
        runs[loop] = (restored_state(config, str(tmp_path / loop))[0], result["samples"])
    assert Program(image_config(**{"num_seeds": 2})).seed_loop == "unrolled"  # auto, on the CPU
    assert max_abs_diff(runs["unrolled"][0], runs["vmap"][0]) < 1e-5
    assert np.max(np.abs(runs["unrolled"][1] - runs["vmap"][1])) < 1e-4
    one = image_config(**{"seed": 1, "train.num_steps": 2, "train.checkpoint_every": 2})
    train(one, str(tmp_path / "seed_1"))
    alone = restored_state(one, str(tmp_path / "seed_1"))[0]
    unrolled = runs["unrolled"][0]
    second = jax.tree.map(lambda x: x[1], unrolled.replace(key=jax.random.key_data(unrolled.key)))
    assert max_abs_diff(second.g_params, alone.g_params) < 1e-5


def test_evaluate_command_has_its_own_batch_size_and_sample_count(tmp_path, capsys):
    workdir = str(tmp_path / "run")
    train(image_config(), workdir)
    capsys.readouterr()
    assert cli.main(["evaluate", "--workdir", workdir, "--metrics", "fid,pr", "--num-samples", "120",
                     "--batch-size", "40", "--num-reference", "200"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out["summary"]) == {"fid", "precision", "recall"}
    protocol = json.load(open(out["record"]))["protocol"]
    assert (protocol["n_fake"], protocol["batch_size"], protocol["reference"]["n_real"]) == (120, 40, 200)
    assert cli.main(["sample", "--workdir", workdir, "--num", "16", "--out", str(tmp_path / "grid.png")]) == 0
    assert np.load(tmp_path / "grid.npz")["samples"].shape == (1, 16, 28, 28, 1)


def _score(argv, capsys):
    assert cli.main(["evaluate", *argv]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return json.load(open(out["record"]))


def test_evaluate_samples_scores_files_as_the_workdir_route_scores_the_same_images(tmp_path, capsys):
    from PIL import Image

    workdir, mnist = str(tmp_path / "run"), shared_dataset_dir("mnist")
    train(image_config(), workdir)
    capsys.readouterr()
    common = ["--metrics", "fid,kid,pr", "--num-reference", "300", "--batch-size", "50"]
    through_run = _score(["--workdir", workdir, "--seed", "3", "--num-samples", "120", *common], capsys)
    assert cli.main(["sample", "--workdir", workdir, "--seed", "3", "--num", "120", "--out",
                     str(tmp_path / "drawn.png")]) == 0
    capsys.readouterr()
    scoring = ["--dataset", "mnist", "--data-source", "idx", "--data-dir", mnist, "--seed", "3", *common]
    from_npz = _score(["--samples", str(tmp_path / "drawn.npz"), *scoring], capsys)
    for name in ("fid", "kid", "precision", "recall"):  # the same images: the same numbers
        assert from_npz["summary"][name]["mean"] == through_run["summary"][name]["mean"], name
    assert from_npz["protocol"]["n_fake"] == 120 and from_npz["protocol"]["reference"]["n_real"] == 300
    assert from_npz["protocol"]["samples"] == str(tmp_path / "drawn.npz")

    folder = tmp_path / "pngs"  # the same images as 8-bit files: quantization moves FID a little
    folder.mkdir()
    drawn = np.load(tmp_path / "drawn.npz")["samples"][0]
    for i, image in enumerate(np.round((drawn[..., 0] + 1) * 127.5).astype(np.uint8)):
        Image.fromarray(image).save(folder / f"{i:04d}.png")
    from_pngs = _score(["--samples", str(folder), *scoring], capsys)
    fid = through_run["summary"]["fid"]["mean"]
    assert from_pngs["summary"]["fid"]["mean"] == pytest.approx(fid, rel=0.01)
    assert from_pngs["summary"]["fid"]["mean"] != fid
    unit = tmp_path / "unit.npz"  # float [0, 1] images with the range given
    np.savez(unit, images=(drawn + 1) / 2)
    from_unit = _score(["--samples", str(unit), "--value-range", "0,1", *scoring], capsys)
    assert from_unit["summary"]["fid"]["mean"] == pytest.approx(fid, rel=1e-4)


@pytest.mark.parametrize("images, extra, message", [
    (np.zeros((5, 32, 32, 1), np.uint8), [], "images of shape (1, 5, 32, 32, 1); expected (N, 28, 28, 1)"),
    (np.full((5, 28, 28), 0.5, np.float32), [], "fit both [0, 1] and [-1, 1]; say which with --value-range"),
    (np.full((5, 28, 28), 3.0, np.float32), ["--value-range", "0,1"], "span [3, 3], outside 0,1"),
    (np.zeros((5, 28, 28), np.int32), [], "images of dtype int32; expected uint8 or float"),
])
def test_evaluate_samples_refuses_images_it_cannot_score(tmp_path, capsys, images, extra, message):
    path = str(tmp_path / "x.npz")
    np.savez(path, images=images)
    code = cli.main(["evaluate", "--samples", path, "--dataset", "mnist", "--data-source", "idx", "--data-dir",
                     shared_dataset_dir("mnist"), *extra])
    assert code == 2 and message in capsys.readouterr().err


def test_evaluate_needs_a_run_or_images_but_not_both(tmp_path, capsys):
    assert cli.main(["evaluate"]) == 2
    assert "either --workdir (a run) or --samples" in capsys.readouterr().err
    assert cli.main(["evaluate", "--samples", str(tmp_path), "--workdir", str(tmp_path)]) == 2
    assert "not both" in capsys.readouterr().err
    assert cli.main(["evaluate", "--samples", str(tmp_path)]) == 2
    assert "needs --dataset" in capsys.readouterr().err


def test_stacked_mnist_run_counts_its_modes(tmp_path):
    config = image_config(**{"data.name": "stacked_mnist", "eval.num_samples": 300, "train.num_steps": 2})
    result = train(config, str(tmp_path))
    assert result["samples"].shape == (1, 300, 28, 28, 3)
    evaluation = result["evaluation"]
    assert evaluation["protocol"]["metrics"] == ["modes"]
    assert evaluation["protocol"]["modes"]["num_modes"] == 1000
    per_seed = evaluation["per_seed"][0]
    assert 1 <= per_seed["modes"] <= 300 and per_seed["num_samples"] == 300
    assert 0.0 <= per_seed["kl_to_uniform"] <= np.log(1000)


@pytest.mark.parametrize("recipe, loss", [("bgan", "boundary_seeking"), ("softmax_gan", "softmax")])
def test_the_boundary_seeking_and_softmax_recipes_train_with_their_losses(tmp_path, recipe, loss):
    """The recipes name their losses, and a run of them logs losses within their bounds: the
    softmax losses are cross-entropies to targets of entropy ln |B+| (D) and ln |B| (G), batch 16;
    BGAN's is a mean square."""
    from experiments import load_recipe

    recipe_config = load_recipe(recipe).get_config()
    assert (recipe_config.loss, recipe_config.data.batch_size, recipe_config.optimizer.g.learning_rate) == (
        loss, 64, 2e-4)
    train(image_config(**{"loss": loss, "train.log_every": 1}), str(tmp_path))
    records = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [r["step"] for r in records] == [1, 2, 3, 4]
    d_losses, g_losses = np.array([r["d_loss"] for r in records]), np.array([r["g_loss"] for r in records])
    assert np.all(np.isfinite(d_losses)) and np.all(np.isfinite(g_losses))
    if loss == "softmax":
        assert np.all(d_losses >= np.log(16) - 1e-5) and np.all(g_losses >= np.log(32) - 1e-5)
    else:
        assert np.all(g_losses >= 0) and np.all(d_losses > 0)

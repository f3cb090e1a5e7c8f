"""The documentation works as written: the README's example and its train / sample / evaluate
commands run, every documented command parses (its recipe, overrides and flags), every relative
link and anchor of the Markdown pages resolves, and the API reference builds without warnings."""

import argparse
import glob
import importlib
import os
import re
import shlex
import subprocess
import sys

import numpy as np
import pytest
from conftest import shared_dataset_dir

from jaxgan import cli
from jaxgan.config import validate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["README.md", *sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))), "experiments/README.md",
         "experiments/studies/README.md", "benchmarks/README.md"]
# Recipes and studies document their launch commands in their docstrings.
SCRIPTS = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "experiments", "*", "*.py")))


def page_text(page):
    return open(os.path.join(ROOT, page)).read()


def test_compose_your_own_loss_example_runs():
    text = page_text("README.md")
    section = text[text.index("## Compose your own loss"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    metrics = namespace["metrics"]
    assert set(metrics) == {"d_loss", "mine", "d_total", "g_loss", "real_logit", "fake_logit"}
    assert int(namespace["train_state"].step) == 1
    np.testing.assert_allclose(metrics["d_total"], metrics["d_loss"] + 10.0 * metrics["mine"], rtol=1e-5)


def slug(heading):
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path):
    return {slug(h) for h in re.findall(r"^#+ (.+)$", open(path).read(), re.M)}


@pytest.mark.parametrize("page", PAGES)
def test_relative_links_and_anchors_resolve(page):
    path = os.path.join(ROOT, page)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", open(path).read()):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        if not os.path.exists(resolved):
            broken.append(f"{target}: no {os.path.relpath(resolved, ROOT)}")
        elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading with anchor #{anchor}")
    assert not broken, f"{page}: " + "; ".join(broken)


def documented_commands():
    """(page, command words) of every `./run jaxgan ...` and `./run python -m ...` line in a code
    block or inline code of the pages, continuations joined, `$JAXGAN_DATASETS` and a block's
    `D=...` substituted."""
    found = []
    for page in PAGES + SCRIPTS:
        text = page_text(page).replace("\\\\\n", " ").replace("\\\n", " ")
        defined = dict(re.findall(r'^(\w+)="([^"]*)"', text, re.M))
        for line in re.findall(r"(\./run (?:jaxgan|python -m) [^`|#\n]*)", text):
            line = re.sub(r"\$(\w+)", lambda m: defined.get(m.group(1), "${" + m.group(1) + "}"), line.strip())
            line = line.replace("${JAXGAN_DATASETS}", "DATASETS")
            if "..." in line or "[" in line or "${" in line or line.endswith("data prepare"):
                continue  # a usage pattern, a placeholder or a mention of a command, not a command
            found.append((page, tuple(shlex.split(line))[1:]))
    return sorted(set(found))


COMMANDS = documented_commands()


class Parsed(Exception):
    pass


@pytest.mark.parametrize("page, words", COMMANDS, ids=[" ".join(w)[:90] for _, w in COMMANDS])
def test_documented_command_parses(page, words, monkeypatch):
    datasets = os.environ.get("JAXGAN_DATASETS") or os.path.join(os.path.dirname(ROOT), "shared", "datasets")
    words = [w.replace("DATASETS", datasets) for w in words]
    if words[0] == "jaxgan":
        args, rest = cli.build_parser().parse_known_args(words[1:])
        if args.command in ("train", "bench"):
            monkeypatch.chdir(ROOT)
            validate(cli._parse_train_config(rest))
        else:
            assert not rest, f"unrecognized arguments: {rest}"
        return
    assert words[:2] == ["python", "-m"], words
    module = importlib.import_module(words[2])
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        raise Parsed(original(self, args, namespace))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    with pytest.raises(Parsed):
        module.main(words[3:])


def test_the_readme_train_sample_evaluate_commands_run_at_tiny_size(tmp_path, capsys):
    """The README's first block, as written, with a temporary workdir and a short run."""
    block = page_text("README.md").split("## Train, sample, evaluate", 1)[1].split("```bash", 1)[1].split("```")[0]
    lines = [shlex.split(line.split("#")[0]) for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    ring = [words[1:] for words in lines if "runs/gp_ring" in words]
    assert [w[1] for w in ring] == ["train", "sample", "evaluate"]
    workdir = str(tmp_path / "gp_ring")
    tiny = ["--config.train.num_steps=100", "--config.train.progress=False", "--config.eval.num_samples=300"]
    for words in ring:
        words = [workdir if w == "runs/gp_ring" else w for w in words[1:]]
        assert cli.main(words + (tiny if words[0] == "train" else [])) == 0, words
    out = capsys.readouterr().out
    assert os.path.exists(os.path.join(workdir, "samples", "sample_00000100.png")), out
    assert os.path.exists(os.path.join(workdir, "eval", "evaluate_step_00000100.json"))
    mnist = [words[1:] for words in lines if "runs/dcgan_mnist" in words][0]
    mnist = [w.replace("$JAXGAN_DATASETS/mnist", shared_dataset_dir("mnist")) for w in mnist]
    mnist = [str(tmp_path / "dcgan") if w == "runs/dcgan_mnist" else w for w in mnist]
    small = ["--config.train.num_steps=2", "--config.train.progress=False", "--config.data.batch_size=8",
             "--config.model.g_width=4", "--config.model.d_width=4", "--config.eval.num_samples=100",
             "--config.eval.num_reference=200", "--config.train.plot_every=0", "--config.train.eval_every=0"]
    assert cli.main(mnist[1:] + small) == 0


def test_the_api_reference_builds_without_warnings(tmp_path):
    pytest.importorskip("pdoc", reason="pdoc comes with the dev extra (./run test installs it)")
    out = subprocess.run([sys.executable, "-m", "pdoc", "jaxgan", "--docformat", "google", "-o", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    warnings = [line for line in out.stderr.splitlines() if "warn" in line.lower()]
    assert not warnings, "\n".join(warnings[:20])
    assert os.path.exists(tmp_path / "jaxgan" / "evaluation.html")

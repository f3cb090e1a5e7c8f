"""The public API carries return annotations (`jax.Array` in and out where arrays flow), as
optax does: every public function and method of the modules users compose from."""

import ast
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLIC = ["losses", "techniques", "games", "evaluation", "metrics/frechet.py", "metrics/manifold.py",
          "metrics/scores.py", "metrics/mode_coverage.py", "metrics/swd.py", "metrics/stacked_mnist.py",
          "nets/registry.py", "nets/family.py", "state.py", "parallel.py", "latents.py", "theory.py",
          "optimizers.py", "config.py", "presets.py", "data/__init__.py", "run/program.py"]


def public_functions(path):
    tree = ast.parse(open(path).read(), path)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    yield f"{node.name}.{item.name}", item


def files():
    for entry in PUBLIC:
        path = os.path.join(ROOT, "jaxgan", entry)
        yield from sorted(glob.glob(os.path.join(path, "*.py"))) if os.path.isdir(path) else [path]


@pytest.mark.parametrize("path", list(files()), ids=lambda p: os.path.relpath(p, ROOT))
def test_public_functions_annotate_what_they_return(path):
    missing = [name for name, node in public_functions(path) if node.returns is None]
    assert not missing, f"{os.path.relpath(path, ROOT)}: no return annotation on {missing}"

"""The package's layering, read from the source: every `import` (also those inside functions)
goes down or sideways, never up; units import each other without cycles; no module reaches into
another unit's private names or modules; evaluators see a run only through the `Sampler`
protocol.

    leaves (errors, backend, latents, files, signals < losses, nets, techniques, data, metrics, state, parallel, ...)
      < games < evaluation < config < run (jaxgan.run, bench, checkpoint, workdir) < cli
"""

import ast
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "jaxgan")

# unit -> layer; a unit is jaxgan.<first component> (a module or a subpackage).
LAYERS = {
    0: ("errors", "backend", "latents", "files", "signals", "masks", "__init__"),
    1: ("losses", "nets", "techniques", "data", "metrics", "state", "parallel", "optimizers", "theory", "plots",
        "writers", "compilation_cache"),
    2: ("games",),
    3: ("evaluation",),
    4: ("config", "presets"),
    5: ("run", "bench", "checkpoint", "workdir"),
    6: ("cli",),
}
# What the evaluators may import: the leaves, the games' public functions (to run a network), and
# each other. Not the config machinery, the training program or the loop.
EVALUATOR_IMPORTS = {"errors", "backend", "latents", "masks", "data", "metrics", "state", "plots", "games",
                     "evaluation"}
LAYER = {unit: layer for layer, units in LAYERS.items() for unit in units}


def modules():
    for root, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                parts = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].split(os.sep)
                yield ".".join(p for p in parts if p != "__init__") or "jaxgan", path


def imports(path, module):
    """(imported module, imported names) of every jaxgan import in the file, relative ones resolved."""
    tree = ast.parse(open(path).read(), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names if alias.name.startswith("jaxgan")]
        elif isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level:
                base = module.split(".")[: -node.level] if not path.endswith("__init__.py") else \
                    module.split(".")[: len(module.split(".")) - node.level + 1]
                name = ".".join(base + ([name] if name else []))
            if name.startswith("jaxgan"):
                found.append((name, tuple(alias.name for alias in node.names)))
    return found


def unit(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph():
    edges = {}
    for module, path in modules():
        for target, names in imports(path, module):
            if target == "jaxgan":  # `from jaxgan import games, losses`: the named units
                for name in names:
                    edges.setdefault((module, f"jaxgan.{name}"), names)
            else:
                edges.setdefault((module, target), names)
    return edges


def test_every_unit_has_a_layer():
    units = {unit(module) for module, _ in modules()}
    assert units <= set(LAYER), f"units without a layer in LAYERS: {sorted(units - set(LAYER))}"


def test_imports_never_go_up_a_layer():
    upward = [f"{source} -> {target}" for (source, target) in graph()
              if unit(source) != unit(target) and LAYER[unit(target)] > LAYER[unit(source)]]
    assert not upward, "imports up the layers:\n" + "\n".join(sorted(upward))


def test_units_import_each_other_without_cycles():
    depends = {}
    for source, target in graph():
        if unit(source) != unit(target):
            depends.setdefault(unit(source), set()).add(unit(target))
    state, cycle = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(depends.get(node, ())):
            if state.get(nxt) == "open":
                cycle.append(trail + [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [node])
        state[node] = "done"

    for node in sorted(depends):
        if node not in state:
            visit(node, [])
    assert not cycle, f"import cycles between units: {cycle}"


def test_no_private_names_or_modules_across_units():
    private = []
    for (source, target), names in graph().items():
        if unit(source) == unit(target):
            continue
        if any(part.startswith("_") and part != "__init__" for part in target.split(".")):
            private.append(f"{source} imports the private module {target}")
        private += [f"{source} imports {target}.{name}" for name in names if name.startswith("_")]
    assert not private, "\n".join(sorted(private))


@pytest.mark.parametrize("source, expected", [
    ("from jaxgan.games._core import apply\n", ["jaxgan.games._core"]),
    ("def f():\n    from jaxgan.run import Program\n", ["jaxgan.run"]),
])
def test_the_import_reader_sees_nested_and_private_imports(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert [target for target, _ in imports(str(path), "jaxgan.config")] == expected


def test_evaluators_import_only_leaves_games_and_each_other():
    found = sorted(f"{source} -> {target}" for (source, target) in graph()
                   if unit(source) == "evaluation" and unit(target) not in EVALUATOR_IMPORTS)
    assert not found, "evaluators importing beyond their allowance:\n" + "\n".join(found)


def _sampler_members():
    from jaxgan.evaluation.context import Sampler

    return {name for name in vars(Sampler) if not name.startswith("_")} | set(Sampler.__annotations__)


def sampler_uses(path):
    """The attributes read from a sampler in a file: `sampler.X` and `ctx.sampler.X`."""
    uses = set()
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Attribute):
            target = node.value
            if (isinstance(target, ast.Name) and target.id == "sampler") or (
                    isinstance(target, ast.Attribute) and target.attr == "sampler"):
                uses.add(node.attr)
    return uses


def test_evaluators_use_only_the_sampler_protocol():
    members = _sampler_members()
    assert members == {"num_seeds", "prior", "samples", "decode", "seed_states"}
    outside = {}
    for module, path in modules():
        if unit(module) == "evaluation":
            extra = sampler_uses(path) - members
            if extra:
                outside[module] = sorted(extra)
    assert not outside, f"evaluators reaching past the Sampler protocol: {outside}"


def test_the_sampler_reader_sees_attribute_uses(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f(ctx, sampler):\n    ctx.sampler.program\n    sampler.decode(1)\n")
    assert sampler_uses(str(path)) == {"program", "decode"}

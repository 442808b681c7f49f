"""The package's shape, read from its source with `ast` (nothing is imported): layers, no circles, owners.

Stages run in the order of `LAYERS`; a module may import from its own layer
and earlier ones, never from a later one, inside functions too.
"""

import ast
from pathlib import Path

import pytest

import hf_distscale

PACKAGE = Path(hf_distscale.__file__).parent

# Module or package -> layer; a module takes the layer of the longest entry it is or is under
# ("hf_distscale" is the root __init__ alone). Every module must have one.
LAYERS = {
    "hf_distscale": 0,
    "hf_distscale.formats": 0,
    "hf_distscale.console": 0,
    "hf_distscale.hub": 1,
    "hf_distscale.named_configs": 2,
    "hf_distscale.presets": 2,
    "hf_distscale.tasks": 3,
    "hf_distscale.lm_eval_tasks": 3,
    "hf_distscale.models": 4,
    "hf_distscale.data": 5,
    "hf_distscale.training": 5,
    "hf_distscale.evaluation": 6,
    "hf_distscale.analysis": 7,
    "hf_distscale.metrics": 8,
    "hf_distscale.leaderboard": 8,
    "hf_distscale.site": 10,
    "hf_distscale.pipeline": 10,
    "hf_distscale.demo": 10,
    "hf_distscale.cli": 10,
    "hf_distscale.__main__": 10,
}
HUB_CALLS = {"snapshot_download", "hf_hub_download", "HfApi", "upload_file", "upload_folder",
             "upload_large_folder", "create_commit", "push_to_hub"}
STATISTICS_LIBRARIES = {"scipy", "sklearn", "diptest"}
HEAVY_LIBRARIES = {"torch", "transformers", "huggingface_hub", "datasets"}
BACKWARD_CALLS_IN_TRAINING = 2


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


TREES = {module_name(path): ast.parse(path.read_text(), str(path)) for path in sorted(PACKAGE.rglob("*.py"))}


def resolve(node: ast.ImportFrom, module: str) -> str:
    """The absolute module `from ... import` names, relative imports included."""
    if not node.level:
        return node.module
    package = module.split(".")
    is_package = (PACKAGE.parent / Path(*package) / "__init__.py").is_file()
    base = package[: len(package) - node.level + is_package]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[str]:
    """Every module `module` imports, anywhere in its file; `from a import b` is `a.b` when that is a module.

    A package's `lazy_exports({name: module})` table counts as importing those modules.
    """
    found = []
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy_exports":
            found += [value.value for arg in node.args if isinstance(arg, ast.Dict) for value in arg.values]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(node, module)
            found += [f"{source}.{alias.name}" if f"{source}.{alias.name}" in TREES else source
                      for alias in node.names]
    return list(dict.fromkeys(found))


def own_imports(module: str) -> list[str]:
    return [name for name in imports(module) if name in TREES]


def layer(module: str) -> int:
    owners = [entry for entry in LAYERS
              if module == entry or (entry != "hf_distscale" and module.startswith(entry + "."))]
    assert owners, f"{module} has no layer; add its package to LAYERS in {__file__}"
    return LAYERS[max(owners, key=len)]


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_every_module_has_a_layer():
    for module in TREES:
        layer(module)


def test_no_import_circle_between_modules():
    state = {}  # module -> "open" while on the search path, "done" once all it reaches is checked

    def visit(module, path):
        state[module] = "open"
        for target in own_imports(module):
            if state.get(target) == "open":
                circle = path[path.index(target):] + [target]
                pytest.fail(f"import circle: {' -> '.join(circle)}")
            if target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in TREES:
        if module not in state:
            visit(module, [module])


def test_no_module_imports_a_later_layer():
    offences = [f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)})"
                for module in TREES for target in own_imports(module) if layer(target) > layer(module)]
    assert not offences, "imports from a later stage:\n  " + "\n  ".join(offences)


def names_used(tree: ast.AST):
    """(line, name) of every identifier, attribute and name imported with `from ... import`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, ast.ImportFrom):
            yield from ((node.lineno, alias.name) for alias in node.names)


def test_hub_calls_only_under_hub():
    offences = [f"{module}:{line} uses {name}" for module, tree in TREES.items()
                if not under(module, "hf_distscale.hub")
                for line, name in names_used(tree) if name in HUB_CALLS]
    assert not offences, "Hub calls outside hf_distscale/hub/:\n  " + "\n  ".join(offences)


def test_leaderboard_reads_analysis_output_and_computes_no_statistics():
    offences = [f"{module} imports {target}"
                for module in TREES if under(module, "hf_distscale.leaderboard")
                for target in imports(module)
                if under(target, "hf_distscale.analysis") or target.split(".")[0] in STATISTICS_LIBRARIES]
    assert not offences, "the leaderboard must only read what `analyze` wrote:\n  " + "\n  ".join(offences)


def test_formats_are_pure():
    offences = [f"{module} imports {target}"
                for module in TREES if under(module, "hf_distscale.formats")
                for target in imports(module)
                if target.split(".")[0] in HEAVY_LIBRARIES
                or (under(target, "hf_distscale") and not under(target, "hf_distscale.formats"))]
    assert not offences, "formats/ imports a stage or a heavy library:\n  " + "\n  ".join(offences)


def test_training_has_one_backward_pass_per_path():
    calls = [f"{module}:{node.lineno}" for module, tree in TREES.items() if under(module, "hf_distscale.training")
             for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "backward"]
    assert len(calls) == BACKWARD_CALLS_IN_TRAINING, (
        f"training/ has {len(calls)} .backward( calls, expected one for one seed and one for a stack: "
        + ", ".join(calls))

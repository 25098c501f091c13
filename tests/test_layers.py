"""The library's layers: a student-facing core that imports nothing else from the package, the machinery above it,
maintainer tools apart, no import cycle (imports inside functions included), the environment read only at the edge."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lottery_utils"
# Each module may import only modules of a lower layer. The core, in import order (the README's table gives the
# reading order):
CORE = ("data", "layers", "history", "checks", "amounts", "models", "masking", "pruning", "training", "analysis")
LAYERS = {
    **{name: rank for rank, name in enumerate(CORE)},
    "results": 10, "config": 11, "summaries": 11, "store": 12, "settings": 13, "lessons": 12, "experiments": 14, "plots": 14, "tables": 15, "claims": 16, "why": 16,
    "widgets": 16, "exercises": 16, "maintainer": 17, "__main__": 18, "__init__": 18,
}
ENVIRONMENT_EDGES = {"settings"}  # the only module that reads os.environ (the CLI and conftest ask it)


def modules() -> dict[str, Path]:
    return {".".join(path.relative_to(PACKAGE).with_suffix("").parts): path for path in PACKAGE.rglob("*.py")}


def layer(module: str) -> str:
    """"exercises.lesson03" -> "exercises", "maintainer.docs" -> "maintainer"."""
    return module.split(".")[0] if module.split(".")[0] in LAYERS else module


def package_imports(module: str, path: Path) -> set[str]:
    """Every lottery_utils module `module` imports, at the top or inside a function, relative or absolute."""
    package, found = module.split(".")[:-1], set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..models import y
                base = package[:len(package) - node.level + 1]
            elif node.module == "lottery_utils" or (node.module or "").startswith("lottery_utils."):
                base = []
            else:
                continue
            inner = (node.module or "").removeprefix("lottery_utils").lstrip(".") if not node.level else node.module
            if inner:
                found.add(".".join(base + [inner]))
            else:  # from . import experiments, plots
                found |= {".".join(base + [alias.name]) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name.removeprefix("lottery_utils.") for alias in node.names
                      if alias.name.startswith("lottery_utils.")}
    return found


def test_every_module_has_a_layer_and_every_import_finds_its_module():
    assert {layer(m.split(".")[0]) for m in modules()} <= set(LAYERS)
    known = set(modules()) | {m.removesuffix(".__init__") for m in modules()}
    for module, path in modules().items():
        package = module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):  # "from .training import x" inside exercises/: no such module
            if isinstance(node, ast.ImportFrom) and node.level and node.module:
                target = ".".join(package[:len(package) - node.level + 1] + [node.module])
                assert target in known, f"{module} imports {target}, which does not exist"


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_point_down_only(module):
    """A module imports only from lower layers (a maintainer tool or the exercises may use their own package)."""
    own = layer(module.split(".")[0])
    for target in package_imports(module, modules()[module]):
        other = layer(target.split(".")[0])
        if other == own and own in ("exercises", "maintainer"):
            continue  # lesson03 -> _common, docs -> nothing of bundle: within the package
        assert LAYERS[other] < LAYERS[own] or (own == "__init__" and other in CORE), \
            f"{module} imports {target}: layer {other} ({LAYERS[other]}) is not below {own} ({LAYERS[own]})"


def test_the_core_imports_nothing_from_the_machinery():
    for module, path in modules().items():
        if layer(module) in CORE:
            assert {layer(t.split(".")[0]) for t in package_imports(module, path)} <= set(CORE), module


def test_the_package_root_exports_the_core_only():
    imported = {layer(t.split(".")[0]) for t in package_imports("__init__", PACKAGE / "__init__.py")}
    assert imported and imported <= set(CORE)


def test_the_environment_is_read_only_at_the_edge():
    readers = {module for module, path in modules().items() if re.search(r"\bos\.environ|getenv\(", path.read_text())}
    assert readers == ENVIRONMENT_EDGES


def calls_at_import(path: Path) -> list[str]:
    """The calls a module makes when it is imported, outside function and class bodies (decorators and defaults of
    functions excluded): what it computes from the machine (a working folder, files) before anyone asks."""
    found = []
    for statement in ast.parse(path.read_text()).body:
        if isinstance(statement, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue
        found += [ast.unparse(node.func) for node in ast.walk(statement) if isinstance(node, ast.Call)]
    return found


def test_the_settings_compute_nothing_at_import(tmp_path):
    """The project folder (which may be the working folder) and the bundle are found when a Settings is made."""
    assert calls_at_import(PACKAGE / "settings.py") == []
    leaky = tmp_path / "settings.py"  # the check itself can fail
    leaky.write_text("from pathlib import Path\nROOT = Path.cwd()\n")
    assert calls_at_import(leaky) == ["Path.cwd"]


def test_the_checker_sees_a_function_level_import_that_points_up(tmp_path):
    """The test itself can fail: an import inside a function of the core is found."""
    sneaky = tmp_path / "pruning.py"
    sneaky.write_text("def f():\n    from .widgets import one_shot_explorer\n    from lottery_utils import store\n")
    assert package_imports("pruning", sneaky) == {"widgets", "store"}


def test_the_core_reads_in_one_sitting_and_the_readme_gives_its_size():
    """The core a student reads (checks.py, the argument checks, is reference) holds about 1,000 lines of text (blank
    lines not counted), at most 1,100: room for plain code and Args sections rather than compressed lines. And "The
    core is about N lines of text" (docs/reference.md) is within 5 % of the count, so the text does not drift."""
    readme = (PACKAGE.parent / "docs" / "reference.md").read_text()
    stated = int(re.search(r"The core\*\* is about ([\d,]+) lines of text", readme).group(1).replace(",", ""))
    counted = sum(1 for name in CORE if name != "checks"
                  for line in (PACKAGE / f"{name}.py").read_text().splitlines() if line.strip())
    assert counted <= 1_100, f"the core's reading path has grown to {counted} lines of text"
    assert abs(stated - counted) <= 0.05 * counted, (stated, counted)


def test_the_readmes_reading_order_defines_each_name_before_it_is_used():
    """The README's table of the core: each module defines the names its row shows, and imports no module listed
    after it, so that the core reads top to bottom in that order."""
    import importlib
    readme = (PACKAGE.parent / "README.md").read_text()
    rows = re.findall(r"^\| `(\w+)\.py` \|(.*)$", readme, re.M)
    order = [name for name, _ in rows]
    assert sorted(order) == sorted(CORE), order
    for position, (name, cells) in enumerate(rows):
        module = importlib.import_module(f"lottery_utils.{name}")
        shown = {code.split("(")[0].split(".")[0] for code in re.findall(r"`([^`]+)`", cells)
                 if re.fullmatch(r"[A-Za-z_]\w*(\.\w+)?(\(.*\))?", code)}
        missing = sorted(n for n in shown if not hasattr(module, n))
        assert not missing, f"README: {name}.py does not define {missing}"
        later = {other for other in order[position + 1:] if other != "checks"}  # checks.py: the reference, last
        assert not package_imports(name, PACKAGE / f"{name}.py") & later, f"{name}.py imports a module read later"


PRUNE_INTERNALS = re.compile(r"weight_orig|weight_mask|recompute_weights|prune\.remove|custom_from_mask|_forward_pre_hooks")


def test_prunes_internals_stay_in_layers_and_masking():
    """torch's prune keeps a pruned layer's values in `weight_orig` and recomputes `weight` in a hook: layers.py draws
    it, masking.py handles it (and checks.py reads pruned states). The rest of the core speaks of masks and weights
    only (`masks`, `unmasked_weight`, `apply_masks`), so a student reads the method, not prune's plumbing."""
    handled = {"layers", "masking", "checks"}
    for name in CORE:
        found = PRUNE_INTERNALS.findall((PACKAGE / f"{name}.py").read_text())
        assert bool(found) == (name in handled), (name, found)
    assert PRUNE_INTERNALS.findall("layer.weight_orig.copy_(x)") == ["weight_orig"]  # the check itself can fail


def test_the_package_and_the_notebooks_scripts_pass_the_linter():
    """pycodestyle's errors and warnings and pyflakes (ruff, configured in pyproject.toml: lines of 120)."""
    paths = [PACKAGE, *PACKAGE.parent.glob("notebooks/*.py"), *PACKAGE.parent.glob("notebooks/instructor/*.py")]
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *map(str, paths)],
                          capture_output=True, text=True, cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stdout + done.stderr
